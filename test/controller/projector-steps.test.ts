// The projector asks for its cursor and the events after it in one statement,
// and applies a step's events in one savepoint with one read of who owns what
// they name (issue 21: each statement is a trip through SQLite's threads, ~15 a
// device event), and still applies each event once, in order, across steps;
// one that fails is undone alone, with its recording's later events behind it.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import t, { type Test } from "tap";
import { AuditLog, Database, DeviceRegistry, migrate } from "@classcam/controller";
import type { DeviceEvent } from "@classcam/protocol";
import type { Transaction } from "@classcam/sqlite";
import { PolicyStore } from "../../controller/src/domain/policy.js";
import { PROJECTOR_PACE_MS, Pacer } from "../../controller/src/domain/pacer.js";
import { Projector } from "../../controller/src/domain/projector.js";
import { captureLogger, tempDir } from "../helpers/controller.js";
import { makeEvent } from "../helpers/events.js";

/** A projector on a fresh database with box `room-a`; every statement of its transactions is counted. */
async function setup(t: Test) {
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
  /** Stores an event from room-a as the ingest would. */
  const insert = (event: DeviceEvent) =>
    db.transaction((tx) =>
      tx.run(
        "INSERT INTO events (id, device_id, seq, kind, occurred_at, received_at, data_json) " +
          "VALUES (?, 'room-a', ?, ?, ?, ?, ?)",
        [event.id, event.seq, event.kind, event.at, event.at, JSON.stringify(event.data)],
      ),
    );
  const steps: number[][] = [];
  projector.on("applied", (events) => steps.push(events.map(({ event }) => event.seq)));
  return { db, statements, projector, insert, steps };
}

void t.test("a step reads its cursor with the events, and moves it past them", async (t) => {
  const { db, statements, projector, insert, steps } = await setup(t);
  await projector.catchUp();
  t.equal(statements.length, 1, "no events: one read, the cursor and the events together");
  t.match(statements[0], /projector_cursor[\s\S]*FROM events|FROM events[\s\S]*projector_cursor/);

  for (const seq of [3, 7]) await insert(makeEvent(seq));
  await projector.catchUp();
  await insert(makeEvent(11));
  await projector.catchUp();
  await projector.catchUp();
  t.same(steps.flat(), [3, 7, 11], "each event applied once, in order");
  const cursor = await db.get<{ value_json: string }>(
    "SELECT value_json FROM settings WHERE key = 'projector_cursor'",
  );
  t.equal(Number(cursor?.value_json), 3, "the cursor is past the third event");
});

const started = (seq: number, recordingId: string): DeviceEvent => ({
  id: randomUUID(),
  seq,
  at: new Date().toISOString(),
  kind: "recording.started",
  data: { recordingId, bookingId: null, audio: true, encoder: "libx264" },
});
const stopped = (seq: number, recordingId: string): DeviceEvent => ({
  id: randomUUID(),
  seq,
  at: new Date().toISOString(),
  kind: "recording.stopped",
  data: { recordingId, reason: "button", durationSeconds: 60, segments: 15, bytes: 5000 },
});

void t.test("a step whose events all apply takes one savepoint and one claims read", async (t) => {
  const { db, statements, projector, insert, steps } = await setup(t);
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  for (const [i, id] of ids.entries()) await insert(started(i + 1, id));
  await projector.catchUp();
  t.same(steps, [[1, 2, 3]], "three events applied in one step");
  t.equal(statements.filter((sql) => sql.startsWith("SAVEPOINT")).length, 1, "one savepoint");
  t.equal(
    statements.filter((sql) => sql.includes("FROM recordings WHERE id = j.value")).length,
    1,
    "who owns the three recordings: one statement",
  );
  t.equal(
    (await db.all("SELECT id FROM recordings WHERE id IN (?, ?, ?)", ids)).length,
    3,
    "each recording stored",
  );
  t.equal(
    statements.filter((sql) => sql.includes("key = 'policy'")).length,
    1,
    "the policy read once for the three unbooked starts",
  );
  const alerts = statements.filter((sql) => sql.includes("alerts"));
  t.equal(alerts.length, 3, "each start's alert: one statement");
  t.ok(
    alerts.every((sql) => sql.startsWith("INSERT INTO alerts")),
    "no read before the write",
  );
  const open = await db.all<{ detail: string }>(
    "SELECT detail FROM alerts WHERE device_id = 'room-a' AND kind = 'unbooked-recording' " +
      "AND cleared_at IS NULL",
  );
  t.equal(open.length, 1, "still one open alert of a kind per box");
  t.match(open[0]?.detail, ids[0], "the first start's");
});

void t.test("each of the projector's transactions reads the policy afresh", async (t) => {
  const { db, projector, insert } = await setup(t);
  const [before, after] = [randomUUID(), randomUUID()];
  await insert(started(1, before));
  await projector.catchUp();
  const audit = new AuditLog(db);
  await new PolicyStore(db, audit).update({ bookings: { allowUnbookedRecording: true } }, "admin");
  await insert(started(2, after));
  await projector.catchUp();
  const flag = async (id: string) =>
    (await db.get<{ flag: string | null }>("SELECT flag FROM recordings WHERE id = ?", [id]))?.flag;
  t.equal(await flag(before), "unbooked", "started while unbooked recording was not allowed");
  t.equal(await flag(after), null, "started after the school allowed it: the new policy");
});

void t.test(
  "one failing event in a step: the others apply once, it and its recording's later events wait",
  async (t) => {
    const { db, projector, insert, steps } = await setup(t);
    const [a, b] = [randomUUID(), randomUUID()];
    await db.transaction((tx) =>
      tx.exec(`CREATE TRIGGER test_fault BEFORE UPDATE OF ended_at ON recordings
        WHEN NEW.id = '${a}' BEGIN SELECT RAISE(ABORT, 'injected fault: stop refused'); END`),
    );
    const failing = stopped(3, a);
    for (const event of [started(1, a), started(2, b), failing, stopped(4, b), stopped(5, a)]) {
      await insert(event);
    }
    await projector.catchUp();
    t.same(steps, [[1, 2, 4]], "the events that could apply did, in one step and in order");
    const quarantine = await db.all<{ event_id: string; reason: string }>(
      "SELECT q.event_id, q.reason FROM event_quarantine q JOIN events e ON e.id = q.event_id " +
        "ORDER BY e.rowid",
    );
    t.match(quarantine, [
      { event_id: failing.id, reason: /stop refused/ },
      { reason: new RegExp(`waits for event ${failing.id}`) },
    ]);
    const ended = (id: string) =>
      db.get<{ ended_at: string | null }>("SELECT ended_at FROM recordings WHERE id = ?", [id]);
    t.match(await ended(b), { ended_at: /^\d{4}/ }, "b stopped");
    t.same(await ended(a), { ended_at: null }, "a neither stopped nor half-applied");
    t.equal(
      (await db.all("SELECT id FROM recordings WHERE id IN (?, ?)", [a, b])).length,
      2,
      "each start applied once (the step's first try was undone whole)",
    );
    await projector.catchUp();
    t.same(steps, [[1, 2, 4]], "nothing applied twice");
  },
);

void t.test("the projector is paced: commits in a burst are applied in one step", async (t) => {
  const { projector, insert, steps } = await setup(t);
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
    await insert(makeEvent(seq));
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
