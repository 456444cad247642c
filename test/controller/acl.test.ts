// The ACL as pure functions: one row per rule.
import t from "tap";
import { topics } from "@classcam/protocol";
import {
  canLeaveWill,
  canPublish,
  canReceive,
  canSubscribe,
  isDeliverable,
} from "../../controller/src/broker/acl.js";

const A = "room-a";
const B = "room-b";
const pub = (topic: string, qos = 1, retain = false) => canPublish(A, { topic, qos, retain });

void t.test("a device publishes its own device→controller topics", async (t) => {
  t.same(pub(topics.events(A)), { allowed: true });
  t.same(pub(topics.state(A), 0, true), { allowed: true });
  t.same(pub(topics.availability(A), 1, true), { allowed: true });
  t.same(pub(topics.response(A, "ping")), { allowed: true });
});

void t.test("publishing is refused, with the reason", async (t) => {
  const rows: [string, ReturnType<typeof pub>, RegExp][] = [
    ["another device's events", pub(topics.events(B)), /belongs to device 'room-b'/],
    [
      "another device's availability",
      pub(topics.availability(B), 1, true),
      /belongs to device 'room-b'/,
    ],
    [
      "its own config (controller→device)",
      pub(topics.config(A), 1, true),
      /controller→device topic/,
    ],
    ["its own ack", pub(topics.ack(A)), /controller→device topic/],
    ["its own request", pub(topics.request(A, "ping")), /controller→device topic/],
    ["#", pub("#"), /wildcard/],
    ["+/…", pub(`classcam/v1/devices/+/events`), /wildcard/],
    ["$SYS/", pub("$SYS/broker/clients"), /broker topic/],
    ["a foreign tree", pub("zigbee2mqtt/bridge/request"), /not a classcam topic/],
    ["events at QoS 0", pub(topics.events(A), 0), /QoS 1/],
    ["retained events", pub(topics.events(A), 1, true), /must not be retained/],
  ];
  for (const [what, decision, reason] of rows) {
    t.equal(decision.allowed, false, what);
    if (!decision.allowed) t.match(decision.reason, reason, what);
  }
});

void t.test("a device subscribes to its own controller→device topics, by exact name", async (t) => {
  t.same(canSubscribe(A, topics.config(A)), { allowed: true });
  t.same(canSubscribe(A, topics.ack(A)), { allowed: true });
  t.same(canSubscribe(A, topics.request(A, "upload-recording")), { allowed: true });
  for (const filter of [
    topics.config(B),
    topics.events(A),
    topics.state(A),
    "#",
    "classcam/#",
    `classcam/v1/devices/${A}/#`,
    `classcam/v1/devices/${A}/request/+`,
    "classcam/v1/devices/+/config",
    "$SYS/#",
    "+/v1/devices/room-a/config",
  ]) {
    t.equal(canSubscribe(A, filter).allowed, false, `refuses '${filter}'`);
  }
});

void t.test("messages are only ever delivered within a device's own downstream", async (t) => {
  t.ok(canReceive(A, topics.config(A)));
  t.notOk(canReceive(A, topics.config(B)));
  t.notOk(canReceive(A, topics.events(A)));
  t.notOk(canReceive(A, "$SYS/classcam-controller/heartbeat"));
});

void t.test(
  "only controller→device topics can ever have a subscriber to keep a message for",
  async (t) => {
    for (const topic of [topics.config(A), topics.ack(A), topics.request(A, "upload-recording")]) {
      t.ok(isDeliverable(topic), topic);
      t.ok(canSubscribe(A, topic).allowed, `a device may subscribe to ${topic}`);
    }
    for (const topic of [
      topics.state(A),
      topics.availability(A),
      topics.events(A),
      "$SYS/classcam-controller/heartbeat",
      "zigbee2mqtt/bridge/state",
    ]) {
      t.notOk(isDeliverable(topic), topic);
      t.notOk(canSubscribe(A, topic).allowed, `no device may subscribe to ${topic}`);
    }
  },
);

void t.test("the Last Will may only be the device's own retained 'offline'", async (t) => {
  const offline = Buffer.from('{"status":"offline"}');
  t.same(canLeaveWill(A, undefined), { allowed: true });
  t.same(canLeaveWill(A, { topic: topics.availability(A), payload: offline, retain: true }), {
    allowed: true,
  });
  const rows: [string, Parameters<typeof canLeaveWill>[1], RegExp][] = [
    [
      "a foreign availability",
      { topic: topics.availability(B), payload: offline, retain: true },
      /only 'classcam\/v1\/devices\/room-a\/availability'/,
    ],
    [
      "another device's events",
      { topic: topics.events(B), payload: offline, retain: true },
      /Last Will on/,
    ],
    ["$SYS", { topic: "$SYS/x", payload: offline, retain: true }, /Last Will on/],
    [
      "not retained",
      { topic: topics.availability(A), payload: offline, retain: false },
      /must be retained/,
    ],
    [
      "saying online",
      { topic: topics.availability(A), payload: '{"status":"online"}', retain: true },
      /must say status 'offline'/,
    ],
    ["junk", { topic: topics.availability(A), payload: "bye", retain: true }, /not JSON/],
  ];
  for (const [what, will, reason] of rows) {
    const decision = canLeaveWill(A, will);
    t.equal(decision.allowed, false, what);
    if (!decision.allowed) t.match(decision.reason, reason, what);
  }
});
