/**
 * When footage in a box's rolling buffer may be overwritten: the end of its
 * recording plus the school's `bufferDays` (whole days of 24 hours). The one
 * definition the box's `planBuffer`, the controller's retention sweep and the
 * recording list's "overwritten on" all use. No clock of its own, and no
 * imports, so the dashboard takes its bounds from here too.
 */

/** How many days footage stays in a box's buffer unless the school sets otherwise. */
export const DEFAULT_BUFFER_DAYS = 7;
/** The school may set from this many days… */
export const MIN_BUFFER_DAYS = 1;
/** …to this many. */
export const MAX_BUFFER_DAYS = 14;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The instant a recording that ended at `endedAt` (ISO 8601) leaves the buffer. */
export function bufferExpiresAt(endedAt: string, bufferDays: number): Date {
  return new Date(Date.parse(endedAt) + bufferDays * DAY_MS);
}

/**
 * Has footage that ended at `endedAt` left the buffer by `now`? Only once its
 * `bufferDays` are wholly past: at the instant they end it is still kept. The
 * one comparison the box's plan and the controller's retention both make.
 */
export function bufferExpired(endedAt: string, bufferDays: number, now: Date | number): boolean {
  return bufferExpiresAt(endedAt, bufferDays).getTime() < new Date(now).getTime();
}

/**
 * The latest end whose footage has left the buffer by `now`: the same rule
 * read backwards, for a query over stored end times.
 */
export function bufferExpiredIfEndedBy(now: Date, bufferDays: number): Date {
  return new Date(now.getTime() - bufferDays * DAY_MS);
}
