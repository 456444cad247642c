/**
 * A box's word that footage is gone from it: a `recording.deleted` event
 * (recorded, audited, and disputed when the footage is on hold) and a retired
 * box's `device.wiped`. Applied by the projector, in its transaction.
 */
import type { EventData } from "@classcam/protocol";
import type { Transaction } from "../db/database.js";
import type { AuditLog } from "./audit.js";
import { raiseAlert } from "./alerts.js";

/**
 * A retired device wiped its buffer: every recording still on it is gone
 * from it (each deletion recorded and audited as usual), and the wipe itself
 * is audited.
 */
export async function applyWiped(
  tx: Transaction,
  audit: AuditLog,
  deviceId: string,
  at: string,
  data: EventData<"device.wiped">,
): Promise<void> {
  const rows = await tx.all<{ id: string; bytes: number | null }>(
    "SELECT id, bytes FROM recordings WHERE device_id = ? AND on_device = 1 ORDER BY started_at",
    [deviceId],
  );
  for (const row of rows) {
    await applyDeleted(tx, audit, deviceId, at, {
      recordingId: row.id,
      reason: "retired",
      bytes: row.bytes ?? 0,
    });
  }
  await audit.append(tx, {
    actor: deviceId,
    action: "device.wiped",
    subject: deviceId,
    detail: { ...data, recordingsKnownHere: rows.length },
  });
}

export async function applyDeleted(
  tx: Transaction,
  audit: AuditLog,
  deviceId: string,
  at: string,
  data: Omit<EventData<"recording.deleted">, "reason"> & {
    reason: EventData<"recording.deleted">["reason"] | "retired";
  },
): Promise<void> {
  const row = await tx.get<{ archive_state: string; held: number; on_controller: number }>(
    `SELECT archive_state, on_controller,
       EXISTS (SELECT 1 FROM holds WHERE recording_id = r.id AND released_at IS NULL) AS held
     FROM recordings r WHERE id = ?`,
    [data.recordingId],
  );
  if (!row) return;
  if (row.held === 1) {
    // footage under a hold is never marked deleted on a box's word; IT checks the box
    await raiseAlert(
      tx,
      deviceId,
      "protected-footage-deleted",
      `the device reported deleting recording ${data.recordingId} (${data.reason}) although it ` +
        "is on hold; it is not marked deleted: check the box",
      at,
    );
    await audit.append(tx, {
      actor: deviceId,
      action: "footage.delete-disputed",
      subject: data.recordingId,
      detail: { copy: "device", reason: data.reason, bytes: data.bytes, refused: "on hold" },
    });
    return;
  }
  await tx.run("UPDATE recordings SET on_device = 0 WHERE id = ?", [data.recordingId]);
  await tx.run(
    `INSERT INTO deletions (recording_id, copy, reason, requested_at, done_at, bytes)
     VALUES (?, 'device', ?, ?, ?, ?)
     ON CONFLICT (recording_id, copy) DO UPDATE SET done_at = excluded.done_at, bytes = excluded.bytes`,
    [data.recordingId, `device-${data.reason}`, at, at, data.bytes],
  );
  await tx.run(
    "UPDATE recordings SET deleted_at = ? WHERE id = ? AND on_controller = 0 AND deleted_at IS NULL",
    [at, data.recordingId],
  );
  await audit.append(tx, {
    actor: deviceId,
    action: "footage.delete",
    subject: data.recordingId,
    detail: { copy: "device", reason: data.reason, bytes: data.bytes },
  });
  if (row.archive_state === "uploading" && row.on_controller === 0) {
    await raiseAlert(
      tx,
      deviceId,
      "protected-footage-deleted",
      `the device deleted recording ${data.recordingId} (${data.reason}) although it was ` +
        "awaiting upload",
      at,
    );
  }
}
