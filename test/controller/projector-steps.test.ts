// The projector asks for its cursor and the events after it in one statement
// (issue 21: each statement is a trip through SQLite's threads, ~15 a device
// event), and still applies each event once, in order, across steps.
import { join } from "node:path";
import t from "tap";
import { AuditLog, Database, DeviceRegistry, migrate } from "@classcam/controller";
import type { Transaction } from "@classcam/sqlite";
import { PolicyStore } from "../../controller/src/domain/policy.js";
import { PROJECTOR_PACE_MS, Pacer } from "../../controller/src/domain/pacer.js";
import { Projector } from "../../controller/src/domain/projector.js";
import { captureLogger, tempDir } from "../helpers/controller.js";
import { makeEvent } from "../helpers/events.js";

void t.test("a step reads its cursor with the events, and moves it past them", async (t) => {
  const dir = tempDir();
  const db = await Database.open(join(dir.path, "c.sqlite"));
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  await migrate(db);
  await new DeviceRegistry(db).enrol({ id: "room-a", room: "A" });
  const statements: string[] = [];
  const counted = new Proxy(db, {
    get(target, key, receiver) {
      if (key !== "transaction") return Reflect.get(target, key, receiver) as unknown;
      return <T>(body: (tx: Transaction) => Promise<T>) =>
        target.transaction((tx) =>
          body({
            run: (sql, params) => (statements.push(sql), tx.run(sql, params)),
            all: (sql, params) => (statements.push(sql), tx.all(sql, params)),
            get: (sql, params) => (statements.push(sql), tx.get(sql, params)),
            exec: (sql) => (statements.push(sql), tx.exec(sql)),
          }),
        );
    },
  });
  const audit = new AuditLog(db);
  const projector = new Projector(
    counted,
    audit,
    new PolicyStore(db, audit),
    captureLogger().logger,
  );
  const insert = (seq: number) => {
    const event = makeEvent(seq);
    return db.transaction((tx) =>
      tx.run(
        "INSERT INTO events (id, device_id, seq, kind, occurred_at, received_at, data_json) " +
          "VALUES (?, 'room-a', ?, ?, ?, ?, ?)",
        [event.id, event.seq, event.kind, event.at, event.at, JSON.stringify(event.data)],
      ),
    );
  };
  const applied: number[] = [];
  projector.on("applied", (events) => applied.push(...events.map(({ event }) => event.seq)));

  await projector.catchUp();
  t.equal(statements.length, 1, "no events: one read, the cursor and the events together");
  t.match(statements[0], /projector_cursor[\s\S]*FROM events|FROM events[\s\S]*projector_cursor/);

  for (const seq of [3, 7]) await insert(seq);
  await projector.catchUp();
  await insert(11);
  await projector.catchUp();
  await projector.catchUp();
  t.same(applied, [3, 7, 11], "each event applied once, in order");
  const cursor = await db.get<{ value_json: string }>(
    "SELECT value_json FROM settings WHERE key = 'projector_cursor'",
  );
  t.equal(Number(cursor?.value_json), 3, "the cursor is past the third event");
});

void t.test("the projector is paced: commits in a burst are applied in one step", async (t) => {
  const dir = tempDir();
  const db = await Database.open(join(dir.path, "c.sqlite"));
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  await migrate(db);
  await new DeviceRegistry(db).enrol({ id: "room-a", room: "A" });
  const audit = new AuditLog(db);
  const projector = new Projector(db, audit, new PolicyStore(db, audit), captureLogger().logger);
  const steps: number[][] = [];
  projector.on("applied", (events) => steps.push(events.map(({ event }) => event.seq)));
  // a hand-driven timer: the test says when the wait is over
  const waiting: (() => void)[] = [];
  const pacer = new Pacer(
    () => void projector.catchUp(),
    PROJECTOR_PACE_MS,
    (run, ms) => {
      t.equal(ms, PROJECTOR_PACE_MS);
      waiting.push(run);
      return { cancel: () => waiting.splice(waiting.indexOf(run), 1) };
    },
  );
  for (const seq of [1, 2, 3]) {
    const event = makeEvent(seq);
    await db.transaction((tx) =>
      tx.run(
        "INSERT INTO events (id, device_id, seq, kind, occurred_at, received_at, data_json) " +
          "VALUES (?, 'room-a', ?, ?, ?, ?, ?)",
        [event.id, event.seq, event.kind, event.at, event.at, JSON.stringify(event.data)],
      ),
    );
    pacer.poke(); // as the ingest does after each commit
  }
  t.equal(waiting.length, 1, "three commits, one step waiting");
  waiting.shift()?.();
  await projector.catchUp();
  t.same(steps, [[1, 2, 3]], "the three events applied together, in order");
  pacer.poke();
  pacer.stop();
  t.equal(waiting.length, 0, "a stopped pacer runs nothing");
});
