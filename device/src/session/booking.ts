/**
 * Which booking, if any, covers a button press — from the cached schedule, so
 * the rule holds while the controller is away. Pure: the caller passes `now`.
 */
import type { DeviceConfig, ScheduledBooking } from "@classcam/protocol";

/** A press this long before a booking's start already counts as in it (teachers set up early). */
export const EARLY_START_MS = 2 * 60_000;
/** Longest recording outside any booking, when the school's policy allows them at all. */
export const UNBOOKED_LIMIT_MS = 60 * 60_000;

export type BookingDecision =
  | { allowed: true; booking: ScheduledBooking; endsAt: Date; audio: boolean }
  | { allowed: true; booking: null; endsAt: Date; audio: boolean }
  | { allowed: false; reason: "no-booking"; detail: string };

export function decideBooking(config: DeviceConfig | null, now: Date): BookingDecision {
  if (config === null) {
    return {
      allowed: false,
      reason: "no-booking",
      detail: "no schedule from the controller yet, so no booking can be checked",
    };
  }
  const at = now.getTime();
  const booking = config.schedule.find(
    (b) => Date.parse(b.start) - EARLY_START_MS <= at && at < Date.parse(b.end),
  );
  if (booking !== undefined) {
    return {
      allowed: true,
      booking,
      endsAt: new Date(Date.parse(booking.end)),
      audio: booking.audio,
    };
  }
  if (config.policy.allowUnbookedRecording) {
    // no booking says whether pupils may be heard: an unbooked recording is video only
    return { allowed: true, booking: null, endsAt: new Date(at + UNBOOKED_LIMIT_MS), audio: false };
  }
  return {
    allowed: false,
    reason: "no-booking",
    detail: "no booking covers this time and the school does not allow unbooked recording",
  };
}
