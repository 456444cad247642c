// The ACL and authentication rules over a real MQTT connection (mqtt.js) to
// the real broker on a loopback socket: one test per rule.
import t, { type Test } from "tap";
import type { MqttClient } from "mqtt";
import { topics } from "@classcam/protocol";
import { ConnackCode } from "@classcam/controller";
import {
  closedWithin,
  connectDevice,
  eventually,
  startController,
  type TestController,
} from "../helpers/controller.js";
import { makeEvent } from "../helpers/events.js";
import { rawConnect } from "../helpers/raw-mqtt.js";

const A = "room-a";
const B = "room-b";
let controller: TestController;
let secretA: string;
let secretB: string;
let deviceB: MqttClient;
/** What B received, in order: the topic and, for a config, its version. */
const receivedByB: { topic: string; version: number | null }[] = [];

/** The config version a message carries, or null when it is not a config. */
function versionOf(payload: Buffer): number | null {
  try {
    const parsed = JSON.parse(payload.toString()) as { version?: unknown };
    return typeof parsed.version === "number" ? parsed.version : null;
  } catch {
    return null;
  }
}

t.before(async () => {
  controller = await startController();
  secretA = await controller.enrol(A);
  secretB = await controller.enrol(B);
  deviceB = await connectDevice(controller.url, B, secretB);
  deviceB.on("message", (topic, payload) =>
    receivedByB.push({ topic, version: versionOf(payload) }),
  );
  await deviceB.subscribeAsync([topics.config(B), topics.ack(B)], { qos: 1 });
  await eventually(
    () => receivedByB.some((message) => message.topic === topics.config(B)),
    5000,
    "B's retained config",
  );
});

// teardown (not after): the root test then ends when its subtests are done
t.teardown(async () => {
  await deviceB.endAsync();
  await controller.close();
});

const eventRows = async (deviceId: string) =>
  (
    await controller.app.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM events WHERE device_id = ?",
      [deviceId],
    )
  )?.n;

const refusedLog = (topic: string) =>
  controller.lines.some(
    (line) => line.msg === "publish refused; disconnecting" && line.topic === topic,
  );

async function expectPublishRefused(t: Test, topic: string, retain = false) {
  const deviceA = await connectDevice(controller.url, A, secretA);
  const before = receivedByB.length;
  deviceA.publish(topic, JSON.stringify(makeEvent(1)), { qos: 1, retain });
  t.ok(await closedWithin(deviceA, 5000), "the broker closes A's connection");
  t.ok(refusedLog(topic), "the refusal is logged with its topic");
  // A marker for B, sent after the refused message: had that one been
  // forwarded, it would reach B before the marker.
  const marker = await controller.app.devices.updateConfig(B, { masks: [] });
  await eventually(
    () => receivedByB.some((m) => m.topic === topics.config(B) && m.version === marker.version),
    5000,
    "B's marker config",
  );
  t.same(
    receivedByB.slice(before),
    [{ topic: topics.config(B), version: marker.version }],
    "B received nothing but the marker",
  );
  deviceA.end(true);
}

void t.test("A may not publish on B's events topic", async (t) => {
  await expectPublishRefused(t, topics.events(B));
  t.equal(await eventRows(B), 0, "no event recorded for B");
  t.equal(await eventRows(A), 0, "nor for A");
});

void t.test("A may not publish B's state or availability", async (t) => {
  await expectPublishRefused(t, topics.state(B), true);
  await expectPublishRefused(t, topics.availability(B), true);
  const row = await controller.app.db.get<{ state_json: string | null }>(
    "SELECT state_json FROM devices WHERE id = ?",
    [B],
  );
  t.equal(row?.state_json, null, "B's state untouched");
});

void t.test(
  "A may not publish on B's controller→device topics (config, ack, request)",
  async (t) => {
    await expectPublishRefused(t, topics.config(B), true);
    await expectPublishRefused(t, topics.ack(B));
    await expectPublishRefused(t, topics.request(B, "delete-recording"));
  },
);

void t.test("A may not publish on its own controller→device topics", async (t) => {
  await expectPublishRefused(t, topics.config(A), true);
});

