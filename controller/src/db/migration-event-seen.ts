/**
 * A stored event marks its device as seen, in the statement that stores it
 * (issue 21 §4). The ingest used to follow each batch's INSERT with an UPDATE
 * of the devices it came from: one more trip through SQLite's threads in each
 * of ~65 transactions a second at 1,000 boxes. The trigger does the same
 * inside the INSERT, so the device's `last_seq` and `last_seen_at` still
 * commit with the event or not at all. A resend of an event already stored
 * inserts nothing; the ingest marks its device itself (`broker/ingest.ts`).
 */
import type { Migration } from "@classcam/sqlite";

export function eventSeenMigration(version: number): Migration {
  return {
    version,
    name: "a stored event marks its device as seen",
    sql: `
      CREATE TRIGGER events_mark_device_seen AFTER INSERT ON events
      BEGIN
        UPDATE devices SET
          last_seq = MAX(COALESCE(last_seq, -1), NEW.seq),
          last_seen_at = MAX(COALESCE(last_seen_at, ''), NEW.received_at)
        WHERE id = NEW.device_id;
      END;
    `,
  };
}
