/**
 * What the broker-ingest bench and its child processes (the simulated devices
 * and the pass-through consumer) share: the IPC messages they exchange, and
 * small statistics helpers.
 */

/** Latency figures in milliseconds. */
export interface Latency {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** What the load process reports when it is done. */
export interface LoadResult {
  devices: number;
  connected: number;
  connectFailures: number;
  /** Wall time from the first connect attempt until every device was connected. */
  connectSeconds: number;
  /** Each device's own connect time (CONNECT sent → CONNACK). */
  connectLatency: Latency;
  windowSeconds: number;
  /** Events published inside the measurement window. */
  eventsPublished: number;
  /** Event ids acknowledged (accepted) by an ack that arrived inside the window. */
  eventsAckedInWindow: number;
  /** Events published inside the window that were never acked (after the drain). */
  eventsUnacked: number;
  /** Event ids refused in an ack (any time). */
  eventsRejected: number;
  /** Retained state messages published inside the window. */
  statesPublished: number;
  /** publish() → application ack, for events published inside the window. */
  ackLatency: Latency;
  /** publish() → application ack by when in the window the event was published (5 s slices). */
  ackLatencyBySlice: (Latency & { fromSecond: number; toSecond: number })[];
  /** publish() → the broker's PUBACK, for events published inside the window. */
  pubackLatency: Latency;
  /** Over the whole run. */
  totalEventsPublished: number;
  totalEventsAccepted: number;
  /** Connections that closed on their own (not at the end of the run). */
  connectionsLost: number;
  publishErrors: number;
  /** The load process's own event-loop delay during the window (it adds to every latency). */
  loadEventLoopDelayP99Ms: number;
  loadCpuPercent: number;
  drainSeconds: number;
}

/** The width of the slices of the window that latencies are also reported by. */
export const SLICE_SECONDS = 5;

/** Load process → bench. */
export type LoadMessage =
  | { type: "ramp-start" }
  | { type: "connected"; seconds: number; connected: number; failed: number }
  | { type: "window-start" }
  | { type: "window-end" }
  | { type: "result"; result: LoadResult }
  | { type: "fatal"; error: string };

/** Pass-through consumer → bench. */
export type ConsumerMessage = { type: "ready" } | { type: "fatal"; error: string };

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? null;
}

export function latencyOf(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null)),
  };
}

/** A positive integer from a flag or environment value, or the fallback. */
export function positiveInt(value: string | undefined, what: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0) {
    throw new Error(`${what} must be a positive whole number (got '${value}')`);
  }
  return Number(value);
}

/** A positive number (fractions allowed) from a flag value, or the fallback. */
export function positiveNumber(value: string | undefined, what: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new Error(`${what} must be a positive number (got '${value}')`);
  }
  return number;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Zero-padded device ids: bench-0001 … */
export function deviceIds(count: number): string[] {
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => `bench-${String(i + 1).padStart(width, "0")}`);
}

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/** Runs `work` over `items` with at most `limit` at a time. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const item = items[next];
      next += 1;
      if (item === undefined) return;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Runs a benchmark's `main` and always its `cleanUp` (children, temporary
 * folders), also on SIGINT/SIGTERM; exits with main's code (130 if interrupted).
 */
export function runBenchmark(main: () => Promise<number>, cleanUp: () => Promise<void>): void {
  let interrupted = false;
  const interrupt = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`bench: ${signal}; stopping and cleaning up\n`);
    void cleanUp().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  main()
    .catch((error: unknown) => {
      // after an interrupt, the children going away is what we asked for
      if (!interrupted) process.stderr.write(`bench: ${errorText(error)}\n`);
      return 1;
    })
    .then(async (code) => {
      await cleanUp();
      process.exit(interrupted ? 130 : code);
    })
    .catch((error: unknown) => {
      process.stderr.write(`bench: clean-up failed: ${errorText(error)}\n`);
      process.exit(1);
    });
}
