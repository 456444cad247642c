// Statements are prepared once and kept (sqlite/src/index.ts, issue 21: a
// statement prepared and finalised per call was ~15 % of the controller's main
// thread at 1,000 boxes), and what is kept never holds a reader's snapshot
// open (get() resets its statement after the first row), never leaves a
// statement running into a COMMIT, and never hides SQLite's own words for a
// mistake.
import { join } from "node:path";
import t, { type Test } from "tap";
import { Connection, Database } from "@classcam/sqlite";
import { tempDir } from "../helpers/controller.js";

async function open(t: Test): Promise<Database> {
  const dir = tempDir("classcam-sqlite-");
  const db = await Database.open(join(dir.path, "test.db"));
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  await db.transaction((tx) =>
    tx.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)"),
  );
  return db;
}

void t.test("a statement used again is prepared once", async (t) => {
  const db = await open(t);
  const before = db.statementsPrepared();
  for (let i = 0; i < 50; i += 1) {
    await db.transaction((tx) => tx.run("INSERT INTO notes (text) VALUES (?)", [`note ${i}`]));
    await db.all("SELECT id, text FROM notes WHERE id > ?", [i]);
  }
  t.equal(db.statementsPrepared() - before, 2, "one INSERT and one SELECT, each prepared once");
  const rows = await db.all<{ text: string }>("SELECT text FROM notes ORDER BY id");
  t.equal(rows.length, 50, "every insert ran with its own values");
  t.equal(rows[49]?.text, "note 49");
});

void t.test(
  "a kept read holds no snapshot: later commits are seen, the WAL is reset",
  async (t) => {
    const db = await open(t);
    const count = async () =>
      (await db.all<{ n: number }>("SELECT COUNT(*) AS n FROM notes WHERE id > ?", [0]))[0]?.n;
    t.equal(await count(), 0);
    await db.transaction((tx) => tx.run("INSERT INTO notes (text) VALUES (?)", ["one"]));
    t.equal(await count(), 1, "the commit after the first read is seen");
    // another connection, as the CLI would be: it may reset the WAL only if no reader holds it
    const other = await Connection.open(db.file, "write");
    t.teardown(() => other.close());
    const checkpoint = await other.get<{ busy: number }>("PRAGMA wal_checkpoint(TRUNCATE)");
    t.equal(checkpoint?.busy, 0, "no reader holds the WAL: it can be truncated");
  },
);

void t.test("get() keeps its statement and lets go of the row it stopped on", async (t) => {
  const db = await open(t);
  await db.transaction(async (tx) => {
    for (const text of ["first", "second", "third"]) {
      await tx.run("INSERT INTO notes (text) VALUES (?)", [text]);
    }
  });
  const before = db.statementsPrepared();
  const first = () => db.get<{ text: string }>("SELECT text FROM notes ORDER BY id");
  t.equal((await first())?.text, "first");
  // left on its row, the statement would step on to the second one here
  t.equal((await first())?.text, "first", "asked again, the first row again");
  const inTransaction = await db.transaction(async (tx) => {
    const row = await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM notes");
    await tx.run("INSERT INTO notes (text) VALUES (?)", ["fourth"]);
    return row?.n;
  });
  t.equal(inTransaction, 3, "a get inside a transaction, which then commits");
  t.equal(db.statementsPrepared() - before, 2, "two queries, each prepared once");
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM notes"))?.n, 4, "fresh data");
  const other = await Connection.open(db.file, "write");
  t.teardown(() => other.close());
  const checkpoint = await other.get<{ busy: number }>("PRAGMA wal_checkpoint(TRUNCATE)");
  t.equal(checkpoint?.busy, 0, "no reader holds the WAL: it can be truncated");
  t.equal(await db.get("SELECT text FROM notes WHERE id = ?", [99]), undefined, "no row");
  for (let i = 0; i < 2; i += 1) {
    await t.rejects(db.get("SELECT missing FROM notes"), /no such column: missing/);
  }
  // a step that fails: the statement is let go, and the next call prepares it afresh
  await t.rejects(db.get("SELECT json(?) AS j", ["{bad"]), /malformed JSON/);
  t.equal((await db.get<{ j: string }>("SELECT json(?) AS j", ['{"a":1}']))?.j, '{"a":1}');
});

