/**
 * Sealed keys of the copies the controller makes (issue 20 §1): every clip
 * and every copy with faces blurred is encrypted at rest with a key of its
 * own (`domain/copy-keys.ts`), sealed to the controller's sealing key and
 * kept here, apart from the footage. `kind` is `clip` (by clip id) or
 * `rendition` (by recording id). Deleting the row is the copy's
 * cryptographic erasure.
 */
import type { Migration } from "@classcam/sqlite";

export function copyKeysMigration(version: number): Migration {
  return {
    version,
    name: "sealed keys of the clips and blurred copies the controller makes",
    sql: `
      CREATE TABLE copy_keys (
        kind        TEXT NOT NULL,
        copy_id     TEXT NOT NULL,
        sealed_key  TEXT NOT NULL,
        key_id      TEXT NOT NULL,
        made_at     TEXT NOT NULL,
        PRIMARY KEY (kind, copy_id)
      ) STRICT;
    `,
  };
}
