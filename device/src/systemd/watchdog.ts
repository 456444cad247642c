/**
 * The watchdog: a timer on the main loop looks at the daemon every half
 * watchdog period and pings systemd (WATCHDOG=1) only while the look found
 * nothing wrong. So a blocked main loop stops the pings (the timer never
 * fires), and so does a part that is stuck while the loop runs (the look
 * says what). Without pings, systemd restarts the service after `WatchdogSec`.
 *
 * A look is asynchronous (it asks the database): each tick uses the answer of
 * the look started before, and a look that has not answered within
 * `answerWithinMs` is itself a problem. The STATUS line says what the daemon
 * does, or why it is unhealthy; the first tick of a problem logs it once.
 */
import type { Logger } from "pino";
import type { Notifier } from "./notify.js";

/** What one look at the daemon found. */
export interface Examination {
  /** Why the daemon is unhealthy (no ping), or null. */
  problem: string | null;
  /** What the daemon is doing, for the STATUS line. */
  status: string;
}

export interface WatchdogOptions {
  notifier: Notifier;
  /** How often to look and ping (half the watchdog's timeout); null: no watchdog, STATUS only. */
  pingMs: number | null;
  /** How often to look when there is no watchdog (the STATUS line). */
  statusMs?: number;
  /** Looks at the daemon. A rejection is a problem. */
  examine: () => Promise<Examination>;
  /** A look that has not answered after this long is a problem (the database hangs). */
  answerWithinMs?: number;
  logger: Logger;
  /** Milliseconds on a clock that never jumps (for tests). */
  clock?: () => number;
  /** Calls `tick` every `ms` until the returned function is called (for tests: never). */
  schedule?: (tick: () => void, ms: number) => () => void;
}

function every(tick: () => void, ms: number): () => void {
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
}

export class Watchdog {
  private unschedule: (() => void) | null = null;
  private looking: { since: number } | null = null;
  private last: Examination | null = null;
  private lastTickAt: number | null = null;
  private lastStatus: string | null = null;
  private unhealthy: string | null = null;
  private stopped = false;
  /** Pings sent so far (for the tests). */
  pings = 0;
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(private readonly o: WatchdogOptions) {
    this.clock = o.clock ?? (() => performance.now());
    this.log = o.logger.child({ part: "systemd" });
  }

  get periodMs(): number {
    return this.o.pingMs ?? this.o.statusMs ?? 10_000;
  }

  /** READY=1, then a look (and a ping when it is good) every period. */
  start(status: string): void {
    this.o.notifier.send({ ready: true, status });
    this.lastStatus = status;
    this.lastTickAt = this.clock();
    this.look();
    this.unschedule = (this.o.schedule ?? every)(() => this.tick(), this.periodMs);
  }

  /** One look's worth: ping (or not) on the last answer, and start the next look. */
  tick(): void {
    if (this.stopped) return;
    const now = this.clock();
    if (this.lastTickAt !== null && now - this.lastTickAt > 2 * this.periodMs) {
      // the loop itself was held up (or the whole process stopped): a look under way
      // was held up with it, so it gets a fresh allowance
      this.log.warn(
        { blockedMs: Math.round(now - this.lastTickAt - this.periodMs) },
        "the main loop was blocked: no watchdog pings meanwhile",
      );
      if (this.looking !== null) this.looking.since = now;
    }
    this.lastTickAt = now;
    const answerWithinMs = this.o.answerWithinMs ?? 10_000;
    let found: Examination | null = this.last;
    if (this.looking !== null && now - this.looking.since > answerWithinMs) {
      const seconds = Math.round((now - this.looking.since) / 1000);
      found = {
        problem: `the database has not answered for ${seconds} s`,
        status: this.last?.status ?? "",
      };
    }
    if (found !== null) this.report(found);
    this.look();
  }

  /** STOPPING=1: no more pings or looks. */
  stopping(status = "Stopping"): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unschedule?.();
    this.unschedule = null;
    this.o.notifier.send({ stopping: true, status });
  }

  private report(found: Examination): void {
    const status = found.problem === null ? found.status : `Unhealthy: ${found.problem}`;
    if (found.problem !== null && this.unhealthy === null) {
      this.log.error(
        { problem: found.problem },
        this.o.pingMs === null
          ? "the daemon is unhealthy"
          : "the daemon is unhealthy: no watchdog pings, so systemd restarts it",
      );
    } else if (found.problem === null && this.unhealthy !== null) {
      this.log.warn({ was: this.unhealthy }, "the daemon is healthy again: watchdog pings resume");
    }
    this.unhealthy = found.problem;
    const ping = found.problem === null && this.o.pingMs !== null;
    const statusChanged = status !== this.lastStatus;
    if (!ping && !statusChanged) return;
    this.o.notifier.send({
      ...(ping ? { watchdog: true as const } : {}),
      ...(statusChanged ? { status } : {}),
    });
    if (ping) this.pings += 1;
    this.lastStatus = status;
  }

  private look(): void {
    if (this.looking !== null || this.stopped) return;
    const looking = { since: this.clock() };
    this.looking = looking;
    void this.o
      .examine()
      .then(
        (found) => {
          this.last = found;
        },
        (error: unknown) => {
          this.last = {
            problem: `the health check failed: ${error instanceof Error ? error.message : String(error)}`,
            status: this.last?.status ?? "",
          };
        },
      )
      .finally(() => {
        if (this.looking === looking) this.looking = null;
      });
  }
}
