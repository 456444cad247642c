// No box trusted beyond itself: an event that names a recording or a booking
// is checked against the box that sent it. Two real device identities on a
// real broker socket; one tries to stop, delete, keep or re-start the other's
// recording, or to record under the other's booking, and is refused each time
// (kept in rejected_messages, named in its ack) while the other box's
// recording stays exactly as its own box reported it. And a box's word that it
// deleted footage under a hold never marks that footage deleted.
import t from "tap";
import { randomUUID } from "node:crypto";
import { startController, type TestController } from "../helpers/controller.js";
import { ackedDevice, type AckedDevice } from "../helpers/acked-device.js";

interface RecordingRow {
  device_id: string;
  ended_at: string | null;
  stop_reason: string | null;
  duration_seconds: number | null;
  segments: number | null;
  bytes: number | null;
  on_device: number;
  deleted_at: string | null;
  archive_state: string;
  booking_id: string | null;
}

async function setup(t: Parameters<typeof ackedDevice>[0]) {
  const controller = await startController();
  t.teardown(() => controller.close());
  const a = await ackedDevice(t, controller, "room-a");
  const b = await ackedDevice(t, controller, "room-b");
  const recording = (id: string) =>
    controller.app.db.get<RecordingRow>(
      `SELECT device_id, ended_at, stop_reason, duration_seconds, segments, bytes, on_device,
         deleted_at, archive_state, booking_id FROM recordings WHERE id = ?`,
      [id],
    );
  return { controller, a, b, recording };
}

/** room-a starts a recording (and, with `stop`, stops it); the projector has applied it. */
async function ownRecording(
  controller: TestController,
  a: AckedDevice,
  stop: boolean,
): Promise<string> {
  const recordingId = randomUUID();
  const started = a.event("recording.started", {
    recordingId,
    bookingId: null,
    audio: true,
    encoder: "libx264",
  });
  if (!(await a.send(started)).accepted) throw new Error("room-a's own start was refused");
  if (stop) {
    const stopped = a.event("recording.stopped", {
      recordingId,
      reason: "button",
      durationSeconds: 2400,
      segments: 600,
      bytes: 900_000_000,
    });
    if (!(await a.send(stopped)).accepted) throw new Error("room-a's own stop was refused");
  }
  await controller.app.projector.catchUp();
  return recordingId;
}

const refusedFor = (controller: TestController, deviceId: string) =>
  controller.app.db.all<{ event_id: string; reason: string }>(
    "SELECT event_id, reason FROM rejected_messages WHERE device_id = ? ORDER BY id",
    [deviceId],
  );

void t.test("a box cannot stop, delete, keep or re-start another box's recording", async (t) => {
  const { controller, a, b, recording } = await setup(t);
  const recordingId = await ownRecording(controller, a, false);
  const before = await recording(recordingId);
  t.match(before, { device_id: "room-a", ended_at: null, on_device: 1, deleted_at: null });

  const forged = [
    b.event("recording.stopped", {
      recordingId,
      reason: "button",
      durationSeconds: 1,
      segments: 1,
      bytes: 1,
    }),
    b.event("recording.deleted", { recordingId, reason: "request", bytes: 1 }),
    b.event("archive.requested", { recordingId }),
    b.event("recording.started", {
      recordingId,
      bookingId: null,
      audio: false,
      encoder: "libx264",
    }),
  ];
  for (const event of forged) {
    const outcome = await b.send(event);
    t.match(
      outcome,
      { accepted: false, reason: /recording .* belongs to another device/ },
      `${event.kind} naming room-a's recording is refused to room-b`,
    );
  }
  await controller.app.projector.catchUp();

  t.same(await recording(recordingId), before, "room-a's recording is untouched");
  const stored = await controller.app.db.all<{ id: string }>(
    "SELECT id FROM events WHERE device_id = 'room-b'",
  );
  t.same(stored, [], "none of room-b's claims is stored as an event");
  t.same(
    (await refusedFor(controller, "room-b")).map((row) => row.event_id),
    forged.map((event) => event.id),
    "each is kept in rejected_messages",
  );
  t.same(
    await controller.app.db.all("SELECT * FROM deletions WHERE recording_id = ?", [recordingId]),
    [],
    "no deletion recorded",
  );
  t.same(
    await controller.app.db.all("SELECT action FROM audit_log WHERE actor = 'room-b'"),
    [],
    "nothing audited in room-b's name",
  );

  // room-a's own word still counts
  const stopped = a.event("recording.stopped", {
    recordingId,
    reason: "button",
    durationSeconds: 2400,
    segments: 600,
    bytes: 900_000_000,
  });
  t.same(await a.send(stopped), { accepted: true });
  await controller.app.projector.catchUp();
  t.match(await recording(recordingId), {
    device_id: "room-a",
    duration_seconds: 2400,
    segments: 600,
    bytes: 900_000_000,
  });
});

