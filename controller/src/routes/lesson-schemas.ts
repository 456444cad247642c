/**
 * The timetable import's bodies and answers (routes/lessons.ts,
 * domain/timetable-import.ts, domain/lessons.ts), kept apart from the routes
 * so the dashboard takes its types from them (`import type`).
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { MAX_TIMETABLE_BYTES, MAX_ROOM_LENGTH } from "../domain/lesson-lines.js";
import { MAX_ROOMS } from "../domain/lessons.js";
import { TIMETABLE_FORMATS } from "../domain/timetable-import.js";
import { MAX_DO_NOT_RECORD_BYTES } from "../domain/do-not-record-csv.js";
import {
  BookingMasks,
  ClassCode,
  DeviceId,
  Mitigation,
  Obj,
  OneOf,
  Timestamp,
  UserId,
} from "./schemas.js";
import { BOOKING_PURPOSES } from "@classcam/protocol";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** The request body's bound: the file escaped as JSON may nearly double (an .ics's CRLFs). */
export const TIMETABLE_BODY_LIMIT = 4 * MAX_TIMETABLE_BYTES + 16 * 1024;
export const DO_NOT_RECORD_BODY_LIMIT = 4 * MAX_DO_NOT_RECORD_BYTES + 16 * 1024;

export const TimetableFileBody = Obj({
  format: OneOf(TIMETABLE_FORMATS),
  text: Type.String({
    maxLength: 2 * MAX_TIMETABLE_BYTES,
    description:
      "The export's text: CSV (Date, Start, End, Room, Class, Subject, Teacher) or iCalendar (one VEVENT a lesson)",
  }),
  timeZone: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: "The school's time zone, for a CSV's times (default Europe/London)",
    }),
  ),
});

export const LessonLineSchema = Obj({
  line: Type.Integer({
    description: "The line of the file (a CSV's header is line 1; an event's BEGIN:VEVENT)",
  }),
  start: Type.String(),
  end: Type.String(),
  room: Type.String(),
  classCode: Type.String(),
  subject: Type.String(),
  teacher: Type.String(),
  problems: Type.Array(Type.String(), { description: "Empty: the lesson can be imported" }),
});

export const ResolvedLessonSchema = Type.Composite(
  [LessonLineSchema, Obj({ teacherId: Type.String(), deviceId: Nullable(Type.String()) })],
  { additionalProperties: false },
);

export const LessonChangesSchema = Obj({
  added: Type.Integer(),
  changed: Type.Integer(),
  removed: Type.Integer(),
  unchanged: Type.Integer(),
  from: Nullable(Type.String({ description: "The first day the file replaces" })),
  to: Nullable(Type.String({ description: "The day after the last one it replaces" })),
});

const FileProblems = Type.Array(Obj({ line: Nullable(Type.Integer()), message: Type.String() }), {
  description: "Problems of the whole file (empty, no header, too large): nothing can be imported",
});

export const TimetablePreviewSchema = Obj({
  first: Type.Array(ResolvedLessonSchema, {
    description: "The first lessons, as they will be imported",
  }),
  problems: Type.Array(LessonLineSchema, { description: "Every line with a problem" }),
  fileProblems: FileProblems,
  lessons: Type.Integer(),
  good: Type.Integer(),
  bad: Type.Integer(),
  unknownRooms: Type.Array(Obj({ room: Type.String(), lines: Type.Array(Type.Integer()) })),
  unknownTeachers: Type.Array(Obj({ teacher: Type.String(), lines: Type.Array(Type.Integer()) })),
  changes: LessonChangesSchema,
});

export const RoomSchema = Obj({
  room: Type.String({ minLength: 1, maxLength: MAX_ROOM_LENGTH }),
  deviceId: Nullable(DeviceId),
});
export const RoomsBody = Obj({ rooms: Type.Array(RoomSchema, { maxItems: MAX_ROOMS }) });

export const LessonSchema = Obj({
  lessonId: Type.String(),
  start: Timestamp,
  end: Timestamp,
  room: Type.String(),
  classCode: Type.String(),
  subject: Type.String(),
  teacherId: UserId,
  deviceId: Nullable(Type.String({ description: "The box in the room; null: none" })),
  bookingId: Nullable(
    Type.String({ description: "The booking already made of the lesson, if any" }),
  ),
});

export const LessonId = Type.String({ pattern: "^[0-9a-f]{32}$", maxLength: 32 });

export const LessonBookingBody = Obj({
  purpose: OneOf(BOOKING_PURPOSES),
  staff: Type.Optional(Type.Array(UserId, { minItems: 1, maxItems: 20 })),
  audio: Type.Optional(Type.Boolean()),
  mitigation: Type.Optional(Nullable(Mitigation)),
  masks: Type.Optional(BookingMasks),
  status: Type.Optional(OneOf(["draft", "confirmed"])),
});

export const DoNotRecordBody = Obj({
  csv: Type.String({
    maxLength: 2 * MAX_DO_NOT_RECORD_BYTES,
    description:
      "The export's text: a header line with a Class column, then a line per class (or pupil)",
  }),
});

export const DoNotRecordPreviewSchema = Obj({
  classes: Type.Array(ClassCode, { description: "The class codes, each once: the new list" }),
  problems: Type.Array(
    Obj({ line: Type.Integer(), classCode: Type.String(), problems: Type.Array(Type.String()) }),
  ),
  fileProblems: FileProblems,
  lines: Type.Integer(),
});
