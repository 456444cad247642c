// Retiring a box, end to end with the real daemon and the real controller:
// IT retires it; the box, when it next connects (at once if online, or at its
// next start), stops recording, wipes its buffer, reports the wipe exactly
// once, and stays retired; the controller audits the wipe and shows it. The
// broker lets a retired box in for nothing else.
import t, { type Test } from "tap";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { Client } from "aedes";
import { deviceSubscriptions, topics } from "@classcam/protocol";
import { ConnackCode } from "@classcam/controller";
import { RetiredClients } from "../../controller/src/broker/retired.js";
import {
  captureLogger,
  closedWithin,
  connectDevice,
  wrongSecret,
  eventually,
  sleep,
  tempDir,
} from "../helpers/controller.js";
import {
  boxDir,
  boxSettings,
  processesMentioning,
  startBox,
  until,
  type TestBox,
} from "../helpers/device.js";
import { provision, runNode, startProvisionedSchool, type ProvisionedSchool } from "./harness.js";

const DEVICE = "room-1";

async function enrolledBox(school: ProvisionedSchool, dataDir: string) {
  const secret = await school.controller.enrol(DEVICE, "Room 1");
  await school.controller.app.policy.update(
    { bookings: { allowUnbookedRecording: true } },
    "system",
  );
  await school.controller.app.custodian.refreshConfig(DEVICE);
  return boxSettings(DEVICE, secret, school.controller.url, dataDir);
}

/**
 * A school with room-1 enrolled (unbooked recording allowed) and the box's
 * settings, its data in a temp folder; the school closed and the folder
 * removed when the test ends.
 */
async function retiringSchool(t: Test) {
  const school = await startProvisionedSchool();
  t.teardown(school.close);
  const dir = boxDir();
  t.teardown(dir.remove);
  const settings = await enrolledBox(school, dir.path);
  return { school, dir, settings };
}

/** Waits for the school's policy (unbooked recording allowed) to reach the box. */
const policyOnBox = (box: TestBox) =>
  until(() => box.daemon.config.current?.policy.allowUnbookedRecording === true, "the policy");

async function record(box: TestBox, segments: number): Promise<string> {
  await box.daemon.press("short");
  const recordingId = box.daemon.session.recording?.recordingId ?? "";
  if (recordingId === "") throw new Error("the box did not start recording");
  await until(
    async () => ((await box.daemon.index.get(recordingId))?.segments ?? 0) >= segments,
    `${segments} segments`,
  );
  return recordingId;
}

const wipes = async (school: ProvisionedSchool) =>
  (
    await school.controller.app.db.get<{ n: number }>(
      "SELECT count(*) AS n FROM events WHERE device_id = ? AND kind = 'device.wiped'",
      [DEVICE],
    )
  )?.n ?? 0;

