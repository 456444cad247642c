/** Comments at a moment of a recording, by whoever may watch it. */
import type { Person } from "../access.js";
import { DomainError } from "../errors.js";
import { commentProblem } from "../form-limits.js";
import { authorise, type RecordingContext } from "./context.js";
import type { Comment } from "./model.js";

export async function comments(
  ctx: RecordingContext,
  person: Person,
  id: string,
): Promise<Comment[]> {
  await authorise(ctx, null, person, "view", id);
  const rows = await ctx.db.all<{
    id: number;
    recording_id: string;
    author_id: string;
    display_name: string;
    at_seconds: number;
    body: string;
    created_at: string;
  }>(
    `SELECT c.id, c.recording_id, c.author_id, u.display_name, c.at_seconds, c.body, c.created_at
     FROM comments c JOIN users u ON u.id = c.author_id
     WHERE c.recording_id = ? ORDER BY c.at_seconds, c.id`,
    [id],
  );
  return rows.map((r) => ({
    commentId: r.id,
    recordingId: r.recording_id,
    authorId: r.author_id,
    authorName: r.display_name,
    atSeconds: r.at_seconds,
    body: r.body,
    createdAt: r.created_at,
  }));
}

export async function comment(
  ctx: RecordingContext,
  person: Person,
  id: string,
  atSeconds: number,
  body: string,
): Promise<Comment> {
  const text = body.trim();
  const problem = commentProblem(body);
  if (problem !== null) throw new DomainError("invalid", problem);
  const commentId = await ctx.db.transaction(async (tx) => {
    const { row } = await authorise(ctx, tx, person, "comment", id);
    if (row.duration_seconds !== null && atSeconds > row.duration_seconds) {
      throw new DomainError(
        "invalid",
        `the recording is ${Math.floor(row.duration_seconds)} s long; a comment at ${atSeconds} s is past its end`,
      );
    }
    const { lastID } = await tx.run(
      "INSERT INTO comments (recording_id, author_id, at_seconds, body, created_at) VALUES (?, ?, ?, ?, ?)",
      [id, person.id, atSeconds, text, ctx.clock().toISOString()],
    );
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "comment.add",
      subject: id,
      detail: { commentId: lastID, atSeconds },
    });
    return lastID;
  });
  const found = (await comments(ctx, person, id)).find((c) => c.commentId === commentId);
  if (!found) throw new Error(`comment ${commentId} vanished`);
  return found;
}
