/**
 * The timetable: bookings kept in the database, made, amended and cancelled
 * under the rules in `bookings.ts`, each change audited. A teacher books for
 * themself; the Bursar, SLT and the headteacher book for anyone and manage
 * every booking.
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import type { PrivacyMask } from "@classcam/protocol";
import type { Database, Transaction } from "../db/database.js";
import type { Person, Role } from "./access.js";
import type { AuditLog } from "./audit.js";
import {
  SCHEDULE_DAYS,
  bookingProblems,
  scheduleMasksProblem,
  type Booking,
  type BookingPurpose,
  type BookingStatus,
  type Mitigation,
} from "./bookings.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import { timetabledClass } from "./lesson-class.js";
import type { PolicyStore } from "./policy.js";

export interface StoredBooking extends Booking {
  masks: readonly PrivacyMask[];
  classCode: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface BookingInput {
  deviceId: string;
  teacherId?: string;
  start: string;
  end: string;
  purpose: BookingPurpose;
  staff?: string[];
  audio?: boolean;
  classCode?: string | null;
  mitigation?: { kind: Mitigation; note: string } | null;
  /** The booking's own masks; fixed once a recording was made under it. */
  masks?: PrivacyMask[];
  status?: Exclude<BookingStatus, "cancelled">;
}

export type BookingChange = Partial<Omit<BookingInput, "deviceId" | "teacherId">>;

const TIMETABLERS: readonly Role[] = ["bursar", "slt", "headteacher"];
/** No policy allows a booking longer than this (8 hours). */
const LONGEST_BOOKING_MS = 480 * 60_000;
/** The widest window one listing covers. */
export const MAX_LIST_DAYS = 62;

export function isTimetabler(person: Person): boolean {
  return person.roles.some((role) => TIMETABLERS.includes(role));
}

/** May `person` book a slot for `teacherId`? */
export function mayBookFor(person: Person, teacherId: string): boolean {
  return isTimetabler(person) || (person.id === teacherId && person.roles.includes("teacher"));
}

/** May `person` amend or cancel `booking`? */
export function mayManage(person: Person, booking: StoredBooking): boolean {
  return (
    isTimetabler(person) ||
    (person.roles.includes("teacher") &&
      (booking.teacherId === person.id || booking.createdBy === person.id))
  );
}

interface BookingRow {
  id: string;
  device_id: string;
  teacher_id: string;
  start_at: string;
  end_at: string;
  purpose: BookingPurpose;
  staff_json: string;
  audio: number;
  status: BookingStatus;
  class_code: string | null;
  do_not_record: number;
  mitigation_kind: Mitigation | null;
  mitigation_note: string | null;
  masks_json: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}

const COLUMNS =
  "id, device_id, teacher_id, start_at, end_at, purpose, staff_json, audio, status, " +
  "class_code, do_not_record, mitigation_kind, mitigation_note, masks_json, created_by, created_at, " +
  "updated_at";