void t.test(
  "an online box is retired: it stops, wipes, reports once and stays retired",
  async (t) => {
    const { school, dir, settings } = await retiringSchool(t);
    let box = await startBox(settings);
    t.teardown(() => box.stop());
    await policyOnBox(box);

    const first = await record(box, 2);
    await box.daemon.press("short");
    const second = await record(box, 1); // still recording when the box is retired
    await until(async () => (await box.daemon.outbox.depth()) === 0, "the events delivered");
    await eventually(async () => {
      const rows = await school.controller.app.db.all<{ id: string }>(
        "SELECT id FROM recordings WHERE device_id = ? AND on_device = 1",
        [DEVICE],
      );
      return rows.length === 2;
    });
    t.ok(box.daemon.lamp.lit, "the lamp is lit");

    const retired = await provision(["retire", DEVICE, "--yes"], school.env);
    t.equal(retired.code, 0, retired.stderr);

    // the controller hears the wipe, once, and audits it
    await eventually(async () => (await wipes(school)) === 1, 20_000, "the wipe report");
    // the report is committed with the index's wipe and may be sent before the files go;
    // the lamp's error pattern comes last, after the files and the marker
    await until(() => box.daemon.lamp.mode === "error", "the box to finish retiring");
    const device = await school.controller.app.devices.require(DEVICE);
    t.equal(device.status, "retired");
    t.ok(device.wipedAt, "the device shows as retired and wiped");
    await school.controller.app.projector.catchUp();
    const audit = await school.controller.app.db.all<{
      actor: string;
      action: string;
      subject: string;
      detail_json: string;
    }>(
      "SELECT actor, action, subject, detail_json FROM audit_log WHERE action IN ('device.retire', 'device.wiped', 'footage.delete') ORDER BY seq",
    );
    t.match(audit, [
      { actor: "it-jo", action: "device.retire", subject: DEVICE },
      { actor: DEVICE, action: "footage.delete", subject: first },
      { actor: DEVICE, action: "footage.delete", subject: second },
      { actor: DEVICE, action: "device.wiped", subject: DEVICE },
    ]);
    t.match(JSON.parse(audit[1]?.detail_json ?? "{}"), { copy: "device", reason: "retired" });
    t.match(JSON.parse(audit[3]?.detail_json ?? "{}"), { recordings: 2, recordingsKnownHere: 2 });
    const left = await school.controller.app.db.all<{
      on_device: number;
      deleted_at: string | null;
    }>("SELECT on_device, deleted_at FROM recordings WHERE device_id = ?", [DEVICE]);
    t.same(
      left.map((r) => [r.on_device, r.deleted_at !== null]),
      [
        [0, true],
        [0, true],
      ],
      "gone from the box, and so gone",
    );

    // the box: nothing recorded, nothing left, lamp in the error pattern, offline for good
    t.equal(box.daemon.session.recording, null, "the recording was stopped");
    t.same(await box.daemon.index.recordings(), [], "no recording in the index");
    t.same(readdirSync(join(dir.path, "buffer")), [], "no footage on disk");
    t.notOk(existsSync(join(dir.path, "controller-config.json")), "no cached schedule");
    t.same(processesMentioning(join(dir.path, "buffer")), [], "no capture process");
    const marker = JSON.parse(readFileSync(join(dir.path, "retired.json"), "utf8")) as Record<
      string,
      unknown
    >;
    t.match(marker, { deviceId: DEVICE, retiredAt: String, wipedAt: String });
    await until(async () => (await box.daemon.outbox.depth()) === 0, "the report acknowledged");
    await until(() => !box.daemon.link.connected, "the box to go offline");
    await box.daemon.press("short");
    t.equal(box.daemon.session.recording, null, "a press records nothing");

    // at its next start it stays retired, and says why
    await box.stop();
    const { logger, lines } = captureLogger("info");
    box = await startBox(settings, { logger: logger });
    t.equal(box.daemon.lamp.mode, "error");
    t.ok(
      lines.some((l) => String(l.msg).startsWith("this box is retired: it does not record")),
      "it logs why",
    );
    await box.daemon.press("short");
    t.equal(box.daemon.session.recording, null);
    await sleep(500);
    t.equal(box.daemon.link.stats.connects, 0, "it does not connect: it has nothing left to say");
    t.equal(await wipes(school), 1, "the wipe is reported exactly once");

    // and the checks say so
    const file = join(dir.path, "..", "device.json");
    writeFileSync(file, JSON.stringify(settings));
    const deviceCheck = await runNode("device/src/main.ts", ["check", "--settings", file]);
    t.equal(deviceCheck.code, 3);
    t.match(
      deviceCheck.stdout,
      /device room-1 is RETIRED \(told .*, buffer wiped .*\): it will not record/,
    );
    const provisionCheck = await provision(["check", file, "--no-connect"], {});
    t.equal(provisionCheck.code, 3);
    t.match(provisionCheck.stdout, /RETIRED: .* says this box was retired at .*, buffer wiped at /);
  },
);

void t.test(
  "a box retired while off wipes at its next start; a cut-short wipe is finished",
  async (t) => {
    const { school, dir, settings } = await retiringSchool(t);
    let box = await startBox(settings);
    t.teardown(() => box.stop());
    await policyOnBox(box);
    await record(box, 2);
    await box.daemon.press("short");
    await box.stop();

    t.equal((await provision(["retire", DEVICE, "--yes"], school.env)).code, 0);
    box = await startBox(settings);
    await eventually(async () => (await wipes(school)) === 1, 20_000, "the wipe report");
    await until(() => box.daemon.lamp.mode === "error", "the box to finish retiring");
    t.same(readdirSync(join(dir.path, "buffer")), []);
    await until(() => !box.daemon.link.connected, "the box to go offline");

    // a wipe cut short by a power cut (marker written, nothing wiped yet): finished at the next start
    await box.stop();
    const again = tempDir();
    t.teardown(again.remove);
    const dataDir = join(again.path, "box");
    const secret = (await school.controller.app.devices.enrol({ id: "room-2", room: "Room 2" }))
      .secret;
    await school.controller.app.custodian.refreshConfig("room-2");
    const settings2 = boxSettings("room-2", secret, school.controller.url, dataDir);
    box = await startBox(settings2);
    await policyOnBox(box);
    const kept = await record(box, 2);
    await box.daemon.press("short");
    await until(async () => (await box.daemon.outbox.depth()) === 0, "the events delivered");
    await box.stop();
    await school.controller.app.devices.retire("room-2");
    writeFileSync(
      join(dataDir, "retired.json"),
      JSON.stringify({ deviceId: "room-2", retiredAt: new Date().toISOString(), wipedAt: null }),
    );
    t.ok(existsSync(join(dataDir, "buffer", kept)), "the footage is still there before the start");
    box = await startBox(settings2);
    t.same(readdirSync(join(dataDir, "buffer")), [], "wiped at start, before connecting");
    t.equal(box.daemon.lamp.mode, "error");
    await eventually(
      async () =>
        (
          await school.controller.app.db.get<{ n: number }>(
            "SELECT count(*) AS n FROM events WHERE device_id = 'room-2' AND kind = 'device.wiped'",
          )
        )?.n === 1,
      20_000,
      "room-2's report",
    );
    await until(() => !box.daemon.link.connected, "room-2 to go offline");
    t.equal(
      (await school.controller.app.devices.require("room-2")).wipedAt !== null,
      true,
      "room-2 shows wiped",
    );

    // a box given a new bundle (a new id) starts afresh
    await box.stop();
    const secret3 = (await school.controller.app.devices.enrol({ id: "room-3", room: "Room 2" }))
      .secret;
    box = await startBox(boxSettings("room-3", secret3, school.controller.url, dataDir));
    await until(() => box.daemon.link.connected, "the re-enrolled box to connect");
    t.not(box.daemon.lamp.mode, "error");
    t.notOk(existsSync(join(dataDir, "retired.json")), "the old id's marker is gone");
  },
);

