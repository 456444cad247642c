/**
 * Refused attempts (MQTT connections, sign-ins), counted per source in a
 * sliding window. An attempt takes its place in the count before its secret
 * is hashed (`reserve()`) and gives it back when it succeeds, so a burst of
 * simultaneous attempts is cut at the limit whatever its concurrency: at most
 * `maxFailures` of a source's attempts are ever being checked or refused in a
 * window. An attempt that arrives while the others in progress fill the
 * allowance waits for them (a fleet behind one address reconnecting after a
 * restart, a staff room behind one proxy): if they succeed it goes ahead, if
 * they fail and use up the allowance it is refused unchecked. Past the limit a
 * source is refused before its secret is even hashed, which also keeps scrypt
 * from being used to burn the controller's CPU.
 */
export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  /** Most attempts of one source waiting for a place; beyond it they are refused. */
  maxWaiting?: number;
  now?: () => number;
}

/** One attempt's place in the count, taken before its secret is checked. */
export interface Attempt {
  /** The attempt was refused: it counts as a failure for the window from now. */
  failed(): void;
  /** The attempt succeeded, or was never judged: its place is given back. */
  release(): void;
}

/** A failure, or an attempt still being checked (`pending`), which holds a place meanwhile. */
interface Entry {
  at: number;
  pending: boolean;
}

export class ConnectThrottle {
  private readonly entries = new Map<string, Entry[]>();
  /** Attempts waiting, per source, for one in progress to finish. */
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly now: () => number;
  private readonly maxWaiting: number;

  constructor(private readonly options: ThrottleOptions) {
    this.now = options.now ?? Date.now;
    this.maxWaiting = options.maxWaiting ?? 10_000;
  }

  private recent(source: string): Entry[] {
    const since = this.now() - this.options.windowMs;
    const kept = (this.entries.get(source) ?? []).filter((e) => e.pending || e.at > since);
    if (kept.length === 0) this.entries.delete(source);
    else this.entries.set(source, kept);
    return kept;
  }

  /** True while the source's refused attempts in the window reach the limit. */
  isBlocked(source: string): boolean {
    return this.recent(source).filter((e) => !e.pending).length >= this.options.maxFailures;
  }

  /** How long until the source may try again (0 when it is not blocked). */
  retryAfterMs(source: string): number {
    const failures = this.recent(source)
      .filter((e) => !e.pending)
      .map((e) => e.at)
      .sort((a, b) => a - b);
    if (failures.length < this.options.maxFailures) return 0;
    const oldest = failures[failures.length - this.options.maxFailures] ?? this.now();
    return Math.max(1000, oldest + this.options.windowMs - this.now());
  }

  /**
   * Counts an attempt before it is checked, waiting while the attempts in
   * progress fill the allowance; null when the source has used up its
   * allowance (the attempt must be refused unchecked).
   */
  async reserve(source: string): Promise<Attempt | null> {
    for (;;) {
      if (this.isBlocked(source)) return null;
      if (this.recent(source).length < this.options.maxFailures) return this.take(source);
      const queue = this.waiting.get(source) ?? [];
      if (queue.length >= this.maxWaiting) return null;
      this.waiting.set(source, queue);
      await new Promise<void>((resolve) => queue.push(resolve));
    }
  }

  private take(source: string): Attempt {
    const entry: Entry = { at: this.now(), pending: true };
    this.add(source, entry);
    return {
      failed: () => {
        if (!entry.pending) return;
        entry.pending = false;
        entry.at = this.now();
        // the place stays taken; those waiting learn whether the allowance is now used up
        if (this.isBlocked(source)) this.wake(source, Infinity);
      },
      release: () => {
        if (!entry.pending) return;
        entry.pending = false;
        const list = this.entries.get(source);
        const index = list?.indexOf(entry) ?? -1;
        if (index >= 0) list?.splice(index, 1);
        if (list?.length === 0) this.entries.delete(source);
        this.wake(source, 1);
      },
    };
  }

  /** Lets up to `count` of the source's waiting attempts look again, first come first. */
  private wake(source: string, count: number): void {
    const queue = this.waiting.get(source);
    if (!queue) return;
    for (const resolve of queue.splice(0, count)) resolve();
    if (queue.length === 0) this.waiting.delete(source);
  }

  /**
   * Forgets a source's failures (a correct password proves the account's
   * owner); attempts still being checked keep their place.
   */
  clear(source: string): void {
    const pending = (this.entries.get(source) ?? []).filter((e) => e.pending);
    if (pending.length === 0) this.entries.delete(source);
    else this.entries.set(source, pending);
    this.wake(source, Infinity);
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
