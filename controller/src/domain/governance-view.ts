/**
 * The holds and investigations in force, each with the recording it is about
 * (a read model for the dashboard's governance page: it changes nothing).
 */
import type { Database } from "../db/database.js";

/** The holds not released and the investigations not closed, newest first. */
export async function inForce(db: Database) {
  const about =
    "r.id AS recording_id, r.device_id, d.room, o.display_name AS owner_name, r.started_at";
  const join =
    "JOIN recordings r ON r.id = x.recording_id JOIN devices d ON d.id = r.device_id " +
    "LEFT JOIN users o ON o.id = r.owner_id";
  interface About {
    recording_id: string;
    device_id: string;
    room: string;
    owner_name: string | null;
    started_at: string;
  }
  const [holds, investigations] = await Promise.all([
    db.all<
      About & {
        id: number;
        placed_by: string;
        by_name: string | null;
        reason: string;
        at: string;
      }
    >(
      `SELECT x.id, x.placed_by, p.display_name AS by_name, x.reason, x.placed_at AS at, ${about}
         FROM holds x ${join} LEFT JOIN users p ON p.id = x.placed_by
         WHERE x.released_at IS NULL ORDER BY x.placed_at DESC`,
    ),
    db.all<
      About & {
        id: number;
        opened_by: string;
        by_name: string | null;
        reason: string;
        at: string;
      }
    >(
      `SELECT x.id, x.opened_by, p.display_name AS by_name, x.reason, x.opened_at AS at, ${about}
         FROM investigations x ${join} LEFT JOIN users p ON p.id = x.opened_by
         WHERE x.closed_at IS NULL ORDER BY x.opened_at DESC`,
    ),
  ]);
  const recording = (row: About) => ({
    recordingId: row.recording_id,
    deviceId: row.device_id,
    room: row.room,
    ownerName: row.owner_name,
    startedAt: row.started_at,
  });
  return {
    holds: holds.map((row) => ({
      holdId: row.id,
      ...recording(row),
      placedBy: row.placed_by,
      placedByName: row.by_name ?? row.placed_by,
      reason: row.reason,
      placedAt: row.at,
    })),
    investigations: investigations.map((row) => ({
      investigationId: row.id,
      ...recording(row),
      openedBy: row.opened_by,
      openedByName: row.by_name ?? row.opened_by,
      reason: row.reason,
      openedAt: row.at,
    })),
  };
}