void t.test(
  "the broker lets a retired device in only to be told, and refuses the rest",
  async (t) => {
    const school = await startProvisionedSchool();
    t.teardown(school.close);
    const { app, url } = school.controller;
    const secret = await school.controller.enrol(DEVICE, "Room 1");
    await app.devices.retire(DEVICE);

    const wrong = await connectDevice(url, DEVICE, wrongSecret(secret)).catch((e: unknown) => e);
    t.match(
      wrong,
      { code: ConnackCode.badUsernameOrPassword },
      "a wrong secret is refused even when retired",
    );

    const client = await connectDevice(url, DEVICE, secret);
    t.teardown(() => client.endAsync(true));
    const received: { topic: string; payload: string }[] = [];
    client.on("message", (topic, payload) => received.push({ topic, payload: payload.toString() }));
    await client.subscribeAsync(deviceSubscriptions(DEVICE), { qos: 1 });
    await eventually(
      () => received.some((m) => m.topic === topics.request(DEVICE, "retire")),
      5000,
      "the notice",
    );
    t.notOk(
      app.broker.connectedDevices().includes(DEVICE),
      "a retired device is never shown connected",
    );

    // its state is ignored; an event other than the wipe report is refused for good
    await client.publishAsync(topics.state(DEVICE), "{}", { qos: 1, retain: true });
    const eventId = randomUUID();
    await client.publishAsync(
      topics.events(DEVICE),
      JSON.stringify({
        id: eventId,
        seq: 1,
        at: new Date().toISOString(),
        kind: "camera.lost",
        data: { detail: "x" },
      }),
      { qos: 1 },
    );
    await eventually(() => received.some((m) => m.topic === topics.ack(DEVICE)), 5000, "the ack");
    t.match(JSON.parse(received.find((m) => m.topic === topics.ack(DEVICE))?.payload ?? "{}"), {
      accepted: [],
      rejected: [{ id: eventId, reason: /retired: only its device\.wiped report is accepted/ }],
    });
    const row = await app.db.get<{ state_json: string | null }>(
      "SELECT state_json FROM devices WHERE id = ?",
      [DEVICE],
    );
    t.equal(row?.state_json, null, "its state was not taken in");
    // answering a request it was never sent closes the connection
    await client.publishAsync(topics.response(DEVICE, "ping"), "{}", { qos: 0 });
    t.ok(await closedWithin(client, 5000), "anything else: disconnected");
  },
);

void t.test("a retired device is disconnected after its grace period", async (t) => {
  const { logger } = captureLogger();
  const published: string[] = [];
  const retired = new RetiredClients({
    publish: (topic) => {
      published.push(topic);
      return Promise.resolve();
    },
    logger,
    now: () => new Date(),
    graceMs: 50,
  });
  let closed = 0;
  const client = { id: DEVICE, close: () => (closed += 1) } as unknown as Client;
  retired.admit(client);
  t.ok(retired.has(client));
  retired.subscribed(client, [topics.config(DEVICE)]);
  t.same(published, [], "not told before it listens for the notice");
  retired.subscribed(client, deviceSubscriptions(DEVICE));
  t.same(published, [topics.request(DEVICE, "retire")], "told once it listens");
  await until(() => closed === 1, "the grace period to end");
  retired.forget(client);
  t.notOk(retired.has(client));
  retired.close();
});
