/**
 * Reading a school's timetable from an iCalendar feed (`.ics`), as a pure
 * function, with `node-ical`. Each VEVENT is one lesson:
 *
 * - DTSTART, DTEND (or DURATION): the lesson's times, in the event's own time zone;
 * - LOCATION: the room;
 * - SUMMARY: the class code, then the subject ("10A/Ma1 Mathematics", or
 *   "10A/Ma1 - Mathematics"): the first word is the class code;
 * - ORGANIZER (or an ATTENDEE with ROLE=CHAIR): the teacher, by e-mail address.
 *
 * An event is read on its own (with the file's VTIMEZONEs), so each problem
 * is reported at the line its BEGIN:VEVENT is on. A cancelled event is left
 * out; a repeating one (RRULE) or an all-day one is a problem: export each
 * lesson, as "export a week" does.
 */
import { createRequire } from "node:module";
import type { VEvent } from "node-ical";
import {
  fieldProblems,
  markClashes,
  MAX_LESSONS,
  MAX_TIMETABLE_BYTES,
  spanProblem,
  timeProblems,
  type LessonFile,
  type LessonLine,
} from "./lesson-lines.js";
import { fileSizeProblem } from "./form-limits.js";

interface Block {
  line: number;
  text: string;
}

/** The file's VEVENT and VTIMEZONE blocks, each with the line it begins on. */
function blocks(text: string): { events: Block[]; zones: string[]; calendar: boolean } {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const events: Block[] = [];
  const zones: string[] = [];
  let calendar = false;
  let current: { kind: "VEVENT" | "VTIMEZONE"; line: number; lines: string[] } | null = null;
  lines.forEach((raw, index) => {
    const upper = raw.toUpperCase();
    if (upper.startsWith("BEGIN:VCALENDAR")) calendar = true;
    if (current === null) {
      if (upper === "BEGIN:VEVENT" || upper === "BEGIN:VTIMEZONE") {
        current = {
          kind: upper === "BEGIN:VEVENT" ? "VEVENT" : "VTIMEZONE",
          line: index + 1,
          lines: [raw],
        };
      }
      return;
    }
    current.lines.push(raw);
    if (upper === `END:${current.kind}`) {
      const body = current.lines.join("\r\n");
      if (current.kind === "VEVENT") events.push({ line: current.line, text: body });
      else zones.push(body);
      current = null;
    }
  });
  return { events, zones, calendar };
}

const textOf = (value: unknown): string => {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && "val" in value) {
    const val = value.val;
    return typeof val === "string" ? val : "";
  }
  return "";
};

const mailto = (value: string) => value.replace(/^mailto:/i, "").trim();

function teacherOf(event: VEvent): string {
  const organizer = textOf(event.organizer);
  if (organizer !== "") return mailto(organizer);
  const attendees = Array.isArray(event.attendee)
    ? event.attendee
    : event.attendee === undefined
      ? []
      : [event.attendee];
  for (const attendee of attendees) {
    if (typeof attendee === "object" && attendee.params.ROLE === "CHAIR") {
      return mailto(attendee.val);
    }
  }
  return "";
}

/** "10A/Ma1 Mathematics" or "10A/Ma1 - Mathematics": the class code, then the subject. */
export function splitSummary(summary: string): { classCode: string; subject: string } {
  const trimmed = summary.trim();
  const space = trimmed.search(/\s/);
  if (space < 0) return { classCode: trimmed, subject: "" };
  return {
    classCode: trimmed.slice(0, space),
    subject: trimmed
      .slice(space)
      .replace(/^\s*[-–:]\s*/, "")
      .trim(),
  };
}

/**
 * DTSTART and DTEND dates that are not on the calendar (node-ical reads
 * 20260230 as 28 February rather than refusing it).
 */
function unrealDates(text: string): string[] {
  const problems: string[] = [];
  for (const line of text.split(/\r\n/)) {
    const property = /^(DTSTART|DTEND)[;:]/i.exec(line)?.[1]?.toUpperCase();
    if (property === undefined) continue;
    const value = line.slice(line.lastIndexOf(":") + 1).trim();
    const match = /^(\d{4})(\d{2})(\d{2})/.exec(value);
    const [year, month, day] = [Number(match?.[1]), Number(match?.[2]), Number(match?.[3])];
    const date = new Date(Date.UTC(year, month - 1, day));
    if (
      match === null ||
      date.getUTCFullYear() !== year ||
      date.getUTCMonth() !== month - 1 ||
      date.getUTCDate() !== day
    ) {
      problems.push(`'${value.slice(0, 40)}' is not a date (${property})`);
    }
  }
  return problems;
}

