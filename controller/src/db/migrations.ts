/**
 * Versioned schema migrations, run at start. The database's `user_version`
 * says which have run. All pending migrations run in one transaction: if any
 * fails, the database is left exactly as it was.
 */
import type { Database } from "./database.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "devices, events and rejected messages",
    sql: `
      CREATE TABLE devices (
        id                TEXT PRIMARY KEY,
        room              TEXT NOT NULL,
        secret_hash       TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('active', 'disabled', 'retired')),
        enrolled_at       TEXT NOT NULL,
        status_changed_at TEXT NOT NULL,
        config_json       TEXT NOT NULL,
        config_version    INTEGER NOT NULL,
        connected         INTEGER NOT NULL DEFAULT 0,
        connected_at      TEXT,
        availability      TEXT CHECK (availability IN ('online', 'offline')),
        availability_at   TEXT,
        state_json        TEXT,
        state_at          TEXT,
        last_seen_at      TEXT,
        last_seq          INTEGER
      ) STRICT;

      CREATE TABLE events (
        id          TEXT PRIMARY KEY,
        device_id   TEXT NOT NULL REFERENCES devices (id),
        seq         INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        data_json   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX events_by_device ON events (device_id, seq);
      CREATE INDEX events_by_kind ON events (kind, occurred_at);

      CREATE TABLE rejected_messages (
        id          INTEGER PRIMARY KEY,
        device_id   TEXT NOT NULL,
        topic       TEXT NOT NULL,
        event_id    TEXT,
        reason      TEXT NOT NULL,
        bytes       INTEGER NOT NULL,
        excerpt     BLOB NOT NULL,
        received_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX rejected_by_device ON rejected_messages (device_id, received_at);
    `,
  },
  {
    version: 2,
    name: "append-only, hash-chained audit log",
    // Triggers make the log append-only for the application itself: no UPDATE,
    // no DELETE, and an INSERT must extend the chain (next seq, previous hash).
    // Someone editing the file directly can drop them; AuditLog.verify() is
    // what catches that.
    sql: `
      CREATE TABLE audit_log (
        seq         INTEGER PRIMARY KEY CHECK (seq > 0),
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL CHECK (actor != ''),
        action      TEXT NOT NULL CHECK (action != ''),
        subject     TEXT NOT NULL,
        detail_json TEXT NOT NULL,
        prev_hash   TEXT NOT NULL CHECK (length(prev_hash) = 64),
        hash        TEXT NOT NULL CHECK (length(hash) = 64)
      ) STRICT;
      CREATE INDEX audit_by_actor ON audit_log (actor, seq);
      CREATE INDEX audit_by_action ON audit_log (action, seq);
      CREATE INDEX audit_by_subject ON audit_log (subject, seq);
      CREATE INDEX audit_by_time ON audit_log (at);

      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN
        SELECT RAISE(ABORT, 'audit_log is append-only');
      END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN
        SELECT RAISE(ABORT, 'audit_log is append-only');
      END;
      CREATE TRIGGER audit_log_extends_chain BEFORE INSERT ON audit_log
      WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
        OR NEW.prev_hash IS NOT coalesce(
          (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
          '0000000000000000000000000000000000000000000000000000000000000000')
      BEGIN
        SELECT RAISE(ABORT, 'audit_log entries must extend the chain (next seq, previous hash)');
      END;
    `,
  },
];

export interface MigrationResult {
  from: number;
  to: number;
  applied: string[];
}

export async function migrate(
  db: Database,
  list: readonly Migration[] = migrations,
): Promise<MigrationResult> {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration '${migration.name}' has version ${migration.version}, expected ${index + 1}`,
      );
    }
  });
  return db.transaction(async (tx) => {
    const row = await tx.get<{ user_version: number }>("PRAGMA user_version");
    const from = row?.user_version ?? 0;
    if (from > list.length) {
      throw new Error(
        `database ${db.file} is at schema version ${from}, newer than this controller knows ` +
          `(${list.length}); refusing to touch it — run the newer controller`,
      );
    }
    const pending = list.slice(from);
    for (const migration of pending) {
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new Error(
          `migration ${migration.version} ('${migration.name}') failed: ${(error as Error).message}; ` +
            `the database is unchanged at version ${from}`,
        );
      }
    }
    if (pending.length > 0) await tx.exec(`PRAGMA user_version = ${list.length}`);
    return { from, to: list.length, applied: pending.map((m) => m.name) };
  });
}
