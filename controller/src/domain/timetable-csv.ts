/**
 * Reading a school's timetable exported as CSV, as a pure function: one
 * lesson a line, columns found by their header (any case, spaces ignored):
 *
 * | column  | header names taken                          | example            |
 * |---------|---------------------------------------------|--------------------|
 * | date    | Date, Lesson date, Day                      | 2026-12-07 or 07/12/2026 |
 * | start   | Start, Start time, From, Period start       | 08:50              |
 * | end     | End, End time, To, Period end               | 09:50              |
 * | room    | Room, Location                              | M12                |
 * | class   | Class, Class code, Group, Teaching group    | 10A/Ma1            |
 * | subject | Subject (optional)                          | Mathematics        |
 * | teacher | Teacher, Teacher email, Staff, Email        | j.smith@school.org |
 *
 * Times are the school's local time (`timeZone`). Every problem of every line
 * is reported by its line number; bounded like the staff list (`staff-csv.ts`).
 */
import {
  fieldProblems,
  markClashes,
  MAX_LESSONS,
  MAX_TIMETABLE_BYTES,
  spanProblem,
  timeProblems,
  zonedInstant,
  type FileProblem,
  type LessonFile,
  type LessonLine,
} from "./lesson-lines.js";
import { normalHeader, readCsvRecords, type Entry } from "./csv-file.js";

type Column = "date" | "start" | "end" | "room" | "classCode" | "subject" | "teacher";

const HEADERS: Record<string, Column> = {
  date: "date",
  lessondate: "date",
  day: "date",
  start: "start",
  starttime: "start",
  from: "start",
  periodstart: "start",
  end: "end",
  endtime: "end",
  to: "end",
  periodend: "end",
  room: "room",
  location: "room",
  class: "classCode",
  classcode: "classCode",
  group: "classCode",
  teachinggroup: "classCode",
  subject: "subject",
  teacher: "teacher",
  teacheremail: "teacher",
  staff: "teacher",
  staffemail: "teacher",
  email: "teacher",
};

const REQUIRED: readonly [Column, string][] = [
  ["date", "Date"],
  ["start", "Start"],
  ["end", "End"],
  ["room", "Room"],
  ["classCode", "Class"],
  ["teacher", "Teacher"],
];

function readHeader(header: readonly string[]): Map<Column, number> | string {
  const columns = new Map<Column, number>();
  header.forEach((name, index) => {
    const column = HEADERS[normalHeader(name)];
    if (column !== undefined && !columns.has(column)) columns.set(column, index);
  });
  const missing = REQUIRED.filter(([column]) => !columns.has(column)).map(([, name]) => name);
  if (missing.length === 0) return columns;
  const found = header.map((name) => `"${name}"`).join(", ");
  return `the header line (${found}) has no column for ${missing.join(", ")}`;
}

/** Reads the file's lessons and every problem, by line. Touches nothing. */
export function readTimetableCsv(text: string, timeZone: string): LessonFile {
  const read = readCsvRecords(text, MAX_TIMETABLE_BYTES, "export fewer weeks");
  if (!read.ok) return { lessons: [], fileProblems: [read.problem] };
  const { header, rows } = read;
  if (header === undefined) {
    return problem(
      null,
      "the file is empty: it needs a header line (Date, Start, End, Room, Class, Subject, Teacher) " +
        "and a line for each lesson",
    );
  }
  const columns = readHeader(header.record);
  if (typeof columns === "string") return problem(header.line, columns);
  if (rows.length === 0) return problem(null, "the file has a header line but no lesson under it");
  if (rows.length > MAX_LESSONS) {
    return problem(
      rows[MAX_LESSONS]?.line ?? null,
      `the file lists ${rows.length} lessons; at most ${MAX_LESSONS} can be imported at once: ` +
        "export fewer weeks",
    );
  }
  const lessons = rows.map((row) => readLine(row, header.record.length, columns, timeZone));
  markClashes(lessons);
  const span = spanProblem(lessons);
  return { lessons, fileProblems: span === null ? [] : [span] };
}

function problem(line: number | null, message: string): LessonFile {
  return { lessons: [], fileProblems: [{ line, message } satisfies FileProblem] };
}

function readLine(
  entry: Entry,
  headerFields: number,
  columns: Map<Column, number>,
  timeZone: string,
): LessonLine {
  const { record } = entry;
  const at = (column: Column) => {
    const index = columns.get(column);
    return index === undefined ? "" : (record[index] ?? "").trim();
  };
  const problems: string[] = [];
  if (record.length !== headerFields) {
    problems.push(
      `this line has ${record.length} fields where the header has ${headerFields} ` +
        "(a field with a comma in it goes inside quotes)",
    );
  }
  const fields = {
    room: at("room"),
    classCode: at("classCode"),
    subject: at("subject"),
    teacher: at("teacher"),
  };
  problems.push(...fieldProblems(fields));
  const date = readDate(at("date"), problems);
  const startTime = readTime(at("start"), "start", problems);
  const endTime = readTime(at("end"), "end", problems);
  let start = Number.NaN;
  let end = Number.NaN;
  if (date !== null && startTime !== null && endTime !== null) {
    start = zonedInstant(date, startTime, timeZone);
    end = zonedInstant(date, endTime, timeZone);
    problems.push(...timeProblems(start, end));
  }
  const iso = (time: number) => (Number.isNaN(time) ? "" : new Date(time).toISOString());
  return {
    line: entry.line,
    start: iso(start),
    end: iso(end),
    ...fields,
    problems,
  };
}

/** 2026-12-07 or 07/12/2026 (day first, as schools in the UK write it). */
function readDate(text: string, problems: string[]) {
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  const dayFirst = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(text);
  const [year, month, day] = iso
    ? [iso[1], iso[2], iso[3]]
    : dayFirst
      ? [dayFirst[3], dayFirst[2], dayFirst[1]]
      : [];
  const date = { year: Number(year), month: Number(month), day: Number(day) };
  const real = new Date(Date.UTC(date.year, date.month - 1, date.day));
  if (
    year === undefined ||
    real.getUTCFullYear() !== date.year ||
    real.getUTCMonth() !== date.month - 1 ||
    real.getUTCDate() !== date.day
  ) {
    problems.push(
      text === ""
        ? "no date"
        : `'${text.slice(0, 40)}' is not a date (write 2026-12-07 or 07/12/2026)`,
    );
    return null;
  }
  return date;
}

/** 08:50, 8:50 or 08.50, on a 24-hour clock. */
function readTime(text: string, which: "start" | "end", problems: string[]) {
  const match = /^(\d{1,2})[:.](\d{2})(?::00)?$/.exec(text);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (match === null || hour > 23 || minute > 59) {
    problems.push(
      text === ""
        ? `no ${which} time`
        : `the ${which} time '${text.slice(0, 40)}' is not a time (write 08:50, on a 24-hour clock)`,
    );
    return null;
  }
  return { hour, minute };
}
