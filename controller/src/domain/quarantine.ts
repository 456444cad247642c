/**
 * Events the projector could not apply, kept aside whole: the event stays in
 * `events` (the device was told it is safe), and `event_quarantine` says why
 * it is not applied yet. IT is alerted; after an upgrade, `classcam-controller
 * events retry` applies them (`Projector.retryQuarantined`). A recording's
 * later events wait behind its quarantined one, so its events still apply in
 * the order the box raised them.
 */
import type { DeviceEvent } from "@classcam/protocol";
import type { Transaction } from "../db/database.js";
import { clearAlert, raiseAlert } from "./alerts.js";

export interface QuarantinedEvent {
  eventId: string;
  deviceId: string;
  kind: DeviceEvent["kind"];
  reason: string;
  quarantinedAt: string;
  attempts: number;
}

/** Why an event is not applied: kept with its reason (again: the new reason, one more attempt). */
export async function quarantine(
  tx: Transaction,
  entry: { event: DeviceEvent; deviceId: string; recordingId: string | null; reason: string },
  at: string,
): Promise<void> {
  const { event, deviceId, recordingId, reason } = entry;
  await tx.run(
    `INSERT INTO event_quarantine (event_id, device_id, recording_id, reason, quarantined_at, last_tried_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (event_id) DO UPDATE SET reason = excluded.reason,
       attempts = attempts + 1, last_tried_at = excluded.last_tried_at`,
    [event.id, deviceId, recordingId, reason, at, at],
  );
  await raiseAlert(
    tx,
    deviceId,
    "event-quarantined",
    `the ${event.kind} event ${event.id} from this box could not be applied (${reason}); ` +
      "it is kept, and 'classcam-controller events retry' applies it after an upgrade",
    at,
  );
}

/** The earliest quarantined event of the recording raised before `eventId`, if any. */
export async function waitingBehind(
  tx: Transaction,
  recordingId: string,
  eventId: string,
): Promise<string | null> {
  const row = await tx.get<{ event_id: string }>(
    `SELECT q.event_id FROM event_quarantine q JOIN events e ON e.id = q.event_id
     WHERE q.recording_id = ? AND e.rowid < (SELECT rowid FROM events WHERE id = ?)
     ORDER BY e.rowid LIMIT 1`,
    [recordingId, eventId],
  );
  return row?.event_id ?? null;
}

/**
 * Which of `recordingIds` have an event in quarantine (one statement, and none
 * when no id is given). Every event in quarantine was stored before the events
 * the projector has yet to apply, so an event of one of these waits behind it.
 */
export async function quarantinedRecordings(
  tx: Transaction,
  recordingIds: readonly string[],
): Promise<Set<string>> {
  if (recordingIds.length === 0) return new Set();
  const rows = await tx.all<{ recording_id: string }>(
    "SELECT DISTINCT recording_id FROM event_quarantine " +
      "WHERE recording_id IN (SELECT value FROM json_each(?))",
    [JSON.stringify([...new Set(recordingIds)])],
  );
  return new Set(rows.map((row) => row.recording_id));
}

/** The event was applied: it leaves quarantine, and the alert goes when its device has none left. */
export async function release(
  tx: Transaction,
  eventId: string,
  deviceId: string,
  at: string,
): Promise<void> {
  await tx.run("DELETE FROM event_quarantine WHERE event_id = ?", [eventId]);
  const left = await tx.get("SELECT 1 FROM event_quarantine WHERE device_id = ?", [deviceId]);
  if (!left) await clearAlert(tx, deviceId, "event-quarantined", at, "events retry");
}

/** The events in quarantine, in the order they arrived (the order to apply them in). */
export async function quarantined(
  tx: Pick<Transaction, "all">,
): Promise<(QuarantinedEvent & { event: DeviceEvent })[]> {
  const rows = await tx.all<{
    id: string;
    device_id: string;
    seq: number;
    kind: DeviceEvent["kind"];
    occurred_at: string;
    data_json: string;
    reason: string;
    quarantined_at: string;
    attempts: number;
  }>(
    `SELECT e.id, e.device_id, e.seq, e.kind, e.occurred_at, e.data_json,
       q.reason, q.quarantined_at, q.attempts
     FROM event_quarantine q JOIN events e ON e.id = q.event_id ORDER BY e.rowid`,
  );
  return rows.map((row) => ({
    eventId: row.id,
    deviceId: row.device_id,
    kind: row.kind,
    reason: row.reason,
    quarantinedAt: row.quarantined_at,
    attempts: row.attempts,
    event: storedEvent(row),
  }));
}

/** An event as the `events` table holds it. */
export function storedEvent(row: {
  id: string;
  seq: number;
  kind: DeviceEvent["kind"];
  occurred_at: string;
  data_json: string;
}): DeviceEvent {
  return {
    id: row.id,
    seq: row.seq,
    at: row.occurred_at,
    kind: row.kind,
    data: JSON.parse(row.data_json) as unknown,
  } as DeviceEvent;
}
