/** Where rules need the time, it is passed in, so tests can use a fake clock. */
export type Clock = () => Date;
