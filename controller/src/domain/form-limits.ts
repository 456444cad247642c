/**
 * The limits the server enforces on what people write, and the words it
 * refuses with — in one place, so the dashboard checks the same limits with
 * the same words before it sends anything. No imports: the dashboard imports
 * these values directly.
 */

/** The shortest written reason for placing or releasing a hold. */
export const MIN_HOLD_REASON = 10;
/** The shortest written reason for opening footage in an investigation. */
export const MIN_INVESTIGATION_REASON = 20;
/** The longest written reason (holds, investigations, cancelled bookings). */
export const MAX_REASON_LENGTH = 2000;
/** The longest comment on a recording. */
export const MAX_COMMENT_LENGTH = 4000;
/** The longest note on how a booking protects pupils who must not be recorded. */
export const MAX_NOTE_LENGTH = 500;

const count = (n: number) => n.toLocaleString("en-GB");

/** "give a written reason of at least 20 characters" */
export function reasonTooShort(min: number): string {
  return `give a written reason of at least ${count(min)} characters`;
}

/** "a reason is at most 2,000 characters; this one has 2,345" */
export function reasonTooLong(length: number): string {
  return `a reason is at most ${count(MAX_REASON_LENGTH)} characters; this one has ${count(length)}`;
}

/** "a comment is at most 4,000 characters; this one has 10,000" */
export function commentTooLong(length: number): string {
  return `a comment is at most ${count(MAX_COMMENT_LENGTH)} characters; this one has ${count(length)}`;
}

/** "a note is at most 500 characters; this one has 612" */
export function noteTooLong(length: number): string {
  return `a note is at most ${count(MAX_NOTE_LENGTH)} characters; this one has ${count(length)}`;
}

/** What is wrong with a written reason, or null when it will do. */
export function reasonProblem(reason: string, min: number): string | null {
  const written = reason.trim();
  if (written.length < min) return reasonTooShort(min);
  if (written.length > MAX_REASON_LENGTH) return reasonTooLong(written.length);
  return null;
}

/** What is wrong with a comment, or null when it will do. */
export function commentProblem(body: string): string | null {
  const text = body.trim();
  if (text.length === 0) return "a comment needs some text";
  if (text.length > MAX_COMMENT_LENGTH) return commentTooLong(text.length);
  return null;
}

/** The largest staff list (CSV) one import takes. */
export const MAX_STAFF_FILE_BYTES = 256 * 1024;
/** The largest timetable export (CSV or iCalendar) one import takes. */
export const MAX_TIMETABLE_FILE_BYTES = 2 * 1024 * 1024;
/** The largest do-not-record export (CSV) one import takes. */
export const MAX_DO_NOT_RECORD_FILE_BYTES = 512 * 1024;

/** A file over `maxBytes` in words, with what to do instead (`advice`); null when it fits. */
export function fileSizeProblem(bytes: number, maxBytes: number, advice: string): string | null {
  if (bytes <= maxBytes) return null;
  return (
    `the file is ${Math.ceil(bytes / 1024)} KB; at most ${maxBytes / 1024} KB ` +
    `can be imported at once: ${advice}`
  );
}
