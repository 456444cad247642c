// What the controller keeps current and republishes: retained config across
// a restart, device state and availability, controller→device requests,
// changes made by another process, and the throttle on refused connections.
import t from "tap";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { parse, topics, type DeviceConfig, type DeviceState } from "@classcam/protocol";
import { ConnackCode, Database, DeviceRegistry } from "@classcam/controller";
import {
  connectDevice,
  eventually,
  sleep,
  startController,
  tempDir,
} from "../helpers/controller.js";

function receiveConfig(client: MqttClient, id: string): Promise<DeviceConfig> {
  return new Promise((resolve, reject) => {
    client.on("message", (topic, payload) => {
      if (topic !== topics.config(id) || payload.length === 0) return;
      const config = parse.config(payload);
      if (config.ok) resolve(config.value);
      else reject(new Error(config.error));
    });
    client.subscribe(topics.config(id), { qos: 1 });
  });
}

void t.test(
  "every device's retained config is republished from the database at start",
  async (t) => {
    const dir = tempDir();
    t.teardown(dir.remove);
    const first = await startController({ dataDir: dir.path });
    const secret = await first.enrol("room-1", "Science 1");
    const masks = [{ x: 0, y: 0, width: 0.25, height: 0.5 }];
    await first.app.devices.updateConfig("room-1", { masks });
    await first.close();
    // as a SIGKILL would leave it: the database still says "connected"
    const stale = await Database.open(join(dir.path, "controller.sqlite"));
    await stale.transaction((tx) => tx.run("UPDATE devices SET connected = 1"));
    await stale.close();

    const second = await startController({ dataDir: dir.path });
    t.teardown(() => second.close());
    t.equal((await second.app.devices.require("room-1")).connected, false, "no stale connection");
    const client = await connectDevice(second.url, "room-1", secret);
    t.teardown(() => client.endAsync());
    const config = await receiveConfig(client, "room-1");
    t.equal(config.version, 2, "the newest version, after a broker restart");
    t.equal(config.room, "Science 1");
    t.same(config.masks, masks);
  },
);

void t.test("state, availability and connection are kept current in the database", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const secret = await controller.enrol("room-2");
  const client = await connectDevice(controller.url, "room-2", secret);
  client.on("error", () => undefined);
  const state: DeviceState = {
    at: new Date().toISOString(),
    software: "classcam-device 0.1.0",
    bootId: "0b0e7c1e-6a4e-4f61-9d55-3a3b2f0f3c11",
    lamp: "off",
    recording: null,
    configVersion: 1,
    storage: { totalBytes: 64e9, freeBytes: 50e9, bufferBytes: 10e9, protectedBytes: 1e9 },
  };
  await client.publishAsync(topics.availability("room-2"), '{"status":"online"}', {
    qos: 1,
    retain: true,
  });
  await client.publishAsync(topics.state("room-2"), JSON.stringify(state), {
    qos: 1,
    retain: true,
  });
  const online = await eventually(async () => {
    const device = await controller.app.devices.require("room-2");
    return device.state !== null && device.availability === "online" && device.connected
      ? device
      : null;
  });
  t.same(online.state, state, "the state as the device reported it");

  client.stream.destroy(); // the cable is pulled: the broker publishes the Last Will
  const offline = await eventually(async () => {
    const device = await controller.app.devices.require("room-2");
    return device.availability === "offline" && !device.connected ? device : null;
  });
  t.ok(offline.lastSeenAt, "last seen is kept");
  client.end(true);
});

void t.test("requests are answered on the response topic, matched by correlation id", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const secret = await controller.enrol("room-3");
  const client = await connectDevice(controller.url, "room-3", secret);
  t.teardown(() => client.endAsync());
  let answer: "ok" | "silent" | "garbage" = "ok";
  client.on("message", (topic, payload) => {
    if (topic !== topics.request("room-3", "ping")) return;
    const request = parse.request("ping", payload);
    if (!request.ok) throw new Error(request.error);
    const response =
      answer === "ok"
        ? {
            id: request.value.id,
            status: "ok",
            data: { at: new Date().toISOString() },
            error: null,
          }
        : { id: request.value.id, status: "maybe" };
    if (answer !== "silent")
      client.publish(topics.response("room-3", "ping"), JSON.stringify(response), { qos: 1 });
  });
  await client.subscribeAsync(topics.request("room-3", "ping"), { qos: 1 });

  const response = await controller.app.broker.request("room-3", "ping", {});
  t.equal(response.status, "ok");

  answer = "silent";
  await t.rejects(
    controller.app.broker.request("room-3", "ping", {}, 300),
    /did not answer 'ping' within 300 ms/,
  );

  answer = "garbage";
  await t.rejects(controller.app.broker.request("room-3", "ping", {}, 500), /did not answer/);
  // the refusal is written through the ingest queue, in the background
  const rows = await eventually(
    async () => {
      const found = await controller.app.db.all<{ reason: string }>(
        "SELECT reason FROM rejected_messages WHERE device_id = 'room-3'",
      );
      return found.length > 0 ? found : null;
    },
    10_000,
    "the refused response to be kept",
  );
  t.match(
    rows[0]?.reason,
    /status: must be one of "ok", "error"/,
    "a malformed response is refused and kept",
  );

  await t.rejects(
    controller.app.broker.request("room-9", "ping", {}),
    /device 'room-9' is not connected/,
  );
});

