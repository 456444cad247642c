// Masks per booking (issue 19) through the API: validated, kept, shown, audited, sent to the
// box with the booking, named by the do-not-record mitigation, fixed once a recording exists;
// the box's refusal to record a booking it cannot mask is an alert.
import t from "tap";
import { randomUUID } from "node:crypto";
import { topics } from "@classcam/protocol";
import {
  MAX_SCHEDULE_MASKS,
  scheduleMasksProblem,
  type Booking,
} from "../../controller/src/domain/bookings.js";
import { answeringDevice, deviceEvent, startSchool, type School } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");
const SEAT = { x: 0.6, y: 0.55, width: 0.12, height: 0.2 };
const WINDOW = { x: 0, y: 0.1, width: 0.1, height: 0.3 };
const LESSON = {
  deviceId: "room-1",
  start: "2026-11-24T09:00:00Z",
  end: "2026-11-24T10:00:00Z",
  purpose: "coaching",
  classCode: "7A1",
};

interface BookingReply {
  bookingId: string;
  masks: unknown[];
  mitigation: { kind: string; note: string } | null;
}

async function scheduleOf(school: School): Promise<Record<string, unknown>[]> {
  await school.app.custodian.refreshConfig("room-1");
  const row = await school.app.db.get<{ config_json: string }>(
    "SELECT config_json FROM devices WHERE id = 'room-1'",
  );
  return (JSON.parse(row?.config_json ?? "{}") as { schedule: Record<string, unknown>[] }).schedule;
}

async function audited(school: School, action: string, subject: string) {
  const rows = await school.app.db.all<{ detail_json: string }>(
    "SELECT detail_json FROM audit_log WHERE action = ? AND subject = ? ORDER BY seq",
    [action, subject],
  );
  return rows.map((row) => JSON.parse(row.detail_json) as Record<string, unknown>);
}

void t.test(
  "a booking's masks: refused with the reason when they are not rectangles on the picture",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(() => school.close());
    const rows: [string, unknown, RegExp][] = [
      ["off the picture", [{ ...SEAT, x: 1.4 }], /masks\/0\/x must be <= 1/],
      ["no width", [{ ...SEAT, width: 0 }], /masks\/0\/width must be > 0/],
      ["not a rectangle", [{ x: 0.1, y: 0.1 }], /masks\/0 must have required property 'width'/],
      ["a stray field", [{ ...SEAT, blur: true }], /masks\/0 must NOT have additional properties/],
      [
        "seventeen",
        Array.from({ length: 17 }, () => SEAT),
        /masks must NOT have more than 16 items/,
      ],
      ["not a list", "the back row", /masks must be array/],
    ];
    for (const [what, masks, message] of rows) {
      const made = await school.as["teacher-a"].post("/api/bookings", { ...LESSON, masks });
      t.equal(made.status, 400, `${what}: refused`);
      t.match(made.json<{ message: string }>().message, message, `${what}: says why`);
    }
    const count = await school.app.db.get<{ n: number }>("SELECT count(*) AS n FROM bookings");
    t.equal(count?.n, 0, "nothing was booked");
  },
);

void t.test("a booking's masks are kept, shown, audited and sent to the box", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const plain = await school.as["teacher-a"].post("/api/bookings", LESSON);
  t.equal(plain.status, 201);
  t.same(plain.json<BookingReply>().masks, [], "a booking without masks has none");

  const made = await school.as["teacher-a"].post("/api/bookings", {
    ...LESSON,
    start: "2026-11-24T11:00:00Z",
    end: "2026-11-24T12:00:00Z",
    masks: [SEAT, WINDOW],
  });
  t.equal(made.status, 201, JSON.stringify(made.body));
  const { bookingId } = made.json<BookingReply>();
  t.same(made.json<BookingReply>().masks, [SEAT, WINDOW], "the booking made has them");
  const read = await school.as.coach.get(`/api/bookings/${bookingId}`);
  t.same(read.json<BookingReply>().masks, [SEAT, WINDOW], "its page shows them");
  const [created] = await audited(school, "booking.create", bookingId);
  t.same((created?.booking as { masks?: unknown }).masks, [SEAT, WINDOW], "audited");

  const schedule = await scheduleOf(school);
  t.same(
    schedule.map((entry) => entry.masks),
    [undefined, [SEAT, WINDOW]],
    "the box's schedule carries the booking's masks (none for the plain one)",
  );

  const amended = await school.as["teacher-a"].patch(`/api/bookings/${bookingId}`, {
    masks: [SEAT],
  });
  t.equal(amended.status, 200, "changed before it starts");
  t.same(amended.json<BookingReply>().masks, [SEAT]);
  const [change] = await audited(school, "booking.amend", bookingId);
  t.same(
    [(change?.before as { masks?: unknown }).masks, (change?.after as { masks?: unknown }).masks],
    [[SEAT, WINDOW], [SEAT]],
    "the change is audited, before and after",
  );
  t.same((await scheduleOf(school))[1]?.masks, [SEAT], "and the box gets the new masks");
});

