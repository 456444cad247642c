/**
 * One lesson of the school's timetable as read from an export (CSV by
 * `timetable-csv.ts`, iCalendar by `timetable-ics.ts`), with every problem of
 * its line, and the checks both readers share: field lengths, the class code,
 * times in order and within bounds, one lesson per room at a time. Pure: what
 * only the database knows (the room's box, the teacher's account) is added by
 * `timetable-import.ts`.
 */
import { createHash } from "node:crypto";
import type { FileProblem } from "./csv-file.js";
import { MAX_TIMETABLE_FILE_BYTES } from "./form-limits.js";
import { CLASS_CODE_PATTERN } from "./policy.js";

/** The largest export taken at once (a secondary school's week as iCalendar is about 600 KB). */
export const MAX_TIMETABLE_BYTES = MAX_TIMETABLE_FILE_BYTES;
/** The most lessons taken at once (a week of 60 rooms and 5 periods is 1,500). */
export const MAX_LESSONS = 6000;
/** The longest stretch one import may cover, first lesson to last, in days. */
export const MAX_IMPORT_DAYS = 62;
/** The earliest and latest lesson dates taken (as the API's dates, routes/dates.ts). */
export const EARLIEST_LESSON = Date.parse("2000-01-01T00:00:00Z");
export const AFTER_LATEST_LESSON = Date.parse("2101-01-01T00:00:00Z");
/** The longest lesson, in minutes (the longest booking any policy allows). */
export const LONGEST_LESSON_MINUTES = 480;
export const MAX_ROOM_LENGTH = 64;
export const MAX_SUBJECT_LENGTH = 100;
export const MAX_TEACHER_LENGTH = 254;

/** One lesson read from the file, with every problem of its line (none: it can be imported). */
export interface LessonLine {
  /** The line of the file the lesson starts on (a CSV's header is line 1). */
  line: number;
  /** ISO 8601 in UTC; "" when it could not be read. */
  start: string;
  end: string;
  room: string;
  classCode: string;
  subject: string;
  /** As the file gives it: an e-mail address or a user name. */
  teacher: string;
  problems: string[];
}

export type { FileProblem };

export interface LessonFile {
  lessons: LessonLine[];
  /** When there are any, nothing in the file is imported. */
  fileProblems: FileProblem[];
}

const classCode = new RegExp(CLASS_CODE_PATTERN);

/** The problems of a lesson's text fields (the times are checked by `timeProblems`). */
export function fieldProblems(
  lesson: Pick<LessonLine, "room" | "classCode" | "subject" | "teacher">,
) {
  const problems: string[] = [];
  const tooLong = (what: string, value: string, most: number) => {
    if (value.length > most) {
      problems.push(`the ${what} is ${value.length} characters long; at most ${most}`);
    }
  };
  if (lesson.room === "") problems.push("no room");
  else tooLong("room", lesson.room, MAX_ROOM_LENGTH);
  if (lesson.classCode === "") problems.push("no class code");
  else if (!classCode.test(lesson.classCode)) {
    problems.push(
      `'${lesson.classCode.slice(0, 40)}' is not a class code (letters, digits, space . / _ -, ` +
        "at most 32 characters, starting with a letter or digit)",
    );
  }
  tooLong("subject", lesson.subject, MAX_SUBJECT_LENGTH);
  if (lesson.teacher === "") problems.push("no teacher");
  else tooLong("teacher", lesson.teacher, MAX_TEACHER_LENGTH);
  return problems;
}

/** The problems of a lesson's start and end (both instants, NaN when unreadable). */
export function timeProblems(start: number, end: number): string[] {
  if (Number.isNaN(start) || Number.isNaN(end)) return [];
  const problems: string[] = [];
  if (start < EARLIEST_LESSON || start >= AFTER_LATEST_LESSON) {
    problems.push("the date must be from 2000-01-01 to 2100-12-31");
  }
  if (end <= start) problems.push("the lesson ends before it starts (or as it starts)");
  else if (end - start > LONGEST_LESSON_MINUTES * 60_000) {
    problems.push(`a lesson is at most ${LONGEST_LESSON_MINUTES} minutes`);
  }
  return problems;
}

