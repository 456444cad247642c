// An event the projector cannot apply is applied whole or not at all: its
// partial writes are undone, it is kept in quarantine with the reason, IT is
// alerted, the events after it still apply (those of the same recording wait
// behind it, in order), and after an upgrade `classcam-controller events
// retry` (a real process on the same data folder) applies it exactly once.
//
// The fault is a trigger in the test's database that makes one statement fail,
// as a bug or an unexpected row would; dropping the trigger is "the upgrade".
import t from "tap";
import { randomUUID } from "node:crypto";
import {
  ControllerProcess,
  startController,
  tempDir,
  type TestController,
} from "../helpers/controller.js";
import { ackedDevice, type AckedDevice } from "../helpers/acked-device.js";

interface Quarantined {
  event_id: string;
  device_id: string;
  kind: string;
  reason: string;
  attempts: number;
}

async function setup(t: Parameters<typeof ackedDevice>[0]) {
  const dir = tempDir();
  t.teardown(dir.remove);
  const controller = await startController({ dataDir: dir.path });
  t.teardown(() => controller.close());
  const box = await ackedDevice(t, controller, "room-q");
  const cli = new ControllerProcess(dir.path, controller.port);
  const db = controller.app.db;
  return {
    controller,
    box,
    db,
    /** `classcam-controller events retry` as its own process, on the same database. */
    retry: () => cli.cli(["events", "retry"]),
    fault: (sql: string) => db.transaction((tx) => tx.exec(sql)),
    quarantine: () =>
      db.all<Quarantined>(
        `SELECT q.event_id, q.device_id, e.kind, q.reason, q.attempts
         FROM event_quarantine q JOIN events e ON e.id = q.event_id ORDER BY e.rowid`,
      ),
    recording: (id: string) =>
      db.get<{ ended_at: string | null; on_device: number; deleted_at: string | null }>(
        "SELECT ended_at, on_device, deleted_at FROM recordings WHERE id = ?",
        [id],
      ),
  };
}

async function send(box: AckedDevice, ...events: Parameters<AckedDevice["send"]>[0][]) {
  for (const event of events) {
    const outcome = await box.send(event);
    if (!outcome.accepted) throw new Error(`refused: ${outcome.reason}`);
  }
}

const started = (box: AckedDevice, recordingId: string) =>
  box.event("recording.started", { recordingId, bookingId: null, audio: true, encoder: "x264" });
const stopped = (box: AckedDevice, recordingId: string) =>
  box.event("recording.stopped", {
    recordingId,
    reason: "button",
    durationSeconds: 60,
    segments: 15,
    bytes: 5000,
  });
const deleted = (box: AckedDevice, recordingId: string) =>
  box.event("recording.deleted", { recordingId, reason: "retention", bytes: 5000 });

const catchUp = (controller: TestController) => controller.app.projector.catchUp();

