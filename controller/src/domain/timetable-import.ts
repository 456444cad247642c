/**
 * Importing the school's timetable of lessons (CSV by `timetable-csv.ts`,
 * iCalendar by `timetable-ics.ts`): a preview first, with the first lessons,
 * every bad line and what is wrong — including what only the database knows:
 * a room not on the school's list of rooms, a teacher with no account — and
 * what the import would change; then the import, all or nothing, in one
 * transaction. The file is read and checked again at import.
 *
 * The file replaces the lessons of the days it covers (its first lesson's day
 * to its last's, UTC): a lesson is known by its room and start, so importing
 * the same file twice changes nothing, and a re-import answers how many
 * lessons were added, changed (another end, class, subject or teacher) and
 * removed. Teachers are matched by user name, by the e-mail address they sign
 * in with at the school's identity provider, or by the part of their e-mail
 * address before the @ (the user name the staff import makes from it).
 */
import type { Database, Transaction } from "../db/database.js";
import type { Role } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import { lessonKey, type FileProblem, type LessonFile, type LessonLine } from "./lesson-lines.js";
import { readTimetableCsv } from "./timetable-csv.js";
import { readTimetableIcs } from "./timetable-ics.js";

export const TIMETABLE_FORMATS = ["csv", "ics"] as const;
export type TimetableFormat = (typeof TIMETABLE_FORMATS)[number];
/** How many lessons the preview shows as they will be imported. */
export const PREVIEW_LESSONS = 20;

export interface TimetableFile {
  format: TimetableFormat;
  text: string;
  /** The school's time zone, for a CSV's times (an .ics names its own). */
  timeZone: string;
}

/** A lesson as imported: its room's box and its teacher's account resolved. */
export interface ResolvedLesson extends LessonLine {
  teacherId: string;
  deviceId: string | null;
}

export interface LessonChanges {
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  /** The days the file replaces, [from, to). */
  from: string | null;
  to: string | null;
}

export interface TimetablePreview {
  /** The first lessons of the file, as they will be imported. */
  first: ResolvedLesson[];
  /** Every line with a problem, and what is wrong. */
  problems: LessonLine[];
  fileProblems: FileProblem[];
  lessons: number;
  good: number;
  bad: number;
  /** Rooms the file names that are not on the school's list, and the lines they are on. */
  unknownRooms: { room: string; lines: number[] }[];
  /** Teachers the file names that have no account, and the lines they are on. */
  unknownTeachers: { teacher: string; lines: number[] }[];
  /** What importing the file would change (nothing is changed by the preview). */
  changes: LessonChanges;
}

interface LessonRow {
  id: string;
  start_at: string;
  end_at: string;
  room: string;
  class_code: string;
  subject: string;
  teacher_id: string;
}

/** "line 3: …; line 7: …", at most `most` of them, and how many more. */
export function lessonsInWords(lines: readonly LessonLine[], most = 5): string {
  const shown = lines
    .slice(0, most)
    .map((lesson) => `line ${lesson.line}: ${lesson.problems.join("; ")}`);
  const more = lines.length > most ? `; and ${lines.length - most} more` : "";
  return shown.join("; ") + more;
}

const DAY = 86_400_000;

