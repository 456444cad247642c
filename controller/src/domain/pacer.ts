/**
 * Runs a job once a short while after it is first asked for, however often it
 * is asked for meanwhile. The projector is paced so: the ingest commits a
 * fleet's events one transaction at a time (each acked at once), and a
 * projector step after each of them was four more statements and a commit
 * per event (issue 21: ~15 statements per device event, each a trip through
 * SQLite's threads). Waiting a few tens of milliseconds lets one step apply
 * the events of several commits; nothing waits for it but the dashboard.
 */
export interface Pending {
  cancel: () => void;
}

/** Calls `run` after `ms`; the pacer's timer does not keep the process alive. */
export type Schedule = (run: () => void, ms: number) => Pending;

export const afterTimeout: Schedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

/** How long the projector waits after a commit before it applies what came in. */
export const PROJECTOR_PACE_MS = 50;

export class Pacer {
  private pending: Pending | null = null;

  constructor(
    private readonly job: () => void,
    private readonly delayMs: number,
    private readonly schedule: Schedule = afterTimeout,
  ) {}

  /** Asks for the job: it runs once, `delayMs` after the first ask not yet served. */
  poke(): void {
    if (this.pending !== null) return;
    this.pending = this.schedule(() => {
      this.pending = null;
      this.job();
    }, this.delayMs);
  }

  /** Forgets a job asked for and not yet run. */
  stop(): void {
    this.pending?.cancel();
    this.pending = null;
  }
}
