/**
 * How Node should run the controller on the school server (the systemd unit
 * and the benchmarks use these; test/repo/systemd.test.ts holds the unit to
 * them). Measured with `npm run bench` at 1,000 boxes: a small young
 * generation and a slowly growing old one, with glibc keeping few arenas for
 * SQLite's threads, took the controller's peak resident memory from about
 * 222 MB to under 120 MB. `--optimize-for-size` did as much for memory, but
 * its garbage collection made the controller's CPU about 12 % higher and a
 * fleet's reconnect 10-20 % slower (issue 21: runs of each, taking turns, on
 * a quiet machine). A 2-MB young generation was faster again but peaked at
 * 118-124 MB during the reconnect.
 */
export const CONTROLLER_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=1",
  "--heap-growing-percent=20",
];
export const CONTROLLER_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_ENV: "production",
  MALLOC_ARENA_MAX: "2",
};
