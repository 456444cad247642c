/**
 * Nothing lost: the controller goes away for a minute while the box records
 * and raises events, and the box itself restarts during that minute.
 * Afterwards every event the box raised is in the controller's database
 * exactly once (its sequence numbers 1..N, each once), and a config changed
 * while the box was cut off is applied when it reconnects.
 */
import t, { type Test } from "tap";
import { startController, tempDir, type TestController } from "../helpers/controller.js";
import { boxDir, boxSettings, startBox, until, type TestBox } from "../helpers/device.js";
import { envInteger } from "../helpers/env.js";

const DEVICE = "room-link";
const AWAY_MS = envInteger("CLASSCAM_TEST_AWAY_MS", 60_000, 1);

async function record(t: Test, box: TestBox, segments: number): Promise<void> {
  await box.daemon.press("short");
  t.equal(box.daemon.session.phase, "recording", "the press started a recording");
  const id = box.daemon.session.recording?.recordingId ?? "";
  await until(
    async () => ((await box.daemon.index.get(id))?.segments ?? 0) >= segments,
    `${segments} segments of ${id}`,
  );
  await box.daemon.press("short");
  t.equal(box.daemon.session.phase, "idle", "the second press stopped it");
}

void t.test(
  "controller away for a minute, box restarted meanwhile: every event exactly once",
  async (t) => {
    const controllerDir = tempDir();
    const box = boxDir();
    t.teardown(() => {
      controllerDir.remove();
      box.remove();
    });
    let controller: TestController = await startController({ dataDir: controllerDir.path });
    const port = controller.port;
    const secret = await controller.enrol(DEVICE);
    await controller.app.policy.update({ bookings: { allowUnbookedRecording: true } }, "system");
    await controller.app.custodian.refreshConfig(DEVICE);
    const settings = boxSettings(DEVICE, secret, controller.url, box.path);

    let device = await startBox(settings);
    await until(() => device.daemon.config.current !== null, "the first config");
    await record(t, device, 2);
    await until(async () => (await device.daemon.outbox.depth()) === 0, "every event acknowledged");

    // the controller goes away
    const awayFrom = Date.now();
    await controller.close();
    await record(t, device, 2);
    await device.daemon.press("long"); // ask to keep the last recording
    t.ok((await device.daemon.outbox.depth()) > 0, "events wait in the outbox while away");

    // the box restarts while the controller is still away
    await device.stop();
    device = await startBox(settings);
    t.ok(device.daemon.config.current?.policy.allowUnbookedRecording, "the cached config survived");
    await record(t, device, 1);
    const waiting = await device.daemon.outbox.depth();
    t.ok(waiting >= 6, `the outbox holds what was raised while away (${waiting})`);
    const rest = AWAY_MS - (Date.now() - awayFrom);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));

    // the controller comes back on the same port with the same database; the
    // school changes the retention while the box is still reconnecting
    controller = await startController({ dataDir: controllerDir.path, port });
    await controller.app.policy.update({ retention: { bufferDays: 3 } }, "system");
    await controller.app.custodian.refreshConfig(DEVICE);
    const wanted = await controller.app.db.get<{ version: number }>(
      "SELECT config_version AS version FROM devices WHERE id = ?",
      [DEVICE],
    );
    await until(
      async () => (await device.daemon.outbox.depth()) === 0,
      "the outbox to drain",
      30_000,
    );
    await until(
      () => device.daemon.config.current?.retention.bufferDays === 3,
      "the changed config applied",
    );
    t.equal(device.daemon.config.current?.version, wanted?.version, "the newest config version");

    const rows = await controller.app.db.all<{ id: string; seq: number; kind: string }>(
      "SELECT id, seq, kind FROM events WHERE device_id = ? ORDER BY seq",
      [DEVICE],
    );
    const seqs = rows.map((row) => row.seq);
    const max = Math.max(...seqs);
    t.same(
      seqs,
      Array.from({ length: max }, (_, i) => i + 1),
      `events 1..${max} each exactly once in the controller's database`,
    );
    const count = (kind: string) => rows.filter((row) => row.kind === kind).length;
    t.equal(count("recording.started"), 3, "three recordings started");
    t.equal(count("recording.stopped"), 3, "three recordings stopped");
    t.equal(count("archive.requested"), 1, "one ask to keep");
    t.equal(count("device.started"), 2, "two starts of the daemon");
    t.ok(count("config.applied") >= 2, "configs applied were reported");
    await controller.app.projector.catchUp(); // events become recordings after the commit
    const recordings = await controller.app.db.all<{ id: string }>(
      "SELECT id FROM recordings WHERE device_id = ?",
      [DEVICE],
    );
    t.equal(recordings.length, 3, "the controller knows the three recordings");

    await device.stop();
    await controller.close();
  },
);
