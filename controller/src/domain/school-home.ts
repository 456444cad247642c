/**
 * The sections of the home about the school rather than the person's own
 * lessons (home-view.ts composes them): leadership's holds and investigations
 * in force, the fleet's problems for the Bursar and IT, and the DPO's recent
 * investigations, audit exports and deletions. Each reads the read model its
 * page reads, so the home and the page never disagree.
 */
import type { Database } from "../db/database.js";
import { latestDeletions } from "./deletion-view.js";
import type { DeviceRegistry } from "./devices.js";
import { fleetPage } from "./fleet-view.js";
import { inForce } from "./governance-view.js";
import { ABOUT, FROM, about, type AboutRow } from "./home-items.js";

/** How far back the DPO's "recent" goes. */
export const RECENT_DAYS = 30;
/** The most boxes with problems the home lists; the fleet page has them all. */
const FLEET_SHOWN = 50;
const LISTED = 20;
const DAY_MS = 86_400_000;

/** The holds and investigations in force, as the holds page shows them. */
export const leadershipSection = (db: Database) => inForce(db);

/** Every problem of the boxes that have one, as the fleet page finds them. */
export async function fleetSection(db: Database, devices: DeviceRegistry, now: Date) {
  const page = await fleetPage(db, devices, now, { show: "alerts", limit: FLEET_SHOWN });
  return {
    /** Boxes with a problem, listed or not. */
    boxes: page.matched,
    problems: page.devices.flatMap((device) =>
      device.alerts.map((alert) => ({
        deviceId: device.id,
        room: device.room,
        alertId: alert.alertId,
        kind: alert.kind,
        detail: alert.detail,
        since: alert.raisedAt,
      })),
    ),
  };
}

/** Investigations opened or closed lately (and any still open), exports and deletions. */
export async function dpoSection(db: Database, now: Date) {
  const since = new Date(now.getTime() - RECENT_DAYS * DAY_MS).toISOString();
  const [investigations, exports, deletions] = await Promise.all([
    db.all<
      AboutRow & {
        id: number;
        by_name: string | null;
        opened_by: string;
        reason: string;
        opened_at: string;
        closed_at: string | null;
      }
    >(
      `SELECT x.id, x.opened_by, p.display_name AS by_name, x.reason, x.opened_at, x.closed_at,
              ${ABOUT}
       FROM investigations x JOIN ${FROM} LEFT JOIN users p ON p.id = x.opened_by
       WHERE x.closed_at IS NULL OR x.opened_at >= ? OR x.closed_at >= ?
       ORDER BY x.opened_at DESC, x.id DESC LIMIT ${LISTED}`,
      [since, since],
    ),
    db.all<{ seq: number; at: string; actor: string; by_name: string | null; detail_json: string }>(
      `SELECT a.seq, a.at, a.actor, u.display_name AS by_name, a.detail_json
       FROM audit_log a LEFT JOIN users u ON u.id = a.actor
       WHERE a.action = 'audit.export' AND a.at >= ? ORDER BY a.seq DESC LIMIT ${LISTED}`,
      [since],
    ),
    latestDeletions(db, LISTED),
  ]);
  const recent = deletions.filter((d) => d.requestedAt >= since);
  const deleted = new Map(
    (
      await db.all<AboutRow>(
        `SELECT ${ABOUT} FROM ${FROM} WHERE r.id IN (SELECT value FROM json_each(?))`,
        [JSON.stringify(recent.map((d) => d.recordingId))],
      )
    ).map((row) => [row.recording_id, about(row)]),
  );
  return {
    investigations: investigations.map((row) => ({
      investigationId: row.id,
      ...about(row),
      openedBy: row.opened_by,
      openedByName: row.by_name ?? row.opened_by,
      reason: row.reason,
      openedAt: row.opened_at,
      closedAt: row.closed_at,
    })),
    exports: exports.map((row) => {
      const detail = JSON.parse(row.detail_json) as { format?: unknown };
      return {
        seq: row.seq,
        at: row.at,
        by: row.actor,
        byName: row.by_name ?? row.actor,
        format: typeof detail.format === "string" ? detail.format : "",
      };
    }),
    deletions: recent.flatMap((deletion) => {
      const recording = deleted.get(deletion.recordingId);
      return recording
        ? [
            {
              ...recording,
              copy: deletion.copy,
              reason: deletion.reason,
              requestedAt: deletion.requestedAt,
              doneAt: deletion.doneAt,
            },
          ]
        : [];
    }),
  };
}