type NodeIcal = typeof import("node-ical");
let nodeIcal: NodeIcal | null = null;

/**
 * node-ical, loaded at the first feed rather than at start: with the Temporal
 * polyfill it brings it held about 2 MB of heap and paged in the time-zone
 * data in a controller that reads a feed a term (issue 21, peak RSS).
 */
function ical(): NodeIcal {
  nodeIcal ??= createRequire(import.meta.url)("node-ical") as NodeIcal;
  return nodeIcal;
}

/** Reads the feed's lessons and every problem, by the line each event begins on. Touches nothing. */
export function readTimetableIcs(text: string): LessonFile {
  const tooLarge = fileSizeProblem(
    Buffer.byteLength(text, "utf8"),
    MAX_TIMETABLE_BYTES,
    "export fewer weeks",
  );
  if (tooLarge !== null) return problem(tooLarge);
  const { events, zones, calendar } = blocks(text);
  if (!calendar) {
    return problem("this is not an iCalendar file: it has no BEGIN:VCALENDAR line");
  }
  if (events.length === 0) return problem("the calendar has no events (VEVENT) in it");
  if (events.length > MAX_LESSONS) {
    return problem(
      `the calendar has ${events.length} events; at most ${MAX_LESSONS} can be imported at once: ` +
        "export fewer weeks",
    );
  }
  const prefix = ["BEGIN:VCALENDAR", "VERSION:2.0", ...zones].join("\r\n");
  const lessons: LessonLine[] = [];
  for (const block of events) {
    const lesson = readEvent(block, prefix);
    if (lesson !== null) lessons.push(lesson);
  }
  markClashes(lessons);
  const span = spanProblem(lessons);
  return { lessons, fileProblems: span === null ? [] : [span] };
}

function problem(message: string): LessonFile {
  return { lessons: [], fileProblems: [{ line: null, message }] };
}

/** One event as a lesson, or null when it is cancelled. */
function readEvent(block: Block, prefix: string): LessonLine | null {
  const empty: LessonLine = {
    line: block.line,
    start: "",
    end: "",
    room: "",
    classCode: "",
    subject: "",
    teacher: "",
    problems: [],
  };
  const { sync } = ical(); // outside the try: a missing package is not a bad event
  let event: VEvent | undefined;
  try {
    const parsed = sync.parseICS(`${prefix}\r\n${block.text}\r\nEND:VCALENDAR\r\n`);
    event = Object.values(parsed).find(
      (component): component is VEvent => component?.type === "VEVENT",
    );
  } catch {
    event = undefined;
  }
  if (event === undefined) {
    return { ...empty, problems: ["this event cannot be read (is it cut short?)"] };
  }
  if (event.status === "CANCELLED") return null;
  const { classCode, subject } = splitSummary(textOf(event.summary));
  const lesson: LessonLine = {
    ...empty,
    room: textOf(event.location).trim(),
    classCode,
    subject,
    teacher: teacherOf(event),
  };
  const problems = fieldProblems(lesson);
  if (event.rrule !== undefined) {
    problems.push("a repeating event (RRULE) is not taken: export each lesson on its own");
  }
  const wrongDates = unrealDates(block.text);
  problems.push(...wrongDates);
  const readable = (value: unknown) =>
    value instanceof Date && wrongDates.length === 0 ? value.getTime() : Number.NaN;
  const start = readable(event.start);
  const end = readable(event.end);
  if (wrongDates.length > 0) {
    // said above
  } else if (event.datetype === "date") {
    problems.push("an all-day event is not a lesson: it needs times");
  } else if (Number.isNaN(start))
    problems.push("the event has no start time (DTSTART) that can be read");
  else if (Number.isNaN(end)) problems.push("the event has no end time (DTEND) that can be read");
  else problems.push(...timeProblems(start, end));
  const iso = (time: number) => (Number.isNaN(time) ? "" : new Date(time).toISOString());
  return { ...lesson, start: iso(start), end: iso(end), problems };
}
