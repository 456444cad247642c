// Booking rules, table-driven, with a fixed clock.
import t from "tap";
import {
  DEFAULT_BOOKING_POLICY,
  bookingProblems,
  checkStart,
  deviceSchedule,
  type Booking,
} from "../../controller/src/domain/bookings.js";

const NOW = new Date("2026-11-23T08:00:00.000Z");

const booking = (over: Partial<Booking> = {}): Booking => ({
  bookingId: "b1",
  deviceId: "room-1",
  teacherId: "t.smith",
  start: "2026-11-23T09:00:00.000Z",
  end: "2026-11-23T10:00:00.000Z",
  purpose: "coaching",
  staff: ["t.smith", "c.jones"],
  audio: true,
  status: "confirmed",
  doNotRecordPupils: false,
  mitigation: null,
  ...over,
});

void t.test("a booking that follows every rule has no problems", async (t) => {
  t.same(bookingProblems(booking(), [], DEFAULT_BOOKING_POLICY, NOW), []);
});

void t.test("each broken rule is named", async (t) => {
  const rows: [string, Partial<Booking>, RegExp][] = [
    ["no purpose", { purpose: "" as Booking["purpose"] }, /purpose must be one of self-reflection/],
    ["unknown purpose", { purpose: "marketing" as Booking["purpose"] }, /purpose must be one of/],
    ["end before start", { end: "2026-11-23T08:30:00.000Z" }, /end must be after start/],
    ["empty slot", { end: "2026-11-23T09:00:00.000Z" }, /end must be after start/],
    ["too long", { end: "2026-11-23T11:30:00.000Z" }, /at most 120 minutes \(this one is 150\)/],
    [
      "in the past",
      { start: "2026-11-23T06:00:00.000Z", end: "2026-11-23T07:00:00.000Z" },
      /in the past/,
    ],
    ["not a date", { start: "next Tuesday" }, /start 'next Tuesday' is not a date and time/],
    ["teacher not in staff", { staff: ["c.jones"] }, /the teacher must be among the staff/],
    ["staff twice", { staff: ["t.smith", "t.smith"] }, /staff lists someone twice/],
    [
      "do-not-record without mitigation",
      { doNotRecordPupils: true },
      /do-not-record list: state the mitigation \(camera-position, privacy-mask, audio-off, booking-masks\)/,
    ],
    [
      "audio-off mitigation but audio on",
      { doNotRecordPupils: true, mitigation: { kind: "audio-off", note: "mic muted" } },
      /'audio off' but the booking records audio/,
    ],
    [
      "mitigation without a note",
      { doNotRecordPupils: true, mitigation: { kind: "camera-position", note: " " } },
      /say how the mitigation is applied/,
    ],
  ];
  for (const [what, over, problem] of rows) {
    const problems = bookingProblems(booking(over), [], DEFAULT_BOOKING_POLICY, NOW);
    t.ok(
      problems.some((p) => problem.test(p)),
      `${what}: ${problems.join("; ")}`,
    );
  }
});

void t.test(
  "a do-not-record class may be drafted, and confirmed once the mitigation is stated",
  async (t) => {
    t.same(
      bookingProblems(
        booking({ doNotRecordPupils: true, status: "draft" }),
        [],
        DEFAULT_BOOKING_POLICY,
        NOW,
      ),
      [],
    );
    const mitigated = booking({
      doNotRecordPupils: true,
      mitigation: {
        kind: "camera-position",
        note: "camera faces the board; pupils A and B seated behind it",
      },
    });
    t.same(bookingProblems(mitigated, [], DEFAULT_BOOKING_POLICY, NOW), []);
  },
);

