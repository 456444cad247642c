/**
 * Masks per booking (issue 19): a booking for a class with a pupil who may not
 * be recorded can carry its own privacy masks. A recording under it is made
 * with the room's masks and the booking's burned in together (their union),
 * so that pupil's seat never reaches the disk. A booking whose masks cannot be
 * burned in is not recorded at all — never recorded unmasked. Pure rules, the
 * box's at the button and the controller's when it says what it sends.
 */
import { MAX_PRIVACY_MASKS, type PrivacyMask } from "./schemas.js";

/** What the rule needs of a booking: the box's scheduled booking fits. */
export interface MaskedSlot {
  bookingId: string;
  masks?: readonly PrivacyMask[];
}

export type MaskVerdict = { ok: true; masks: PrivacyMask[] } | { ok: false; detail: string };

/** Why `mask` cannot be burned in, in words; null when it can. */
export function privacyMaskProblem(mask: PrivacyMask): string | null {
  const { x, y, width, height } = mask;
  for (const [name, value] of Object.entries({ x, y, width, height })) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
      return `${name} must be a fraction of the picture from 0 to 1 (got ${String(value)})`;
    }
  }
  if (width === 0 || height === 0) return "width and height must be more than 0";
  return null;
}

/**
 * The masks a recording is made under: the room's, then the booking's (none
 * for a recording outside a booking). Refused with the reason when any of
 * them cannot be burned in, or when the booking is in `unusable` (its masks
 * came in a config the box refused: the one in force does not have them).
 */
export function recordingMasks(
  room: readonly PrivacyMask[],
  booking: MaskedSlot | null,
  unusable: ReadonlyMap<string, string> = new Map(),
): MaskVerdict {
  if (booking !== null) {
    const why = unusable.get(booking.bookingId);
    if (why !== undefined) {
      return {
        ok: false,
        detail: `booking ${booking.bookingId} is not recorded: its masks did not reach the box (${why})`,
      };
    }
  }
  const own: readonly PrivacyMask[] = booking?.masks ?? [];
  // the box's config was checked against the schema; this holds even if it was not
  if (!isList(own) || own.length > MAX_PRIVACY_MASKS) {
    return {
      ok: false,
      detail: `booking ${booking?.bookingId ?? ""} is not recorded: a booking has at most ${MAX_PRIVACY_MASKS} masks`,
    };
  }
  const problems = [
    ...room.map((mask, index) => ({ mask, where: `the room's mask ${index + 1}` })),
    ...own.map((mask, index) => ({ mask, where: `the booking's mask ${index + 1}` })),
  ].flatMap(({ mask, where }) => {
    const problem = privacyMaskProblem(mask);
    return problem === null ? [] : [`${where}: ${problem}`];
  });
  if (problems.length > 0) {
    return {
      ok: false,
      detail:
        (booking === null ? "" : `booking ${booking.bookingId} is not recorded: `) +
        `its masks cannot be burned in (${problems.join("; ")})`,
    };
  }
  return { ok: true, masks: [...room, ...own] };
}

function isList(value: unknown): boolean {
  return Array.isArray(value);
}

/**
 * The bookings of a config payload the box refused that asked for masks of
 * their own, with their masks as sent (whatever they were): the config in
 * force does not carry them, so none of these may be recorded under it.
 */
export function maskedBookingsOf(payload: unknown): Map<string, unknown> {
  const found = new Map<string, unknown>();
  if (typeof payload !== "object" || payload === null) return found;
  const schedule = (payload as { schedule?: unknown }).schedule;
  if (!Array.isArray(schedule)) return found;
  for (const entry of schedule.slice(0, 1000) as unknown[]) {
    if (typeof entry !== "object" || entry === null || !("masks" in entry)) continue;
    const { bookingId, masks } = entry as { bookingId?: unknown; masks?: unknown };
    if (typeof bookingId !== "string" || bookingId.length === 0 || bookingId.length > 64) continue;
    if (Array.isArray(masks) && masks.length === 0) continue;
    found.set(bookingId, masks);
  }
  return found;
}
