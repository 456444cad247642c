/**
 * When footage in a box's rolling buffer may be overwritten: the end of its
 * recording plus the school's `bufferDays` (whole days of 24 hours). The one
 * definition the box's `planBuffer`, the controller's retention sweep and the
 * recording list's "overwritten on" all use. No clock of its own.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** The instant a recording that ended at `endedAt` (ISO 8601) leaves the buffer. */
export function bufferExpiresAt(endedAt: string, bufferDays: number): Date {
  return new Date(Date.parse(endedAt) + bufferDays * DAY_MS);
}

/**
 * The latest end whose footage has left the buffer by `now`: the same rule
 * read backwards, for a query over stored end times.
 */
export function bufferExpiredIfEndedBy(now: Date, bufferDays: number): Date {
  return new Date(now.getTime() - bufferDays * DAY_MS);
}