void t.test(
  "no overlaps on a device; other devices, cancelled bookings and the booking itself do not count",
  async (t) => {
    const existing = [
      booking({
        bookingId: "b0",
        start: "2026-11-23T08:30:00.000Z",
        end: "2026-11-23T09:15:00.000Z",
      }),
      booking({ bookingId: "elsewhere", deviceId: "room-2" }),
      booking({ bookingId: "gone", status: "cancelled" }),
    ];
    t.match(bookingProblems(booking(), existing, DEFAULT_BOOKING_POLICY, NOW), [
      /overlaps booking b0/,
    ]);
    const back2back = booking({
      start: "2026-11-23T09:15:00.000Z",
      end: "2026-11-23T10:00:00.000Z",
    });
    t.same(
      bookingProblems(back2back, existing, DEFAULT_BOOKING_POLICY, NOW),
      [],
      "touching ends do not overlap",
    );
    const amended = booking({
      bookingId: "b0",
      start: "2026-11-23T08:30:00.000Z",
      end: "2026-11-23T09:30:00.000Z",
    });
    t.same(
      bookingProblems(amended, existing, DEFAULT_BOOKING_POLICY, NOW),
      [],
      "an amendment is not its own overlap",
    );
  },
);

void t.test(
  "the device's schedule: confirmed, not ended, within the horizon, in time order",
  async (t) => {
    const bookings = [
      booking({
        bookingId: "later",
        start: "2026-11-24T09:00:00.000Z",
        end: "2026-11-24T10:00:00.000Z",
      }),
      booking({
        bookingId: "now",
        start: "2026-11-23T07:30:00.000Z",
        end: "2026-11-23T08:30:00.000Z",
        audio: false,
      }),
      booking({
        bookingId: "ended",
        start: "2026-11-23T06:00:00.000Z",
        end: "2026-11-23T07:00:00.000Z",
      }),
      booking({ bookingId: "draft", status: "draft" }),
      booking({ bookingId: "cancelled", status: "cancelled" }),
      booking({ bookingId: "other-room", deviceId: "room-2" }),
      booking({
        bookingId: "far",
        start: "2026-12-20T09:00:00.000Z",
        end: "2026-12-20T10:00:00.000Z",
      }),
    ];
    const schedule = deviceSchedule(bookings, "room-1", NOW);
    t.same(
      schedule.map((slot) => slot.bookingId),
      ["now", "later"],
    );
    t.same(schedule[0], {
      bookingId: "now",
      start: "2026-11-23T07:30:00.000Z",
      end: "2026-11-23T08:30:00.000Z",
      purpose: "coaching",
      audio: false,
    });
  },
);

void t.test(
  "starting: from two minutes before a booking until its end; outside only if the school allows it, for an hour",
  async (t) => {
    const bookings = [
      booking(),
      booking({
        bookingId: "b2",
        status: "cancelled",
        start: "2026-11-23T11:00:00.000Z",
        end: "2026-11-23T12:00:00.000Z",
      }),
    ];
    const rows: [string, string, boolean, object][] = [
      [
        "at the start",
        "2026-11-23T09:00:00.000Z",
        false,
        { allowed: true, reason: "booked", endsAt: new Date("2026-11-23T10:00:00.000Z") },
      ],
      [
        "in the middle",
        "2026-11-23T09:59:59.999Z",
        false,
        { allowed: true, booking: { bookingId: "b1" } },
      ],
      ["at the end", "2026-11-23T10:00:00.000Z", false, { allowed: false, reason: "no-booking" }],
      [
        "two minutes early",
        "2026-11-23T08:58:00.000Z",
        false,
        { allowed: true, booking: { bookingId: "b1" } },
      ],
      ["before that", "2026-11-23T08:57:59.999Z", false, { allowed: false, reason: "no-booking" }],
      [
        "in a cancelled booking",
        "2026-11-23T11:30:00.000Z",
        false,
        { allowed: false, reason: "no-booking" },
      ],
      [
        "unbooked, allowed",
        "2026-11-23T12:00:00.000Z",
        true,
        {
          allowed: true,
          reason: "unbooked-allowed",
          booking: null,
          endsAt: new Date("2026-11-23T13:00:00.000Z"),
          audio: false,
        },
      ],
    ];
    for (const [what, at, allowUnbookedRecording, expected] of rows) {
      t.match(checkStart(bookings, { allowUnbookedRecording }, new Date(at)), expected, what);
    }
  },
);
