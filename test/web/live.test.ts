/**
 * The dashboard's live notices (`GET /api/events/stream`, server-sent events)
 * over real HTTP: each person is told about what they may see and nothing
 * else. A recording's notices reach its owner and the school's metadata roles
 * but not another teacher, and reach a coach once it is shared with them;
 * keeping-consent notices reach the staff in the recording only; upload
 * progress reaches the owner as the device uploads; bookings and devices
 * reach everyone. Nobody signed in gets no stream, and signing out ends it.
 *
 * "Was not told" is checked after a marker notice sent to everyone arrives:
 * notices go out in order, so anything due would have come first.
 */
import t from "tap";
import { randomUUID } from "node:crypto";
import { answeringDevice, deviceEvent, deviceFootage, startSchool } from "../helpers/school.js";
import { Listener } from "../helpers/live-listener.js";

const START = new Date("2026-11-23T08:00:00.000Z");

void t.test("each person is told only about what they may see", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const { as } = school;
  const people = ["teacher-a", "teacher-b", "teacher-c", "coach", "bursar"] as const;
  const listen = {} as Record<(typeof people)[number], Listener>;
  for (const id of people) listen[id] = await Listener.open(school, as[id]);
  t.teardown(() => {
    for (const listener of Object.values(listen)) listener.close();
  });
  let markers = 0;
  /** Everyone has had every notice sent before this returns. */
  const everyoneCaughtUp = async () => {
    markers += 1;
    const deviceId = `marker-${markers}`;
    school.app.notices.publish({ topic: "bookings", deviceId });
    for (const listener of Object.values(listen)) {
      await listener.waitFor(`marker ${markers}`, (n) => n.data.deviceId === deviceId);
    }
  };

  // a booking: everyone may read the timetable, so everyone is told
  const booking = await as["teacher-a"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-11-23T09:00:00Z",
    end: "2026-11-23T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
    staff: ["teacher-a", "teacher-b"],
  });
  t.equal(booking.status, 201);
  for (const id of people) {
    await listen[id].waitFor(
      "the booking",
      (n) => n.event === "bookings" && n.data.deviceId === "room-1",
    );
  }
  t.pass("a booking is told to everyone");

  // the device's events make a recording: its owner, the staff in it and the Bursar are told
  const recordingId = randomUUID();
  const { bookingId } = booking.json<{ bookingId: string }>();
  await deviceEvent(
    school.app,
    "room-1",
    "recording.started",
    { recordingId, bookingId, audio: true, encoder: "libx264" },
    new Date("2026-11-23T09:01:00Z"),
  );
  for (const id of ["teacher-a", "teacher-b", "bursar"] as const) {
    await listen[id].waitFor("the recording", (n) => n.data.recordingId === recordingId);
  }
  await everyoneCaughtUp();
  t.same(listen["teacher-c"].about(recordingId), [], "another teacher is not told of it");
  t.same(listen.coach.about(recordingId), [], "nor a coach it is not shared with");

  const { segments, bytes } = await deviceFootage();
  await deviceEvent(
    school.app,
    "room-1",
    "recording.stopped",
    { recordingId, reason: "button", durationSeconds: 2, segments: segments.length, bytes },
    new Date("2026-11-23T09:02:00Z"),
  );
  await listen["teacher-a"].waitFor(
    "the recording stopped",
    () => listen["teacher-a"].about(recordingId).length >= 2,
  );

  // shared with the coach: from then on the coach is told too (a comment, here)
  const shared = await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
    withId: "coach",
  });
  t.equal(shared.status, 201);
  await listen.coach.waitFor("the share", (n) => n.data.recordingId === recordingId);
  const told = listen["teacher-c"].about(recordingId).length;
  const comment = await as.coach.post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 1,
    body: "Nice start.",
  });
  t.equal(comment.status, 201);
  await listen["teacher-a"].waitFor(
    "the coach's comment",
    () => listen["teacher-a"].about(recordingId).length >= 4,
  );
  await everyoneCaughtUp();
  t.equal(told, 0, "teacher C was never told");
  t.same(listen["teacher-c"].about(recordingId), [], "not even now");

  // keeping it: the staff in it are asked (consents), not the coach or the Bursar
  const asked = await as["teacher-a"].post(`/api/recordings/${recordingId}/archive`, {});
  t.equal(asked.status, 200, JSON.stringify(asked.body));
  await listen["teacher-b"].waitFor(
    "the request to keep it",
    (n) => n.event === "consents" && n.data.recordingId === recordingId,
  );
  await everyoneCaughtUp();
  t.same(listen.coach.about(recordingId, "consents"), [], "the coach is not asked");
  t.same(listen.bursar.about(recordingId, "consents"), [], "nor the Bursar");
  t.ok(listen.coach.about(recordingId).length > 0, "the coach still hears the recording changed");

  // the device connects (devices: everyone), is asked for the footage and uploads it
  const device = await answeringDevice(t, school, "room-1");
  for (const id of people) {
    await listen[id].waitFor(
      "the device online",
      (n) => n.event === "devices" && (n.data.deviceIds as string[]).includes("room-1"),
    );
  }
  t.pass("a device's state is told to everyone");
  const agreed = await as["teacher-b"].put(`/api/recordings/${recordingId}/consent`, {
    decision: "agree",
  });
  t.equal(agreed.status, 200);
  const done = await listen["teacher-a"].waitFor(
    "the upload finished",
    (n) => n.event === "upload" && n.data.recordingId === recordingId && n.data.complete === true,
    20_000,
  );
  t.match(done.data, { receivedBytes: bytes, totalBytes: bytes }, "with its progress in bytes");
  t.equal(device.uploaded.length, 1, "the device uploaded it");
  await everyoneCaughtUp();
  t.same(listen["teacher-c"].about(recordingId, "upload"), [], "teacher C hears no upload");
});

