// The booking start rule: the box (its button) and the controller (a recording
// that started) must reach the same verdict and the same latest end for every
// schedule, policy and instant. Random cases from fast-check, replayable by seed.
import t from "tap";
import fc from "fast-check";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { AuditLog, Database, migrate } from "@classcam/controller";
import {
  EARLY_START_MS,
  UNBOOKED_LIMIT_MS,
  decideStart,
  latestEnd,
  type DeviceConfig,
} from "@classcam/protocol";
import { decideBooking } from "../../device/src/session/booking.js";
import { checkStart, deviceSchedule, type Booking } from "../../controller/src/domain/bookings.js";
import { PolicyStore } from "../../controller/src/domain/policy.js";
import { Projector } from "../../controller/src/domain/projector.js";
import { captureLogger, tempDir } from "../helpers/controller.js";

const NOW = Date.parse("2026-11-23T08:00:00.000Z");
const MINUTE = 60_000;
const SLOT = 5 * MINUTE;

/** Non-overlapping bookings on one device (most confirmed), often back to back, in a random order. */
const bookingsArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 4 }),
      length: fc.integer({ min: 1, max: 12 }),
      audio: fc.boolean(),
      status: fc.constantFrom("confirmed", "confirmed", "confirmed", "cancelled", "draft"),
    }),
    { maxLength: 6 },
  )
  .chain((slots) => {
    let at = NOW + 60 * MINUTE;
    const bookings = slots.map(({ gap, length, audio, status }, i): Booking => {
      const start = at + gap * SLOT;
      at = start + length * SLOT;
      return {
        bookingId: `b${i}`,
        deviceId: "room-1",
        teacherId: "t.smith",
        start: new Date(start).toISOString(),
        end: new Date(at).toISOString(),
        purpose: "coaching",
        staff: ["t.smith"],
        audio,
        status,
        doNotRecordPupils: false,
        mitigation: null,
      };
    });
    return fc.shuffledSubarray(bookings, { minLength: bookings.length });
  });

/** An instant: anywhere in the day, or within a few minutes of a booking's edge. */
function instantArb(bookings: readonly Booking[]): fc.Arbitrary<number> {
  const anywhere = fc.integer({ min: NOW, max: NOW + 10 * 60 * MINUTE });
  const edges = bookings.flatMap((b) => [Date.parse(b.start), Date.parse(b.end)]);
  if (edges.length === 0) return anywhere;
  const nearEdge = fc
    .tuple(fc.constantFrom(...edges), fc.integer({ min: -3 * MINUTE, max: 3 * MINUTE }))
    .map(([edge, delta]) => edge + delta);
  const onEdge = fc
    .tuple(fc.constantFrom(...edges), fc.constantFrom(-2 * MINUTE - 1, -2 * MINUTE, -1, 0, 1))
    .map(([edge, delta]) => edge + delta);
  return fc.oneof(anywhere, nearEdge, onEdge);
}

const caseArb = bookingsArb.chain((bookings) =>
  fc.record({
    bookings: fc.constant(bookings),
    allowUnbookedRecording: fc.boolean(),
    at: instantArb(bookings),
  }),
);

interface Outcome {
  allowed: boolean;
  bookingId: string | null;
  endsAt: string | null;
}

/** The box: what its button does with the schedule the controller sent it. */
function box(
  bookings: readonly Booking[],
  allowUnbookedRecording: boolean,
  at: number,
  deviceId = "room-1",
): Outcome {
  const issuedAt = new Date(NOW);
  const config: DeviceConfig = {
    version: 1,
    issuedAt: issuedAt.toISOString(),
    room: "Room 1",
    schedule: deviceSchedule(bookings, deviceId, issuedAt),
    retention: { bufferDays: 7 },
    policy: { allowUnbookedRecording },
    masks: [],
    holds: [],
  };
  const decision = decideBooking(config, new Date(at));
  return decision.allowed
    ? {
        allowed: true,
        bookingId: decision.booking?.bookingId ?? null,
        endsAt: decision.endsAt.toISOString(),
      }
    : { allowed: false, bookingId: null, endsAt: null };
}

/** The controller: its start check over the device's bookings, as stored (any status, any order). */
function controller(
  bookings: readonly Booking[],
  allowUnbookedRecording: boolean,
  at: number,
): Outcome {
  const check = checkStart(bookings, { allowUnbookedRecording }, new Date(at));
  return check.allowed
    ? {
        allowed: true,
        bookingId: check.booking?.bookingId ?? null,
        endsAt: check.endsAt.toISOString(),
      }
    : { allowed: false, bookingId: null, endsAt: null };
}

void t.test("box and controller reach the same verdict and the same end", async (t) => {
  fc.assert(
    fc.property(caseArb, ({ bookings, allowUnbookedRecording, at }) => {
      const fromBox = box(bookings, allowUnbookedRecording, at);
      const fromController = controller(bookings, allowUnbookedRecording, at);
      if (JSON.stringify(fromBox) !== JSON.stringify(fromController)) {
        throw new Error(
          `at ${new Date(at).toISOString()}: box ${JSON.stringify(fromBox)}, ` +
            `controller ${JSON.stringify(fromController)}`,
        );
      }
    }),
    { numRuns: 2000 },
  );
  t.pass("2000 random schedules, policies and instants");
});

