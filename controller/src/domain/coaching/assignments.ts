/**
 * Assignments: a coach (or SLT, or the headteacher) sets one for one teacher
 * or several — a title, the focus, strands of the school's framework, a due
 * date, an optional suggestion of which lesson to record, and next steps
 * carried forward from earlier feedback. Each teacher answers with a
 * recording they own (whole, a part of it by in and out points, or a clip
 * cut from it) and a short reflection. Whoever set it may then watch that
 * recording (`assignedTo` in `decide()`); nobody else gains anything by it.
 */
import { randomUUID } from "node:crypto";
import type { Transaction } from "../../db/database.js";
import type { Person, Role } from "../access.js";
import { DomainError } from "../errors.js";
import { nameOf, notify } from "../notifications.js";
import type { CoachingContext } from "./context.js";
import { checkStrands, strandsOf, type Strand } from "./strands.js";

export const MAX_TITLE = 120;
export const MAX_FOCUS = 2000;
export const MAX_SUGGESTION = 300;
export const MAX_REFLECTION = 2000;
export const MAX_TEACHERS = 60;
/** The furthest ahead a due date may be set, in days. */
export const MAX_DUE_DAYS = 366;
/** Who sets assignments. */
export const SETTER_ROLES: readonly Role[] = ["coach", "slt", "headteacher"];

export interface Submission {
  recordingId: string;
  clipId: string | null;
  inSeconds: number | null;
  outSeconds: number | null;
  reflection: string;
  submittedAt: string;
}

export interface CarriedStep {
  commentId: number;
  recordingId: string;
  body: string;
  doneAt: string | null;
}

export interface Assignment {
  assignmentId: string;
  setBy: string;
  setByName: string;
  title: string;
  focus: string;
  strands: Strand[];
  /** The day it is due, YYYY-MM-DD. */
  dueOn: string;
  suggestion: string | null;
  createdAt: string;
  carriedForward: CarriedStep[];
  /** The teachers it is for, each with their answer: for a teacher, only themselves. */
  teachers: { teacherId: string; name: string; submission: Submission | null }[];
}

export interface AssignmentInput {
  title: string;
  focus: string;
  strands: number[];
  dueOn: string;
  teachers: string[];
  suggestion?: string | null;
  carryForward?: number[];
}

export interface SubmissionInput {
  recordingId?: string;
  clipId?: string;
  inSeconds?: number;
  outSeconds?: number;
  reflection: string;
}

/** Trimmed words, refused when empty or too long (what the words are says which). */
export function text(value: string, what: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed === "") throw new DomainError("invalid", `the ${what} is empty`);
  if (trimmed.length > max) {
    throw new DomainError("invalid", `the ${what} is ${trimmed.length} characters; at most ${max}`);
  }
  return trimmed;
}

/** A due date: a real day, not before today, at most MAX_DUE_DAYS ahead. */
export function dueDateProblem(dueOn: string, now: Date): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dueOn);
  const day = Date.parse(`${dueOn}T00:00:00Z`);
  if (!match || Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== dueOn) {
    return `the due date must be a day written YYYY-MM-DD, not '${dueOn.slice(0, 40)}'`;
  }
  const today = now.toISOString().slice(0, 10);
  if (dueOn < today) return `the due date ${dueOn} has passed; choose today or a later day`;
  const latest = new Date(Date.parse(`${today}T00:00:00Z`) + MAX_DUE_DAYS * 86_400_000)
    .toISOString()
    .slice(0, 10);
  if (dueOn > latest) {
    return `the due date ${dueOn} is more than a year ahead; choose a day until ${latest}`;
  }
  return null;
}

async function teachersProblem(
  tx: Transaction,
  setter: Person,
  teachers: readonly string[],
): Promise<string[]> {
  const unique = [...new Set(teachers)];
  if (unique.length === 0) throw new DomainError("invalid", "choose at least one teacher");
  if (unique.length > MAX_TEACHERS) {
    throw new DomainError("invalid", `an assignment is for at most ${MAX_TEACHERS} teachers`);
  }
  if (unique.includes(setter.id)) {
    throw new DomainError("invalid", "you cannot set an assignment for yourself");
  }
  for (const id of unique) {
    const row = await tx.get<{ roles_json: string; status: string }>(
      "SELECT roles_json, status FROM users WHERE id = ?",
      [id],
    );
    if (!row || row.status !== "active") {
      throw new DomainError("invalid", `'${id.slice(0, 64)}' is not an active member of staff`);
    }
    const roles = JSON.parse(row.roles_json) as Role[];
    if (!roles.includes("teacher")) {
      throw new DomainError(
        "invalid",
        `'${id}' is not a teacher: assignments are set for teachers`,
      );
    }
  }
  return unique;
}

