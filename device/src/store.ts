/**
 * The device's one database, `<dataDir>/device.db` (SQLite, WAL, synchronous
 * FULL): the buffer's segment index and the event outbox live together, so a
 * change to the buffer and the event that reports it commit in one transaction
 * — a power cut leaves both or neither.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Database, migrate, type Migration } from "@classcam/sqlite";

export const DEVICE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "buffer index and event outbox",
    sql: `
      CREATE TABLE recordings (
        id               TEXT PRIMARY KEY,
        booking_id       TEXT,
        started_at       TEXT NOT NULL,
        ended_at         TEXT,
        stop_reason      TEXT,
        audio            INTEGER NOT NULL,
        encoder          TEXT NOT NULL,
        -- the recording's folder, relative to <dataDir>/buffer
        dir              TEXT NOT NULL UNIQUE,
        segments         INTEGER NOT NULL DEFAULT 0,
        bytes            INTEGER NOT NULL DEFAULT 0,
        duration_seconds REAL NOT NULL DEFAULT 0
      ) STRICT;

      CREATE TABLE segments (
        recording_id     TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
        seq              INTEGER NOT NULL,
        name             TEXT NOT NULL,
        duration_seconds REAL NOT NULL,
        bytes            INTEGER NOT NULL,
        sha256           TEXT NOT NULL,
        closed_at        TEXT NOT NULL,
        PRIMARY KEY (recording_id, seq)
      ) STRICT;

      -- events waiting for the controller's application ack; seq never repeats
      CREATE TABLE outbox (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        id         TEXT NOT NULL UNIQUE,
        kind       TEXT NOT NULL,
        payload    TEXT NOT NULL,
        created_at TEXT NOT NULL
      );

      -- events the controller refused for good, kept for inspection
      CREATE TABLE rejected_events (
        id          TEXT PRIMARY KEY,
        payload     TEXT NOT NULL,
        reason      TEXT NOT NULL,
        rejected_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "sealed content keys",
    // the recording's HLS AES-128 key and IV, sealed to the controller (protocol's
    // sealed-key.ts); NULL for a recording written in the clear
    sql: "ALTER TABLE recordings ADD COLUMN sealed_key TEXT;",
  },
];

export interface DevicePaths {
  dataDir: string;
  /** One folder per recording. */
  buffer: string;
  database: string;
  /** The last good config from the controller. */
  config: string;
  /** Small files of the running daemon (the capture wrapper, the capture pid). */
  run: string;
}

export function devicePaths(dataDir: string): DevicePaths {
  return {
    dataDir,
    buffer: join(dataDir, "buffer"),
    database: join(dataDir, "device.db"),
    config: join(dataDir, "controller-config.json"),
    run: join(dataDir, "run"),
  };
}

/** Creates the folders and opens the database at the newest schema. */
export async function openStore(dataDir: string): Promise<{ db: Database; paths: DevicePaths }> {
  const paths = devicePaths(dataDir);
  for (const dir of [paths.dataDir, paths.buffer, paths.run]) mkdirSync(dir, { recursive: true });
  // small pages: each segment's index rows cost a few KiB of writes, not tens (SD-card wear)
  const db = await Database.open(paths.database, { pageSize: 1024 });
  try {
    await migrate(db, DEVICE_MIGRATIONS, "this device daemon");
  } catch (error) {
    await db.close();
    throw error;
  }
  return { db, paths };
}
