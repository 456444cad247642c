/**
 * Bookings: the timetable of use. Recording happens in a booked slot with a
 * stated purpose; these are the rules for making, amending and confirming a
 * booking, the schedule each device is sent, and whether a recording that
 * started matches a booking. Pure functions: the clock is an argument.
 */
import {
  BOOKING_PURPOSES,
  MAX_PRIVACY_MASKS,
  decideStart,
  type PrivacyMask,
  type ScheduledBooking,
  type StartVerdict,
} from "@classcam/protocol";

export type BookingPurpose = (typeof BOOKING_PURPOSES)[number];
export type BookingStatus = "draft" | "confirmed" | "cancelled";

/**
 * How a class with pupils on the "do not record" list is handled; "booking-masks":
 * the booking's own masks, burned in at capture, cover where they sit.
 */
export const MITIGATIONS = [
  "camera-position",
  "privacy-mask",
  "audio-off",
  "booking-masks",
] as const;
export type Mitigation = (typeof MITIGATIONS)[number];

export interface Booking {
  bookingId: string;
  deviceId: string;
  teacherId: string;
  start: string;
  end: string;
  purpose: BookingPurpose;
  /** Every member of staff who will be in the footage, the teacher included. */
  staff: readonly string[];
  audio: boolean;
  status: BookingStatus;
  /** The class has pupils on the school's "do not record" list. */
  doNotRecordPupils: boolean;
  mitigation: { kind: Mitigation; note: string } | null;
  /** The booking's own masks, burned in on the box with the room's; none when absent. */
  masks?: readonly PrivacyMask[];
}

export interface BookingPolicy {
  /** Longest booking allowed, in minutes. */
  maxMinutes: number;
  /** Whether the button works outside a booking (default: no). */
  allowUnbookedRecording: boolean;
  /** How many days ahead a booking may start (a booking further out would be in no one's view). */
  horizonDays: number;
}

export const MIN_HORIZON_DAYS = 1;
export const MAX_HORIZON_DAYS = 730;

export const DEFAULT_BOOKING_POLICY: BookingPolicy = {
  maxMinutes: 120,
  allowUnbookedRecording: false,
  horizonDays: 365,
};

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** A booking may start this long before it is made (a lesson that has just begun), no longer. */
export const LATE_BOOKING_MS = 5 * MINUTE;

function instant(value: string): number {
  return /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
}

/** Half-open intervals [start, end) overlap. */
export function overlaps(
  a: Pick<Booking, "start" | "end">,
  b: Pick<Booking, "start" | "end">,
): boolean {
  return instant(a.start) < instant(b.end) && instant(b.start) < instant(a.end);
}

/**
 * Every reason a booking cannot stand as written, given the device's other
 * bookings; empty when it can. `existing` may include the booking itself
 * (an amendment): it is not counted against itself.
 */
export function bookingProblems(
  booking: Booking,
  existing: readonly Booking[],
  policy: BookingPolicy,
  now: Date,
): string[] {
  const problems: string[] = [];
  const start = instant(booking.start);
  const end = instant(booking.end);
  if (Number.isNaN(start)) problems.push(`start '${booking.start}' is not a date and time`);
  if (Number.isNaN(end)) problems.push(`end '${booking.end}' is not a date and time`);
  if (!BOOKING_PURPOSES.includes(booking.purpose)) {
    problems.push(`purpose must be one of ${BOOKING_PURPOSES.join(", ")}`);
  }
  if (!booking.staff.includes(booking.teacherId)) {
    problems.push("the teacher must be among the staff in the recording");
  }
  if (new Set(booking.staff).size !== booking.staff.length)
    problems.push("staff lists someone twice");
  if (booking.mitigation?.kind === "audio-off" && booking.audio) {
    problems.push("the mitigation is 'audio off' but the booking records audio");
  }
  const masks = booking.masks ?? [];
  if (booking.mitigation?.kind === "booking-masks" && masks.length === 0) {
    problems.push(
      "the mitigation is 'masks on this booking' but the booking has no masks: " +
        "draw where the pupils sit on the room's picture",
    );
  }
  if (masks.length > MAX_PRIVACY_MASKS) {
    problems.push(
      `a booking has at most ${MAX_PRIVACY_MASKS} masks (this one has ${masks.length})`,
    );
  }
  if (booking.mitigation !== null && booking.mitigation.note.trim() === "") {
    problems.push("say how the mitigation is applied (a note)");
  }
  if (Number.isNaN(start) || Number.isNaN(end)) return problems;

  if (end <= start) problems.push("end must be after start");
  else if (end - start > policy.maxMinutes * MINUTE) {
    problems.push(
      `a booking is at most ${policy.maxMinutes} minutes (this one is ${Math.round((end - start) / MINUTE)})`,
    );
  }
  if (booking.status !== "cancelled") {
    if (end <= now.getTime()) problems.push("the booking is in the past");
    else if (start < now.getTime() - LATE_BOOKING_MS) {
      problems.push(
        `the booking started at ${booking.start}, more than ${LATE_BOOKING_MS / MINUTE} minutes ago: ` +
          "book from now on",
      );
    }
    if (start > now.getTime() + policy.horizonDays * DAY) {
      problems.push(
        `a booking starts at most ${policy.horizonDays} days ahead (the school's policy); ` +
          `this one starts on ${booking.start.slice(0, 10)}`,
      );
    }
  }
  if (booking.status === "confirmed" && booking.doNotRecordPupils && booking.mitigation === null) {
    problems.push(
      "the class has pupils on the do-not-record list: state the mitigation " +
        `(${MITIGATIONS.join(", ")}) before confirming`,
    );
  }
  if (booking.status !== "cancelled") {
    for (const other of existing) {
      if (
        other.bookingId !== booking.bookingId &&
        other.deviceId === booking.deviceId &&
        other.status !== "cancelled" &&
        overlaps(booking, other)
      ) {
        problems.push(
          `overlaps booking ${other.bookingId} (${other.start} – ${other.end}) on this device`,
        );
      }
    }
  }
  return problems;
}