void t.test("no stream without a session; signing out ends it", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const anonymous = await fetch(`${school.httpUrl}/api/events/stream`);
  t.equal(anonymous.status, 401, "nobody signed in: refused");
  await anonymous.body?.cancel();

  const mine = await Listener.open(school, school.as["teacher-a"]);
  const colleague = await Listener.open(school, school.as["teacher-b"]);
  t.teardown(() => {
    mine.close();
    colleague.close();
  });
  const cookie = school.as["teacher-a"].cookie ?? "";
  t.equal((await school.as["teacher-a"].delete("/api/session")).status, 200, "signed out");
  await mine.waitFor("the end of the session", (n) => n.event === "signed-out");
  await mine.until(true);
  t.pass("the stream says so and ends");
  t.notOk(colleague.ended, "another person's stream goes on");
  const again = await fetch(`${school.httpUrl}/api/events/stream`, { headers: { cookie } });
  t.equal(again.status, 401, "the old session's cookie opens no new stream");
  await again.body?.cancel();

  // an administrator disables an account: its stream ends at once
  const disabled = await school.as.admin.patch("/api/users/teacher-b", { status: "disabled" });
  t.equal(disabled.status, 200);
  await colleague.until(true);
  t.pass("a disabled account's stream ends");
});

void t.test("a staff import tells the administrator who runs it how far it has got", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const admin = await Listener.open(school, school.as.admin);
  const head = await Listener.open(school, school.as.head);
  t.teardown(() => {
    admin.close();
    head.close();
  });
  const csv = [
    "Name,Username,Roles",
    "A One,imp-1,teacher",
    "B Two,imp-2,teacher",
    "C Three,imp-3,coach",
  ].join("\n");
  const reply = await school.as.admin.post("/api/users/import", { csv, mode: "all-or-nothing" });
  t.equal(reply.status, 201, "imported");
  const told = () =>
    admin.notices.filter((n) => n.event === "staff-import").map((n) => [n.data.done, n.data.total]);
  await admin.waitFor("the import's end", (n) => n.event === "staff-import" && n.data.done === 3);
  t.same(
    told(),
    [
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3],
    ],
    "each one-time password made, in order",
  );

  // everyone else hears nothing of it: a marker sent after it arrives alone
  school.app.notices.publish({ topic: "bookings", deviceId: "marker" });
  await head.waitFor("the marker", (n) => n.data.deviceId === "marker");
  t.same(
    head.notices.filter((n) => n.event === "staff-import"),
    [],
    "the headteacher's stream had no import progress",
  );
});
