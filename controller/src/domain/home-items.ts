/**
 * What an item on the home says about the recording it is about (its room,
 * purpose, start and owner), read the same way by every section
 * (home-view.ts, school-home.ts).
 */

/** The columns, with the recording as `r`, its device `d` and its owner `o` (`FROM`). */
export const ABOUT =
  "r.id AS recording_id, d.room, r.purpose, r.started_at, o.display_name AS owner_name";
export const FROM =
  "recordings r JOIN devices d ON d.id = r.device_id LEFT JOIN users o ON o.id = r.owner_id";

export interface AboutRow {
  recording_id: string;
  room: string;
  purpose: string | null;
  started_at: string;
  owner_name: string | null;
}

export const about = (row: AboutRow) => ({
  recordingId: row.recording_id,
  room: row.room,
  purpose: row.purpose,
  startedAt: row.started_at,
  ownerName: row.owner_name,
});
