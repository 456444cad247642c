/**
 * Comments at a moment of a recording, by whoever may watch it. A comment may
 * be coaching feedback of a kind (strength, question, suggestion, next step)
 * about strands of the school's framework; whoever may comment may reply to
 * a comment; a next step is marked done (or open again) by the recording's
 * owner or the one who gave it.
 */
import type { Person } from "../access.js";
import { checkStrands, strandsOf } from "../coaching/strands.js";
import { DomainError } from "../errors.js";
import { commentProblem } from "../form-limits.js";
import { authorise, recordingRow, type RecordingContext } from "./context.js";
import type { Comment, CommentKind } from "./model.js";
import { tellOfFeedback } from "./feedback-told.js";

/** What a comment may carry beyond its words. */
export interface CommentExtras {
  kind?: CommentKind;
  strands?: number[];
  /** The comment it replies to, on the same recording. */
  parentId?: number;
}

/**
 * The part of a recording that a clip opens to feedback (`decideClip()`'s
 * "feedback", decided by the caller): its moments, in seconds from the start
 * of the recording, and, for whoever set an assignment the clip answers, the
 * threads they started (`threadsOf`); the clip's owner sees every thread.
 */
export interface ClipPart {
  /** The recording the clip was cut from. */
  recordingId: string;
  from: number;
  to: number;
  threadsOf: string | null;
}

/** Seconds to a tenth, as people read them. */
const seconds = (value: number) => String(Math.round(value * 10) / 10);

const inPart = (part: ClipPart, seconds: number) => seconds >= part.from && seconds <= part.to;

/** The comments `part` shows: at its moments, and the threads it is limited to. */
function shownIn(part: ClipPart, all: readonly Comment[]): Comment[] {
  const threads = new Set(
    all
      .filter(
        (c) =>
          c.parentId === null &&
          inPart(part, c.atSeconds) &&
          (part.threadsOf === null || c.authorId === part.threadsOf),
      )
      .map((c) => c.commentId),
  );
  return all.filter((c) => threads.has(c.parentId ?? c.commentId));
}

export async function comments(
  ctx: RecordingContext,
  person: Person,
  id: string,
  part?: ClipPart,
): Promise<Comment[]> {
  if (part === undefined) await authorise(ctx, null, person, "view", id);
  const rows = await ctx.db.all<{
    id: number;
    recording_id: string;
    author_id: string;
    display_name: string;
    at_seconds: number;
    body: string;
    created_at: string;
    kind: CommentKind;
    parent_id: number | null;
    done_at: string | null;
    done_by: string | null;
  }>(
    `SELECT c.id, c.recording_id, c.author_id, u.display_name, c.at_seconds, c.body, c.created_at,
       c.kind, c.parent_id, c.done_at, c.done_by
     FROM comments c JOIN users u ON u.id = c.author_id
     WHERE c.recording_id = ? ORDER BY c.at_seconds, coalesce(c.parent_id, c.id), c.id`,
    [id],
  );
  const strands = await strandsOf(
    ctx.db,
    `SELECT s.id, s.framework, s.code, s.name, s.version, s.retired_at, x.comment_id AS owner
     FROM comment_strands x JOIN strands s ON s.id = x.strand_id
     JOIN comments c ON c.id = x.comment_id WHERE c.recording_id = ? ORDER BY s.position, s.id`,
    [id],
  );
  const all: Comment[] = rows.map((r) => ({
    commentId: r.id,
    recordingId: r.recording_id,
    authorId: r.author_id,
    authorName: r.display_name,
    atSeconds: r.at_seconds,
    body: r.body,
    createdAt: r.created_at,
    kind: r.kind,
    strands: strands.get(String(r.id)) ?? [],
    parentId: r.parent_id,
    doneAt: r.done_at,
    doneBy: r.done_by,
  }));
  return part === undefined ? all : shownIn(part, all);
}