void t.test("the do-not-record mitigation can name the booking's masks", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  await school.as.slt.patch("/api/policy", { doNotRecordClasses: ["9X2"] });
  const mitigation = { kind: "booking-masks", note: "the pupil by the window is masked" };
  const without = await school.as["teacher-a"].post("/api/bookings", {
    ...LESSON,
    classCode: "9X2",
    mitigation,
  });
  t.equal(without.status, 400, "masks named but none drawn: refused");
  t.match(
    without.json<{ message: string }>().message,
    /the mitigation is 'masks on this booking' but the booking has no masks/,
  );
  const made = await school.as["teacher-a"].post("/api/bookings", {
    ...LESSON,
    classCode: "9X2",
    mitigation,
    masks: [WINDOW],
  });
  t.equal(made.status, 201, JSON.stringify(made.body));
  const booking = made.json<BookingReply>();
  t.same(booking.mitigation, mitigation, "confirmed with the masks as its mitigation");
  t.same((await scheduleOf(school))[0]?.masks, [WINDOW], "the box burns them in");
  const cleared = await school.as["teacher-a"].patch(`/api/bookings/${booking.bookingId}`, {
    masks: [],
  });
  t.equal(cleared.status, 400, "the masks the mitigation names cannot be taken away");
});

void t.test("once a recording exists under a booking its masks are fixed", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const made = await school.as["teacher-a"].post("/api/bookings", {
    ...LESSON,
    start: "2026-11-23T09:00:00Z",
    end: "2026-11-23T10:00:00Z",
    masks: [SEAT],
  });
  t.equal(made.status, 201, JSON.stringify(made.body));
  const { bookingId } = made.json<BookingReply>();
  // the teacher presses the button two minutes early: the recording is under the booking
  school.clock.advance(59 * 60_000);
  await deviceEvent(
    school.app,
    "room-1",
    "recording.started",
    { recordingId: randomUUID(), bookingId, audio: true, encoder: "libx264" },
    school.clock.now,
  );
  const refused = await school.as["teacher-a"].patch(`/api/bookings/${bookingId}`, {
    masks: [SEAT, WINDOW],
  });
  t.equal(refused.status, 409, "refused");
  t.match(
    refused.json<{ message: string }>().message,
    /a recording was made under this booking .* so its masks are fixed: they are burned into that footage/,
  );
  t.same(
    (await school.as["teacher-a"].get(`/api/bookings/${bookingId}`)).json<BookingReply>().masks,
    [SEAT],
    "the masks are as they were",
  );
  const other = await school.as["teacher-a"].patch(`/api/bookings/${bookingId}`, { audio: false });
  t.equal(other.status, 200, "the rest of a booking not yet started may still change");
  await school.advance(5 * 60_000);
  const started = await school.as["teacher-a"].patch(`/api/bookings/${bookingId}`, { masks: [] });
  t.equal(started.status, 409, "after the start: refused too");
});

void t.test("a booking the box would not record unmasked is an alert for IT", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const bookingId = randomUUID();
  await deviceEvent(
    school.app,
    "room-1",
    "recording.refused",
    { reason: "masks-unusable", bookingId },
    school.clock.now,
  );
  await deviceEvent(
    school.app,
    "room-1",
    "recording.refused",
    { reason: "no-booking", bookingId: null },
    school.clock.now,
  );
  const alerts = (await school.as.it.get("/api/alerts")).json<{ kind: string; detail: string }[]>();
  t.same(
    alerts.map((alert) => alert.kind),
    ["booking-masks-unusable"],
    "one alert: the booking not recorded (a press outside a booking is none)",
  );
  t.match(
    alerts[0]?.detail,
    new RegExp(`booking ${bookingId} was not recorded: the box could not burn in its masks`),
  );
});

