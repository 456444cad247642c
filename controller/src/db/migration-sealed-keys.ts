/**
 * Sealed content keys (issue 20 §1): a recording written encrypted on its box
 * has its content key sealed to the controller's sealing key; the box sends
 * it with the upload manifest and it is kept here, apart from the footage
 * (which stays encrypted at rest as it was uploaded). Deleting the row is the
 * recording's cryptographic erasure: copies of the footage that linger
 * (backups, wear-levelled flash) no longer open.
 */
import type { Migration } from "@classcam/sqlite";

export function sealedKeysMigration(version: number): Migration {
  return {
    version,
    name: "sealed content keys of recordings encrypted on their box",
    sql: `
      CREATE TABLE recording_keys (
        recording_id TEXT PRIMARY KEY REFERENCES recordings (id),
        sealed_key   TEXT NOT NULL,
        key_id       TEXT NOT NULL,
        received_at  TEXT NOT NULL
      ) STRICT;
    `,
  };
}