void t.test(
  "the controller's projector files a recording that started under the booking the box chose",
  async (t) => {
    const dir = tempDir();
    const db = await Database.open(join(dir.path, "c.sqlite"));
    t.teardown(async () => {
      await db.close();
      dir.remove();
    });
    await migrate(db);
    const audit = new AuditLog(db);
    const policy = new PolicyStore(db, audit);
    const projector = new Projector(db, audit, policy, captureLogger().logger);
    const stamp = new Date(NOW).toISOString();
    await db.transaction((tx) =>
      tx.run(
        "INSERT INTO users (id, display_name, roles_json, password_hash, status, created_at, " +
          "password_changed_at) VALUES ('t.smith', 'T Smith', '[\"teacher\"]', 'x', 'active', ?, ?)",
        [stamp, stamp],
      ),
    );
    let run = 0;
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ bookings, allowUnbookedRecording, at }) => {
        // each case on a device of its own, its bookings stored in the drawn (random) order
        run += 1;
        const deviceId = `room-${run}`;
        const stored = bookings.map((b) => ({
          ...b,
          deviceId,
          bookingId: `${deviceId}-${b.bookingId}`,
        }));
        await policy.update({ bookings: { allowUnbookedRecording } }, "test");
        await db.transaction(async (tx) => {
          await tx.run(
            "INSERT INTO devices (id, room, secret_hash, status, enrolled_at, status_changed_at, " +
              "config_json, config_version) VALUES (?, 'Room', 'x', 'active', ?, ?, '{}', 1)",
            [deviceId, stamp, stamp],
          );
          for (const b of stored) {
            await tx.run(
              "INSERT INTO bookings (id, device_id, teacher_id, start_at, end_at, purpose, staff_json, " +
                "audio, status, do_not_record, created_by, created_at, updated_at) " +
                "VALUES (?, ?, 't.smith', ?, ?, 'coaching', '[\"t.smith\"]', ?, ?, 0, 't.smith', ?, ?)",
              [b.bookingId, deviceId, b.start, b.end, b.audio ? 1 : 0, b.status, stamp, stamp],
            );
          }
        });
        const fromBox = box(stored, allowUnbookedRecording, at, deviceId);
        // one recording named as the box names it, one from a box that named no booking
        const named = randomUUID();
        const unnamed = randomUUID();
        for (const [recordingId, bookingId] of [
          [named, fromBox.bookingId],
          [unnamed, null],
        ] as const) {
          seq += 1;
          await db.transaction((tx) =>
            tx.run(
              "INSERT INTO events (id, device_id, seq, kind, occurred_at, received_at, data_json) " +
                "VALUES (?, ?, ?, 'recording.started', ?, ?, ?)",
              [
                randomUUID(),
                deviceId,
                seq,
                new Date(at).toISOString(),
                stamp,
                JSON.stringify({ recordingId, bookingId, audio: false, encoder: "libx264" }),
              ],
            ),
          );
        }
        await projector.catchUp();
        const rows = await db.all<{ id: string; booking_id: string | null; flag: string | null }>(
          "SELECT id, booking_id, flag FROM recordings WHERE device_id = ?",
          [deviceId],
        );
        const expected = {
          booking_id: fromBox.bookingId,
          flag: fromBox.allowed ? null : "unbooked",
        };
        for (const id of [named, unnamed]) {
          const row = rows.find((r) => r.id === id);
          const got = { booking_id: row?.booking_id ?? null, flag: row?.flag ?? null };
          if (row === undefined || JSON.stringify(got) !== JSON.stringify(expected)) {
            throw new Error(
              `at ${new Date(at).toISOString()} (${id === named ? "named" : "unnamed"}): ` +
                `box ${JSON.stringify(fromBox)}, controller ${JSON.stringify(row)}`,
            );
          }
        }
      }),
      { numRuns: 150 },
    );
    t.pass("150 random schedules, policies and instants through the projector");
  },
);

void t.test("the rule alone: back to back, bad times, the latest end", async (t) => {
  const slot = (bookingId: string, start: string, end: string) => ({
    bookingId,
    start: `2026-11-23T${start}:00.000Z`,
    end: `2026-11-23T${end}:00.000Z`,
    audio: true,
  });
  const first = slot("first", "09:00", "10:00");
  const next = slot("next", "10:00", "11:00");
  const refused = { allowUnbookedRecording: false };
  const at = (time: string) => new Date(`2026-11-23T${time}.000Z`);
  t.match(
    decideStart([next, first], refused, at("09:59:00")),
    { reason: "booked", booking: { bookingId: "first" }, endsAt: at("10:00:00") },
    "in the last minutes of one booking and the early window of the next: the one in progress",
  );
  t.match(
    decideStart([next, first], refused, at("10:00:00")),
    { booking: { bookingId: "next" }, endsAt: at("11:00:00") },
    "at the next one's start: the next one",
  );
  t.match(
    decideStart(
      [slot("b", "09:00", "10:00"), slot("a", "09:00", "09:30")],
      refused,
      at("09:10:00"),
    ),
    { booking: { bookingId: "a" } },
    "overlapping bookings with one start: the smaller id, whatever the order",
  );
  t.match(
    decideStart([{ ...first, start: "9 o'clock" }], refused, at("09:30:00")),
    { allowed: false, reason: "no-booking" },
    "a booking whose start is not an ISO date covers nothing",
  );
  t.same(latestEnd(at("09:15:00"), null), at("10:15:00"), "unbooked: an hour after the start");
  t.same(latestEnd(at("09:15:00"), first.end), at("10:00:00"), "booked: the booking's end");
  t.equal(UNBOOKED_LIMIT_MS, 60 * MINUTE);
  t.equal(EARLY_START_MS, 2 * MINUTE);
});