/** Next steps to carry forward: open ones, given on a recording of one of the teachers. */
async function carriedProblem(
  tx: Transaction,
  teachers: readonly string[],
  ids: readonly number[],
): Promise<number[]> {
  const unique = [...new Set(ids)];
  for (const id of unique) {
    const row = await tx.get<{ kind: string; owner_id: string | null }>(
      `SELECT c.kind, r.owner_id FROM comments c JOIN recordings r ON r.id = c.recording_id
       WHERE c.id = ?`,
      [id],
    );
    if (!row || row.kind !== "next-step") {
      throw new DomainError("invalid", `comment ${id} is not a next step`);
    }
    if (row.owner_id === null || !teachers.includes(row.owner_id)) {
      throw new DomainError(
        "invalid",
        `next step ${id} was given on another teacher's recording: carry forward only their own`,
      );
    }
  }
  return unique;
}

export async function setAssignment(
  ctx: CoachingContext,
  person: Person,
  input: AssignmentInput,
): Promise<Assignment> {
  if (!person.roles.some((role) => SETTER_ROLES.includes(role))) {
    throw new DomainError("forbidden", "only a coach, SLT or the headteacher sets assignments");
  }
  const title = text(input.title, "title", MAX_TITLE);
  const focus = text(input.focus, "focus", MAX_FOCUS);
  const suggestion =
    input.suggestion === undefined || input.suggestion === null || input.suggestion.trim() === ""
      ? null
      : text(input.suggestion, "suggestion", MAX_SUGGESTION);
  const due = dueDateProblem(input.dueOn, ctx.clock());
  if (due !== null) throw new DomainError("invalid", due);
  const id = randomUUID();
  await ctx.db.transaction(async (tx) => {
    const teachers = await teachersProblem(tx, person, input.teachers);
    const strands = await checkStrands(tx, input.strands);
    const carried = await carriedProblem(tx, teachers, input.carryForward ?? []);
    await tx.run(
      `INSERT INTO assignments (id, set_by, title, focus, due_on, suggestion, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [id, person.id, title, focus, input.dueOn, suggestion, ctx.clock().toISOString()],
    );
    for (const strand of strands) {
      await tx.run("INSERT INTO assignment_strands (assignment_id, strand_id) VALUES (?, ?)", [
        id,
        strand,
      ]);
    }
    for (const teacher of teachers) {
      await tx.run("INSERT INTO assignment_teachers (assignment_id, teacher_id) VALUES (?, ?)", [
        id,
        teacher,
      ]);
    }
    for (const comment of carried) {
      await tx.run("INSERT INTO assignment_next_steps (assignment_id, comment_id) VALUES (?, ?)", [
        id,
        comment,
      ]);
    }
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "assignment.set",
      subject: id,
      detail: { title, teachers, dueOn: input.dueOn, strands, carriedForward: carried },
    });
    const setter = await nameOf(tx, person.id);
    for (const teacher of teachers) {
      await notify(tx, {
        userId: teacher,
        kind: "assignment-set",
        subject: `${setter} set you a coaching assignment, due ${input.dueOn}`,
        link: "coaching",
        at: ctx.clock(),
      });
    }
  });
  return assignment(ctx, person, id);
}

interface AssignmentRow {
  id: string;
  set_by: string;
  set_by_name: string;
  title: string;
  focus: string;
  due_on: string;
  suggestion: string | null;
  created_at: string;
}

interface TeacherRow {
  assignment_id: string;
  teacher_id: string;
  name: string;
  recording_id: string | null;
  clip_id: string | null;
  in_seconds: number | null;
  out_seconds: number | null;
  reflection: string | null;
  submitted_at: string | null;
}

const SELECT_ASSIGNMENT = `SELECT a.id, a.set_by, u.display_name AS set_by_name, a.title, a.focus,
  a.due_on, a.suggestion, a.created_at FROM assignments a JOIN users u ON u.id = a.set_by`;

/** The assignments of rows, each with what `person` may see of its teachers' answers. */
async function withParts(
  ctx: CoachingContext,
  person: Person,
  rows: readonly AssignmentRow[],
): Promise<Assignment[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const marks = ids.map(() => "?").join(", ");
  const strands = await strandsOf(
    ctx.db,
    `SELECT s.id, s.framework, s.code, s.name, s.version, s.retired_at, x.assignment_id AS owner
     FROM assignment_strands x JOIN strands s ON s.id = x.strand_id
     WHERE x.assignment_id IN (${marks}) ORDER BY s.position, s.id`,
    ids,
  );
  const teachers = await ctx.db.all<TeacherRow>(
    `SELECT t.assignment_id, t.teacher_id, u.display_name AS name, t.recording_id, t.clip_id,
       t.in_seconds, t.out_seconds, t.reflection, t.submitted_at
     FROM assignment_teachers t JOIN users u ON u.id = t.teacher_id
     WHERE t.assignment_id IN (${marks}) ORDER BY u.display_name, t.teacher_id`,
    ids,
  );
  const carried = await ctx.db.all<{
    assignment_id: string;
    id: number;
    recording_id: string;
    body: string;
    done_at: string | null;
  }>(
    `SELECT x.assignment_id, c.id, c.recording_id, c.body, c.done_at
     FROM assignment_next_steps x JOIN comments c ON c.id = x.comment_id
     WHERE x.assignment_id IN (${marks}) ORDER BY c.id`,
    ids,
  );
  return rows.map((row) => {
    const setter = row.set_by === person.id;
    return {
      assignmentId: row.id,
      setBy: row.set_by,
      setByName: row.set_by_name,
      title: row.title,
      focus: row.focus,
      strands: strands.get(row.id) ?? [],
      dueOn: row.due_on,
      suggestion: row.suggestion,
      createdAt: row.created_at,
      carriedForward: carried
        .filter((c) => c.assignment_id === row.id)
        .map((c) => ({
          commentId: c.id,
          recordingId: c.recording_id,
          body: c.body,
          doneAt: c.done_at,
        })),
      teachers: teachers
        .filter((t) => t.assignment_id === row.id && (setter || t.teacher_id === person.id))
        .map((t) => ({
          teacherId: t.teacher_id,
          name: t.name,
          submission:
            t.recording_id === null || t.submitted_at === null || t.reflection === null
              ? null
              : {
                  recordingId: t.recording_id,
                  clipId: t.clip_id,
                  inSeconds: t.in_seconds,
                  outSeconds: t.out_seconds,
                  reflection: t.reflection,
                  submittedAt: t.submitted_at,
                },
        })),
    };
  });
}

/** Assignments set for `person`, and those `person` set; `strand` keeps those tagged with it. */
export async function assignments(
  ctx: CoachingContext,
  person: Person,
  strand?: number,
): Promise<{ forMe: Assignment[]; setByMe: Assignment[] }> {
  const tagged =
    strand === undefined
      ? ""
      : " AND a.id IN (SELECT assignment_id FROM assignment_strands WHERE strand_id = ?)";
  const extra = strand === undefined ? [] : [strand];
  const forMe = await ctx.db.all<AssignmentRow>(
    `${SELECT_ASSIGNMENT} WHERE a.id IN
       (SELECT assignment_id FROM assignment_teachers WHERE teacher_id = ?)${tagged}
     ORDER BY a.due_on, a.created_at`,
    [person.id, ...extra],
  );
  const setByMe = await ctx.db.all<AssignmentRow>(
    `${SELECT_ASSIGNMENT} WHERE a.set_by = ?${tagged} ORDER BY a.due_on DESC, a.created_at DESC`,
    [person.id, ...extra],
  );
  return {
    forMe: await withParts(ctx, person, forMe),
    setByMe: await withParts(ctx, person, setByMe),
  };
}

/** One assignment, for whoever set it or a teacher it is for. */
export async function assignment(
  ctx: CoachingContext,
  person: Person,
  id: string,
): Promise<Assignment> {
  const row = await ctx.db.get<AssignmentRow>(`${SELECT_ASSIGNMENT} WHERE a.id = ?`, [id]);
  if (!row) throw new DomainError("not-found", `no assignment '${id}'`);
  const mine = await ctx.db.get<{ n: number }>(
    "SELECT count(*) AS n FROM assignment_teachers WHERE assignment_id = ? AND teacher_id = ?",
    [id, person.id],
  );
  if (row.set_by !== person.id && (mine?.n ?? 0) === 0) {
    throw new DomainError(
      "forbidden",
      "an assignment is for whoever set it and the teachers it was set for",
    );
  }
  const [found] = await withParts(ctx, person, [row]);
  if (!found) throw new Error(`assignment ${id} vanished`);
  return found;
}
