// The same ACL matrix with clients nobody here wrote: Debian's mosquitto_pub
// and mosquitto_sub (package mosquitto-clients) against the real broker.
import t from "tap";
import { execFile } from "node:child_process";
import { topics } from "@classcam/protocol";
import { eventually, startController, type TestController } from "../helpers/controller.js";
import { makeEvent } from "../helpers/events.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const A = "room-a";
const B = "room-b";
let controller: TestController;
let secretA: string;

t.before(async () => {
  const which = await run("sh", ["-c", "command -v mosquitto_pub && command -v mosquitto_sub"]);
  if (which.code !== 0) {
    throw new Error(
      "mosquitto_pub/mosquitto_sub not found: install Debian's mosquitto-clients (npm test does)",
    );
  }
  controller = await startController();
  secretA = await controller.enrol(A);
  await controller.enrol(B);
});
t.teardown(() => controller.close());

const connection = (id = A, username = A, secret?: string) => [
  ...["-h", "127.0.0.1", "-p", String(controller.port), "-V", "mqttv311"],
  ...["-i", id, "-u", username, "-P", secret ?? secretA],
];
const will = (deviceId: string) => [
  ...["--will-topic", topics.availability(deviceId), "--will-payload", '{"status":"offline"}'],
  ...["--will-retain", "--will-qos", "1"],
];
const publish = (topic: string, extra: string[] = [], payload = JSON.stringify(makeEvent(1))) =>
  run("mosquitto_pub", [
    ...connection(),
    ...will(A),
    "-q",
    "1",
    "-t",
    topic,
    "-m",
    payload,
    ...extra,
  ]);
const subscribe = (filter: string) =>
  run("mosquitto_sub", [
    ...connection(),
    ...will(A),
    "-q",
    "1",
    "-t",
    filter,
    "-C",
    "1",
    // long enough for a loaded machine: a denial or the retained message ends it sooner
    "-W",
    "20",
  ]);
const rows = async (deviceId: string) =>
  (
    await controller.app.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM events WHERE device_id = ?",
      [deviceId],
    )
  )?.n;

void t.test("mosquitto_pub: A's own event is accepted and committed", async (t) => {
  const result = await publish(topics.events(A));
  t.equal(result.code, 0, result.stderr);
  // mosquitto_pub exits on the wire-level PUBACK; the commit follows it
  await eventually(async () => (await rows(A)) === 1, 5000, "the event in the database");
  t.equal(await rows(A), 1);
});

for (const [what, topic, retain] of [
  ["B's events", topics.events(B), false],
  ["B's state", topics.state(B), true],
  ["B's availability", topics.availability(B), true],
  ["B's config", topics.config(B), true],
  ["A's own config (controller→device)", topics.config(A), true],
  ["$SYS/", "$SYS/classcam-controller/new/clients", false],
] as const) {
  void t.test(`mosquitto_pub: A may not publish to ${what}`, async (t) => {
    const result = await publish(topic, retain ? ["-r"] : []);
    t.not(result.code, 0, "mosquitto_pub fails");
    t.match(result.stderr, /connection was lost/i, "because the broker dropped the connection");
    t.ok(
      controller.lines.some(
        (line) => line.msg === "publish refused; disconnecting" && line.topic === topic,
      ),
    );
    t.equal(await rows(B), 0, "nothing recorded for B");
  });
}

for (const filter of [
  topics.config(B),
  topics.request(B, "ping"),
  "#",
  "classcam/v1/devices/+/config",
  `classcam/v1/devices/${A}/#`,
  "$SYS/#",
]) {
  void t.test(`mosquitto_sub: A may not subscribe to '${filter}'`, async (t) => {
    const result = await subscribe(filter);
    t.match(result.stderr, /All subscription requests were denied/);
    t.equal(result.stdout, "", "and received nothing");
  });
}

void t.test("mosquitto_sub: A receives its own retained config", async (t) => {
  const result = await subscribe(topics.config(A));
  t.equal(result.code, 0, result.stderr);
  t.match(JSON.parse(result.stdout) as object, { room: `Room ${A}`, version: 1 });
});

void t.test("mosquitto_pub: a Last Will on B's topic is refused: not authorised", async (t) => {
  const result = await run("mosquitto_pub", [
    ...connection(),
    ...will(B),
    "-t",
    topics.events(A),
    "-m",
    "{}",
  ]);
  t.not(result.code, 0);
  t.match(result.stderr, /Connection Refused: not authori[sz]ed/);
});

void t.test("mosquitto_pub: a wrong secret is refused: bad user name or password", async (t) => {
  const result = await run("mosquitto_pub", [
    ...connection(A, A, "guess"),
    "-t",
    topics.events(A),
    "-m",
    "{}",
  ]);
  t.match(result.stderr, /Connection Refused: bad user name or password/);
});

void t.test(
  "mosquitto_pub: a client id other than the device id is refused: identifier rejected",
  async (t) => {
    const result = await run("mosquitto_pub", [
      ...connection(B, A),
      "-t",
      topics.events(A),
      "-m",
      "{}",
    ]);
    t.match(result.stderr, /Connection Refused: identifier rejected/);
  },
);

void t.test("mosquitto_pub: a disabled device is refused: not authorised", async (t) => {
  const secret = await controller.enrol("room-off");
  await controller.app.devices.disable("room-off");
  const result = await run("mosquitto_pub", [
    ...connection("room-off", "room-off", secret),
    "-t",
    topics.events("room-off"),
    "-m",
    "{}",
  ]);
  t.match(result.stderr, /Connection Refused: not authori[sz]ed/);
});

void t.test("mosquitto_sub: a retired device is let in only to hear it is retired", async (t) => {
  const secret = await controller.enrol("room-old");
  await controller.app.devices.retire("room-old");
  const result = await run("mosquitto_sub", [
    ...connection("room-old", "room-old", secret),
    ...["-q", "1", "-t", topics.request("room-old", "retire"), "-C", "1", "-W", "20", "-v"],
  ]);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, topics.request("room-old", "retire"), "the retire notice arrives");
  // and it may not read anything else
  const other = await run("mosquitto_sub", [
    ...connection("room-old", "room-old", secret),
    ...["-q", "1", "-t", topics.config("room-old"), "-C", "1", "-W", "2"],
  ]);
  t.not(other.code, 0, "its config is not served to a retired box");
  t.equal(other.stdout, "");
});