void t.test("changes made by another process (the CLI) reach the broker", async (t) => {
  const controller = await startController({ syncIntervalMs: 100 });
  t.teardown(() => controller.close());
  const secret = await controller.enrol("room-4");
  const client = await connectDevice(controller.url, "room-4", secret);
  client.on("error", () => undefined);
  const configs: number[] = [];
  client.on("message", (topic, payload) => {
    const config = parse.config(payload);
    if (topic === topics.config("room-4") && config.ok) configs.push(config.value.version);
  });
  await client.subscribeAsync(topics.config("room-4"), { qos: 1 });
  await eventually(() => configs.includes(1));

  const other = await Database.open(join(controller.dataDir, "controller.sqlite"));
  t.teardown(() => other.close());
  const registry = new DeviceRegistry(other);
  await registry.updateConfig("room-4", { policy: { allowUnbookedRecording: true } });
  await eventually(() => configs.includes(2), 5000, "the new config published");

  await registry.disable("room-4");
  await eventually(() => !client.connected, 5000, "the disabled device dropped");
  client.end(true);
});

void t.test("refused connections are throttled per source address", async (t) => {
  const controller = await startController({
    config: { security: { connectFailuresPerWindow: 3, connectFailureWindowSeconds: 60 } },
  });
  t.teardown(() => controller.close());
  const secret = await controller.enrol("room-5");
  const codeOf = (password: string) =>
    connectDevice(controller.url, "room-5", password).then(
      async (client) => {
        await client.endAsync();
        return 0;
      },
      (error: unknown) => (error as { code?: number }).code,
    );
  for (let attempt = 0; attempt < 3; attempt += 1) {
    t.equal(await codeOf("guess"), ConnackCode.badUsernameOrPassword);
  }
  t.equal(
    await codeOf(secret),
    ConnackCode.serverUnavailable,
    "even the right secret waits out the window",
  );
  t.ok(
    controller.lines.some((line) => /too many refused connections/.test(String(line.reason))),
    "logged",
  );
});

void t.test("MQTT over TLS when a certificate is configured", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const cert = join(dir.path, "cert.pem");
  const key = join(dir.path, "key.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"],
      ...["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
      ...["-keyout", key, "-out", cert],
    ],
    { stdio: "ignore" },
  );
  const controller = await startController();
  t.teardown(() => controller.close());
  const secret = await controller.enrol("room-6");
  const { readFileSync } = await import("node:fs");
  const { tlsPort } = await controller.app.broker.listen({
    host: "127.0.0.1",
    port: 0,
    tls: { port: 0, cert: readFileSync(cert), key: readFileSync(key) },
  });
  t.ok(tlsPort);
  const client = await connectDevice(`mqtts://127.0.0.1:${String(tlsPort)}`, "room-6", secret, {
    ca: readFileSync(cert),
    rejectUnauthorized: true,
  });
  t.ok(client.connected, "a device connects over TLS, verifying the controller's certificate");
  await client.endAsync();
  await sleep(10);
});

void t.test("/healthz reports connected devices and ingest counts, nothing personal", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const secret = await controller.enrol("room-7");
  const client = await connectDevice(controller.url, "room-7", secret);
  t.teardown(() => client.endAsync());
  await eventually(() => controller.app.broker.connectedDevices().includes("room-7"));
  const response = await controller.app.inject({ method: "GET", url: "/healthz" });
  t.equal(response.statusCode, 200);
  t.same(response.json(), {
    status: "ok",
    devicesConnected: 1,
    ingest: { committed: 0, duplicates: 0, rejected: 0 },
  });
});
