/**
 * A person has looked at a recording: what was shared or commented on it
 * until now is no longer new to them on their home (home-view.ts). Only for a
 * recording whose details `decide()` lets them see. It records what one person
 * looked at, for their own home, and changes nothing anyone else sees: not
 * audited (opening footage to watch is, as `recording.view`).
 */
import type { Database } from "../db/database.js";
import { decide, type Person } from "./access.js";
import { DomainError } from "./errors.js";
import type { Recordings } from "./recordings.js";

export async function markSeen(
  db: Database,
  recordings: Pick<Recordings, "accessOf">,
  person: Person,
  recordingId: string,
  now: Date,
): Promise<void> {
  const access = await recordings.accessOf(null, recordingId);
  const decision = decide(person, "view-metadata", access, now);
  if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
  await db.transaction((tx) =>
    tx.run(
      `INSERT INTO recording_seen (user_id, recording_id, seen_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id, recording_id) DO UPDATE SET seen_at = max(seen_at, excluded.seen_at)`,
      [person.id, recordingId, now.toISOString()],
    ),
  );
}
