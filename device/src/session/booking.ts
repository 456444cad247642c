/**
 * The button's booking check: the shared start rule (`decideStart` in
 * `@classcam/protocol`, the same one the controller applies) run against the
 * cached schedule, so it holds while the controller is away. Pure: the caller
 * passes `now`.
 */
import {
  decideStart,
  type DeviceConfig,
  type ScheduledBooking,
  type StartVerdict,
} from "@classcam/protocol";

export type BookingDecision = StartVerdict<ScheduledBooking>;

export function decideBooking(config: DeviceConfig | null, now: Date): BookingDecision {
  if (config === null) {
    return {
      allowed: false,
      reason: "no-booking",
      detail: "no schedule from the controller yet, so no booking can be checked",
    };
  }
  return decideStart(config.schedule, config.policy, now);
}
