/**
 * Refused attempts (MQTT connections, sign-ins), counted per source in a
 * sliding window. An attempt takes its place in the count before its secret
 * is hashed (`reserve()`) and gives it back when it succeeds, so a burst of
 * simultaneous attempts is cut at the limit whatever its concurrency. Past the
 * limit a source is refused before its secret is even hashed, which also keeps
 * scrypt from being used to burn the controller's CPU.
 */
export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}

/** One attempt's place in the count, taken before its secret is checked. */
export interface Attempt {
  /** The attempt was refused: it counts as a failure for the window from now. */
  failed(): void;
  /** The attempt succeeded, or was never judged: its place is given back. */
  release(): void;
}

/** A failure, or an attempt still being checked (`pending`), which counts as one meanwhile. */
interface Entry {
  at: number;
  pending: boolean;
}

export class ConnectThrottle {
  private readonly entries = new Map<string, Entry[]>();
  private readonly now: () => number;

  constructor(private readonly options: ThrottleOptions) {
    this.now = options.now ?? Date.now;
  }

  private recent(source: string): Entry[] {
    const since = this.now() - this.options.windowMs;
    const kept = (this.entries.get(source) ?? []).filter((e) => e.pending || e.at > since);
    if (kept.length === 0) this.entries.delete(source);
    else this.entries.set(source, kept);
    return kept;
  }

  /** True while the source's failures and attempts in progress reach its allowance. */
  isBlocked(source: string): boolean {
    return this.recent(source).length >= this.options.maxFailures;
  }

  /**
   * How long until the source may try again (0 when it is not blocked), as if
   * the attempts still being checked all fail.
   */
  retryAfterMs(source: string): number {
    const recent = this.recent(source);
    if (recent.length < this.options.maxFailures) return 0;
    const times = recent.map((e) => (e.pending ? this.now() : e.at)).sort((a, b) => a - b);
    const oldest = times[times.length - this.options.maxFailures] ?? this.now();
    return Math.max(1000, oldest + this.options.windowMs - this.now());
  }

  /**
   * Counts an attempt before it is checked; null when the source has used up
   * its allowance (the attempt must be refused unchecked).
   */
  reserve(source: string): Attempt | null {
    if (this.isBlocked(source)) return null;
    const entry: Entry = { at: this.now(), pending: true };
    this.add(source, entry);
    return {
      failed: () => {
        if (!entry.pending) return;
        entry.pending = false;
        entry.at = this.now();
      },
      release: () => {
        if (!entry.pending) return;
        entry.pending = false;
        const list = this.entries.get(source);
        const index = list?.indexOf(entry) ?? -1;
        if (index >= 0) list?.splice(index, 1);
        if (list?.length === 0) this.entries.delete(source);
      },
    };
  }

  /**
   * Forgets a source's failures (a correct password proves the account's
   * owner); attempts still being checked keep their place.
   */
  clear(source: string): void {
    const pending = (this.entries.get(source) ?? []).filter((e) => e.pending);
    if (pending.length === 0) this.entries.delete(source);
    else this.entries.set(source, pending);
  }

  recordFailure(source: string): void {
    this.add(source, { at: this.now(), pending: false });
  }

  private add(source: string, entry: Entry): void {
    const kept = this.recent(source);
    kept.push(entry);
    this.entries.set(source, kept);
    if (this.entries.size > 10_000) this.prune();
  }

  /** Forgets sources whose entries have all expired. */
  private prune(): void {
    for (const source of [...this.entries.keys()]) this.recent(source);
  }
}
