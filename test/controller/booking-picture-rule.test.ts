// Who may take a picture of a booking's room to draw its masks, and when: one rule, as a table.
import t from "tap";
import {
  bookingPictureVerdict,
  type BookingPictureAsk,
} from "../../controller/src/domain/booking-picture-rule.js";

const NOW = new Date("2026-11-23T08:00:00.000Z");
const ask = (over: Partial<BookingPictureAsk> = {}): BookingPictureAsk => ({
  roles: ["teacher"],
  mayManage: true,
  booking: { status: "confirmed", start: "2026-11-23T09:00:00.000Z", doNotRecordPupils: true },
  inProgress: null,
  now: NOW,
  ...over,
});

const rows: [string, BookingPictureAsk, null | ["forbidden" | "conflict", RegExp]][] = [
  ["its teacher, before it starts, for a do-not-record class", ask(), null],
  ["a draft", ask({ booking: { ...ask().booking, status: "draft" } }), null],
  [
    "someone who may not change it",
    ask({ mayManage: false }),
    ["forbidden", /only the booking's teacher, SLT or the headteacher/],
  ],
  [
    "the Bursar, who may change bookings but sees no classroom",
    ask({ roles: ["bursar"] }),
    ["forbidden", /only the booking's teacher, SLT or the headteacher/],
  ],
  ["SLT", ask({ roles: ["slt"] }), null],
  [
    "a cancelled booking",
    ask({ booking: { ...ask().booking, status: "cancelled" } }),
    ["conflict", /was cancelled/],
  ],
  [
    "at its start",
    ask({ now: new Date("2026-11-23T09:00:00.000Z") }),
    ["conflict", /has started: its masks can no longer change/],
  ],
  [
    "a class with no pupil on the list",
    ask({ booking: { ...ask().booking, doNotRecordPupils: false } }),
    ["conflict", /no pupil on the do-not-record list/],
  ],
  [
    "while another lesson is booked in the room",
    ask({ inProgress: { start: "2026-11-23T07:30:00.000Z", end: "2026-11-23T08:20:00.000Z" } }),
    ["conflict", /another booking of the room is in progress \(2026-11-23T07:30:00.000Z/],
  ],
];

void t.test("the booking picture rule", async (t) => {
  for (const [what, asked, refused] of rows) {
    const verdict = bookingPictureVerdict(asked);
    if (refused === null) t.same(verdict, { allowed: true }, what);
    else t.match(verdict, { allowed: false, kind: refused[0], message: refused[1] }, what);
  }
});
