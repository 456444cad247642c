/**
 * Events the device raises go into the outbox table first, in the same
 * transaction as the change they report, and leave it only when the
 * controller acknowledges that it committed them. Each event has a UUID (the
 * controller deduplicates on it) and a sequence number that never repeats.
 */
import { randomUUID } from "node:crypto";
import {
  checkEvent,
  type DeviceEvent,
  type EventAck,
  type EventData,
  type EventKind,
} from "@classcam/protocol";
import type { Database, Transaction } from "@classcam/sqlite";

/**
 * Writes one event to the outbox inside `tx`. The event is checked against its
 * schema first: a bug that builds a bad event fails here, loudly, not at the
 * controller.
 */
export async function raiseEvent<K extends EventKind>(
  tx: Transaction,
  kind: K,
  data: EventData<K>,
  at: Date,
): Promise<DeviceEvent> {
  const id = randomUUID();
  const { lastID } = await tx.run(
    "INSERT INTO outbox (id, kind, payload, created_at) VALUES (?, ?, '', ?)",
    [id, kind, at.toISOString()],
  );
  const candidate = { id, seq: lastID, at: at.toISOString(), kind, data };
  const checked = checkEvent(candidate);
  if (!checked.ok) throw new Error(`event ${kind} is malformed: ${checked.error}`);
  await tx.run("UPDATE outbox SET payload = ? WHERE id = ?", [JSON.stringify(candidate), id]);
  return checked.value;
}

export interface PendingEvent {
  seq: number;
  id: string;
  payload: string;
}

export class Outbox {
  constructor(private readonly db: Database) {}

  /** Raises one event in a transaction of its own. */
  raise<K extends EventKind>(kind: K, data: EventData<K>, at: Date): Promise<DeviceEvent> {
    return this.db.transaction((tx) => raiseEvent(tx, kind, data, at));
  }

  /** The oldest events still waiting for an ack, after `afterSeq`. */
  pending(afterSeq = 0, limit = 500): Promise<PendingEvent[]> {
    return this.db.all<PendingEvent>(
      "SELECT seq, id, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
      [afterSeq, limit],
    );
  }

  async depth(): Promise<number> {
    const row = await this.db.get<{ n: number }>("SELECT count(*) AS n FROM outbox");
    return row?.n ?? 0;
  }

  /** Drops acknowledged events; keeps refused ones aside with the controller's reason. */
  settle(ack: EventAck, at: Date): Promise<{ accepted: number; rejected: number }> {
    return this.db.transaction(async (tx) => {
      let accepted = 0;
      for (const id of ack.accepted) {
        accepted += (await tx.run("DELETE FROM outbox WHERE id = ?", [id])).changes;
      }
      let rejected = 0;
      for (const { id, reason } of ack.rejected) {
        const row = await tx.get<{ payload: string }>("SELECT payload FROM outbox WHERE id = ?", [
          id,
        ]);
        if (row === undefined) continue;
        await tx.run(
          "INSERT OR REPLACE INTO rejected_events (id, payload, reason, rejected_at) VALUES (?, ?, ?, ?)",
          [id, row.payload, reason, at.toISOString()],
        );
        rejected += (await tx.run("DELETE FROM outbox WHERE id = ?", [id])).changes;
      }
      return { accepted, rejected };
    });
  }
}
