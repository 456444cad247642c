/**
 * Runs a job once a short while after it is first asked for, however often it
 * is asked for meanwhile. The projector is paced so: the ingest commits a
 * fleet's events one transaction at a time (each acked at once), and a
 * projector step after each of them was four more statements and a commit
 * per event (issue 21: ~15 statements per device event, each a trip through
 * SQLite's threads). Waiting a quarter of a second lets one step apply the
 * events of many commits; nothing waits for it but the dashboard, which shows
 * a recording that long after its box reported it.
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

/**
 * How long the projector waits after a commit before it applies what came in.
 * At 1,000 boxes a step every 50 ms was 16 transactions a second of ~9 fixed
 * statements each; every 250 ms, four (issue 21 §4: 1.8–4.6 points less of a
 * core for the controller in three paired runs of `npm run bench`).
 */
export const PROJECTOR_PACE_MS = 250;

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
