/**
 * The rows a device's sign-in checks (status and stored secret), looked up in
 * batches: the sign-ins that arrive within 2 ms of each other, or while a
 * lookup is running, share one. When a fleet reconnects after a restart,
 * 1,000 sign-ins took 1,000 queries, each a statement prepared, run and
 * finalised through SQLite's
 * threads (6 % of the controller's main thread during the reconnect in a
 * --cpu-prof at 1,000 boxes, issue 21); now a handful of queries do.
 *
 * Each lookup still starts after the sign-ins it answers arrived, so what a
 * sign-in sees is as fresh as before: nothing is cached between batches.
 */
import type { Database } from "../db/database.js";

/** A device's status (devices.ts's DeviceStatus) and its stored secret. */
export interface CredentialRow<Status extends string> {
  status: Status;
  secret_hash: string;
}

interface Waiter<Status extends string> {
  resolve: (row: CredentialRow<Status> | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * How long a sign-in waits for others to share its lookup. A fleet's boxes
 * reconnect a few at a time, each on its own turn of the event loop; waiting
 * for the next turn only gathered two on average (issue 21).
 */
const GATHER_MS = 2;

export class CredentialRows<Status extends string> {
  private waiting = new Map<string, Waiter<Status>[]>();
  private scheduled = false;
  private running = false;

  constructor(
    private readonly db: Database,
    private readonly gatherMs = GATHER_MS,
  ) {}

  /** The device's row, or undefined when there is no such device. */
  get(deviceId: string): Promise<CredentialRow<Status> | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(deviceId) ?? [];
      waiters.push({ resolve, reject });
      this.waiting.set(deviceId, waiters);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setTimeout(() => void this.lookUp(), this.gatherMs);
  }

  private async lookUp(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    const batch = this.waiting;
    this.waiting = new Map();
    try {
      const rows = await this.db.all<CredentialRow<Status> & { id: string }>(
        "SELECT id, status, secret_hash FROM devices " +
          "WHERE id IN (SELECT value FROM json_each(?))",
        [JSON.stringify([...batch.keys()])],
      );
      const byId = new Map(
        rows.map(({ id, status, secret_hash }) => [id, { status, secret_hash }]),
      );
      for (const [deviceId, waiters] of batch) {
        for (const { resolve } of waiters) resolve(byId.get(deviceId));
      }
    } catch (error) {
      for (const waiters of batch.values()) for (const { reject } of waiters) reject(error);
    } finally {
      this.running = false;
      if (this.waiting.size > 0) this.schedule();
    }
  }
}