void t.test("A may not publish on $SYS/", async (t) => {
  await expectPublishRefused(t, "$SYS/classcam-controller/new/clients");
});

void t.test("A may not publish to wildcard topics (#, +/…)", async (t) => {
  for (const topic of ["#", "classcam/v1/devices/+/events"]) {
    const { connection, returnCode } = await rawConnect(controller.port, {
      clientId: A,
      username: A,
      password: secretA,
    });
    t.equal(returnCode, 0);
    connection.send({
      cmd: "publish",
      topic,
      payload: JSON.stringify(makeEvent(1)),
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
    });
    await connection.closed;
    t.notOk(
      connection.packets.some((packet) => packet.cmd === "puback"),
      `no PUBACK for '${topic}'`,
    );
  }
  t.equal(await eventRows(B), 0);
});

async function expectSubscriptionRefused(t: Test, filter: string) {
  const deviceA = await connectDevice(controller.url, A, secretA);
  const received: { topic: string; version: number | null }[] = [];
  deviceA.on("message", (topic, payload) => received.push({ topic, version: versionOf(payload) }));
  try {
    // mqtt.js rejects when the SUBACK carries 0x80; the packet is on the error
    const suback = await deviceA.subscribeAsync(filter, { qos: 1 }).then(
      () => null,
      (error: unknown) => (error as { packet?: { granted?: number[] } }).packet,
    );
    t.same(suback?.granted, [128], `SUBACK refuses '${filter}'`);
    await deviceA.subscribeAsync(topics.config(A), { qos: 1 });
    // give B something new to receive, which A must not see
    await controller.app.devices.updateConfig(B, {
      masks: [{ x: 0, y: 0, width: 0.1, height: 0.1 }],
    });
    // A marker for A, sent after B's config: had that been forwarded to A, it
    // would arrive before the marker.
    const marker = await controller.app.devices.updateConfig(A, { masks: [] });
    await eventually(
      () => received.some((m) => m.topic === topics.config(A) && m.version === marker.version),
      5000,
      "A's marker config",
    );
    t.same(
      received.filter((m) => m.topic !== topics.config(A)),
      [],
      "A received nothing but its own config",
    );
    t.ok(
      controller.lines.some((line) => line.msg === "subscription refused" && line.topic === filter),
      "the refusal is logged",
    );
  } finally {
    await deviceA.endAsync();
  }
}

void t.test("A may not subscribe to B's config", (t) =>
  expectSubscriptionRefused(t, topics.config(B)),
);
void t.test("A may not subscribe to B's requests", (t) =>
  expectSubscriptionRefused(t, topics.request(B, "ping")),
);
void t.test("A may not subscribe to #", (t) => expectSubscriptionRefused(t, "#"));
void t.test("A may not subscribe to +/… (classcam/v1/devices/+/config)", (t) =>
  expectSubscriptionRefused(t, "classcam/v1/devices/+/config"),
);
void t.test("A may not subscribe to a wildcard in its own subtree", (t) =>
  expectSubscriptionRefused(t, `classcam/v1/devices/${A}/#`),
);
void t.test("A may not subscribe to $SYS/#", (t) => expectSubscriptionRefused(t, "$SYS/#"));
void t.test("A may not subscribe to device→controller topics (B's events)", (t) =>
  expectSubscriptionRefused(t, topics.events(B)),
);

void t.test("A may not set a Last Will on B's topic", async (t) => {
  const error = await connectDevice(controller.url, A, secretA, {
    will: {
      topic: topics.availability(B),
      payload: Buffer.from('{"status":"offline"}'),
      retain: true,
      qos: 1,
    },
  }).then(
    () => null,
    (e: unknown) => e as { code?: number },
  );
  t.equal(error?.code, ConnackCode.notAuthorized, "CONNACK 5: not authorized");
  t.ok(
    controller.lines.some(
      (line) => line.msg === "connection refused" && /Last Will on/.test(String(line.reason)),
    ),
  );
});

const connackOf = (promise: Promise<MqttClient>) =>
  promise.then(
    async (client) => {
      await client.endAsync();
      return 0;
    },
    (error: unknown) => (error as { code?: number }).code,
  );

