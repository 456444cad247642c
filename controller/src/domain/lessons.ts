/**
 * The imported timetable in use: the school's rooms and the box in each (set
 * once by whoever manages the timetable, audited), a teacher's own lessons to
 * book from, and a booking made from a lesson — room, time and class taken
 * from the timetable, so the do-not-record check runs on the real class. The
 * booking itself is made by `Timetable.create` under the usual rules
 * (`bookings.ts`): nothing here re-checks what it checks.
 */
import type { Database } from "../db/database.js";
import type { Person, Role } from "./access.js";
import type { AuditLog } from "./audit.js";
import { DomainError } from "./errors.js";
import { MAX_ROOM_LENGTH } from "./lesson-lines.js";
import {
  isTimetabler,
  MAX_LIST_DAYS,
  type BookingInput,
  type StoredBooking,
  type Timetable,
} from "./timetable.js";

/** Who imports the timetable and says which box is in which room. */
export const TIMETABLE_MANAGERS: readonly Role[] = ["admin", "bursar", "slt", "headteacher"];
/** The most rooms a school lists. */
export const MAX_ROOMS = 1000;

export interface Room {
  room: string;
  /** The box in the room; null: the room has none, and its lessons are not booked. */
  deviceId: string | null;
}

export interface Lesson {
  lessonId: string;
  start: string;
  end: string;
  room: string;
  classCode: string;
  subject: string;
  teacherId: string;
  /** The box in the lesson's room, or null when it has none. */
  deviceId: string | null;
  /** The booking already made of this lesson's time on its box, if any. */
  bookingId: string | null;
}

/** What the teacher says when booking from a lesson: the rest comes from the timetable. */
export type LessonBooking = Pick<
  BookingInput,
  "purpose" | "staff" | "audio" | "mitigation" | "masks" | "status"
>;

interface LessonRow {
  id: string;
  start_at: string;
  end_at: string;
  room: string;
  class_code: string;
  subject: string;
  teacher_id: string;
  device_id: string | null;
  booking_id: string | null;
}

const LESSON_SELECT =
  "SELECT l.id, l.start_at, l.end_at, l.room, l.class_code, l.subject, l.teacher_id, " +
  "r.device_id, (SELECT b.id FROM bookings b WHERE b.device_id = r.device_id " +
  "AND b.status != 'cancelled' AND b.start_at < l.end_at AND b.end_at > l.start_at " +
  "ORDER BY b.start_at LIMIT 1) AS booking_id " +
  "FROM lessons l LEFT JOIN rooms r ON r.name = l.room";

const toLesson = (row: LessonRow): Lesson => ({
  lessonId: row.id,
  start: row.start_at,
  end: row.end_at,
  room: row.room,
  classCode: row.class_code,
  subject: row.subject,
  teacherId: row.teacher_id,
  deviceId: row.device_id,
  bookingId: row.booking_id,
});

export class Lessons {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly timetable: Timetable,
  ) {}

  async rooms(): Promise<Room[]> {
    const rows = await this.db.all<{ name: string; device_id: string | null }>(
      "SELECT name, device_id FROM rooms ORDER BY name",
    );
    return rows.map((row) => ({ room: row.name, deviceId: row.device_id }));
  }

  /** Replaces the school's list of rooms and their boxes (audited). */
  async setRooms(rooms: readonly Room[], actor: string): Promise<Room[]> {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    for (const { room } of rooms) {
      const name = room.trim();
      if (name === "" || name.length > MAX_ROOM_LENGTH) {
        problems.push(
          `a room's name is 1 to ${MAX_ROOM_LENGTH} characters, not '${room.slice(0, 80)}'`,
        );
      } else if (seen.has(name.toLowerCase())) problems.push(`the room '${name}' is listed twice`);
      seen.set(name.toLowerCase(), name);
    }
    if (rooms.length > MAX_ROOMS) problems.push(`at most ${MAX_ROOMS} rooms`);
    const boxes = rooms.flatMap((room) => (room.deviceId === null ? [] : [room.deviceId]));
    const twice = boxes.filter((id, index) => boxes.indexOf(id) !== index);
    for (const id of new Set(twice)) problems.push(`the box '${id}' is in one room only`);
    await this.db.transaction(async (tx) => {
      const known = new Set(
        (await tx.all<{ id: string }>("SELECT id FROM devices WHERE status != 'retired'")).map(
          (row) => row.id,
        ),
      );
      for (const id of new Set(boxes)) if (!known.has(id)) problems.push(`no box '${id}'`);
      if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
      const before = await tx.all<{ name: string; device_id: string | null }>(
        "SELECT name, device_id FROM rooms ORDER BY name",
      );
      await tx.run("DELETE FROM rooms");
      for (const room of rooms) {
        await tx.run("INSERT INTO rooms (name, device_id) VALUES (?, ?)", [
          room.room.trim(),
          room.deviceId,
        ]);
      }
      await this.audit.append(tx, {
        actor,
        action: "timetable.rooms",
        subject: "",
        detail: {
          rooms: rooms.length,
          withBox: boxes.length,
          before: before.map((row) => ({ room: row.name, deviceId: row.device_id })),
          after: rooms.map((room) => ({ room: room.room.trim(), deviceId: room.deviceId })),
        },
      });
    });
    return this.rooms();
  }

  /** `teacherId`'s lessons overlapping [from, to), in time order. */
  async of(teacherId: string, from: string, to: string): Promise<Lesson[]> {
    const start = Date.parse(from);
    const end = Date.parse(to);
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
      throw new DomainError(
        "invalid",
        "give 'from' and 'to' as dates and times, 'to' after 'from'",
      );
    }
    if (end - start > MAX_LIST_DAYS * 86_400_000) {
      throw new DomainError("invalid", `list at most ${MAX_LIST_DAYS} days at a time`);
    }
    const rows = await this.db.all<LessonRow>(
      `${LESSON_SELECT} WHERE l.teacher_id = ? AND l.start_at < ? AND l.end_at > ? ORDER BY l.start_at`,
      [teacherId, new Date(end).toISOString(), new Date(start).toISOString()],
    );
    return rows.map(toLesson);
  }

  async require(lessonId: string): Promise<Lesson> {
    const row = await this.db.get<LessonRow>(`${LESSON_SELECT} WHERE l.id = ?`, [lessonId]);
    if (!row) throw new DomainError("not-found", `no lesson '${lessonId}' in the timetable`);
    return toLesson(row);
  }

  /**
   * Books the lesson's time on its room's box for its class, for its teacher:
   * the teacher themself, or a timetabler for them. The booking rules, the
   * do-not-record check and its mitigation are `Timetable.create`'s.
   */
  async book(person: Person, lessonId: string, booking: LessonBooking): Promise<StoredBooking> {
    const lesson = await this.require(lessonId);
    if (lesson.teacherId !== person.id && !isTimetabler(person)) {
      throw new DomainError(
        "forbidden",
        "a teacher books from their own lessons; the Bursar, SLT or the headteacher from anyone's",
      );
    }
    if (lesson.deviceId === null) {
      throw new DomainError(
        "conflict",
        `room '${lesson.room}' has no box: its lessons cannot be recorded`,
      );
    }
    return this.timetable.create(person, {
      ...booking,
      deviceId: lesson.deviceId,
      teacherId: lesson.teacherId,
      start: lesson.start,
      end: lesson.end,
      classCode: lesson.classCode,
    });
  }
}