void t.test("a box cannot record under, or refuse, another box's booking", async (t) => {
  const { controller, a, b } = await setup(t);
  await controller.app.people.add(
    { id: "teacher-a", displayName: "Ms A", roles: ["teacher"] },
    "test",
  );
  const bookingId = randomUUID();
  const now = Date.now();
  await controller.app.db.transaction((tx) =>
    tx.run(
      `INSERT INTO bookings (id, device_id, teacher_id, start_at, end_at, purpose, staff_json,
         audio, status, do_not_record, created_by, created_at, updated_at)
       VALUES (?, 'room-a', 'teacher-a', ?, ?, 'self-reflection', '["teacher-a"]', 1,
         'confirmed', 0, 'teacher-a', ?, ?)`,
      [
        bookingId,
        new Date(now - 60_000).toISOString(),
        new Date(now + 3_600_000).toISOString(),
        new Date(now).toISOString(),
        new Date(now).toISOString(),
      ],
    ),
  );
  // room-b's own recording is kept (footage the school did not know of would be worse), but
  // never under room-a's booking: no owner, no staff, flagged and audited with the claim
  const foreign = randomUUID();
  const started = b.event("recording.started", {
    recordingId: foreign,
    bookingId,
    audio: true,
    encoder: "libx264",
  });
  t.same(await b.send(started), { accepted: true }, "the box's own recording is stored");
  const refused = b.event("recording.refused", { reason: "lamp-fault", bookingId });
  t.match(await b.send(refused), { accepted: false, reason: /booking .* is for another device/ });
  t.equal(
    (await refusedFor(controller, "room-b")).length,
    1,
    "the refusal kept in rejected_messages",
  );

  const own = a.event("recording.started", {
    recordingId: randomUUID(),
    bookingId,
    audio: true,
    encoder: "libx264",
  });
  t.same(await a.send(own), { accepted: true }, "room-a records under its own booking");
  await controller.app.projector.catchUp();
  const rows = await controller.app.db.all<{
    device_id: string;
    booking_id: string | null;
    owner_id: string | null;
    staff_json: string;
    flag: string | null;
  }>("SELECT device_id, booking_id, owner_id, staff_json, flag FROM recordings ORDER BY device_id");
  t.same(rows, [
    {
      device_id: "room-a",
      booking_id: bookingId,
      owner_id: "teacher-a",
      staff_json: '["teacher-a"]',
      flag: null,
    },
    { device_id: "room-b", booking_id: null, owner_id: null, staff_json: "[]", flag: "unbooked" },
  ]);
  const flagged = await controller.app.db.all<{ actor: string; detail_json: string }>(
    "SELECT actor, detail_json FROM audit_log WHERE action = 'recording.flag' AND subject = ?",
    [foreign],
  );
  t.equal(flagged.length, 1, "the disregarded claim is audited once");
  t.match(JSON.parse(flagged[0]?.detail_json ?? "{}"), { disregardedBooking: bookingId });
  t.equal(flagged[0]?.actor, "room-b");
});

void t.test("a recording's first naming decides its box, even before it is applied", async (t) => {
  const { controller, a, b } = await setup(t);
  const recordingId = randomUUID();
  // room-a's stop arrives before its start (the box's outbox resent out of order)
  const stopped = a.event("recording.stopped", {
    recordingId,
    reason: "button",
    durationSeconds: 60,
    segments: 15,
    bytes: 1000,
  });
  t.same(await a.send(stopped), { accepted: true });
  const theft = b.event("recording.started", {
    recordingId,
    bookingId: null,
    audio: true,
    encoder: "libx264",
  });
  t.match(await b.send(theft), { accepted: false, reason: /another device/ });
  await controller.app.projector.catchUp();
  t.same(
    await controller.app.db.all("SELECT id FROM recordings WHERE device_id = 'room-b'"),
    [],
    "room-b owns nothing",
  );
});

void t.test("a box's word never marks held footage deleted; IT is told of the claim", async (t) => {
  const { controller, a, recording } = await setup(t);
  const recordingId = await ownRecording(controller, a, true);
  await controller.app.db.transaction((tx) =>
    tx.run(
      "INSERT INTO holds (recording_id, placed_by, reason, placed_at) VALUES (?, 'dpo', 'complaint', ?)",
      [recordingId, new Date().toISOString()],
    ),
  );
  const deleted = a.event("recording.deleted", {
    recordingId,
    reason: "retention",
    bytes: 900_000_000,
  });
  t.same(await a.send(deleted), { accepted: true }, "the box's report is kept");
  await controller.app.projector.catchUp();

  t.match(
    await recording(recordingId),
    { on_device: 1, deleted_at: null },
    "the held recording is not marked deleted",
  );
  t.same(
    await controller.app.db.all("SELECT * FROM deletions WHERE recording_id = ?", [recordingId]),
    [],
    "no deletion recorded",
  );
  const alerts = await controller.app.db.all<{ kind: string; detail: string }>(
    "SELECT kind, detail FROM alerts WHERE device_id = 'room-a' AND kind != 'unbooked-recording'",
  );
  t.match(
    alerts,
    [{ kind: "protected-footage-deleted", detail: new RegExp(`${recordingId}.*on hold`) }],
    "IT sees the claim",
  );
  const audited = await controller.app.db.all<{ action: string; subject: string }>(
    "SELECT action, subject FROM audit_log WHERE actor = 'room-a' AND action LIKE 'footage.%'",
  );
  t.same(
    audited,
    [{ action: "footage.delete-disputed", subject: recordingId }],
    "the claim is audited as a claim, not as a deletion",
  );

  // released, the box's next report of the deletion is recorded as usual
  await controller.app.db.transaction((tx) =>
    tx.run("UPDATE holds SET released_at = ?, released_by = 'dpo' WHERE recording_id = ?", [
      new Date().toISOString(),
      recordingId,
    ]),
  );
  const again = a.event("recording.deleted", { recordingId, reason: "retention", bytes: 1 });
  t.same(await a.send(again), { accepted: true });
  await controller.app.projector.catchUp();
  t.match(await recording(recordingId), { on_device: 0, deleted_at: /^\d{4}-/ });
});
