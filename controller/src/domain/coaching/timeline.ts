/**
 * A teacher's coaching timeline over the year: the assignments set for them,
 * the feedback given on their lessons, and their next steps. The teacher
 * sees all of theirs; anyone else (a coach, SLT) only what they set or gave
 * themselves. There is no rating anywhere, and only the teacher may take it
 * away (an export of their own), as the policy keeps coaching out of
 * performance management unless the teacher offers it.
 */
import type { Person } from "../access.js";
import { DomainError } from "../errors.js";
import type { CommentKind } from "../recordings/model.js";
import { assignments, type Assignment } from "./assignments.js";
import type { CoachingContext } from "./context.js";
import { strandsOf, type Strand } from "./strands.js";

/** The most of each part a timeline holds. */
export const MAX_TIMELINE = 500;

export interface Feedback {
  commentId: number;
  recordingId: string;
  authorId: string;
  authorName: string;
  kind: Exclude<CommentKind, "comment">;
  body: string;
  atSeconds: number;
  strands: Strand[];
  createdAt: string;
  /** A next step: when it was marked done (null: open, or another kind). */
  doneAt: string | null;
  /** The teacher's replies to it. */
  replies: number;
}

export interface Timeline {
  teacherId: string;
  teacherName: string;
  /** Whether this is the asker's own timeline (everything), or only what the asker set and gave. */
  own: boolean;
  assignments: Assignment[];
  feedback: Feedback[];
  /** The feedback that is a next step, open ones first. */
  nextSteps: Feedback[];
}

export async function timeline(
  ctx: CoachingContext,
  person: Person,
  teacherId: string,
  strand?: number,
): Promise<Timeline> {
  const teacher = await ctx.db.get<{ display_name: string }>(
    "SELECT display_name FROM users WHERE id = ?",
    [teacherId],
  );
  if (!teacher) throw new DomainError("not-found", `no member of staff '${teacherId}'`);
  const own = teacherId === person.id;
  const { forMe, setByMe } = await assignments(ctx, person, strand);
  const theirs = own
    ? forMe
    : setByMe
        .filter((a) => a.teachers.some((t) => t.teacherId === teacherId))
        .map((a) => ({ ...a, teachers: a.teachers.filter((t) => t.teacherId === teacherId) }));
  const conditions = ["r.owner_id = ?", "c.kind <> 'comment'", "c.parent_id IS NULL"];
  const params: unknown[] = [teacherId];
  if (!own) {
    conditions.push("c.author_id = ?");
    params.push(person.id);
  }
  if (strand !== undefined) {
    conditions.push("c.id IN (SELECT comment_id FROM comment_strands WHERE strand_id = ?)");
    params.push(strand);
  }
  const rows = await ctx.db.all<{
    id: number;
    recording_id: string;
    author_id: string;
    display_name: string;
    kind: Feedback["kind"];
    body: string;
    at_seconds: number;
    created_at: string;
    done_at: string | null;
    replies: number;
  }>(
    `SELECT c.id, c.recording_id, c.author_id, u.display_name, c.kind, c.body, c.at_seconds,
       c.created_at, c.done_at,
       (SELECT count(*) FROM comments x WHERE x.parent_id = c.id) AS replies
     FROM comments c JOIN recordings r ON r.id = c.recording_id JOIN users u ON u.id = c.author_id
     WHERE ${conditions.join(" AND ")} AND r.deleted_at IS NULL
     ORDER BY c.created_at DESC, c.id DESC LIMIT ${MAX_TIMELINE}`,
    params,
  );
  const ids = rows.map((r) => r.id);
  const strands = await strandsOf(
    ctx.db,
    `SELECT s.id, s.framework, s.code, s.name, s.version, s.retired_at, x.comment_id AS owner
     FROM comment_strands x JOIN strands s ON s.id = x.strand_id
     WHERE x.comment_id IN (${ids.map(() => "?").join(", ")}) ORDER BY s.position, s.id`,
    ids,
  );
  const feedback: Feedback[] = rows.map((r) => ({
    commentId: r.id,
    recordingId: r.recording_id,
    authorId: r.author_id,
    authorName: r.display_name,
    kind: r.kind,
    body: r.body,
    atSeconds: r.at_seconds,
    strands: strands.get(String(r.id)) ?? [],
    createdAt: r.created_at,
    doneAt: r.done_at,
    replies: r.replies,
  }));
  const nextSteps = feedback
    .filter((f) => f.kind === "next-step")
    .sort((a, b) => Number(a.doneAt !== null) - Number(b.doneAt !== null));
  return {
    teacherId,
    teacherName: teacher.display_name,
    own,
    assignments: theirs.slice(0, MAX_TIMELINE),
    feedback,
    nextSteps,
  };
}

/** A cell of CSV: quoted, and never read as a formula by a spreadsheet. */
function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}

const strandWords = (strands: readonly Strand[]) =>
  strands.map((s) => `${s.code} ${s.name}`).join("; ");

/** The teacher's own timeline as a file to keep: JSON, or CSV for a spreadsheet (audited). */
export async function exportTimeline(
  ctx: CoachingContext,
  person: Person,
  format: "json" | "csv",
): Promise<{ filename: string; contentType: string; body: string }> {
  const mine = await timeline(ctx, person, person.id);
  await ctx.audit.record({
    actor: person.id,
    action: "coaching.export",
    subject: person.id,
    detail: { format },
  });
  const day = ctx.clock().toISOString().slice(0, 10);
  const filename = `coaching-timeline-${person.id}-${day}.${format}`;
  if (format === "json") {
    return {
      filename,
      contentType: "application/json; charset=utf-8",
      body: JSON.stringify(mine, null, 2),
    };
  }
  const lines = [["date", "what", "title or kind", "words", "strands", "due or done"]];
  for (const a of mine.assignments) {
    const answer = a.teachers[0]?.submission ?? null;
    lines.push([
      a.createdAt,
      `assignment set by ${a.setByName}`,
      a.title,
      a.focus,
      strandWords(a.strands),
      `due ${a.dueOn}`,
    ]);
    if (answer !== null) {
      lines.push([answer.submittedAt, "my answer", a.title, answer.reflection, "", ""]);
    }
  }
  for (const f of mine.feedback) {
    lines.push([
      f.createdAt,
      `feedback from ${f.authorName}`,
      f.kind,
      f.body,
      strandWords(f.strands),
      f.doneAt === null ? "" : `done ${f.doneAt}`,
    ]);
  }
  return {
    filename,
    contentType: "text/csv; charset=utf-8",
    body: `${lines.map((line) => line.map(cell).join(",")).join("\r\n")}\r\n`,
  };
}
