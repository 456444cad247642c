/**
 * When the mail outbox tries a message again after it could not be sent:
 * one minute after the first failure, doubling with each failure after it,
 * never more than an hour apart. A message is never given up: while the
 * relay is down nothing is lost, and IT sees the count on the dashboard.
 */
export const FIRST_RETRY_MS = 60_000;
export const LONGEST_RETRY_MS = 60 * 60_000;

/** How long after its `failures`-th failed attempt (1, 2, …) a message is tried again. */
export function mailRetryDelayMs(failures: number): number {
  if (!Number.isInteger(failures) || failures < 1)
    throw new RangeError(`failures must be a whole number from 1 (got ${failures})`);
  // 2^30 minutes is far past the cap: no overflow for any count
  return Math.min(FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 30), LONGEST_RETRY_MS);
}
