// Malformed payloads: each is refused with a logged reason and kept for
// inspection, the device is told (when the event's id can be read), the broker
// stays up, and the next valid event lands.
import t, { type Test } from "tap";
import { randomUUID } from "node:crypto";
import type { MqttClient } from "mqtt";
import { MAX_PAYLOAD_BYTES, parse, topics, type EventAck } from "@classcam/protocol";
import { MAX_PACKET_BYTES } from "@classcam/controller";
import {
  closedWithin,
  connectDevice,
  eventually,
  startController,
  type TestController,
} from "../helpers/controller.js";
import { makeEvent } from "../helpers/events.js";

const ID = "room-bad";
let controller: TestController;
let device: MqttClient;
let secret: string;
const acks: EventAck[] = [];

async function connect(): Promise<MqttClient> {
  const client = await connectDevice(controller.url, ID, secret);
  client.on("error", () => undefined);
  client.on("message", (topic, payload) => {
    const ack = parse.ack(payload);
    if (topic === topics.ack(ID) && ack.ok) acks.push(ack.value);
  });
  await client.subscribeAsync(topics.ack(ID), { qos: 1 });
  return client;
}

t.before(async () => {
  controller = await startController();
  secret = await controller.enrol(ID);
  device = await connect();
});
t.teardown(async () => {
  await device.endAsync(true);
  await controller.close();
});

const rejectedRows = () =>
  controller.app.db.all<{
    topic: string;
    event_id: string | null;
    reason: string;
    bytes: number;
    excerpt: Buffer;
  }>(
    "SELECT topic, event_id, reason, bytes, excerpt FROM rejected_messages WHERE device_id = ? ORDER BY id",
    [ID],
  );
const eventIds = async () =>
  new Set(
    (
      await controller.app.db.all<{ id: string }>("SELECT id FROM events WHERE device_id = ?", [ID])
    ).map((r) => r.id),
  );

/** Sends a bad payload, then a good event; the good one must land and be acked. */
async function expectRefusedThenRecovered(
  t: Test,
  payload: string | Buffer,
  reason: RegExp,
  options: { eventId?: string; topic?: string; retain?: boolean } = {},
) {
  const topic = options.topic ?? topics.events(ID);
  const before = (await rejectedRows()).length;
  await device.publishAsync(topic, payload, { qos: 1, retain: options.retain ?? false });
  const row = await eventually(
    async () => (await rejectedRows())[before],
    5000,
    "the rejected_messages row",
  );
  t.match(row.reason, reason, "kept with the reason");
  t.equal(row.topic, topic);
  t.equal(row.bytes, Buffer.byteLength(payload), "with its size");
  t.ok(row.excerpt.length <= 1024, "and an excerpt of at most 1 KiB");
  t.ok(
    controller.lines.some(
      (line) => line.msg === "device message rejected" && reason.test(String(line.reason)),
    ),
    "the reason is logged",
  );
  if (options.eventId !== undefined) {
    t.equal(row.event_id, options.eventId);
    const refusal = await eventually(
      () => acks.flatMap((ack) => ack.rejected).find((r) => r.id === options.eventId),
      5000,
      "a refusal in an ack",
    );
    t.match(refusal.reason, reason, "the device is told why");
  }
  t.ok(device.connected, "the device stays connected");
  const good = makeEvent(1);
  await device.publishAsync(topics.events(ID), JSON.stringify(good), { qos: 1 });
  await eventually(async () => (await eventIds()).has(good.id), 5000, "the next valid event");
  await eventually(() => acks.some((ack) => ack.accepted.includes(good.id)), 5000, "its ack");
}

void t.test("not JSON", (t) =>
  expectRefusedThenRecovered(t, "{this is not json", /payload is not JSON/),
);

void t.test("an empty payload", (t) => expectRefusedThenRecovered(t, "", /payload is empty/));

void t.test("JSON of the wrong schema (missing fields)", async (t) => {
  const id = randomUUID();
  await expectRefusedThenRecovered(
    t,
    JSON.stringify({ id, kind: "camera.lost" }),
    /seq: is required/,
    { eventId: id },
  );
});

void t.test("wrong types", async (t) => {
  const event = { ...makeEvent(3), seq: "three" };
  await expectRefusedThenRecovered(t, JSON.stringify(event), /seq: must be integer/, {
    eventId: event.id,
  });
});

void t.test("an unknown event kind", async (t) => {
  const event = { ...makeEvent(4), kind: "teacher.sneezed" };
  await expectRefusedThenRecovered(t, JSON.stringify(event), /kind: must be one of/, {
    eventId: event.id,
  });
});

void t.test("data that does not fit its kind", async (t) => {
  const event = { ...makeEvent(0), data: { recordingId: "nope" } };
  await expectRefusedThenRecovered(
    t,
    JSON.stringify(event),
    /recording.started event: data.bookingId: is required/,
    {
      eventId: event.id,
    },
  );
});

void t.test("an oversize payload (over 64 KiB)", async (t) => {
  const event = { ...makeEvent(2), padding: "x".repeat(MAX_PAYLOAD_BYTES) };
  await expectRefusedThenRecovered(t, JSON.stringify(event), /bytes; the limit is 65536 bytes/);
});

void t.test("a malformed state or availability is refused the same way", async (t) => {
  await expectRefusedThenRecovered(t, '{"lamp":"disco"}', /lamp: must be one of/, {
    topic: topics.state(ID),
    retain: true,
  });
  await expectRefusedThenRecovered(t, '{"status":"maybe"}', /status: must be one of/, {
    topic: topics.availability(ID),
    retain: true,
  });
  const device = await controller.app.devices.require(ID);
  t.equal(device.state, null, "no bad state was stored");
});

void t.test("an event id used by another device is refused, not silently dropped", async (t) => {
  const other = "room-other";
  const otherClient = await connectDevice(controller.url, other, await controller.enrol(other));
  const event = makeEvent(9);
  await otherClient.publishAsync(topics.events(other), JSON.stringify(event), { qos: 1 });
  await eventually(
    async () =>
      (await controller.app.db.get<{ ok: number }>("SELECT 1 AS ok FROM events WHERE id = ?", [
        event.id,
      ])) !== undefined,
    10_000,
    "the other device's event to be stored",
  );
  await otherClient.endAsync();
  await expectRefusedThenRecovered(t, JSON.stringify(event), /already used by another device/, {
    eventId: event.id,
  });
});

void t.test("a packet over the frame limit closes that connection, not the broker", async (t) => {
  const huge = Buffer.alloc(MAX_PACKET_BYTES + 1024, 0x61);
  device.publish(topics.events(ID), huge, { qos: 1 });
  t.ok(await closedWithin(device, 5000), "the connection is closed");
  t.ok(
    controller.lines.some((line) => /over the \d+-byte limit/.test(String(line.err))),
    "the reason is logged",
  );
  device.end(true);
  device = await connect();
  const good = makeEvent(5);
  await device.publishAsync(topics.events(ID), JSON.stringify(good), { qos: 1 });
  await eventually(
    async () => (await eventIds()).has(good.id),
    5000,
    "the next valid event after reconnecting",
  );
});