/** How far ahead a box's schedule reaches (`deviceSchedule`). */
export const SCHEDULE_DAYS = 14;
/**
 * The most masks of bookings a box's schedule carries, so its config stays one
 * message (protocol MAX_PAYLOAD_BYTES): a config too big to send would leave
 * the box with the one before, without a booking's new masks.
 */
export const MAX_SCHEDULE_MASKS = 256;

/**
 * Why the booking's masks would not all fit in its box's schedule, or null.
 * `nearby`: the device's bookings starting within `SCHEDULE_DAYS` of it (any
 * schedule holding it holds only those).
 */
export function scheduleMasksProblem(booking: Booking, nearby: readonly Booking[]): string | null {
  const own = booking.masks?.length ?? 0;
  if (own === 0 || booking.status === "cancelled") return null;
  const start = instant(booking.start);
  const total = nearby
    .filter(
      (other) =>
        other.bookingId !== booking.bookingId &&
        other.deviceId === booking.deviceId &&
        other.status !== "cancelled" &&
        Math.abs(instant(other.start) - start) < SCHEDULE_DAYS * DAY,
    )
    .reduce((sum, other) => sum + (other.masks?.length ?? 0), own);
  if (total <= MAX_SCHEDULE_MASKS) return null;
  return (
    `the box's schedule would carry ${total} masks of bookings within ${SCHEDULE_DAYS} days of this one; ` +
    `at most ${MAX_SCHEDULE_MASKS} reach the box in one message: draw fewer masks, or set the room's own masks`
  );
}

/**
 * What a device is sent: its confirmed bookings that have not ended, up to
 * `horizonDays` ahead, in time order, so it can check the button offline.
 */
export function deviceSchedule(
  bookings: readonly Booking[],
  deviceId: string,
  now: Date,
  horizonDays = SCHEDULE_DAYS,
): ScheduledBooking[] {
  const until = now.getTime() + horizonDays * 24 * 60 * MINUTE;
  return bookings
    .filter(
      (booking) =>
        booking.deviceId === deviceId &&
        booking.status === "confirmed" &&
        instant(booking.end) > now.getTime() &&
        instant(booking.start) < until,
    )
    .sort((a, b) => instant(a.start) - instant(b.start))
    .map(({ bookingId, start, end, purpose, audio, masks }) => ({
      bookingId,
      start,
      end,
      purpose,
      audio,
      // a booking without masks is sent as before
      ...(masks !== undefined && masks.length > 0 ? { masks: masks.map((m) => ({ ...m })) } : {}),
    }));
}

/**
 * May a recording start on the device at `at`, and when must it stop? The
 * shared start rule (`decideStart` in `@classcam/protocol`, the one the box
 * runs on its button) over the device's confirmed bookings: inside one (from
 * two minutes before its start) until its end; outside, only if the school
 * allows unbooked recording, for at most an hour. The projector runs it on
 * each `recording.started` event to flag one that matches no booking.
 */
export function checkStart<B extends Booking>(
  bookings: readonly B[],
  policy: Pick<BookingPolicy, "allowUnbookedRecording">,
  at: Date,
): StartVerdict<B> {
  return decideStart(
    bookings.filter((booking) => booking.status === "confirmed"),
    policy,
    at,
  );
}
