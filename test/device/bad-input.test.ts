/**
 * Bad input to the box gets a clear error and changes nothing: bad settings
 * files and command lines are refused with what is wrong, and bad MQTT
 * payloads (config, acks, requests) are refused while the daemon keeps its
 * last good config and goes on working. The payloads come from a plain MQTT
 * broker (aedes, no rules) so the test can send what the controller never would.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import t from "tap";
import { checkSettings, devicePaths } from "@classcam/device";
import { topics, type DeviceConfig } from "@classcam/protocol";
import { REPO, tempDir } from "../helpers/controller.js";
import { boxDir, boxSettings, cacheBoxConfig, startBox, until } from "../helpers/device.js";

const GOOD = {
  deviceId: "room-1",
  secret: "s".repeat(32),
  dataDir: "/var/lib/classcam",
  controller: { mqttUrl: "mqtt://controller.school:1883" },
  hardware: { backend: "sim" },
};

void t.test("bad settings are refused with every problem named", async (t) => {
  t.ok(checkSettings(GOOD).ok, "the good settings pass");
  const cases: [string, unknown, RegExp][] = [
    ["not an object", [1, 2], /must be a JSON object/],
    ["no device id", { ...GOOD, deviceId: undefined }, /deviceId: is required/],
    ["a bad device id", { ...GOOD, deviceId: "Room 1!" }, /deviceId: /],
    ["a short secret", { ...GOOD, secret: "short" }, /secret: must NOT have fewer than 16/],
    [
      "a wrong URL",
      { ...GOOD, controller: { mqttUrl: "http://x" } },
      /controller.mqttUrl: must match/,
    ],
    ["an unknown backend", { ...GOOD, hardware: { backend: "magic" } }, /backend: must be one of/],
    [
      "segments too long",
      { ...GOOD, recorder: { segmentSeconds: 6 } },
      /segmentSeconds: must be <= 4/,
    ],
    [
      "copy without an H.264 camera",
      {
        ...GOOD,
        recorder: { encoder: "copy" },
        hardware: { ...GOOD.hardware, camera: { inputFormat: "mjpeg" } },
      },
      /'copy' needs a camera that gives H.264/,
    ],
    [
      "the demo panel on the real box",
      { ...GOOD, hardware: { backend: "linux" }, demo: { host: "127.0.0.1", port: 1 } },
      /only with hardware.backend 'sim'/,
    ],
    ["an unknown setting", { ...GOOD, colour: "red" }, /unknown property 'colour'/],
    [
      "odd picture size",
      { ...GOOD, hardware: { backend: "sim", camera: { width: 641 } } },
      /width and height must be even/,
    ],
  ];
  for (const [what, value, error] of cases) {
    const result = checkSettings(value, "settings.json");
    t.notOk(result.ok, `${what}: refused`);
    if (!result.ok) t.match(result.error, error, `${what}: ${result.error}`);
  }
  const two = checkSettings({ ...GOOD, secret: "x", hardware: { backend: "nope" } });
  t.ok(!two.ok && /secret/.test(two.error) && /backend/.test(two.error), "all problems at once");
});

void t.test("the command line refuses bad arguments and files, with exit status 2", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const run = (...args: string[]) =>
    spawnSync(
      process.execPath,
      ["--conditions=classcam-source", "--import=tsx", join(REPO, "device/src/main.ts"), ...args],
      { cwd: REPO, encoding: "utf8" },
    );
  const help = run("--help");
  t.equal(help.status, 0, "--help");
  t.match(help.stdout, /classcam-device run --settings FILE/);
  t.equal(run().status, 2, "no command");
  const unknown = run("fly");
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /unknown command 'fly'/);
  t.match(run("run").stderr, /run needs --settings FILE/);
  t.match(run("run", "--colour").stderr, /Unknown option '--colour'/);
  const missing = run("check", "--settings", join(dir.path, "nope.json"));
  t.equal(missing.status, 2);
  t.match(missing.stderr, /cannot read the settings file .*nope.json/);
  writeFileSync(join(dir.path, "broken.json"), "{ not json");
  t.match(run("check", "--settings", join(dir.path, "broken.json")).stderr, /is not valid JSON/);
  writeFileSync(join(dir.path, "bad.json"), JSON.stringify({ ...GOOD, secret: "x" }));
  const bad = run("check", "--settings", join(dir.path, "bad.json"));
  t.equal(bad.status, 2);
  t.match(bad.stderr, /bad.json: secret: must NOT have fewer than 16 characters/);
  writeFileSync(join(dir.path, "good.json"), JSON.stringify(GOOD));
  const good = run("check", "--settings", join(dir.path, "good.json"));
  t.equal(good.status, 0, good.stderr);
  t.match(good.stdout, /good \(device room-1, sim hardware/);
  const linux = { ...GOOD, dataDir: join(dir.path, "data"), hardware: { backend: "linux" } };
  writeFileSync(join(dir.path, "linux.json"), JSON.stringify(linux));
  const noGpio = run("run", "--settings", join(dir.path, "linux.json"));
  t.equal(noGpio.status, 1, "the real box without GPIO does not start");
  t.match(noGpio.stderr, /cannot start: lamp missing: sysfs GPIO is not accessible/);
});

void t.test("a damaged cached config is reported and ignored: nothing records", async (t) => {
  const dir = boxDir();
  cacheBoxConfig(dir.path);
  const file = devicePaths(dir.path).config;
  writeFileSync(file, readFileSync(file, "utf8").slice(0, 40)); // cut short, as by a bad disk
  const box = await startBox(
    boxSettings("room-damaged", "d".repeat(32), "mqtt://127.0.0.1:9", dir.path),
  );
  t.teardown(async () => {
    await box.stop();
    dir.remove();
  });
  t.equal(box.daemon.config.current, null, "the damaged file is not used");
  t.ok(
    box.lines.some((line) => /cached config is damaged/.test(String(line.msg))),
    "the damage is logged",
  );
  await box.daemon.press("short");
  t.equal(box.daemon.session.phase, "idle", "without a schedule nothing records");
});

void t.test("bad MQTT payloads are refused; the last good config stays", async (t) => {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = boxDir();
  const good = cacheBoxConfig(dir.path, { version: 5 });
  const deviceId = "room-bad-input";
  const box = await startBox(boxSettings(deviceId, "b".repeat(32), url, dir.path));
  const peer = await mqtt.connectAsync(url, { clientId: "peer" });
  t.teardown(async () => {
    await peer.endAsync();
    await box.stop();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    server.close();
    dir.remove();
  });
  await until(() => box.daemon.link.connected, "the box to connect");
  const responses: { topic: string; body: Record<string, unknown> }[] = [];
  await peer.subscribeAsync(topics.response(deviceId, "ping").replace(/ping$/, "#"));
  peer.on("message", (topic, payload) => {
    responses.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> });
  });
  const rejected = async () =>
    (
      await box.daemon.db.all<{ payload: string }>(
        "SELECT payload FROM outbox WHERE kind = 'config.rejected' ORDER BY seq",
      )
    ).map((row) => (JSON.parse(row.payload) as { data: { reason: string } }).data);

  const config = topics.config(deviceId);
  await peer.publishAsync(config, "{ not json");
  await peer.publishAsync(config, JSON.stringify({ ...good, version: 6, schedule: "soon" }));
  await peer.publishAsync(config, JSON.stringify({ ...good, version: 4 }));
  await peer.publishAsync(config, Buffer.alloc(70 * 1024, "a"));
  await until(async () => (await rejected()).length === 3, "three refusals");
  const reasons = (await rejected()).map((r) => r.reason);
  t.match(reasons[0], /JSON/i, "not JSON");
  t.match(reasons[1], /schedule: must be array/, "a field of the wrong type, named");
  t.match(reasons[2], /version 4 is older than the applied version 5/, "an older version");
  t.equal(box.daemon.config.current?.version, 5, "the last good config stays");

  await peer.publishAsync(topics.ack(deviceId), '{"accepted": "everything"}');
  const requestId = randomUUID();
  await peer.publishAsync(
    topics.request(deviceId, "delete-recording"),
    JSON.stringify({ id: requestId, sentAt: new Date().toISOString(), args: { recordingId: 7 } }),
  );
  await peer.publishAsync(topics.request(deviceId, "ping"), "[]");
  await until(() => responses.length >= 1, "an answer to the bad request");
  t.same(responses[0]?.topic, topics.response(deviceId, "delete-recording"));
  t.match(responses[0]?.body, { id: requestId, status: "error", data: null });
  t.match(String(responses[0]?.body.error), /recordingId: must be string/, "says what is wrong");

  // well-formed requests the box cannot carry out are answered with the reason
  const ask = async (op: "delete-recording" | "upload-recording", args: object) => {
    const id = randomUUID();
    await peer.publishAsync(
      topics.request(deviceId, op),
      JSON.stringify({ id, sentAt: new Date().toISOString(), args }),
    );
    await until(() => responses.some((r) => r.body.id === id), `the answer to ${op}`);
    return responses.find((r) => r.body.id === id)?.body;
  };
  const unknown = randomUUID();
  t.match(
    await ask("upload-recording", {
      recordingId: unknown,
      url: "http://127.0.0.1:9/u",
      token: "t",
    }),
    { status: "error", error: `recording ${unknown} is not on this device` },
  );
  t.match(
    await ask("delete-recording", { recordingId: unknown }),
    { status: "ok", data: { recordingId: unknown, bytes: 0 } },
    "deleting what is already gone is done",
  );

  // still working: a good config applies, a ping is answered
  const next: DeviceConfig = { ...good, version: 7, room: "Renamed room" };
  await peer.publishAsync(config, JSON.stringify(next));
  await until(() => box.daemon.config.current?.version === 7, "the good config");
  const pingId = randomUUID();
  await peer.publishAsync(
    topics.request(deviceId, "ping"),
    JSON.stringify({ id: pingId, sentAt: new Date().toISOString(), args: {} }),
  );
  await until(() => responses.some((r) => r.body.id === pingId), "the ping's answer");
  t.equal(responses.find((r) => r.body.id === pingId)?.body.status, "ok", "the daemon answers");
  t.ok(box.daemon.link.stats.badPayloads >= 6, "every bad payload was counted and logged");
});
