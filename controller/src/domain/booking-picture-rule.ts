/**
 * May a person ask a box for a picture of its room now, to draw a booking's
 * own masks on (issue 19)? Whoever sets the room's masks may always (the
 * Policy page); for a booking, whoever may change it and may see classroom
 * pictures — its teacher, SLT, the headteacher; the Bursar, who may change
 * bookings, never sees pixels (the route does not let them ask) — may, and only for what the
 * picture is for: a booking not yet started (its masks can still change), of
 * a class with a pupil on the do-not-record list (whose seat is drawn), while
 * no other booking of the room is in progress (another teacher's lesson is
 * not looked into). Pure: the caller passes what it found and `now`.
 */
import type { Role } from "./access.js";
import type { BookingStatus } from "./bookings.js";

/** The roles that may see a classroom's picture for a booking: never the Bursar. */
export const BOOKING_PICTURE_ROLES: readonly Role[] = ["teacher", "slt", "headteacher"];

export interface BookingPictureAsk {
  /** The person's roles. */
  roles: readonly Role[];
  /** The person may change the booking (timetable.ts `mayManage`). */
  mayManage: boolean;
  booking: { status: BookingStatus; start: string; doNotRecordPupils: boolean };
  /** Another booking of the room in progress at `now`, if any. */
  inProgress: { start: string; end: string } | null;
  now: Date;
}

export type BookingPictureVerdict =
  { allowed: true } | { allowed: false; kind: "forbidden" | "conflict"; message: string };

export function bookingPictureVerdict(ask: BookingPictureAsk): BookingPictureVerdict {
  const refuse = (kind: "forbidden" | "conflict", message: string): BookingPictureVerdict => ({
    allowed: false,
    kind,
    message,
  });
  if (!ask.mayManage || !ask.roles.some((role) => BOOKING_PICTURE_ROLES.includes(role))) {
    return refuse(
      "forbidden",
      "only the booking's teacher, SLT or the headteacher may take a picture to draw its masks",
    );
  }
  if (ask.booking.status === "cancelled") {
    return refuse("conflict", "the booking was cancelled: it has no masks to draw");
  }
  if (Date.parse(ask.booking.start) <= ask.now.getTime()) {
    return refuse(
      "conflict",
      "the booking has started: its masks can no longer change, so no picture is taken for them",
    );
  }
  if (!ask.booking.doNotRecordPupils) {
    return refuse(
      "conflict",
      "the booking's class has no pupil on the do-not-record list: a picture is taken only to draw where such a pupil sits",
    );
  }
  if (ask.inProgress !== null) {
    return refuse(
      "conflict",
      `another booking of the room is in progress (${ask.inProgress.start} – ${ask.inProgress.end}): ` +
        "take the picture when the room is free",
    );
  }
  return { allowed: true };
}
