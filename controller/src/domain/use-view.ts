/**
 * The boxes' use as the dashboard charts it (a read model: it changes
 * nothing): recording hours by room and by purpose over the weeks, footage
 * held on the boxes and on the server day by day, asking to keep and consent
 * week by week, and today's counts.
 */
import { BOOKING_PURPOSES } from "@classcam/protocol";
import type { Database } from "../db/database.js";
import { rooms } from "./fleet-view.js";

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Rooms charted one by one; the rest are added up as "other rooms". */
const CHARTED_ROOMS = 6;

/** Monday 00:00 UTC of the week holding `time`. */
export function weekStart(time: number): number {
  const day = new Date(time);
  day.setUTCHours(0, 0, 0, 0);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return day.getTime() - sinceMonday * DAY_MS;
}

/** The boxes' use over the last `weeks` weeks up to `at` (`GET /api/use`). */
export async function useOverWeeks(db: Database, at: Date, weeks: number) {
  const now = at.getTime();
  const first = weekStart(now) - (weeks - 1) * WEEK_MS;
  const weekStarts = Array.from({ length: weeks }, (_, i) => first + i * WEEK_MS);
  const weekOf = (iso: string) => Math.floor((Date.parse(iso) - first) / WEEK_MS);
  const from = new Date(first).toISOString();

  // recording hours, by the week the recording started in
  const recorded = await db.all<{
    device_id: string;
    room: string;
    purpose: string | null;
    started_at: string;
    seconds: number | null;
  }>(
    `SELECT r.device_id, d.room, r.purpose, r.started_at, r.duration_seconds AS seconds
     FROM recordings r JOIN devices d ON d.id = r.device_id
     WHERE r.started_at >= ? AND r.ended_at IS NOT NULL`,
    [from],
  );
  const zeros = () => Array.from({ length: weeks }, () => 0);
  const byRoom = new Map<string, { room: string; hours: number[]; total: number }>();
  const byPurpose = new Map<string | null, number[]>([
    ...BOOKING_PURPOSES.map((purpose): [string, number[]] => [purpose, zeros()]),
    [null, zeros()],
  ]);
  for (const row of recorded) {
    const week = weekOf(row.started_at);
    if (week < 0 || week >= weeks) continue;
    const hours = (row.seconds ?? 0) / 3600;
    const room = byRoom.get(row.device_id) ?? { room: row.room, hours: zeros(), total: 0 };
    room.hours[week] = (room.hours[week] ?? 0) + hours;
    room.total += hours;
    byRoom.set(row.device_id, room);
    const purpose = byPurpose.get(row.purpose) ?? zeros();
    purpose[week] = (purpose[week] ?? 0) + hours;
    byPurpose.set(row.purpose, purpose);
  }
  const ranked = [...byRoom.entries()].sort(
    (a, b) => b[1].total - a[1].total || rooms.compare(a[1].room, b[1].room),
  );
  const hoursByRoom: { deviceId: string | null; room: string; hours: number[] }[] = ranked
    .slice(0, CHARTED_ROOMS)
    .map(([deviceId, room]) => ({ deviceId, room: room.room, hours: room.hours }));
  const rest = ranked.slice(CHARTED_ROOMS);
  if (rest.length > 0) {
    hoursByRoom.push({
      deviceId: null,
      room: `${rest.length} other room${rest.length === 1 ? "" : "s"}`,
      hours: zeros().map((_, week) =>
        rest.reduce((sum, [, room]) => sum + (room.hours[week] ?? 0), 0),
      ),
    });
  }
  const rounded = (hours: number[]) => hours.map((h) => Math.round(h * 100) / 100);

  // footage held at the end of each day: on the boxes from its start until the box deleted it,
  // on the server from its upload until the server's copy was deleted
  const days = Array.from({ length: Math.ceil((now - first) / DAY_MS) }, (_, i) =>
    Math.min(now, first + (i + 1) * DAY_MS),
  );
  const held = await db.all<{
    started_at: string;
    bytes: number | null;
    box_gone: string | null;
    on_device: number;
    deleted_at: string | null;
    uploaded: string | null;
    upload_bytes: number | null;
    server_gone: string | null;
    on_controller: number;
  }>(
    `SELECT r.started_at, r.bytes, r.on_device, r.on_controller, r.deleted_at,
       (SELECT done_at FROM deletions x WHERE x.recording_id = r.id AND x.copy = 'device') AS box_gone,
       (SELECT done_at FROM deletions x WHERE x.recording_id = r.id AND x.copy = 'controller') AS server_gone,
       u.completed_at AS uploaded, u.received_bytes AS upload_bytes
     FROM recordings r LEFT JOIN uploads u ON u.recording_id = r.id
     WHERE r.started_at < ? AND (r.deleted_at IS NULL OR r.deleted_at >= ?)`,
    [new Date(now).toISOString(), from],
  );
  const onBoxes = days.map(() => 0);
  const onServer = days.map(() => 0);
  const addWhile = (series: number[], since: number, until: number | null, bytes: number) => {
    days.forEach((day, i) => {
      if (since <= day && (until === null || until > day)) series[i] = (series[i] ?? 0) + bytes;
    });
  };
  /** When a copy went: its deletion, else (gone without one on record) the recording's; null while kept. */
  const goneAt = (done: string | null, kept: number, deletedAt: string | null, since: number) => {
    if (done !== null) return Date.parse(done);
    if (kept === 1) return null;
    return deletedAt === null ? since : Date.parse(deletedAt);
  };
  for (const row of held) {
    const started = Date.parse(row.started_at);
    addWhile(
      onBoxes,
      started,
      goneAt(row.box_gone, row.on_device, row.deleted_at, started),
      row.bytes ?? 0,
    );
    if (row.uploaded !== null) {
      const uploaded = Date.parse(row.uploaded);
      addWhile(
        onServer,
        uploaded,
        goneAt(row.server_gone, row.on_controller, row.deleted_at, uploaded),
        row.upload_bytes ?? row.bytes ?? 0,
      );
    }
  }

  // asking to keep and consent, from the audit log
  const keepingRows = await db.all<{ action: string; at: string }>(
    `SELECT action, at FROM audit_log WHERE at >= ? AND action IN
       ('archive.request', 'consent.give', 'consent.withdraw', 'archive.complete')`,
    [from],
  );
  const keeping = { asked: zeros(), agreed: zeros(), declined: zeros(), kept: zeros() };
  const series: Record<string, number[]> = {
    "archive.request": keeping.asked,
    "consent.give": keeping.agreed,
    "consent.withdraw": keeping.declined,
    "archive.complete": keeping.kept,
  };
  for (const row of keepingRows) {
    const week = weekOf(row.at);
    const list = series[row.action];
    if (list && week >= 0 && week < weeks) list[week] = (list[week] ?? 0) + 1;
  }

  const counts = await db.get<{
    recordings: number;
    awaiting: number;
    archived: number;
    exemplars: number;
    held: number;
  }>(
    `SELECT count(*) AS recordings,
       coalesce(sum(archive_state = 'awaiting-consent'), 0) AS awaiting,
       coalesce(sum(archive_state = 'archived'), 0) AS archived,
       coalesce(sum(archive_state = 'archived' AND exemplar = 1), 0) AS exemplars,
       coalesce(sum(EXISTS (SELECT 1 FROM holds h WHERE h.recording_id = r.id
         AND h.released_at IS NULL)), 0) AS held
     FROM recordings r WHERE deleted_at IS NULL`,
  );
  return {
    weeks: weekStarts.map((time) => new Date(time).toISOString()),
    hoursByRoom: hoursByRoom.map((room) => ({ ...room, hours: rounded(room.hours) })),
    hoursByPurpose: [...byPurpose.entries()].map(([purpose, hours]) => ({
      purpose,
      hours: rounded(hours),
    })),
    storage: {
      days: days.map((time) => new Date(time).toISOString()),
      onBoxes,
      onServer,
    },
    keeping,
    now: {
      recordings: counts?.recordings ?? 0,
      awaitingConsent: counts?.awaiting ?? 0,
      archived: counts?.archived ?? 0,
      exemplars: counts?.exemplars ?? 0,
      onHold: counts?.held ?? 0,
    },
  };
}