export function toBooking(row: BookingRow): StoredBooking {
  return {
    bookingId: row.id,
    deviceId: row.device_id,
    teacherId: row.teacher_id,
    start: row.start_at,
    end: row.end_at,
    purpose: row.purpose,
    staff: JSON.parse(row.staff_json) as string[],
    audio: row.audio === 1,
    status: row.status,
    classCode: row.class_code,
    doNotRecordPupils: row.do_not_record === 1,
    mitigation:
      row.mitigation_kind === null
        ? null
        : { kind: row.mitigation_kind, note: row.mitigation_note ?? "" },
    masks: JSON.parse(row.masks_json) as PrivacyMask[],
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** ISO 8601 in UTC with milliseconds, as stored: one spelling per instant, so text order is time order. */
function normalise(value: string): string {
  const time = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? value : new Date(time).toISOString();
}

export interface TimetableEvents {
  /** A device's bookings changed: its schedule must be pushed again. */
  changed: [deviceId: string];
}

export class Timetable extends EventEmitter<TimetableEvents> {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly policy: PolicyStore,
    private readonly clock: Clock = () => new Date(),
  ) {
    super();
  }

  async get(id: string): Promise<StoredBooking | null> {
    const row = await this.db.get<BookingRow>(`SELECT ${COLUMNS} FROM bookings WHERE id = ?`, [id]);
    return row ? toBooking(row) : null;
  }

  async require(id: string): Promise<StoredBooking> {
    const booking = await this.get(id);
    if (!booking) throw new DomainError("not-found", `no booking '${id}'`);
    return booking;
  }

  /** Bookings that overlap [from, to), by device and start. */
  async list(query: {
    from: string;
    to: string;
    deviceId?: string;
    teacherId?: string;
    includeCancelled?: boolean;
  }): Promise<StoredBooking[]> {
    const from = Date.parse(query.from);
    const to = Date.parse(query.to);
    if (Number.isNaN(from) || Number.isNaN(to) || to <= from) {
      throw new DomainError(
        "invalid",
        "give 'from' and 'to' as dates and times, 'to' after 'from'",
      );
    }
    if (to - from > MAX_LIST_DAYS * 86_400_000) {
      throw new DomainError("invalid", `list at most ${MAX_LIST_DAYS} days at a time`);
    }
    // the lower bound on start_at lets the index skip the whole history before the window
    const conditions = ["start_at < ?", "start_at > ?", "end_at > ?"];
    const params: unknown[] = [
      new Date(to).toISOString(),
      new Date(from - LONGEST_BOOKING_MS).toISOString(),
      new Date(from).toISOString(),
    ];
    if (query.deviceId !== undefined) {
      conditions.push("device_id = ?");
      params.push(query.deviceId);
    }
    if (query.teacherId !== undefined) {
      conditions.push("teacher_id = ?");
      params.push(query.teacherId);
    }
    if (query.includeCancelled !== true) conditions.push("status != 'cancelled'");
    const rows = await this.db.all<BookingRow>(
      `SELECT ${COLUMNS} FROM bookings WHERE ${conditions.join(" AND ")} ORDER BY start_at, device_id`,
      params,
    );
    return rows.map(toBooking);
  }

  /** The device's bookings that have not ended (for its schedule). */
  async upcoming(tx: Transaction | null, deviceId: string): Promise<StoredBooking[]> {
    const sql =
      `SELECT ${COLUMNS} FROM bookings WHERE device_id = ? AND end_at > ? ` +
      "AND status = 'confirmed' ORDER BY start_at";
    const params = [deviceId, this.clock().toISOString()];
    const rows = tx
      ? await tx.all<BookingRow>(sql, params)
      : await this.db.all<BookingRow>(sql, params);
    return rows.map(toBooking);
  }

  private async check(tx: Transaction, booking: StoredBooking): Promise<void> {
    const problems: string[] = [];
    const device = await tx.get<{ status: string }>("SELECT status FROM devices WHERE id = ?", [
      booking.deviceId,
    ]);
    if (!device) problems.push(`no device '${booking.deviceId}'`);
    else if (device.status !== "active") {
      problems.push(`device '${booking.deviceId}' is ${device.status}`);
    }
    problems.push(...(await classProblems(tx, booking)));
    const known = await tx.all<{ id: string; status: string; roles_json: string }>(
      "SELECT id, status, roles_json FROM users WHERE id IN (SELECT value FROM json_each(?))",
      [JSON.stringify(booking.staff)],
    );
    const found = new Map(known.map((row) => [row.id, row]));
    for (const id of booking.staff) {
      const user = found.get(id);
      if (!user) problems.push(`no member of staff '${id}'`);
      else if (user.status !== "active") problems.push(`'${id}' has no active account`);
    }
    const teacher = found.get(booking.teacherId);
    if (teacher && !(JSON.parse(teacher.roles_json) as Role[]).includes("teacher")) {
      problems.push(`'${booking.teacherId}' is not a teacher`);
    }
    const others = await tx.all<BookingRow>(
      `SELECT ${COLUMNS} FROM bookings WHERE device_id = ? AND status != 'cancelled' ` +
        "AND start_at < ? AND end_at > ?",
      [booking.deviceId, booking.end, booking.start],
    );
    const policy = await this.policy.get(tx);
    problems.push(
      ...bookingProblems(booking, others.map(toBooking), policy.bookings, this.clock()),
    );
    const start = Date.parse(booking.start);
    if (booking.masks.length > 0 && !Number.isNaN(start)) {
      const nearby = await tx.all<BookingRow>(
        `SELECT ${COLUMNS} FROM bookings WHERE device_id = ? AND status != 'cancelled' ` +
          "AND masks_json != '[]' AND start_at > ? AND start_at < ?",
        [booking.deviceId, ...[-1, 1].map((side) => iso(start + side * SCHEDULE_DAYS * DAY_MS))],
      );
      const problem = scheduleMasksProblem(booking, nearby.map(toBooking));
      if (problem !== null) problems.push(problem);
    }
    if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
  }

  private async write(tx: Transaction, booking: StoredBooking, insert: boolean): Promise<void> {
    const values = [
      booking.deviceId,
      booking.teacherId,
      booking.start,
      booking.end,
      booking.purpose,
      JSON.stringify(booking.staff),
      booking.audio ? 1 : 0,
      booking.status,
      booking.classCode,
      booking.doNotRecordPupils ? 1 : 0,
      booking.mitigation?.kind ?? null,
      booking.mitigation?.note ?? null,
      JSON.stringify(booking.masks),
      booking.updatedAt,
    ];
    if (insert) {
      await tx.run(
        `INSERT INTO bookings (device_id, teacher_id, start_at, end_at, purpose, staff_json, audio,
           status, class_code, do_not_record, mitigation_kind, mitigation_note, masks_json,
           updated_at, id, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [...values, booking.bookingId, booking.createdBy, booking.createdAt],
      );
    } else {
      await tx.run(
        `UPDATE bookings SET device_id = ?, teacher_id = ?, start_at = ?, end_at = ?, purpose = ?,
           staff_json = ?, audio = ?, status = ?, class_code = ?, do_not_record = ?,
           mitigation_kind = ?, mitigation_note = ?, masks_json = ?, updated_at = ? WHERE id = ?`,
        [...values, booking.bookingId],
      );
    }
  }

  async create(person: Person, input: BookingInput): Promise<StoredBooking> {
    const teacherId = input.teacherId ?? person.id;
    if (!mayBookFor(person, teacherId)) {
      throw new DomainError(
        "forbidden",
        teacherId === person.id
          ? "only teachers book recording slots for themselves"
          : "only the Bursar, SLT or the headteacher book for someone else",
      );
    }
    const now = this.clock().toISOString();
    const booking = await this.db.transaction(async (tx) => {
      const policy = await this.policy.get(tx);
      const classCode = input.classCode ?? null;
      const created: StoredBooking = {
        bookingId: randomUUID(),
        deviceId: input.deviceId,
        teacherId,
        start: normalise(input.start),
        end: normalise(input.end),
        purpose: input.purpose,
        staff: input.staff ?? [teacherId],
        audio: input.audio ?? policy.audioDefault,
        status: input.status ?? "confirmed",
        classCode,
        doNotRecordPupils: doNotRecord(classCode, policy.doNotRecordClasses),
        mitigation: input.mitigation ?? null,
        masks: input.masks ?? [],
        createdBy: person.id,
        createdAt: now,
        updatedAt: now,
      };
      await this.check(tx, created);
      await this.write(tx, created, true);
      await this.audit.append(tx, {
        actor: person.id,
        action: "booking.create",
        subject: created.bookingId,
        detail: { booking: snapshot(created) },
      });
      return created;
    });
    this.emit("changed", booking.deviceId);
    return booking;
  }

  /** The booking, if `person` may change or cancel it. */
  private async managed(
    tx: Transaction,
    person: Person,
    id: string,
    verb: "change" | "cancel",
  ): Promise<StoredBooking> {
    const row = await tx.get<BookingRow>(`SELECT ${COLUMNS} FROM bookings WHERE id = ?`, [id]);
    if (!row) throw new DomainError("not-found", `no booking '${id}'`);
    const booking = toBooking(row);
    if (!mayManage(person, booking)) {
      throw new DomainError(
        "forbidden",
        `only the booking's teacher, whoever made it, the Bursar, SLT or the headteacher may ${verb} it`,
      );
    }
    return booking;
  }

  async amend(person: Person, id: string, change: BookingChange): Promise<StoredBooking> {
    const booking = await this.db.transaction(async (tx) => {
      const before = await this.managed(tx, person, id, "change");
      if (before.status === "cancelled") {
        throw new DomainError("conflict", "the booking was cancelled; make a new one");
      }
      if (Date.parse(before.start) <= this.clock().getTime()) {
        throw new DomainError("conflict", "the booking has started; it can no longer be amended");
      }
      const policy = await this.policy.get(tx);
      const classCode = change.classCode === undefined ? before.classCode : change.classCode;
      const after: StoredBooking = {
        ...before,
        start: normalise(change.start ?? before.start),
        end: normalise(change.end ?? before.end),
        purpose: change.purpose ?? before.purpose,
        staff: change.staff ?? before.staff,
        audio: change.audio ?? before.audio,
        status: change.status ?? before.status,
        classCode,
        doNotRecordPupils: doNotRecord(classCode, policy.doNotRecordClasses),
        mitigation: change.mitigation === undefined ? before.mitigation : change.mitigation,
        masks: change.masks ?? before.masks,
        updatedAt: this.clock().toISOString(),
      };
      if (JSON.stringify(after.masks) !== JSON.stringify(before.masks)) {
        await masksStillOpen(tx, id);
      }
      await this.check(tx, after);
      await this.write(tx, after, false);
      await this.audit.append(tx, {
        actor: person.id,
        action: "booking.amend",
        subject: id,
        detail: { before: snapshot(before), after: snapshot(after) },
      });
      return after;
    });
    this.emit("changed", booking.deviceId);
    return booking;
  }

  async cancel(person: Person, id: string, reason: string): Promise<StoredBooking> {
    const booking = await this.db.transaction(async (tx) => {
      const before = await this.managed(tx, person, id, "cancel");
      if (before.status === "cancelled") {
        throw new DomainError("conflict", "the booking is already cancelled");
      }
      if (Date.parse(before.end) <= this.clock().getTime()) {
        throw new DomainError("conflict", "the booking has ended; there is nothing to cancel");
      }
      const after: StoredBooking = {
        ...before,
        status: "cancelled",
        updatedAt: this.clock().toISOString(),
      };
      await this.write(tx, after, false);
      await this.audit.append(tx, {
        actor: person.id,
        action: "booking.cancel",
        subject: id,
        detail: { reason },
      });
      return after;
    });
    this.emit("changed", booking.deviceId);
    return booking;
  }
}

/**
 * Every box is in a classroom: a booking names the class taught, so the
 * do-not-record check runs on it — the timetable's class, where the school
 * has imported a timetable that has a lesson in the room then.
 */
async function classProblems(tx: Transaction, booking: StoredBooking): Promise<string[]> {
  if (booking.status === "cancelled") return [];
  if (booking.classCode === null || booking.classCode.trim() === "") {
    return [
      "say which class is taught (its class code): the do-not-record check needs it, " +
        "and a booking made from a lesson takes it from the timetable",
    ];
  }
  const timetabled = await timetabledClass(tx, booking.deviceId, booking.start, booking.end);
  if (timetabled !== null && timetabled.toLowerCase() !== booking.classCode.toLowerCase()) {
    return [
      `the timetable has ${timetabled} in this room then, not ${booking.classCode}: ` +
        "book from the lesson, or choose a time outside it",
    ];
  }
  return [];
}

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A booking's masks are burned into its recordings: once one exists, they are fixed. */
async function masksStillOpen(tx: Transaction, bookingId: string): Promise<void> {
  const made = await tx.get<{ started_at: string }>(
    "SELECT started_at FROM recordings WHERE booking_id = ? ORDER BY started_at LIMIT 1",
    [bookingId],
  );
  if (made) {
    throw new DomainError(
      "conflict",
      `a recording was made under this booking (it started at ${made.started_at}), so its masks ` +
        "are fixed: they are burned into that footage. Make a new booking for other masks",
    );
  }
}

function doNotRecord(classCode: string | null, list: readonly string[]): boolean {
  if (classCode === null) return false;
  const code = classCode.toLowerCase();
  return list.some((entry) => entry.toLowerCase() === code);
}

function snapshot(booking: StoredBooking): Record<string, unknown> {
  const rest: Partial<StoredBooking> = { ...booking };
  delete rest.createdAt;
  delete rest.updatedAt;
  return rest;
}