export class TimetableImport {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock = () => new Date(),
  ) {}

  private read(file: TimetableFile): LessonFile {
    return file.format === "csv"
      ? readTimetableCsv(file.text, file.timeZone)
      : readTimetableIcs(file.text);
  }

  /** The file's lessons, rooms and teachers resolved, every problem found. */
  private async resolve(
    reader: Pick<Transaction, "all">,
    file: TimetableFile,
  ): Promise<{ read: LessonFile; lessons: ResolvedLesson[] }> {
    const read = this.read(file);
    const rooms = new Map(
      (
        await reader.all<{ name: string; device_id: string | null }>(
          "SELECT name, device_id FROM rooms",
        )
      ).map((row) => [row.name.toLowerCase(), row.device_id]),
    );
    const users = await reader.all<{ id: string; status: string; roles_json: string }>(
      "SELECT id, status, roles_json FROM users",
    );
    const byId = new Map(users.map((user) => [user.id.toLowerCase(), user]));
    const byEmail = new Map(
      (
        await reader.all<{ email: string; user_id: string }>(
          "SELECT email, user_id FROM oidc_identities",
        )
      ).map((row) => [row.email.toLowerCase(), row.user_id.toLowerCase()]),
    );
    const lessons = read.lessons.map((lesson): ResolvedLesson => {
      const problems = [...lesson.problems];
      let deviceId: string | null = null;
      if (lesson.room !== "") {
        const room = rooms.get(lesson.room.toLowerCase());
        if (room === undefined) {
          problems.push(
            `unknown room '${lesson.room}': add it to the school's rooms (with its box, or none)`,
          );
        } else deviceId = room;
      }
      let teacherId = "";
      if (lesson.teacher !== "") {
        const named = lesson.teacher.toLowerCase();
        const id = byEmail.get(named) ?? (named.includes("@") ? named.split("@")[0] : named);
        const user = id === undefined ? undefined : byId.get(id);
        if (user === undefined) {
          problems.push(
            `unknown teacher '${lesson.teacher}': no account has this e-mail address or user name`,
          );
        } else if (user.status !== "active") {
          problems.push(`the teacher '${lesson.teacher}' has no active account`);
        } else if (!(JSON.parse(user.roles_json) as Role[]).includes("teacher")) {
          problems.push(`'${lesson.teacher}' (${user.id}) is not a teacher`);
        } else teacherId = user.id;
      }
      return { ...lesson, problems, teacherId, deviceId };
    });
    return { read, lessons };
  }

  /** What the good lessons would change among the stored ones of the days the file covers. */
  private async changes(
    reader: Pick<Transaction, "all">,
    lessons: readonly ResolvedLesson[],
  ): Promise<{ changes: LessonChanges; stored: Map<string, LessonRow> }> {
    const starts = lessons
      .map((lesson) => Date.parse(lesson.start))
      .filter((t) => !Number.isNaN(t));
    const none = { added: 0, changed: 0, removed: 0, unchanged: 0, from: null, to: null };
    if (starts.length === 0) return { changes: none, stored: new Map() };
    const from = new Date(Math.floor(Math.min(...starts) / DAY) * DAY).toISOString();
    const to = new Date((Math.floor(Math.max(...starts) / DAY) + 1) * DAY).toISOString();
    const rows = await reader.all<LessonRow>(
      "SELECT id, start_at, end_at, room, class_code, subject, teacher_id FROM lessons " +
        "WHERE start_at >= ? AND start_at < ?",
      [from, to],
    );
    const stored = new Map(rows.map((row) => [row.id, row]));
    let added = 0;
    let changed = 0;
    let unchanged = 0;
    const kept = new Set<string>();
    for (const lesson of lessons) {
      const key = lessonKey(lesson);
      kept.add(key);
      const row = stored.get(key);
      if (row === undefined) added += 1;
      else if (same(row, lesson)) unchanged += 1;
      else changed += 1;
    }
    const removed = rows.filter((row) => !kept.has(row.id)).length;
    return { changes: { added, changed, removed, unchanged, from, to }, stored };
  }

  /** Every problem of every line and what the import would change, without changing anything. */
  async preview(file: TimetableFile): Promise<TimetablePreview> {
    const { read, lessons } = await this.resolve(this.db, file);
    const problems = lessons.filter((lesson) => lesson.problems.length > 0);
    const good = lessons.filter((lesson) => lesson.problems.length === 0);
    const { changes } = await this.changes(this.db, good);
    return {
      first: lessons.slice(0, PREVIEW_LESSONS),
      problems,
      fileProblems: read.fileProblems,
      lessons: lessons.length,
      good: good.length,
      bad: problems.length,
      unknownRooms: gather(lessons, "room", "unknown room"),
      unknownTeachers: gather(lessons, "teacher", "unknown teacher"),
      changes,
    };
  }

  /** Imports every lesson of the file, or none when any line has a problem. Audited. */
  async run(file: TimetableFile, actor: string): Promise<LessonChanges> {
    return this.db.transaction(async (tx) => {
      const { read, lessons } = await this.resolve(tx, file);
      const [fileProblem] = read.fileProblems;
      if (fileProblem !== undefined) {
        const where = fileProblem.line === null ? "" : `line ${fileProblem.line}: `;
        throw new DomainError("invalid", `nothing was imported: ${where}${fileProblem.message}`);
      }
      const bad = lessons.filter((lesson) => lesson.problems.length > 0);
      if (bad.length > 0) {
        throw new DomainError(
          "invalid",
          `nothing was imported: ${bad.length} of ${lessons.length} lessons have problems — ` +
            lessonsInWords(bad),
        );
      }
      const { changes, stored } = await this.changes(tx, lessons);
      const now = this.clock().toISOString();
      const kept = new Set<string>();
      for (const lesson of lessons) {
        const key = lessonKey(lesson);
        kept.add(key);
        const row = stored.get(key);
        if (row !== undefined && same(row, lesson)) continue;
        await tx.run(
          "INSERT INTO lessons (id, start_at, end_at, room, class_code, subject, teacher_id, imported_at) " +
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET end_at = excluded.end_at, " +
            "room = excluded.room, class_code = excluded.class_code, subject = excluded.subject, " +
            "teacher_id = excluded.teacher_id, imported_at = excluded.imported_at",
          [
            key,
            lesson.start,
            lesson.end,
            lesson.room,
            lesson.classCode,
            lesson.subject,
            lesson.teacherId,
            now,
          ],
        );
      }
      for (const id of stored.keys()) {
        if (!kept.has(id)) await tx.run("DELETE FROM lessons WHERE id = ?", [id]);
      }
      await this.audit.append(tx, {
        actor,
        action: "timetable.import",
        subject: "",
        detail: { format: file.format, lessons: lessons.length, ...changes },
      });
      return changes;
    });
  }
}

function same(row: LessonRow, lesson: ResolvedLesson): boolean {
  return (
    row.end_at === lesson.end &&
    row.room === lesson.room &&
    row.class_code === lesson.classCode &&
    row.subject === lesson.subject &&
    row.teacher_id === lesson.teacherId
  );
}

/** The distinct values of `field` on lines with a problem starting `prefix`, with their lines. */
function gather<F extends "room" | "teacher">(
  lessons: readonly ResolvedLesson[],
  field: F,
  prefix: string,
): ({ lines: number[] } & Record<F, string>)[] {
  const found = new Map<string, { value: string; lines: number[] }>();
  for (const lesson of lessons) {
    if (!lesson.problems.some((problem) => problem.startsWith(prefix))) continue;
    const key = lesson[field].toLowerCase();
    const entry = found.get(key) ?? { value: lesson[field], lines: [] };
    entry.lines.push(lesson.line);
    found.set(key, entry);
  }
  return [...found.values()].map(
    ({ value, lines }) => ({ [field]: value, lines }) as { lines: number[] } & Record<F, string>,
  );
}
