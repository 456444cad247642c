/**
 * How Node should run the controller on the school server (the systemd unit
 * and the benchmarks use these; test/repo/systemd.test.ts holds the unit to
 * them). Measured with `npm run bench` at 1,000 boxes: a small young
 * generation and V8's size-over-speed heuristics, with glibc keeping few
 * arenas for SQLite's threads, took the controller's peak resident memory
 * from about 222 MB to 123 MB at the same CPU (43–46 % of a core either way).
 */
export const CONTROLLER_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=1",
  "--optimize-for-size",
];
export const CONTROLLER_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_ENV: "production",
  MALLOC_ARENA_MAX: "2",
};
