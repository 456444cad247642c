/**
 * Feedback on a clip answer: a teacher who answers an assignment with a clip
 * opens only the clip's part of the lesson to whoever set it. They watch the
 * clip (`decideClip()`'s "view") and give feedback at its moments
 * (`decideClip()`'s "feedback"); the feedback is a comment on the teacher's
 * recording, so the teacher finds it on their recording and timeline, and
 * replies there. The setter sees the threads they started;
 * the clip's owner every thread at the clip's moments. Either marks a next
 * step in those threads done (or open again).
 */
import type { Person } from "../access.js";
import type { ClipAction } from "../clip-access.js";
import type { ClipRow } from "../clip-rows.js";
import type { ClipPart } from "../recordings/comments.js";

/** What the clip-feedback part needs of the exemplar bank (`ClipBank` is it). */
export interface ClipDecider {
  authorise(
    tx: null,
    person: Person,
    action: ClipAction,
    clipId: string,
  ): Promise<{ row: ClipRow; basis: string }>;
}

/** The recording and the part of it the clip opens to `person`'s feedback, or a 403 saying why. */
export async function clipPart(
  bank: ClipDecider,
  person: Person,
  clipId: string,
): Promise<{ recordingId: string; part: ClipPart }> {
  const { row, basis } = await bank.authorise(null, person, "feedback", clipId);
  return {
    recordingId: row.recording_id,
    part: {
      recordingId: row.recording_id,
      from: row.start_seconds,
      to: row.end_seconds,
      threadsOf: basis === "owner" ? null : person.id,
    },
  };
}