void t.test(
  "whoever may change a booking asks the box for its room's picture, as the rule says",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(() => school.close());
    await school.as.slt.patch("/api/policy", { doNotRecordClasses: ["9X2"] });
    const box = await answeringDevice(t, school, "room-1");
    // it answers a self-test too (the helper's box listens for uploads and deletions only)
    await box.device.subscribeAsync(topics.request("room-1", "self-test"), { qos: 1 });
    const listedClass = await school.as["teacher-a"].post("/api/bookings", {
      ...LESSON,
      classCode: "9X2",
      status: "draft",
    });
    t.equal(listedClass.status, 201, JSON.stringify(listedClass.body));
    const { bookingId } = listedClass.json<BookingReply>();
    const plain = await school.as["teacher-a"].post("/api/bookings", {
      ...LESSON,
      start: "2026-11-24T11:00:00Z",
      end: "2026-11-24T12:00:00Z",
    });
    const picture = (who: "teacher-a" | "teacher-b", id: string) =>
      school.as[who].post(`/api/bookings/${id}/picture`);

    const colleague = await picture("teacher-b", bookingId);
    t.equal(colleague.status, 403, "a colleague who may not change it: refused");
    const noPupil = await picture("teacher-a", plain.json<BookingReply>().bookingId);
    t.equal(noPupil.status, 409, "a class with no pupil on the list: refused");
    t.match(noPupil.json<{ message: string }>().message, /no pupil on the do-not-record list/);
    t.same(box.requests, [], "the box was not asked for either");

    // the box answers without a picture (this test box has no camera): the ask reached it, audited
    const asked = await picture("teacher-a", bookingId);
    t.same(
      box.requests.map((request) => [request.op, request.args]),
      [["self-test", { picture: true }]],
      "the box is asked for a picture",
    );
    t.equal(asked.status, 409);
    t.match(asked.json<{ message: string }>().message, /sent no picture/);
    const entries = await school.app.db.all<{ actor: string; detail_json: string }>(
      "SELECT actor, detail_json FROM audit_log WHERE action = 'device.picture' AND subject = 'room-1'",
    );
    t.match(
      entries.map((entry) => ({
        actor: entry.actor,
        ...(JSON.parse(entry.detail_json) as Record<string, unknown>),
      })),
      [{ actor: "teacher-a", purpose: "masks on a booking", bookingId, ok: false }],
      "audited: who, which booking, and that none came",
    );
  },
);

void t.test("a box's schedule carries at most so many masks of bookings", async (t) => {
  const at = (day: number) => new Date(Date.UTC(2026, 10, 24 + day, 9)).toISOString();
  const booking = (id: string, day: number, masks: number, over: Partial<Booking> = {}) => ({
    bookingId: id,
    deviceId: "room-1",
    teacherId: "teacher-a",
    start: at(day),
    end: at(day).replace("T09", "T10"),
    purpose: "coaching" as const,
    staff: ["teacher-a"],
    audio: false,
    status: "confirmed" as const,
    doNotRecordPupils: true,
    mitigation: null,
    masks: Array.from({ length: masks }, () => SEAT),
    ...over,
  });
  const full = Array.from({ length: 16 }, (_, day) => booking(`b${day}`, day, 16));
  t.equal(scheduleMasksProblem(booking("new", 30, 16), full), null, "weeks away: fits");
  t.equal(scheduleMasksProblem(booking("b3", 3, 16), full), null, "itself is not counted twice");
  t.equal(scheduleMasksProblem(booking("new", 20, 0), full), null, "a booking without masks");
  const near = full.slice(0, 15);
  t.equal(
    scheduleMasksProblem(booking("new", 7, 16), near),
    null,
    `${MAX_SCHEDULE_MASKS} in all: fits`,
  );
  t.match(
    scheduleMasksProblem(booking("new", 7, 17), near),
    /would carry 257 masks of bookings within 14 days of this one; at most 256 reach the box/,
  );
  const cancelled = near.map((b) => ({ ...b, status: "cancelled" as const }));
  t.equal(scheduleMasksProblem(booking("new", 7, 17), cancelled), null, "cancelled ones not");
  const otherBox = near.map((b) => ({ ...b, deviceId: "room-2" }));
  t.equal(scheduleMasksProblem(booking("new", 7, 17), otherBox), null, "another box's not");

  // through the API: the booking that would be one too many is refused, saying why
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  for (let day = 0; day < 16; day += 1) {
    const made = await school.as["teacher-a"].post("/api/bookings", {
      ...LESSON,
      start: at(day),
      end: at(day).replace("T09", "T10"),
      masks: Array.from({ length: 16 }, () => SEAT),
    });
    t.equal(made.status, 201, `day ${day}: 16 masks`);
  }
  const tooMany = await school.as["teacher-a"].post("/api/bookings", {
    ...LESSON,
    start: at(7).replace("T09", "T11"),
    end: at(7).replace("T09", "T12"),
    masks: [SEAT],
  });
  t.equal(tooMany.status, 400);
  t.match(tooMany.json<{ message: string }>().message, /would carry 257 masks/);
});
