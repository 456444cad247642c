/**
 * Feedback on a recording tells the people it is for, in the comment's own
 * transaction: a colleague's comment (of any kind) tells the recording's
 * owner, and a reply tells whoever wrote the comment it answers. Never what
 * the comment says: it may name pupils, and the notification goes out by
 * e-mail as it is.
 */
import type { Transaction } from "../../db/database.js";
import { nameOf, notify } from "../notifications.js";

export async function tellOfFeedback(
  tx: Transaction,
  at: Date,
  comment: {
    recordingId: string;
    ownerId: string | null;
    authorId: string;
    parentId: number | null;
  },
): Promise<void> {
  const author = await nameOf(tx, comment.authorId);
  const link = `recordings/${comment.recordingId}`;
  const told = new Set<string>([comment.authorId]);
  if (comment.parentId !== null) {
    const parent = await tx.get<{ author_id: string }>(
      "SELECT author_id FROM comments WHERE id = ?",
      [comment.parentId],
    );
    if (parent && !told.has(parent.author_id)) {
      told.add(parent.author_id);
      await notify(tx, {
        userId: parent.author_id,
        kind: "feedback",
        subject: `${author} replied to your comment on a recording`,
        link: (await clipAnswerPage(tx, comment.recordingId, parent.author_id)) ?? link,
        at,
      });
    }
  }
  if (comment.ownerId !== null && !told.has(comment.ownerId)) {
    await notify(tx, {
      userId: comment.ownerId,
      kind: "feedback",
      subject: `${author} left feedback on your recording`,
      link,
      at,
    });
  }
}

/**
 * The answer page of an assignment `setter` set that was answered with a clip
 * of this recording (and not with the whole of it): where they watch the clip
 * and its feedback, the recording itself being closed to them.
 */
async function clipAnswerPage(
  tx: Transaction,
  recordingId: string,
  setter: string,
): Promise<string | null> {
  const answers = await tx.all<{
    assignment_id: string;
    teacher_id: string;
    clip_id: string | null;
  }>(
    `SELECT t.assignment_id, t.teacher_id, t.clip_id FROM assignment_teachers t
     JOIN assignments a ON a.id = t.assignment_id
     WHERE t.recording_id = ? AND a.set_by = ? AND t.submitted_at IS NOT NULL
     ORDER BY t.submitted_at`,
    [recordingId, setter],
  );
  if (answers.length === 0 || answers.some((a) => a.clip_id === null)) return null;
  const [first] = answers;
  if (!first) return null;
  return `coaching/answer?assignment=${first.assignment_id}&teacher=${encodeURIComponent(first.teacher_id)}`;
}
