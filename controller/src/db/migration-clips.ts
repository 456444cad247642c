/**
 * Clips and the exemplar bank (issue 17): a clip is a part of one recording,
 * cut on keyframes into its own footage; its owner may offer it to the bank,
 * which it enters when every member of staff on the booking consents (the
 * same rule as archiving a recording). Strand tags are kept as text: the id
 * of a strand of the school's framework.
 */
import type { Migration } from "@classcam/sqlite";

export function clipsMigration(version: number): Migration {
  return {
    version,
    name: "clips cut from recordings, their consents and strands (the exemplar bank)",
    sql: `
      CREATE TABLE clips (
        id                 TEXT PRIMARY KEY,
        recording_id       TEXT NOT NULL REFERENCES recordings (id),
        owner_id           TEXT NOT NULL REFERENCES users (id),
        staff_json         TEXT NOT NULL,
        asked_in_seconds   REAL NOT NULL CHECK (asked_in_seconds >= 0),
        asked_out_seconds  REAL NOT NULL CHECK (asked_out_seconds > asked_in_seconds),
        start_seconds      REAL NOT NULL,
        end_seconds        REAL NOT NULL CHECK (end_seconds > start_seconds),
        bytes              INTEGER NOT NULL,
        segments           INTEGER NOT NULL,
        title              TEXT NOT NULL,
        subject            TEXT,
        year_group         TEXT,
        bank_state         TEXT NOT NULL DEFAULT 'none' CHECK (bank_state IN
                             ('none', 'awaiting-consent', 'declined', 'in-bank', 'withdrawn')),
        offered_at         TEXT,
        entered_bank_at    TEXT,
        withdrawn_at       TEXT,
        withdrawn_by       TEXT,
        created_at         TEXT NOT NULL,
        deleted_at         TEXT,
        deleted_reason     TEXT
      ) STRICT;
      CREATE INDEX clips_by_recording ON clips (recording_id);
      CREATE INDEX clips_by_owner ON clips (owner_id, created_at);
      CREATE INDEX clips_in_bank ON clips (bank_state, entered_bank_at);

      CREATE TABLE clip_consents (
        clip_id    TEXT NOT NULL REFERENCES clips (id),
        user_id    TEXT NOT NULL REFERENCES users (id),
        decision   TEXT NOT NULL CHECK (decision IN ('agree', 'decline')),
        decided_at TEXT NOT NULL,
        PRIMARY KEY (clip_id, user_id)
      ) STRICT;
      CREATE INDEX clip_consents_by_user ON clip_consents (user_id);

      CREATE TABLE clip_strands (
        clip_id TEXT NOT NULL REFERENCES clips (id),
        strand  TEXT NOT NULL,
        PRIMARY KEY (clip_id, strand)
      ) STRICT;
      CREATE INDEX clip_strands_by_strand ON clip_strands (strand);
    `,
  };
}
