/**
 * How Node should run the controller on the school server (the systemd unit
 * and the benchmarks use these; test/repo/systemd.test.ts holds the unit to
 * them). Measured with `npm run bench` at 1,000 boxes: a small young
 * generation and a slowly growing old one, with glibc keeping few arenas for
 * SQLite's threads, took the controller's peak resident memory from about
 * 222 MB to under 120 MB. `--optimize-for-size` did the same, but it also
 * pins the young generation at its smallest whatever `--max-semi-space-size`
 * says, and the garbage collection that cost made the controller's CPU about
 * 12 % higher and a fleet's reconnect 10-20 % slower (issue 21: three runs
 * of each, taking turns, on a quiet machine).
 */
export const CONTROLLER_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=2",
  "--heap-growing-percent=20",
];
export const CONTROLLER_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_ENV: "production",
  MALLOC_ARENA_MAX: "2",
};
