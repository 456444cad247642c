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
        link,
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
