import t from "tap";
import { join } from "node:path";
import { Database, migrate, migrations, type Migration } from "@classcam/controller";
import { tempDir } from "../helpers/controller.js";

async function open(t: { teardown: (fn: () => unknown) => void }) {
  const dir = tempDir();
  const db = await Database.open(join(dir.path, "c.sqlite"));
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  return db;
}

const schema = (db: Database) =>
  db.all<{ name: string; sql: string }>(
    "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
  );
const version = async (db: Database) =>
  (await db.get<{ user_version: number }>("PRAGMA user_version"))?.user_version;

void t.test("the database is opened in WAL mode and migrated to the latest version", async (t) => {
  const db = await open(t);
  t.equal((await db.get<{ journal_mode: string }>("PRAGMA journal_mode"))?.journal_mode, "wal");
  const result = await migrate(db);
  t.same(result, { from: 0, to: migrations.length, applied: migrations.map((m) => m.name) });
  t.equal(await version(db), migrations.length);
  t.same(
    await migrate(db),
    { from: migrations.length, to: migrations.length, applied: [] },
    "running again does nothing",
  );
});

void t.test("a failing migration leaves the database exactly as it was", async (t) => {
  const db = await open(t);
  await migrate(db);
  await db.transaction((tx) =>
    tx.run(
      "INSERT INTO devices (id, room, secret_hash, status, enrolled_at, status_changed_at, config_json, config_version) " +
        "VALUES ('room-1', 'Lab', 'x', 'active', 'now', 'now', '{}', 1)",
    ),
  );
  const before = await schema(db);
  const broken: Migration[] = [
    ...migrations,
    {
      version: migrations.length + 1,
      name: "good step",
      sql: "CREATE TABLE extra (id INTEGER); ALTER TABLE devices ADD COLUMN note TEXT;",
    },
    {
      version: migrations.length + 2,
      name: "bad step",
      sql: "INSERT INTO extra VALUES (1); CREATE TABLE oops (;",
    },
  ];
  await t.rejects(
    migrate(db, broken),
    /migration \d+ \('bad step'\) failed: .*the database is unchanged at version \d+/,
  );
  t.same(await schema(db), before, "no table or column added by the earlier step survives");
  t.equal(await version(db), migrations.length, "user_version unchanged");
  t.equal((await db.all("SELECT id FROM devices")).length, 1, "data intact");
});

void t.test("a database from a newer controller is refused, not touched", async (t) => {
  const db = await open(t);
  await migrate(db);
  await db.transaction((tx) => tx.exec(`PRAGMA user_version = ${migrations.length + 5}`));
  await t.rejects(migrate(db), /newer than this controller knows/);
});

void t.test("migrations must be numbered in order", async (t) => {
  const db = await open(t);
  await t.rejects(
    async () => migrate(db, [{ version: 2, name: "skipped one", sql: "" }]),
    /has version 2, expected 1/,
  );
});
