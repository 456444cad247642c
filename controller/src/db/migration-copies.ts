/**
 * Every copy that leaves the teacher follows the rendition rule (issue 19):
 * the anonymiser's queue holds copies of clips as well as of recordings — a
 * clip in the exemplar bank or answering an assignment outlives the recording
 * it was cut from, so its copy with faces blurred is made from the clip's own
 * footage and kept with the clip — and a share may be made unblurred by the
 * owner where the policy allows it.
 *
 * `renditions` is rebuilt (SQLite cannot drop a foreign key): `copy_id` is the
 * recording's or the clip's id, exactly one of `recording_id` and `clip_id`
 * says which; both stay unique, so `recording_id` is still a key.
 */
import type { Migration } from "@classcam/sqlite";

export function copiesMigration(version: number): Migration {
  return {
    version,
    name: "copies with faces blurred for clips too; unblurred shares",
    sql: `
      CREATE TABLE renditions_copies (
        copy_id       TEXT NOT NULL PRIMARY KEY,
        recording_id  TEXT UNIQUE REFERENCES recordings (id),
        clip_id       TEXT UNIQUE REFERENCES clips (id),
        state         TEXT NOT NULL CHECK (state IN ('queued', 'making', 'ready', 'failed')),
        progress      REAL NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
        error         TEXT,
        detector      TEXT,
        queued_at     TEXT NOT NULL,
        started_at    TEXT,
        finished_at   TEXT,
        CHECK ((recording_id IS NULL) <> (clip_id IS NULL)),
        CHECK (copy_id = coalesce(recording_id, clip_id))
      ) STRICT;
      INSERT INTO renditions_copies (copy_id, recording_id, state, progress, error, detector,
          queued_at, started_at, finished_at)
        SELECT recording_id, recording_id, state, progress, error, detector, queued_at,
          started_at, finished_at FROM renditions;
      DROP TABLE renditions;
      ALTER TABLE renditions_copies RENAME TO renditions;
      CREATE INDEX renditions_waiting ON renditions (state, queued_at);

      ALTER TABLE shares ADD COLUMN unblurred INTEGER NOT NULL DEFAULT 0
        CHECK (unblurred IN (0, 1));
    `,
  };
}
