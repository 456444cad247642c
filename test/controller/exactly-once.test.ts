// At-least-once on the wire, exactly-once in the database: 10,000 events sent
// with random duplicates, reorderings and connections dropped mid-stream end
// as exactly 10,000 rows, each acknowledged.
import t from "tap";
import { startController } from "../helpers/controller.js";
import { makeEvent, seeded } from "../helpers/events.js";
import { OutboxPublisher } from "../helpers/publisher.js";
import { testSeed } from "../helpers/env.js";

const COUNT = 10_000;

void t.test(
  "10,000 events with duplicates, reordering and disconnects land exactly once",
  async (t) => {
    const seed = testSeed();
    t.comment(`seed ${seed} (replay with CLASSCAM_TEST_SEED=${seed})`);
    const controller = await startController();
    t.teardown(() => controller.close());
    const id = "room-exact";
    const secret = await controller.enrol(id);
    const events = Array.from({ length: COUNT }, (_, seq) => makeEvent(seq));
    const publisher = new OutboxPublisher(controller.url, id, secret, events, seeded(seed));
    t.teardown(() => publisher.close());

    await publisher.connect(Date.now() + 10_000);
    await publisher.run({ duplicate: 0.1, disconnect: 0.25, burst: 250 }, Date.now() + 240_000);

    t.ok(publisher.sent.duplicates > 0, `sent ${publisher.sent.duplicates} duplicates`);
    t.ok(
      publisher.sent.disconnects > 0,
      `dropped the connection ${publisher.sent.disconnects} times`,
    );
    t.ok(
      publisher.sent.publishes > COUNT,
      `${publisher.sent.publishes} publishes for ${COUNT} events`,
    );

    const rows = await controller.app.db.all<{ id: string; seq: number; kind: string }>(
      "SELECT id, seq, kind FROM events WHERE device_id = ?",
      [id],
    );
    t.equal(rows.length, COUNT, "exactly 10,000 rows");
    t.equal(new Set(rows.map((row) => row.id)).size, COUNT, "no id twice");
    const expected = new Map(events.map((event) => [event.id, event]));
    const mismatched = rows.filter(
      (row) => expected.get(row.id)?.seq !== row.seq || expected.get(row.id)?.kind !== row.kind,
    );
    t.same(mismatched, [], "every row is the event that was sent");
    t.equal(publisher.acked.size, COUNT, "an ack for each event");
    t.equal(publisher.rejected.size, 0, "none rejected");
    t.ok(
      controller.app.broker.ingest.stats.duplicates > 0,
      "the controller saw and absorbed duplicates",
    );
    const device = await controller.app.devices.require(id);
    t.equal(
      device.lastSeq,
      COUNT - 1,
      "the device's highest sequence number is kept whatever the arrival order",
    );
  },
);
