/**
 * The booking start rule, as one pure decision shared by box and controller:
 * may a recording start at `now`, under which booking, and when must it stop
 * at the latest? The box runs it on the button against its cached schedule;
 * the controller runs it on each `recording.started` against its bookings, so
 * both reach the same verdict for the same schedule, policy and instant. No
 * I/O and no clock of its own: the caller passes `now`.
 *
 * - A press from `EARLY_START_MS` before a booking's start until its end (not
 *   included) is in that booking, and the recording stops at the booking's end.
 * - When two bookings are back to back, a press in the first one's last
 *   minutes belongs to the first (it is in progress), never to the next.
 * - Outside every booking, recording starts only when the school allows
 *   unbooked recording: video only, for at most `UNBOOKED_LIMIT_MS`.
 * - A booking whose times are not ISO 8601 dates covers nothing.
 */

/** A press this long before a booking's start already counts as in it (teachers set up early). */
export const EARLY_START_MS = 2 * 60_000;
/** Longest recording outside any booking, when the school's policy allows them at all. */
export const UNBOOKED_LIMIT_MS = 60 * 60_000;

/** What the rule needs of a booking: the box's scheduled booking and the controller's stored one both fit. */
export interface BookedSlot {
  bookingId: string;
  /** ISO 8601 timestamp. */
  start: string;
  /** ISO 8601 timestamp. */
  end: string;
  audio: boolean;
}

export interface StartPolicy {
  /** Whether the button works outside a booking. */
  allowUnbookedRecording: boolean;
}

export type StartVerdict<B extends BookedSlot = BookedSlot> =
  | { allowed: true; reason: "booked"; booking: B; endsAt: Date; audio: boolean }
  /** No booking says whether pupils may be heard: an unbooked recording is video only. */
  | { allowed: true; reason: "unbooked-allowed"; booking: null; endsAt: Date; audio: false }
  | { allowed: false; reason: "no-booking"; detail: string };

function instant(value: string): number {
  return /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
}

/**
 * The latest a recording that started at `startedAt` may run: its booking's
 * end, or `UNBOOKED_LIMIT_MS` after it started when it has no booking.
 */
export function latestEnd(startedAt: Date, bookingEnd: string | null): Date {
  return bookingEnd === null
    ? new Date(startedAt.getTime() + UNBOOKED_LIMIT_MS)
    : new Date(instant(bookingEnd));
}

/**
 * May a recording start at `now`, given the device's bookings (in any order)
 * and the school's policy? Only bookings that may be recorded belong in
 * `schedule` (the controller passes its confirmed ones).
 */
export function decideStart<B extends BookedSlot>(
  schedule: readonly B[],
  policy: StartPolicy,
  now: Date,
): StartVerdict<B> {
  const at = now.getTime();
  let chosen: B | null = null;
  for (const booking of schedule) {
    const start = instant(booking.start);
    if (!(start - EARLY_START_MS <= at && at < instant(booking.end))) continue;
    if (chosen === null || comesFirst(booking, chosen, at)) chosen = booking;
  }
  if (chosen !== null) {
    return {
      allowed: true,
      reason: "booked",
      booking: chosen,
      endsAt: latestEnd(now, chosen.end),
      audio: chosen.audio,
    };
  }
  if (policy.allowUnbookedRecording) {
    return {
      allowed: true,
      reason: "unbooked-allowed",
      booking: null,
      endsAt: latestEnd(now, null),
      audio: false,
    };
  }
  return {
    allowed: false,
    reason: "no-booking",
    detail: "no booking covers this time and the school does not allow unbooked recording",
  };
}

/**
 * Which of two bookings covering `at` a recording belongs to: one in progress
 * before one in its early window, then the earlier start, then the smaller id
 * (overlapping bookings are refused by the controller, but the box must still
 * choose the same one).
 */
function comesFirst(a: BookedSlot, b: BookedSlot, at: number): boolean {
  const startA = instant(a.start);
  const startB = instant(b.start);
  const inProgressA = startA <= at;
  if (inProgressA !== startB <= at) return inProgressA;
  if (startA !== startB) return startA < startB;
  return a.bookingId < b.bookingId;
}