void t.test("a wrong secret is refused: bad username or password", async (t) => {
  t.equal(
    await connackOf(connectDevice(controller.url, A, secretB)),
    ConnackCode.badUsernameOrPassword,
  );
  t.ok(
    controller.lines.some((line) => line.reason === `wrong secret for device '${A}'`),
    "logged with the reason",
  );
});

void t.test("a client id that is not the device id is refused: identifier rejected", async (t) => {
  t.equal(
    await connackOf(connectDevice(controller.url, B, secretA, { username: A, will: undefined })),
    ConnackCode.identifierRejected,
  );
});

void t.test("an unknown device is refused", async (t) => {
  t.equal(
    await connackOf(connectDevice(controller.url, "room-z", secretA)),
    ConnackCode.badUsernameOrPassword,
  );
});

void t.test("a device with no password is refused", async (t) => {
  t.equal(await connackOf(connectDevice(controller.url, A, "")), ConnackCode.badUsernameOrPassword);
});

void t.test("a disabled device is refused, and enabled again it connects", async (t) => {
  const id = "room-disabled";
  const secret = await controller.enrol(id);
  await controller.app.devices.disable(id);
  t.equal(await connackOf(connectDevice(controller.url, id, secret)), ConnackCode.notAuthorized);
  await controller.app.devices.enable(id);
  t.equal(await connackOf(connectDevice(controller.url, id, secret)), 0);
});

void t.test(
  "retiring drops a live connection; the retired device is let in only to be told",
  async (t) => {
    const id = "room-retired";
    const secret = await controller.enrol(id);
    const client = await connectDevice(controller.url, id, secret);
    await controller.app.devices.retire(id);
    t.ok(await closedWithin(client, 5000), "the live connection is dropped");
    client.end(true);
    // with its own secret it is let in, to hear it is retired and nothing else (provisioning tests)
    const again = await connectDevice(controller.url, id, secret);
    t.teardown(() => again.end(true));
    const notice = new Promise<string>((resolve) =>
      again.once("message", (topic) => resolve(topic)),
    );
    await again.subscribeAsync([topics.config(id), topics.request(id, "retire")], { qos: 1 });
    t.equal(await notice, topics.request(id, "retire"), "the retire notice, not a config");
    t.notOk(controller.app.broker.connectedDevices().includes(id), "never shown connected");
    t.equal(
      await connackOf(connectDevice(controller.url, id, `${secret}x`)),
      ConnackCode.badUsernameOrPassword,
    );
  },
);

void t.test("a rotated secret replaces the old one at once", async (t) => {
  const id = "room-rotated";
  const secret = await controller.enrol(id);
  const client = await connectDevice(controller.url, id, secret);
  const { secret: fresh } = await controller.app.devices.rotateSecret(id);
  t.ok(await closedWithin(client, 5000), "the connection on the old secret is dropped");
  client.end(true);
  t.equal(
    await connackOf(connectDevice(controller.url, id, secret)),
    ConnackCode.badUsernameOrPassword,
  );
  t.equal(await connackOf(connectDevice(controller.url, id, fresh)), 0);
});

void t.test("what A is allowed works: its retained config, and an ack for its event", async (t) => {
  const deviceA = await connectDevice(controller.url, A, secretA);
  const messages: { topic: string; payload: string }[] = [];
  deviceA.on("message", (topic, payload) => messages.push({ topic, payload: payload.toString() }));
  await deviceA.subscribeAsync([topics.config(A), topics.ack(A)], { qos: 1 });
  const event = makeEvent(1);
  await deviceA.publishAsync(topics.events(A), JSON.stringify(event), { qos: 1 });
  await eventually(
    () => messages.some((m) => m.topic === topics.ack(A) && m.payload.includes(event.id)),
    5000,
    "ack",
  );
  const config = messages.find((m) => m.topic === topics.config(A));
  t.match(JSON.parse(config?.payload ?? "{}"), { room: `Room ${A}`, retention: { bufferDays: 7 } });
  t.equal(await eventRows(A), 1);
  await deviceA.endAsync();
});