void t.test(
  "a failing event is undone whole, kept, and applied once by 'events retry'",
  async (t) => {
    const { controller, box, db, retry, fault, quarantine, recording } = await setup(t);
    const first = randomUUID();
    const second = randomUUID();
    // the deletion's second statement fails, after its first changed the recording
    await fault(`CREATE TRIGGER test_fault BEFORE INSERT ON deletions
    BEGIN SELECT RAISE(ABORT, 'injected fault: deletions refused'); END`);
    const deletion = deleted(box, first);
    await send(box, started(box, first), stopped(box, first), deletion);
    await send(box, started(box, second), stopped(box, second));
    await catchUp(controller);

    t.match(
      await recording(first),
      { ended_at: /^\d{4}/, on_device: 1, deleted_at: null },
      "none of its writes stayed (no half-applied deletion)",
    );
    t.match(
      await quarantine(),
      [{ event_id: deletion.id, device_id: "room-q", reason: /injected fault: deletions refused/ }],
      "the failed event is in quarantine with its reason",
    );
    t.same(await db.all("SELECT id FROM deletions"), []);
    t.same(await db.all("SELECT seq FROM audit_log WHERE action = 'footage.delete'"), []);
    t.match(await recording(second), { ended_at: /^\d{4}/ }, "the events after it were applied");
    const alerts = await db.all<{ detail: string }>(
      "SELECT detail FROM alerts WHERE kind = 'event-quarantined' AND cleared_at IS NULL",
    );
    t.match(alerts, [{ detail: /recording\.deleted.*events retry/ }], "IT is alerted");

    // not upgraded yet: it fails again, with its new reason, and stays
    await fault(`DROP TRIGGER test_fault; CREATE TRIGGER test_fault BEFORE INSERT ON deletions
    BEGIN SELECT RAISE(ABORT, 'injected fault, second time'); END`);
    const failing = await retry();
    t.equal(failing.code, 1, failing.stderr);
    t.match(failing.stdout, /0 applied; 1 still failing/);
    t.match(failing.stdout, new RegExp(`${deletion.id} .*second time`));
    t.match(await quarantine(), [{ reason: /second time/, attempts: 2 }]);
    t.equal((await recording(first))?.on_device, 1, "still nothing half-applied");

    // upgraded: applied, exactly once
    await fault("DROP TRIGGER test_fault");
    const fixed = await retry();
    t.equal(fixed.code, 0, fixed.stderr);
    t.match(fixed.stdout, /1 applied; 0 still failing/);
    t.same(await quarantine(), [], "it left quarantine");
    t.match(await recording(first), { on_device: 0, deleted_at: /^\d{4}/ });
    t.equal((await db.all("SELECT id FROM deletions")).length, 1, "one deletion");
    t.equal(
      (await db.all("SELECT seq FROM audit_log WHERE action = 'footage.delete'")).length,
      1,
      "audited once",
    );
    t.same(
      await db.all("SELECT id FROM alerts WHERE kind = 'event-quarantined' AND cleared_at IS NULL"),
      [],
      "the alert is cleared once nothing is left in quarantine",
    );
    const again = await retry();
    t.equal(again.code, 0);
    t.match(again.stdout, /nothing in quarantine/);
    await catchUp(controller);
    t.equal((await db.all("SELECT id FROM deletions")).length, 1, "still one deletion");
  },
);

void t.test("a recording's later events wait behind its quarantined one, in order", async (t) => {
  const { controller, box, fault, quarantine, recording, retry } = await setup(t);
  const id = randomUUID();
  await fault(`CREATE TRIGGER test_fault BEFORE UPDATE OF ended_at ON recordings
    BEGIN SELECT RAISE(ABORT, 'injected fault: stop refused'); END`);
  const stop = stopped(box, id);
  const deletion = deleted(box, id);
  await send(box, started(box, id), stop, deletion);
  await catchUp(controller);
  t.match(await quarantine(), [
    { event_id: stop.id, reason: /stop refused/ },
    { event_id: deletion.id, reason: new RegExp(`waits for event ${stop.id}`) },
  ]);
  t.match(await recording(id), { ended_at: null, on_device: 1 }, "neither is applied");

  await fault("DROP TRIGGER test_fault");
  const result = await retry();
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /2 applied; 0 still failing/);
  t.match(
    await recording(id),
    { ended_at: /^\d{4}/, on_device: 0, deleted_at: /^\d{4}/ },
    "stopped, then deleted",
  );
});

void t.test("an event that slipped past ingest naming another box's recording", async (t) => {
  const { controller, box, db, quarantine, recording } = await setup(t);
  await db.transaction((tx) =>
    tx.run(
      "INSERT INTO devices (id, room, secret_hash, status, enrolled_at, status_changed_at, config_json, config_version) " +
        "SELECT 'room-other', 'Other', secret_hash, status, enrolled_at, status_changed_at, config_json, config_version " +
        "FROM devices WHERE id = 'room-q'",
    ),
  );
  const id = randomUUID();
  await send(box, started(box, id));
  await catchUp(controller);
  // as an event stored before this check existed would be
  const forged = randomUUID();
  await db.transaction((tx) =>
    tx.run(
      `INSERT INTO events (id, device_id, seq, kind, occurred_at, received_at, data_json)
       VALUES (?, 'room-other', 1, 'recording.deleted', ?, ?, ?)`,
      [
        forged,
        new Date().toISOString(),
        new Date().toISOString(),
        JSON.stringify({ recordingId: id, reason: "request", bytes: 1 }),
      ],
    ),
  );
  await catchUp(controller);
  t.match(await recording(id), { on_device: 1, deleted_at: null }, "not applied");
  t.match(await quarantine(), [
    { event_id: forged, device_id: "room-other", reason: /belongs to device 'room-q'/ },
  ]);
});
