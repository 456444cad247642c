/**
 * How Node should run the controller on the school server (the systemd unit
 * and the benchmarks use these; test/repo/systemd.test.ts holds the unit to
 * them). Measured with `npm run bench` at 1,000 boxes: a small young
 * generation and a slowly growing old one, with glibc keeping few arenas for
 * SQLite's threads, took the controller's peak resident memory from about
 * 222 MB to under 120 MB. `--optimize-for-size` did as much for memory, but
 * its garbage collection made the controller's CPU about 12 % higher and a
 * fleet's reconnect 10-20 % slower (issue 21: runs of each, taking turns, on
 * a quiet machine). A young generation of up to 4 MB (V8 grows it from
 * 1 MB only while a burst needs it) promotes fewer short-lived objects, so
 * fewer old-generation collections: in 2026-12-07's controller-only runs the
 * controller's median CPU was ~7 % lower than with 1 or 2 MB (34.2 against
 * 36.9 % of a core), and a fleet's reconnect ~16 % faster (1.86 against
 * 2.22 s). It costs about 3 MB of peak RSS, which the RSS saved since (one
 * ajv, lazy openid-client and csv-parse) and glibc handing blocks of 128 KB
 * and more straight back to the system (fixed mmap and trim thresholds,
 * instead of thresholds that rise with each large block freed) pay for:
 * peak RSS 115.5-118.6 MB in the day's runs with them, 117.5-119.6 MB
 * without (issue 21).
 */
export const CONTROLLER_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=4",
  "--heap-growing-percent=20",
];
export const CONTROLLER_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_ENV: "production",
  MALLOC_ARENA_MAX: "2",
  MALLOC_MMAP_THRESHOLD_: "131072",
  MALLOC_TRIM_THRESHOLD_: "131072",
};
