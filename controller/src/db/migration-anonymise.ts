/**
 * Anonymised renditions (issue 19): the queue of copies with every face
 * blurred, one a recording, made for whoever sees footage but is not its
 * owner. `progress` is the share made (0 to 1); a copy being made when the
 * controller stopped is picked up again at start (its finished segments kept).
 */
import type { Migration } from "@classcam/sqlite";

export function anonymiseMigration(version: number): Migration {
  return {
    version,
    name: "anonymised renditions: faces blurred for everyone but the owner",
    sql: `
      CREATE TABLE renditions (
        recording_id  TEXT PRIMARY KEY REFERENCES recordings (id),
        state         TEXT NOT NULL CHECK (state IN ('queued', 'making', 'ready', 'failed')),
        progress      REAL NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
        error         TEXT,
        detector      TEXT,
        queued_at     TEXT NOT NULL,
        started_at    TEXT,
        finished_at   TEXT
      ) STRICT;
      CREATE INDEX renditions_waiting ON renditions (state, queued_at);
    `,
  };
}