/**
 * The id a lesson is known by across imports, made from its room and start
 * (a room has one lesson at a time): the same lesson imported again is the same row.
 */
export const lessonKey = (lesson: Pick<LessonLine, "start" | "room">) =>
  createHash("sha256")
    .update(`${lesson.start}|${lesson.room.toLowerCase()}`)
    .digest("hex")
    .slice(0, 32);

/** Two lessons in one room at once are a problem on each: which one is meant? */
export function markClashes(lessons: LessonLine[]): void {
  const byRoom = new Map<string, LessonLine[]>();
  for (const lesson of lessons) {
    if (lesson.start === "" || lesson.end === "" || lesson.room === "") continue;
    // a lesson whose times are wrong is reported for them, not for what they overlap
    if (timeProblems(Date.parse(lesson.start), Date.parse(lesson.end)).length > 0) continue;
    const room = lesson.room.toLowerCase();
    byRoom.set(room, [...(byRoom.get(room) ?? []), lesson]);
  }
  for (const list of byRoom.values()) {
    list.sort((a, b) => a.start.localeCompare(b.start));
    for (let i = 0; i < list.length; i += 1) {
      const lesson = list[i];
      if (lesson === undefined) continue;
      for (let j = i + 1; j < list.length; j += 1) {
        const other = list[j];
        if (other === undefined || other.start >= lesson.end) break;
        const same = other.start === lesson.start && other.end === lesson.end;
        const what = same ? "the same lesson time" : "a lesson that overlaps it";
        lesson.problems.push(`room '${lesson.room}' has ${what} on line ${other.line} too`);
        other.problems.push(`room '${other.room}' has ${what} on line ${lesson.line} too`);
      }
    }
  }
}

/** The file's lessons span at most `MAX_IMPORT_DAYS`; otherwise a file problem. */
export function spanProblem(lessons: readonly LessonLine[]): FileProblem | null {
  const dated = lessons.filter((lesson) => lesson.start !== "");
  let first: LessonLine | undefined;
  let last: LessonLine | undefined;
  for (const lesson of dated) {
    if (first === undefined || lesson.start < first.start) first = lesson;
    if (last === undefined || lesson.start > last.start) last = lesson;
  }
  if (first === undefined || last === undefined) return null;
  const days = (Date.parse(last.start) - Date.parse(first.start)) / 86_400_000;
  if (days <= MAX_IMPORT_DAYS) return null;
  return {
    line: last.line,
    message:
      `the lessons span ${Math.ceil(days)} days (line ${first.line} is on ${first.start.slice(0, 10)}, ` +
      `line ${last.line} on ${last.start.slice(0, 10)}); at most ${MAX_IMPORT_DAYS} can be ` +
      "imported at once: export a few weeks at a time",
  };
}

/**
 * The instant a wall-clock time in `timeZone` names (the school's local
 * time), or NaN. The offset is found from what the zone says at that moment,
 * tried twice so a time just after a clock change lands right.
 */
export function zonedInstant(
  date: { year: number; month: number; day: number },
  time: { hour: number; minute: number },
  timeZone: string,
): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute);
  const check = new Date(wall);
  if (
    check.getUTCFullYear() !== date.year ||
    check.getUTCMonth() !== date.month - 1 ||
    check.getUTCDate() !== date.day
  ) {
    return Number.NaN;
  }
  let guess = wall - offset(wall, timeZone);
  guess = wall - offset(guess, timeZone);
  return guess;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** How far ahead of UTC `timeZone` is at `at`, in milliseconds. */
function offset(at: number, timeZone: string): number {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(
    format.formatToParts(new Date(at)).map((part) => [part.type, Number(part.value)]),
  );
  const local = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return local - Math.floor(at / 1000) * 1000;
}

/** Whether `timeZone` is a time zone this machine knows (an IANA name such as Europe/London). */
export function knownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone });
    return true;
  } catch {
    return false;
  }
}
