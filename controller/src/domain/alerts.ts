/**
 * Alerts IT sees on the dashboard, one open alert per device and kind: a
 * second one of a kind already open is not raised again.
 */
import type { Transaction } from "../db/database.js";
import type { AuditLog } from "./audit.js";
import { DomainError } from "./errors.js";

/** Every kind of alert the controller raises (the dashboard has words for each). */
export const ALERT_KINDS = [
  "buffer-full",
  "lamp-fault",
  "camera-lost",
  "microphone-lost",
  "config-rejected",
  "unbooked-recording",
  /** The box refused to record a booking because its masks could not be burned in. */
  "booking-masks-unusable",
  "protected-footage-deleted",
  /** An event of the device's could not be applied and waits in quarantine. */
  "event-quarantined",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export async function raiseAlert(
  tx: Transaction,
  deviceId: string,
  kind: AlertKind,
  detail: string,
  at: string,
): Promise<void> {
  // one statement, not a read then a write: the projector raises one for each unbooked
  // recording it applies, and each statement is a trip through SQLite's threads (issue 21)
  await tx.run(
    "INSERT INTO alerts (device_id, kind, detail, raised_at) SELECT ?, ?, ?, ? " +
      "WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE device_id = ? AND kind = ? AND cleared_at IS NULL)",
    [deviceId, kind, detail, at, deviceId, kind],
  );
}

/** Clears the device's open alert of `kind` (the problem is over). */
export async function clearAlert(
  tx: Transaction,
  deviceId: string,
  kind: AlertKind,
  at: string,
  by: string,
): Promise<void> {
  await tx.run(
    "UPDATE alerts SET cleared_at = ?, cleared_by = ? WHERE device_id = ? AND kind = ? AND cleared_at IS NULL",
    [at, by, deviceId, kind],
  );
}

/** A person clears an open alert by its id (audited); refused when none is open by that id. */
export async function clearAlertById(
  tx: Transaction,
  audit: AuditLog,
  alertId: number,
  by: string,
  at: string,
): Promise<void> {
  const { changes } = await tx.run(
    "UPDATE alerts SET cleared_at = ?, cleared_by = ? WHERE id = ? AND cleared_at IS NULL",
    [at, by, alertId],
  );
  if (changes === 0) throw new DomainError("not-found", `no open alert ${alertId}`);
  await audit.append(tx, { actor: by, action: "alert.clear", subject: String(alertId) });
}
