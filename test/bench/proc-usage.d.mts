/** CPU ticks (own, reaped children) and bytes written by this process and its reaped children. */
export function processUsage(): { ownTicks: number; childTicks: number; writeBytes: number };
