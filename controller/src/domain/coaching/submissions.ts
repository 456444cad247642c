/**
 * Answering an assignment: a teacher it was set for answers it once with a
 * recording of their own (whole, or between in and out points) or a clip of
 * their own, and a short reflection. The answer puts whoever set it among
 * those who may watch that recording (`assignedTo`, read by
 * `recordings/context.ts`) or that clip (`clipAssignedTo`); the setter is told.
 */
import type { Transaction } from "../../db/database.js";
import { COLLEAGUE_ROLES, type Person } from "../access.js";
import { DomainError } from "../errors.js";
import { nameOf, notify } from "../notifications.js";
import {
  MAX_REFLECTION,
  assignment,
  text,
  type Assignment,
  type SubmissionInput,
} from "./assignments.js";
import type { CoachingContext } from "./context.js";

/** What a submission answers with: the recording, and the clip when one is named. */
async function answerOf(
  tx: Transaction,
  person: Person,
  input: SubmissionInput,
): Promise<{ recordingId: string; clipId: string | null }> {
  if (input.clipId !== undefined) {
    if (input.recordingId !== undefined || input.inSeconds !== undefined) {
      throw new DomainError("invalid", "answer with a clip, or with a recording: not both");
    }
    const clip = await tx.get<{
      recording_id: string;
      owner_id: string;
      deleted_at: string | null;
    }>("SELECT recording_id, owner_id, deleted_at FROM clips WHERE id = ?", [input.clipId]);
    if (!clip || clip.deleted_at !== null) {
      throw new DomainError("not-found", `no clip '${input.clipId}'`);
    }
    if (clip.owner_id !== person.id) {
      throw new DomainError("forbidden", "answer with a clip of your own");
    }
    return { recordingId: clip.recording_id, clipId: input.clipId };
  }
  if (input.recordingId === undefined) {
    throw new DomainError("invalid", "choose the recording (or the clip) that answers it");
  }
  const row = await tx.get<{
    owner_id: string | null;
    deleted_at: string | null;
    duration_seconds: number | null;
  }>("SELECT owner_id, deleted_at, duration_seconds FROM recordings WHERE id = ?", [
    input.recordingId,
  ]);
  if (!row || row.deleted_at !== null) {
    throw new DomainError("not-found", `no recording '${input.recordingId}'`);
  }
  if (row.owner_id !== person.id) {
    throw new DomainError("forbidden", "answer with a recording of your own lesson");
  }
  const { inSeconds, outSeconds } = input;
  if ((inSeconds === undefined) !== (outSeconds === undefined)) {
    throw new DomainError("invalid", "give both the in and the out point, or neither");
  }
  if (inSeconds !== undefined && outSeconds !== undefined) {
    if (outSeconds <= inSeconds) {
      throw new DomainError("invalid", "the out point must come after the in point");
    }
    if (row.duration_seconds !== null && outSeconds > row.duration_seconds) {
      throw new DomainError(
        "invalid",
        `the recording is ${Math.floor(row.duration_seconds)} s long; the out point ${outSeconds} s is past its end`,
      );
    }
  }
  return { recordingId: input.recordingId, clipId: null };
}

export async function submit(
  ctx: CoachingContext,
  person: Person,
  id: string,
  input: SubmissionInput,
): Promise<Assignment> {
  const reflection = text(input.reflection, "reflection", MAX_REFLECTION);
  if (!person.roles.some((role) => COLLEAGUE_ROLES.includes(role))) {
    throw new DomainError("forbidden", "assignments are answered by teachers");
  }
  await ctx.db.transaction(async (tx) => {
    const row = await tx.get<{ submitted_at: string | null; set_by: string }>(
      `SELECT t.submitted_at, a.set_by FROM assignment_teachers t
       JOIN assignments a ON a.id = t.assignment_id
       WHERE t.assignment_id = ? AND t.teacher_id = ?`,
      [id, person.id],
    );
    if (!row) {
      const exists = await tx.get("SELECT 1 FROM assignments WHERE id = ?", [id]);
      if (!exists) throw new DomainError("not-found", `no assignment '${id}'`);
      throw new DomainError("forbidden", "this assignment was not set for you");
    }
    if (row.submitted_at !== null) {
      throw new DomainError("conflict", "you have already answered this assignment");
    }
    const answer = await answerOf(tx, person, input);
    const at = ctx.clock().toISOString();
    await tx.run(
      `UPDATE assignment_teachers SET recording_id = ?, clip_id = ?, in_seconds = ?,
         out_seconds = ?, reflection = ?, submitted_at = ?
       WHERE assignment_id = ? AND teacher_id = ?`,
      [
        answer.recordingId,
        answer.clipId,
        input.inSeconds ?? null,
        input.outSeconds ?? null,
        reflection,
        at,
        id,
        person.id,
      ],
    );
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "assignment.submit",
      subject: id,
      detail: {
        recordingId: answer.recordingId,
        ...(answer.clipId !== null && { clipId: answer.clipId }),
        setBy: row.set_by,
      },
    });
    await notify(tx, {
      userId: row.set_by,
      kind: "assignment-answered",
      subject: `${await nameOf(tx, person.id)} answered your coaching assignment`,
      link: "coaching",
      at: ctx.clock(),
    });
  });
  return assignment(ctx, person, id);
}

/** Who set the assignments a clip answers (for the clip's own access rule). */
export async function clipAssignedTo(
  db: Pick<Transaction, "all">,
  clipId: string,
): Promise<string[]> {
  const rows = await db.all<{ set_by: string }>(
    `SELECT DISTINCT a.set_by FROM assignment_teachers t JOIN assignments a ON a.id = t.assignment_id
     WHERE t.clip_id = ? AND t.submitted_at IS NOT NULL`,
    [clipId],
  );
  return rows.map((r) => r.set_by);
}
