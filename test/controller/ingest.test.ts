// The ingest's group commit, driven directly so that several messages are
// certain to share one transaction.
import t from "tap";
import { join } from "node:path";
import { Database, DeviceRegistry, migrate } from "@classcam/controller";
import type { Transaction } from "@classcam/sqlite";
import type { EventAck } from "@classcam/protocol";
import { Ingest } from "../../controller/src/broker/ingest.js";
import { captureLogger, tempDir } from "../helpers/controller.js";
import { makeEvent } from "../helpers/events.js";

async function setup(
  t: { teardown: (fn: () => unknown) => void },
  stateDelayMs?: number,
  now?: () => Date,
) {
  const dir = tempDir();
  const db = await Database.open(join(dir.path, "c.sqlite"));
  await migrate(db);
  const registry = new DeviceRegistry(db);
  await registry.enrol({ id: "room-a", room: "A" });
  await registry.enrol({ id: "room-b", room: "B" });
  const acks: { deviceId: string; ack: EventAck }[] = [];
  const { logger } = captureLogger();
  const ingest = new Ingest({
    db,
    logger,
    sendAck: (deviceId, ack) => acks.push({ deviceId, ack }),
    ...(stateDelayMs !== undefined && { stateDelayMs }),
    ...(now !== undefined && { now }),
  });
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  return { db, registry, ingest, acks };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

void t.test(
  "one batch: duplicates of the same device are acked once stored; another device's reuse is refused",
  async (t) => {
    const { db, ingest, acks } = await setup(t);
    const first = makeEvent(7);
    const second = makeEvent(8);
    ingest.event("room-a", "events-a", json(first));
    ingest.event("room-a", "events-a", json(first)); // resent before the commit
    ingest.event("room-b", "events-b", json(first)); // same id from another device
    ingest.event("room-a", "events-a", json(second));
    await ingest.idle();

    t.equal(ingest.stats.batches, 1, "all four in one transaction");
    const rows = await db.all<{ id: string; device_id: string }>(
      "SELECT id, device_id FROM events ORDER BY seq",
    );
    t.same(rows, [
      { id: first.id, device_id: "room-a" },
      { id: second.id, device_id: "room-a" },
    ]);
    const forA = acks.filter((a) => a.deviceId === "room-a").flatMap((a) => a.ack.accepted);
    t.same(forA.sort(), [first.id, first.id, second.id].sort(), "each copy acknowledged");
    const forB = acks.filter((a) => a.deviceId === "room-b").flatMap((a) => a.ack.rejected);
    t.match(forB, [{ id: first.id, reason: /already used by another device/ }]);
    const rejected = await db.all<{ device_id: string; topic: string }>(
      "SELECT device_id, topic FROM rejected_messages",
    );
    t.same(rejected, [{ device_id: "room-b", topic: "events-b" }]);
    t.same(ingest.stats, {
      committed: 2,
      duplicates: 1,
      rejected: 1,
      dropped: 0,
      batches: 1,
      failedBatches: 0,
    });
  },
);

void t.test(
  "the highest sequence number and the newest state win, whatever the order",
  async (t) => {
    const { ingest, registry } = await setup(t);
    for (const seq of [5, 9, 2]) ingest.event("room-a", "events", json(makeEvent(seq)));
    const state = (lamp: string) => ({
      at: new Date().toISOString(),
      software: "test",
      bootId: "0b0e7c1e-6a4e-4f61-9d55-3a3b2f0f3c11",
      lamp,
      recording: null,
      configVersion: 1,
    });
    ingest.state("room-a", "state", json(state("off")));
    ingest.state("room-a", "state", json(state("recording")));
    ingest.availabilityReport("room-b", "availability", json({ status: "online" }));
    ingest.connection("room-b", true);
    await ingest.idle();
    ingest.event("room-a", "events", json(makeEvent(3)));
    await ingest.idle();
    const a = await registry.require("room-a");
    t.equal(a.lastSeq, 9);
    t.equal(a.state?.lamp, "recording", "only the newest state is kept");
    const b = await registry.require("room-b");
    t.equal(b.availability, "online");
    t.equal(b.connected, true);
    t.ok(b.lastSeenAt);
  },
);

void t.test(
  "a device is marked seen by each event stored, in its commit, and by a resend that stores nothing",
  async (t) => {
    let clock = new Date("2026-12-07T09:00:00.000Z");
    const { db, ingest, registry } = await setup(t, undefined, () => clock);
    const seen = async () => {
      const { lastSeq, lastSeenAt } = await registry.require("room-a");
      return { lastSeq, lastSeenAt };
    };
    const five = makeEvent(5);
    ingest.event("room-a", "events", json(five));
    await ingest.idle();
    t.same(await seen(), { lastSeq: 5, lastSeenAt: "2026-12-07T09:00:00.000Z" }, "stored: seen");

    clock = new Date("2026-12-07T09:01:00.000Z");
    ingest.event("room-a", "events", json(five)); // the ack was lost; the box sends it again
    await ingest.idle();
    t.equal(ingest.stats.duplicates, 1);
    t.same(await seen(), { lastSeq: 5, lastSeenAt: "2026-12-07T09:01:00.000Z" }, "resent: seen");

    clock = new Date("2026-12-07T09:02:00.000Z");
    ingest.event("room-a", "events", json(makeEvent(2))); // an older one, late
    await ingest.idle();
    t.same(
      await seen(),
      { lastSeq: 5, lastSeenAt: "2026-12-07T09:02:00.000Z" },
      "a late event does not lower the sequence number",
    );

    // the mark is part of the event's INSERT: undone with it
    const late = makeEvent(9);
    await t.rejects(
      db.transaction(async (tx) => {
        await tx.run(
          "INSERT INTO events (id, device_id, seq, kind, occurred_at, received_at, data_json) " +
            "VALUES (?, 'room-a', 9, ?, ?, '2026-12-07T09:03:00.000Z', ?)",
          [late.id, late.kind, late.at, JSON.stringify(late.data)],
        );
        throw new Error("undone");
      }),
      /undone/,
    );
    t.same(await seen(), { lastSeq: 5, lastSeenAt: "2026-12-07T09:02:00.000Z" }, "undone: unseen");
  },
);

void t.test("a failed transaction acknowledges nothing", async (t) => {
  const { db, ingest, acks } = await setup(t);
  await db.close(); // every transaction now fails
  ingest.event("room-a", "events", json(makeEvent(1)));
  await ingest.idle();
  t.same(acks, [], "no ack: the device keeps the event and sends it again");
  t.equal(ingest.stats.failedBatches, 1);
});

void t.test(
  "in one batch, a recording another device started earlier in it is not this device's",
  async (t) => {
    const { db, ingest, acks } = await setup(t);
    const recordingId = "4f1c2a9e-0d3b-4c5e-8f7a-1b2c3d4e5f60";
    const at = new Date().toISOString();
    const started = {
      id: "1f1c2a9e-0d3b-4c5e-8f7a-1b2c3d4e5f61",
      seq: 1,
      at,
      kind: "recording.started",
      data: { recordingId, bookingId: null, audio: true, encoder: "libx264" },
    };
    const stoppedByB = {
      id: "2f1c2a9e-0d3b-4c5e-8f7a-1b2c3d4e5f62",
      seq: 1,
      at,
      kind: "recording.stopped",
      data: { recordingId, reason: "button", durationSeconds: 1, segments: 1, bytes: 1 },
    };
    const stoppedByA = { ...stoppedByB, id: "3f1c2a9e-0d3b-4c5e-8f7a-1b2c3d4e5f63", seq: 2 };
    ingest.event("room-a", "events-a", json(started));
    ingest.event("room-b", "events-b", json(stoppedByB));
    ingest.event("room-a", "events-a", json(stoppedByA));
    await ingest.idle();

    t.equal(ingest.stats.batches, 1, "all three in one transaction");
    const rows = await db.all<{ id: string; device_id: string }>(
      "SELECT id, device_id FROM events ORDER BY rowid",
    );
    t.same(rows, [
      { id: started.id, device_id: "room-a" },
      { id: stoppedByA.id, device_id: "room-a" },
    ]);
    const forB = acks.filter((a) => a.deviceId === "room-b").map((a) => a.ack);
    t.match(forB, [
      { accepted: [], rejected: [{ id: stoppedByB.id, reason: /belongs to another device/ }] },
    ]);
    const rejected = await db.all<{ device_id: string; event_id: string }>(
      "SELECT device_id, event_id FROM rejected_messages",
    );
    t.same(rejected, [{ device_id: "room-b", event_id: stoppedByB.id }]);
  },
);

const stateReport = (lamp: string) =>
  json({
    at: new Date().toISOString(),
    software: "test",
    bootId: "0b0e7c1e-6a4e-4f61-9d55-3a3b2f0f3c11",
    lamp,
    recording: null,
    configVersion: 1,
  });
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

void t.test(
  "state reports gather for their delay: neither each report nor each event's transaction writes them",
  async (t) => {
    const { ingest, registry } = await setup(t, 60_000);
    // a fleet's once-a-second reports, arriving on separate turns of the event loop
    for (const lamp of ["off", "recording", "off", "recording"]) {
      ingest.state("room-a", "state", stateReport(lamp));
      ingest.state("room-b", "state", stateReport(lamp));
      await nextTurn();
      await nextTurn();
    }

    // an event's transaction does not carry them before their delay is over
    const changed: string[][] = [];
    ingest.onDevicesChanged = (ids) => changed.push([...ids]);
    ingest.event("room-a", "events", json(makeEvent(1)));
    await new Promise<void>((resolve) => (ingest.onCommitted = resolve));
    t.equal(ingest.stats.batches, 1, "one transaction, for the event");
    t.equal((await registry.require("room-a")).state, null, "the states still wait");
    t.same(changed, [], "no device changed yet");

    // idle() writes what is waiting, not later: the newest of each device's, in one transaction
    ingest.state("room-b", "state", stateReport("off"));
    await ingest.idle();
    t.equal((await registry.require("room-a")).state?.lamp, "recording", "the newest state");
    t.equal((await registry.require("room-b")).state?.lamp, "off", "written by idle()");
    t.equal(ingest.stats.batches, 2);
    t.same(changed, [["room-a", "room-b"]]);
  },
);

void t.test("messages arriving together share a transaction after a short hold", async (t) => {
  const { db } = await setup(t);
  const acks: EventAck[] = [];
  const { logger } = captureLogger();
  const ingest = new Ingest({ db, logger, sendAck: (_id, ack) => acks.push(ack), holdMs: 20 });
  // three events on separate turns of the event loop, as three boxes' messages arrive
  for (const seq of [1, 2, 3]) {
    ingest.event("room-a", "events", json(makeEvent(seq)));
    await nextTurn();
  }
  ingest.connection("room-b", true);
  await ingest.idle();
  t.equal(ingest.stats.batches, 1, "one transaction for the three events and the connection");
  t.equal(acks.length, 1);
  t.equal(acks[0]?.accepted.length, 3, "all three acknowledged together, after the commit");
});

void t.test("a state report with nothing to carry it is written after its delay", async (t) => {
  const { ingest, registry } = await setup(t, 5);
  const changed = new Promise<readonly string[]>((resolve) => (ingest.onDevicesChanged = resolve));
  ingest.state("room-a", "state", stateReport("recording"));
  t.same(await changed, ["room-a"], "the change is announced once it is written");
  t.equal((await registry.require("room-a")).state?.lamp, "recording");
  t.equal(ingest.stats.batches, 1);
});

void t.test("a state report is stored as the device sent it, whatever its text", async (t) => {
  const { ingest, registry } = await setup(t, 60_000);
  const report = {
    at: new Date().toISOString(),
    software: 'classcam "test" \\ é ✓ \u2028',
    bootId: "0b0e7c1e-6a4e-4f61-9d55-3a3b2f0f3c11",
    lamp: "off",
    recording: null,
    configVersion: 1,
  };
  // spaces and new lines as a device might send them; the ingest writes the text it checked
  ingest.state("room-a", "state", Buffer.from(JSON.stringify(report, null, 2)));
  ingest.state("room-b", "state", json({ ...report, lamp: "recording" }));
  await ingest.idle();
  t.same((await registry.require("room-a")).state, report, "the same value, read back");
  t.same((await registry.require("room-b")).state, { ...report, lamp: "recording" });
});

void t.test(
  "a transaction with no event in it asks nothing about events, one with events asks once (issue 21: each statement costs a trip through SQLite's threads)",
  async (t) => {
    const { db } = await setup(t);
    const statements: string[] = [];
    const counted = {
      transaction: <T>(body: (tx: Transaction) => Promise<T>) =>
        db.transaction((tx) => {
          const spy: Transaction = {
            run: (sql, params) => (statements.push(sql), tx.run(sql, params)),
            all: (sql, params) => (statements.push(sql), tx.all(sql, params)),
            get: (sql, params) => (statements.push(sql), tx.get(sql, params)),
            exec: (sql) => (statements.push(sql), tx.exec(sql)),
          };
          return body(spy);
        }),
    } as unknown as Database;
    const { logger } = captureLogger();
    const acked: EventAck[] = [];
    const ingest = new Ingest({ db: counted, logger, sendAck: (_id, ack) => acked.push(ack) });
    ingest.connection("room-a", true);
    await ingest.idle();
    t.equal(statements.length, 1, "only the connection's update");
    t.match(statements[0], /UPDATE devices SET connected/);
    const row = await db.get<{ connected: number }>("SELECT connected FROM devices WHERE id = ?", [
      "room-a",
    ]);
    t.equal(row?.connected, 1, "and it is written");

    // a batch of events: who sent the ids stored already and who owns what they name is one read
    statements.length = 0;
    const events = [makeEvent(1), makeEvent(4), makeEvent(6)]; // a stop, a start, a refusal
    for (const event of events) ingest.event("room-a", "classcam/v1/room-a/events", json(event));
    await ingest.idle();
    t.equal(acked.length, 1, "one ack for the batch");
    t.same(
      [...(acked[0]?.accepted ?? [])].sort(),
      events.map(({ id }) => id).sort(),
      "every event accepted",
    );
    t.equal(
      statements.filter((sql) => /^\s*SELECT/.test(sql)).length,
      1,
      "one read: " + statements.join(" | "),
    );
    t.equal(
      statements.length,
      2,
      "the read and the events' insert, which marks the device seen (its trigger)",
    );
    for (const event of events) ingest.event("room-a", "classcam/v1/room-a/events", json(event));
    await ingest.idle();
    t.same(
      [...(acked[1]?.accepted ?? [])].sort(),
      events.map(({ id }) => id).sort(),
      "sent again: acked again",
    );
    t.equal(
      (await db.get<{ n: number }>("SELECT count(*) AS n FROM events"))?.n,
      3,
      "and stored once",
    );
  },
);
