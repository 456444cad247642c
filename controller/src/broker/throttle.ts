/**
 * Refused connection attempts, counted per source address in a sliding window.
 * Past the limit a source is refused before its secret is even hashed, which
 * also keeps scrypt from being used to burn the controller's CPU.
 */
export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}

export class ConnectThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly options: ThrottleOptions) {
    this.now = options.now ?? Date.now;
  }

  private recent(source: string): number[] {
    const since = this.now() - this.options.windowMs;
    const kept = (this.failures.get(source) ?? []).filter((at) => at > since);
    if (kept.length === 0) this.failures.delete(source);
    else this.failures.set(source, kept);
    return kept;
  }

  /** True while the source has used up its allowance of failures. */
  isBlocked(source: string): boolean {
    return this.recent(source).length >= this.options.maxFailures;
  }

  /** How long until the source may try again (0 when it is not blocked). */
  retryAfterMs(source: string): number {
    const recent = this.recent(source);
    if (recent.length < this.options.maxFailures) return 0;
    const oldest = recent[recent.length - this.options.maxFailures] ?? this.now();
    return Math.max(0, oldest + this.options.windowMs - this.now());
  }

  /** Forgets a source's failures (a correct password proves the account's owner). */
  clear(source: string): void {
    this.failures.delete(source);
  }

  recordFailure(source: string): void {
    const kept = this.recent(source);
    kept.push(this.now());
    this.failures.set(source, kept);
    if (this.failures.size > 10_000) this.prune();
  }

  /** A good connection does not clear earlier failures: a guesser cannot reset its count. */
  private prune(): void {
    for (const source of [...this.failures.keys()]) this.recent(source);
  }
}