export async function comment(
  ctx: RecordingContext,
  person: Person,
  id: string,
  atSeconds: number,
  body: string,
  extras: CommentExtras = {},
  part?: ClipPart,
): Promise<Comment> {
  const text = body.trim();
  const problem = commentProblem(body);
  if (problem !== null) throw new DomainError("invalid", problem);
  const kind = extras.kind ?? "comment";
  const commentId = await ctx.db.transaction(async (tx) => {
    const row =
      part === undefined
        ? (await authorise(ctx, tx, person, "comment", id)).row
        : await recordingRow(ctx, tx, id);
    let at = atSeconds;
    if (extras.parentId !== undefined) {
      const parent = await tx.get<{
        recording_id: string;
        parent_id: number | null;
        at_seconds: number;
        author_id: string;
      }>("SELECT recording_id, parent_id, at_seconds, author_id FROM comments WHERE id = ?", [
        extras.parentId,
      ]);
      const hidden =
        part !== undefined &&
        parent !== undefined &&
        (!inPart(part, parent.at_seconds) ||
          (part.threadsOf !== null &&
            parent.parent_id === null &&
            parent.author_id !== part.threadsOf));
      if (parent?.recording_id !== id || hidden) {
        throw new DomainError(
          "invalid",
          `no comment ${extras.parentId} on this recording to reply to`,
        );
      }
      if (parent.parent_id !== null) {
        throw new DomainError("invalid", "reply to the comment itself, not to a reply");
      }
      if (kind !== "comment" || (extras.strands ?? []).length > 0) {
        throw new DomainError(
          "invalid",
          "a reply is plain words: no kind of feedback and no strands",
        );
      }
      at = parent.at_seconds;
    }
    const strands = await checkStrands(tx, extras.strands ?? []);
    if (part !== undefined && !inPart(part, at)) {
      throw new DomainError(
        "invalid",
        `the clip is ${seconds(part.from)}–${seconds(part.to)} s of the recording; feedback at ${seconds(at)} s is outside it`,
      );
    }
    if (row.duration_seconds !== null && at > row.duration_seconds) {
      throw new DomainError(
        "invalid",
        `the recording is ${Math.floor(row.duration_seconds)} s long; a comment at ${atSeconds} s is past its end`,
      );
    }
    const { lastID } = await tx.run(
      `INSERT INTO comments (recording_id, author_id, at_seconds, body, created_at, kind, parent_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [id, person.id, at, text, ctx.clock().toISOString(), kind, extras.parentId ?? null],
    );
    for (const strand of strands) {
      await tx.run("INSERT INTO comment_strands (comment_id, strand_id) VALUES (?, ?)", [
        lastID,
        strand,
      ]);
    }
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "comment.add",
      subject: id,
      detail: {
        commentId: lastID,
        atSeconds: at,
        ...(kind !== "comment" && { kind }),
        ...(strands.length > 0 && { strands }),
        ...(extras.parentId !== undefined && { parentId: extras.parentId }),
      },
    });
    await tellOfFeedback(tx, ctx.clock(), {
      recordingId: id,
      ownerId: row.owner_id,
      authorId: person.id,
      parentId: extras.parentId ?? null,
    });
    return lastID;
  });
  const found = (await comments(ctx, person, id, part)).find((c) => c.commentId === commentId);
  if (!found) throw new Error(`comment ${commentId} vanished`);
  return found;
}

/**
 * Marks a next step done, or open again: the recording's owner or whoever
 * gave it. With `part` (a clip answer's, decided by the caller through
 * `decideClip()`'s "feedback") whoever set the assignment marks a next step
 * they gave at the clip's moments without seeing the rest of the recording.
 */
export async function markNextStep(
  ctx: RecordingContext,
  person: Person,
  commentId: number,
  done: boolean,
  part?: ClipPart,
): Promise<Comment> {
  const recordingId = await ctx.db.transaction(async (tx) => {
    const step = await tx.get<{
      recording_id: string;
      author_id: string;
      kind: CommentKind;
      done_at: string | null;
    }>("SELECT recording_id, author_id, kind, done_at FROM comments WHERE id = ?", [commentId]);
    if (!step) throw new DomainError("not-found", `no comment ${commentId}`);
    if (step.kind !== "next-step") {
      throw new DomainError("invalid", `comment ${commentId} is not a next step`);
    }
    let ownerId: string;
    if (part === undefined) {
      ({ ownerId } = await authorise(ctx, tx, person, "view", step.recording_id));
    } else {
      const shown = await tx.get<{ owner_id: string }>(
        `SELECT r.owner_id FROM comments c JOIN recordings r ON r.id = c.recording_id
         WHERE c.id = ? AND c.recording_id = ? AND c.parent_id IS NULL AND c.at_seconds BETWEEN ? AND ?`,
        [commentId, part.recordingId, part.from, part.to],
      );
      if (!shown || (part.threadsOf !== null && step.author_id !== part.threadsOf)) {
        throw new DomainError("not-found", `no next step ${commentId} in this clip`);
      }
      ownerId = shown.owner_id;
    }
    if (person.id !== ownerId && person.id !== step.author_id) {
      throw new DomainError(
        "forbidden",
        "a next step is marked done by the teacher whose lesson it is or by whoever gave it",
      );
    }
    if ((step.done_at !== null) === done) return step.recording_id;
    await tx.run("UPDATE comments SET done_at = ?, done_by = ? WHERE id = ?", [
      done ? ctx.clock().toISOString() : null,
      done ? person.id : null,
      commentId,
    ]);
    await ctx.audit.append(tx, {
      actor: person.id,
      action: done ? "next-step.done" : "next-step.reopen",
      subject: step.recording_id,
      detail: { commentId },
    });
    return step.recording_id;
  });
  const found = (await comments(ctx, person, recordingId, part)).find(
    (c) => c.commentId === commentId,
  );
  if (!found) throw new Error(`comment ${commentId} vanished`);
  return found;
}
