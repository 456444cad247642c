/**
 * The names behind the ids in a page of the audit log, so the DPO reads
 * "Ms Head opened Coaching in Demo classroom, Tue 3 Mar" and not three ids:
 * people by their names, boxes by their rooms, recordings and bookings by
 * their purpose, room and time. Looked up once per page, for every id the
 * page's entries carry (as actor, as subject or anywhere in their detail);
 * an id that names nothing (gone, or not an id at all) is simply left out.
 * The entries themselves, and the export, keep the raw ids.
 */
import type { Database } from "../db/database.js";
import type { AuditEntry } from "./audit.js";

export interface RecordingTitle {
  purpose: string | null;
  room: string;
  startedAt: string;
}

export interface BookingTitle {
  purpose: string;
  room: string;
  start: string;
  end: string;
  audio: boolean;
  teacherId: string;
}

export interface AuditNames {
  /** User id → display name. */
  people: Record<string, string>;
  /** Device id → its room. */
  rooms: Record<string, string>;
  recordings: Record<string, RecordingTitle>;
  bookings: Record<string, BookingTitle>;
}

/** No id in this project is longer (user, device, booking and recording ids). */
const LONGEST_ID = 64;

/** Every string an entry carries that could be an id: actor, subject and any in its detail. */
export function idsIn(entries: readonly AuditEntry[]): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, depth: number): void => {
    if (typeof value === "string") {
      if (value !== "" && value.length <= LONGEST_ID) found.add(value);
    } else if (Array.isArray(value)) {
      if (depth < 4) for (const item of value) walk(item, depth + 1);
    } else if (typeof value === "object" && value !== null) {
      if (depth < 4) for (const item of Object.values(value)) walk(item, depth + 1);
    }
  };
  for (const entry of entries) {
    walk(entry.actor, 0);
    walk(entry.subject, 0);
    walk(entry.detail, 0);
  }
  return [...found];
}

/** The names for a page's ids: four lookups, whatever the page's length. */
export async function auditNames(
  db: Database,
  entries: readonly AuditEntry[],
): Promise<AuditNames> {
  const ids = JSON.stringify(idsIn(entries));
  const wanted = "SELECT value FROM json_each(?)";
  const [people, rooms, recordings, bookings] = await Promise.all([
    db.all<{ id: string; display_name: string }>(
      `SELECT id, display_name FROM users WHERE id IN (${wanted})`,
      [ids],
    ),
    db.all<{ id: string; room: string }>(`SELECT id, room FROM devices WHERE id IN (${wanted})`, [
      ids,
    ]),
    db.all<{ id: string; purpose: string | null; room: string; started_at: string }>(
      `SELECT r.id, r.purpose, d.room, r.started_at
       FROM recordings r JOIN devices d ON d.id = r.device_id WHERE r.id IN (${wanted})`,
      [ids],
    ),
    db.all<{
      id: string;
      purpose: string;
      room: string;
      start_at: string;
      end_at: string;
      audio: number;
      teacher_id: string;
      teacher_name: string;
    }>(
      `SELECT b.id, b.purpose, d.room, b.start_at, b.end_at, b.audio, b.teacher_id,
              u.display_name AS teacher_name
       FROM bookings b JOIN devices d ON d.id = b.device_id JOIN users u ON u.id = b.teacher_id
       WHERE b.id IN (${wanted})`,
      [ids],
    ),
  ]);
  const names: AuditNames = {
    people: Object.fromEntries(people.map((p) => [p.id, p.display_name])),
    rooms: Object.fromEntries(rooms.map((d) => [d.id, d.room])),
    recordings: Object.fromEntries(
      recordings.map((r) => [r.id, { purpose: r.purpose, room: r.room, startedAt: r.started_at }]),
    ),
    bookings: Object.fromEntries(
      bookings.map((b) => [
        b.id,
        {
          purpose: b.purpose,
          room: b.room,
          start: b.start_at,
          end: b.end_at,
          audio: b.audio === 1,
          teacherId: b.teacher_id,
        },
      ]),
    ),
  };
  // a booking's teacher is named too, though only the booking's id was in the page
  for (const b of bookings) names.people[b.teacher_id] ??= b.teacher_name;
  return names;
}
