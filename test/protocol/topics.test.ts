import t from "tap";
import { REQUEST_OPS, deviceSubscriptions, parseTopic, topics } from "@classcam/protocol";

void t.test("every topic lives in one versioned subtree per device", async (t) => {
  t.equal(topics.availability("room-12"), "classcam/v1/devices/room-12/availability");
  t.equal(topics.state("room-12"), "classcam/v1/devices/room-12/state");
  t.equal(topics.events("room-12"), "classcam/v1/devices/room-12/events");
  t.equal(topics.config("room-12"), "classcam/v1/devices/room-12/config");
  t.equal(topics.ack("room-12"), "classcam/v1/devices/room-12/ack");
  t.equal(topics.request("room-12", "ping"), "classcam/v1/devices/room-12/request/ping");
  t.equal(topics.response("room-12", "ping"), "classcam/v1/devices/room-12/response/ping");
});

void t.test("builders refuse a device id that would change the topic's shape", async (t) => {
  for (const bad of ["", "Room-12", "a/b", "+", "#", "room 12", "-room", "x".repeat(65)]) {
    t.throws(() => topics.events(bad), TypeError, `refuses '${bad}'`);
  }
  t.throws(() => topics.request("room-12", "format-disk" as never), /unknown request op/);
});

void t.test("parseTopic reads back exactly what the builders write", async (t) => {
  t.same(parseTopic(topics.events("a1")), { deviceId: "a1", channel: "events" });
  t.same(parseTopic(topics.response("a1", "upload-recording")), {
    deviceId: "a1",
    channel: "response",
    op: "upload-recording",
  });
  for (const other of [
    "classcam/v1/devices/a1",
    "classcam/v1/devices/a1/events/extra",
    "classcam/v1/devices/a1/request",
    "classcam/v1/devices/a1/request/nope",
    "classcam/v1/devices/+/events",
    "classcam/v1/devices/#",
    "classcam/v2/devices/a1/events",
    "$SYS/broker/uptime",
    "classcam/v1/devices/A1/events",
  ]) {
    t.equal(parseTopic(other), null, `'${other}' is not a protocol topic`);
  }
});

void t.test(
  "a device subscribes to explicit topics only, all its own and all downstream",
  async (t) => {
    const subscriptions = deviceSubscriptions("a1");
    t.equal(subscriptions.length, 2 + REQUEST_OPS.length);
    for (const topic of subscriptions) {
      t.notMatch(topic, /[+#]/);
      t.equal(parseTopic(topic)?.deviceId, "a1");
    }
  },
);