void t.test("a statement that returns a row from run() does not block the COMMIT", async (t) => {
  const db = await open(t);
  for (let i = 0; i < 3; i += 1) {
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO notes (text) VALUES (?) RETURNING id", [`r${i}`]);
      await tx.run("INSERT INTO notes (text) VALUES (?)", [`s${i}`]);
    });
  }
  t.equal((await db.all("SELECT id FROM notes WHERE id > ?", [0])).length, 6, "all committed");
});

void t.test("mistakes keep SQLite's words and are not kept", async (t) => {
  const db = await open(t);
  for (let i = 0; i < 2; i += 1) {
    await t.rejects(
      db.transaction((tx) => tx.run("INSERT INTO nosuch (text) VALUES (?)", ["x"])),
      /no such table: nosuch/,
      "a statement that cannot be prepared",
    );
    await t.rejects(db.all("SELECT missing_column FROM notes WHERE id > ?", [0]), /no such column/);
  }
  await db.transaction((tx) => tx.run("INSERT INTO notes (text) VALUES (?)", ["same"]));
  await t.rejects(
    db.transaction((tx) => tx.run("INSERT INTO notes (text) VALUES (?)", ["same"])),
    { code: "SQLITE_CONSTRAINT" },
    "a constraint refused",
  );
  await db.transaction((tx) => tx.run("INSERT INTO notes (text) VALUES (?)", ["other"]));
  const texts = (await db.all<{ text: string }>("SELECT text FROM notes WHERE id > ?", [0])).map(
    (row) => row.text,
  );
  t.same(texts.sort(), ["other", "same"], "the statement works again after the refusal");
});

/** What a refused call said. */
const said = (error: unknown) => (error instanceof Error ? error.message : String(error));

void t.test("closing while statements are still being used or let go closes cleanly", async (t) => {
  const dir = tempDir("classcam-sqlite-close-");
  t.teardown(dir.remove);
  for (let round = 0; round < 20; round += 1) {
    const db = await Database.open(join(dir.path, `close-${round}.db`));
    await db.transaction((tx) => tx.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY)"));
    // more distinct reads than are kept, so some are let go (finalised) as others come
    const reads = Array.from({ length: 130 }, (_, i) =>
      db.all(`SELECT id FROM notes WHERE id > ${i}`).then(() => "read", said),
    );
    // a read that cannot be prepared, still on its way as the close begins
    const mistaken = db.all("SELEC id FROM notes").then(() => "read", said);
    // a kept write that fails is let go too (it is prepared afresh next time)
    await db.transaction((tx) => tx.run("INSERT INTO notes (id) VALUES (1)"));
    await t.rejects(
      db.transaction((tx) => tx.run("INSERT INTO notes (id) VALUES (1)")),
      /UNIQUE/,
    );
    // and reads asked for all the while the close goes on (as a timer's would be)
    let closed = false;
    const late: Promise<string>[] = [];
    const asking = setInterval(() => {
      for (let i = 0; i < 5; i += 1) {
        late.push(db.all(`SELECT id FROM notes WHERE id < ${i}`).then(() => "read", said));
      }
    }, 0);
    const closing = db.close().finally(() => {
      closed = true;
      clearInterval(asking);
    });
    await t.resolves(closing, `round ${round}: the database closes`);
    t.ok(closed);
    t.match(await mistaken, /syntax error|closed/, `round ${round}: the mistake is answered`);
    const answers = new Set([...(await Promise.all(reads)), ...(await Promise.all(late))]);
    t.ok(
      [...answers].every((a) => a === "read" || /closed/.test(a)),
      `round ${round}: each read ran or was told the database is closed (${[...answers].join("; ")})`,
    );
  }
});
