/**
 * The school's timetable of lessons: importing it from the school's system
 * (CSV or iCalendar, a preview of every bad line first), the rooms and the
 * box in each, a teacher's own lessons and a booking made from one, and the
 * do-not-record list imported from the same kind of export.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { answer, BookingSchema, Obj, PolicySchema, UserId, errors } from "./schemas.js";
import { typed } from "./typed.js";
import { DateInput, DatedObject } from "./dates.js";
import { bookingView } from "./bookings.js";
import { DomainError } from "../domain/errors.js";
import { knownTimeZone } from "../domain/lesson-lines.js";
import { Lessons, TIMETABLE_MANAGERS } from "../domain/lessons.js";
import { isTimetabler, MAX_LIST_DAYS } from "../domain/timetable.js";
import { TimetableImport, type TimetableFile } from "../domain/timetable-import.js";
import { readDoNotRecordCsv } from "../domain/do-not-record-csv.js";
import {
  DO_NOT_RECORD_BODY_LIMIT,
  DoNotRecordBody,
  DoNotRecordPreviewSchema,
  LessonBookingBody,
  LessonChangesSchema,
  LessonId,
  LessonSchema,
  RoomSchema,
  RoomsBody,
  TIMETABLE_BODY_LIMIT,
  TimetableFileBody,
  TimetablePreviewSchema,
} from "./lesson-schemas.js";

const BOOKERS = ["teacher", "bursar", "slt", "headteacher"] as const;
const POLICY_MAKERS = ["slt", "headteacher", "dpo"] as const;
const DEFAULT_TIME_ZONE = "Europe/London";

function timetableFile(body: {
  format: "csv" | "ics";
  text: string;
  timeZone?: string;
}): TimetableFile {
  const timeZone = body.timeZone ?? DEFAULT_TIME_ZONE;
  if (!knownTimeZone(timeZone)) {
    throw new DomainError(
      "invalid",
      `'${timeZone}' is not a time zone: give its name, such as Europe/London`,
    );
  }
  return { format: body.format, text: body.text, timeZone };
}

export function lessonRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const importer = new TimetableImport(app.db, app.audit, app.now);
  const lessons = new Lessons(app.db, app.audit, app.timetable);

  app.post(
    "/api/timetable/import/preview",
    {
      onRequest: allow(...TIMETABLE_MANAGERS),
      bodyLimit: TIMETABLE_BODY_LIMIT,
      schema: {
        tags: ["timetable"],
        operationId: "previewTimetableImport",
        description:
          "The administrator, Bursar, SLT or headteacher: reads the school's timetable exported as CSV or iCalendar and shows the first lessons, every bad line and what is wrong with it (unknown room, unknown teacher, bad date or time, a room twice at once, over-long fields), and what importing it would change, without changing anything.",
        summary: "Check a timetable export (CSV or iCalendar) without importing it",
        body: TimetableFileBody,
        response: {
          200: answer(
            "The preview: the first lessons, every bad line, what would change",
            TimetablePreviewSchema,
          ),
          ...errors(400, 401, 403, 413),
        },
      },
    },
    async (request) => importer.preview(timetableFile(request.body)),
  );

  app.post(
    "/api/timetable/import",
    {
      onRequest: allow(...TIMETABLE_MANAGERS),
      bodyLimit: TIMETABLE_BODY_LIMIT,
      schema: {
        tags: ["timetable"],
        operationId: "importTimetable",
        description:
          "The administrator, Bursar, SLT or headteacher: imports the lessons of a timetable export, replacing those of the days it covers, in one transaction — nothing when any line has a problem. Importing the same file again changes nothing. Audited.",
        summary: "Import a timetable export: all or nothing; answers what changed",
        body: TimetableFileBody,
        response: {
          200: answer(
            "How many lessons were added, changed, removed and left as they were",
            LessonChangesSchema,
          ),
          ...errors(400, 401, 403, 413),
        },
      },
    },
    async (request) => importer.run(timetableFile(request.body), me(request).id),
  );

  app.get(
    "/api/rooms",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["timetable"],
        operationId: "listRooms",
        description:
          "Anyone signed in: the school's rooms as the timetable names them, and the box in each (or none).",
        summary: "The rooms and the box in each",
        response: { 200: answer("The rooms", Type.Array(RoomSchema)), ...errors(401, 403) },
      },
    },
    () => lessons.rooms(),
  );

  app.put(
    "/api/rooms",
    {
      onRequest: allow(...TIMETABLE_MANAGERS),
      schema: {
        tags: ["timetable"],
        operationId: "setRooms",
        description:
          "The administrator, Bursar, SLT or headteacher: replaces the list of rooms the timetable may name and the box in each (a box in one room only; none: its lessons are not booked). Audited.",
        summary: "Set the rooms and the box in each (audited)",
        body: RoomsBody,
        response: {
          200: answer("The rooms as they now are", Type.Array(RoomSchema)),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => lessons.setRooms(request.body.rooms, me(request).id),
  );

  app.get(
    "/api/lessons",
    {
      onRequest: allow(...BOOKERS),
      schema: {
        tags: ["timetable"],
        operationId: "listLessons",
        description:
          "A teacher: their own lessons in the window (at most 62 days), with the box in each room and any booking already made; the Bursar, SLT and headteacher may name another teacher.",
        summary: "My lessons in a window, to book from",
        querystring: DatedObject(
          { from: DateInput, to: DateInput, teacherId: Type.Optional(UserId) },
          { from: "from", to: "to", maxDays: MAX_LIST_DAYS },
        ),
        response: {
          200: answer("The lessons", Type.Array(LessonSchema)),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const person = me(request);
      const teacherId = request.query.teacherId ?? person.id;
      if (teacherId !== person.id && !isTimetabler(person)) {
        throw new DomainError("forbidden", "a teacher sees their own lessons only");
      }
      return lessons.of(teacherId, request.query.from, request.query.to);
    },
  );

  app.post(
    "/api/lessons/:lessonId/booking",
    {
      onRequest: allow(...BOOKERS),
      schema: {
        tags: ["timetable"],
        operationId: "bookLesson",
        description:
          "A teacher books one of their own lessons (the Bursar, SLT or headteacher anyone's): the box, times and class come from the timetable, the rest as for any booking. A class with pupils on the do-not-record list needs the mitigation before the booking is confirmed. Audited; the box gets its new schedule at once.",
        summary: "Book a lesson: room, time and class from the timetable",
        params: Obj({ lessonId: LessonId }),
        body: LessonBookingBody,
        response: {
          201: answer("The booking made", BookingSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const booking = await lessons.book(me(request), request.params.lessonId, request.body);
      return reply.code(201).send(bookingView(booking));
    },
  );

  app.post(
    "/api/policy/do-not-record/preview",
    {
      onRequest: allow(...POLICY_MAKERS),
      bodyLimit: DO_NOT_RECORD_BODY_LIMIT,
      schema: {
        tags: ["policy"],
        operationId: "previewDoNotRecordImport",
        description:
          "SLT, headteacher or DPO: reads the do-not-record list exported as CSV (a Class column; only class codes are read, no pupil's name) and shows the classes it names and every bad line, without changing the policy.",
        summary: "Check a do-not-record export (CSV) without changing the policy",
        body: DoNotRecordBody,
        response: {
          200: answer("The classes and every bad line", DoNotRecordPreviewSchema),
          ...errors(400, 401, 403, 413),
        },
      },
    },
    (request) => readDoNotRecordCsv(request.body.csv),
  );

  app.post(
    "/api/policy/do-not-record/import",
    {
      onRequest: allow(...POLICY_MAKERS),
      bodyLimit: DO_NOT_RECORD_BODY_LIMIT,
      schema: {
        tags: ["policy"],
        operationId: "importDoNotRecord",
        description:
          "SLT, headteacher or DPO: replaces the policy's do-not-record classes with those of the export, in one change — nothing when any line has a problem. Audited as a policy change; every box gets the policy at once.",
        summary: "Replace the do-not-record classes from an export (all or nothing)",
        body: DoNotRecordBody,
        response: {
          200: answer("The policy as it now is", PolicySchema),
          ...errors(400, 401, 403, 413),
        },
      },
    },
    async (request) => {
      const file = readDoNotRecordCsv(request.body.csv);
      const [fileProblem] = file.fileProblems;
      if (fileProblem !== undefined) {
        const where = fileProblem.line === null ? "" : `line ${fileProblem.line}: `;
        throw new DomainError("invalid", `nothing was imported: ${where}${fileProblem.message}`);
      }
      if (file.problems.length > 0) {
        const lines = file.problems
          .slice(0, 5)
          .map((line) => `line ${line.line}: ${line.problems.join("; ")}`)
          .join("; ");
        const more = file.problems.length > 5 ? `; and ${file.problems.length - 5} more` : "";
        throw new DomainError(
          "invalid",
          `nothing was imported: ${file.problems.length} ` +
            `${file.problems.length === 1 ? "line has a problem" : "lines have problems"} — ${lines}${more}`,
        );
      }
      const next = await app.policy.update({ doNotRecordClasses: file.classes }, me(request).id);
      await app.custodian.refreshAll();
      return next;
    },
  );
}
