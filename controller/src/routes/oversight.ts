/**
 * Read-only views behind the dashboard's school-management screens:
 *
 * - `GET /api/fleet`: the fleet a page at a time (a school may have thousands
 *   of boxes), filtered and counted, with what the fleet page shows of each
 *   box — how many days of recording its free and overwritable space holds at
 *   its recent rate, how often its card has been written over, its alerts;
 * - `GET /api/use`: the boxes' use over the weeks — recording hours by room
 *   and by purpose, footage held over time, asking to keep and consent;
 * - `GET /api/governance`: the holds and investigations in force, with the
 *   recording each is about.
 *
 * Each route names the roles it serves, as `school.ts` does; none changes
 * anything but the audit log.
 */
import type { FastifyInstance } from "fastify";
import { Type, type TSchema } from "@sinclair/typebox";
import { BOOKING_PURPOSES } from "@classcam/protocol";
import type { DeviceOverview } from "../domain/devices.js";
import { allow } from "./auth.js";
import { DEVICE_SUMMARY, DeviceId, Obj, OneOf, Timestamp, Uuid, errors } from "./schemas.js";

/** Who sees the fleet: as `GET /api/alerts` (less the DPO, who has no fleet page). */
export const FLEET_ROLES = ["bursar", "it", "slt", "headteacher", "admin"] as const;
/** Who sees the use of the boxes. */
export const USE_ROLES = ["bursar", "slt", "headteacher"] as const;
/** Who sees the holds and investigations in force (as `GET /api/holds`). */
export const GOVERNANCE_ROLES = ["slt", "headteacher", "dpo"] as const;

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** The recent recording rate that "days of buffer" is judged by. */
const RATE_DAYS = 14;
/** Rooms charted one by one; the rest are added up as "other rooms". */
const CHARTED_ROOMS = 6;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const StorageSchema = Obj({
  totalBytes: Type.Integer(),
  freeBytes: Type.Integer(),
  bufferBytes: Type.Integer(),
  protectedBytes: Type.Integer(),
});

export const FleetAlertSchema = Obj({
  /** null for a problem that is not an alert row (a box that is offline). */
  alertId: Nullable(Type.Integer()),
  kind: Type.String(),
  detail: Type.String(),
  raisedAt: Nullable(Timestamp),
});

export const FleetDeviceSchema = Obj({
  ...DEVICE_SUMMARY,
  storage: Nullable(StorageSchema),
  /** Days of recording the free and overwritable space holds at the box's recent rate. */
  bufferDays: Nullable(Type.Number()),
  temperatureC: Nullable(Type.Number()),
  bytesWritten: Nullable(Type.Integer()),
  /** How many times the card's whole size has been written (wear). */
  cardWrites: Nullable(Type.Number()),
  alerts: Type.Array(FleetAlertSchema),
  wipedAt: Nullable(Timestamp),
});

const FLEET_SHOW = ["all", "alerts", "offline", "recording"] as const;
const FLEET_STATUS = ["in-use", "active", "disabled", "retired", "any"] as const;

export const FleetPageSchema = Obj({
  /** Devices of the status asked for, before the text and `show` filters. */
  total: Type.Integer(),
  /** Devices that match every filter (the pages' length). */
  matched: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  /** Over the devices of the status asked for. */
  counts: Obj({
    online: Type.Integer(),
    recording: Type.Integer(),
    alerts: Type.Integer(),
    offline: Type.Integer(),
  }),
  devices: Type.Array(FleetDeviceSchema),
});

const HoursSeries = Type.Array(Type.Number());

export const UseSchema = Obj({
  /** Monday 00:00 UTC of each week charted, oldest first. */
  weeks: Type.Array(Timestamp),
  hoursByRoom: Type.Array(
    Obj({ deviceId: Nullable(DeviceId), room: Type.String(), hours: HoursSeries }),
  ),
  hoursByPurpose: Type.Array(Obj({ purpose: Nullable(Type.String()), hours: HoursSeries })),
  /** Footage held at the end of each day, oldest first (the last point is now). */
  storage: Obj({
    days: Type.Array(Timestamp),
    onBoxes: Type.Array(Type.Integer()),
    onServer: Type.Array(Type.Integer()),
  }),
  /** Per week: keeping asked for, consents given and declined, recordings kept. */
  keeping: Obj({
    asked: Type.Array(Type.Integer()),
    agreed: Type.Array(Type.Integer()),
    declined: Type.Array(Type.Integer()),
    kept: Type.Array(Type.Integer()),
  }),
  now: Obj({
    recordings: Type.Integer(),
    awaitingConsent: Type.Integer(),
    archived: Type.Integer(),
    exemplars: Type.Integer(),
    onHold: Type.Integer(),
  }),
});

const AboutRecording = {
  recordingId: Uuid,
  deviceId: DeviceId,
  room: Type.String(),
  ownerName: Nullable(Type.String()),
  startedAt: Timestamp,
};

export const GovernanceSchema = Obj({
  holds: Type.Array(
    Obj({
      holdId: Type.Integer(),
      ...AboutRecording,
      placedBy: Type.String(),
      placedByName: Type.String(),
      reason: Type.String(),
      placedAt: Timestamp,
    }),
  ),
  investigations: Type.Array(
    Obj({
      investigationId: Type.Integer(),
      ...AboutRecording,
      openedBy: Type.String(),
      openedByName: Type.String(),
      reason: Type.String(),
      openedAt: Timestamp,
    }),
  ),
});

interface AlertRow {
  id: number;
  device_id: string;
  kind: string;
  detail: string;
  raised_at: string;
}

type FleetAlert = { alertId: number | null; kind: string; detail: string; raisedAt: string | null };

const rooms = new Intl.Collator("en-GB", { numeric: true, sensitivity: "base" });

/** Monday 00:00 UTC of the week holding `time`. */
export function weekStart(time: number): number {
  const day = new Date(time);
  day.setUTCHours(0, 0, 0, 0);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return day.getTime() - sinceMonday * DAY_MS;
}

/** Days of recording that `storage` still holds at `bytesPerDay`; null when nothing was recorded. */
export function bufferDays(
  storage: { freeBytes: number; bufferBytes: number; protectedBytes: number } | null,
  bytesPerDay: number,
): number | null {
  if (storage === null || bytesPerDay <= 0) return null;
  const usable = storage.freeBytes + Math.max(0, storage.bufferBytes - storage.protectedBytes);
  return Math.round((usable / bytesPerDay) * 10) / 10;
}

export function oversightRoutes(app: FastifyInstance): void {
  // ------------------------------------------------------------------ the fleet, a page at a time
  app.get(
    "/api/fleet",
    {
      onRequest: allow(...FLEET_ROLES),
      schema: {
        tags: ["fleet"],
        summary:
          "The fleet a page at a time, by room: online, lamp, storage and days of buffer, " +
          "card wear, temperature, software, last seen and alerts",
        querystring: Obj({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          show: Type.Optional(OneOf(FLEET_SHOW)),
          status: Type.Optional(OneOf(FLEET_STATUS)),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: { 200: FleetPageSchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const query = request.query as {
        q?: string;
        show?: (typeof FLEET_SHOW)[number];
        status?: (typeof FLEET_STATUS)[number];
        offset?: number;
        limit?: number;
      };
      const status = query.status ?? "in-use";
      const offset = query.offset ?? 0;
      const limit = query.limit ?? 50;
      const since = new Date(app.now().getTime() - RATE_DAYS * DAY_MS).toISOString();
      const [overview, alertRows, recent] = await Promise.all([
        app.devices.overview(),
        app.db.all<AlertRow>(
          "SELECT id, device_id, kind, detail, raised_at FROM alerts WHERE cleared_at IS NULL " +
            "ORDER BY raised_at DESC",
        ),
        app.db.all<{ device_id: string; bytes: number }>(
          "SELECT device_id, coalesce(sum(bytes), 0) AS bytes FROM recordings " +
            "WHERE started_at >= ? GROUP BY device_id",
          [since],
        ),
      ]);
      const alerts = new Map<string, FleetAlert[]>();
      for (const row of alertRows) {
        const list = alerts.get(row.device_id) ?? [];
        list.push({ alertId: row.id, kind: row.kind, detail: row.detail, raisedAt: row.raised_at });
        alerts.set(row.device_id, list);
      }
      const rate = new Map(recent.map((row) => [row.device_id, row.bytes / RATE_DAYS]));
      const view = (device: DeviceOverview) => fleetDevice(device, alerts, rate.get(device.id));

      const ofStatus = overview
        .filter((device) =>
          status === "any"
            ? true
            : status === "in-use"
              ? device.status !== "retired"
              : device.status === status,
        )
        .map(view);
      const counts = { online: 0, recording: 0, alerts: 0, offline: 0 };
      for (const device of ofStatus) {
        if (device.online) counts.online += 1;
        if (device.recording) counts.recording += 1;
        if (device.alerts.some((alert) => alert.alertId !== null)) counts.alerts += 1;
        if (device.status === "active" && !device.online) counts.offline += 1;
      }
      const words = (query.q ?? "").trim().toLowerCase();
      const show = query.show ?? "all";
      const matched = ofStatus
        .filter(
          (device) =>
            words === "" ||
            device.room.toLowerCase().includes(words) ||
            device.id.toLowerCase().includes(words),
        )
        .filter((device) => {
          switch (show) {
            case "all":
              return true;
            case "alerts":
              return device.alerts.length > 0;
            case "offline":
              return device.status === "active" && !device.online;
            case "recording":
              return device.recording;
          }
        })
        .sort((a, b) => rooms.compare(a.room, b.room) || rooms.compare(a.id, b.id));
      return {
        total: ofStatus.length,
        matched: matched.length,
        offset,
        limit,
        counts,
        devices: matched.slice(offset, offset + limit),
      };
    },
  );

  // ------------------------------------------------------------------ use over the weeks
  app.get(
    "/api/use",
    {
      onRequest: allow(...USE_ROLES),
      schema: {
        tags: ["use"],
        summary:
          "The boxes' use over the last weeks: recording hours by room and by purpose, footage " +
          "held over time, asking to keep and consent",
        querystring: Obj({ weeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 52 })) }),
        response: { 200: UseSchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => useOverWeeks(app, (request.query as { weeks?: number }).weeks ?? 12),
  );

  // ------------------------------------------------------------------ holds and investigations
  app.get(
    "/api/governance",
    {
      onRequest: allow(...GOVERNANCE_ROLES),
      schema: {
        tags: ["governance"],
        summary: "Holds and investigations in force, with the recording each is about",
        response: { 200: GovernanceSchema, ...errors(401, 403) },
      },
    },
    async () => {
      const about =
        "r.id AS recording_id, r.device_id, d.room, o.display_name AS owner_name, r.started_at";
      const join =
        "JOIN recordings r ON r.id = x.recording_id JOIN devices d ON d.id = r.device_id " +
        "LEFT JOIN users o ON o.id = r.owner_id";
      interface About {
        recording_id: string;
        device_id: string;
        room: string;
        owner_name: string | null;
        started_at: string;
      }
      const [holds, investigations] = await Promise.all([
        app.db.all<
          About & {
            id: number;
            placed_by: string;
            by_name: string | null;
            reason: string;
            at: string;
          }
        >(
          `SELECT x.id, x.placed_by, p.display_name AS by_name, x.reason, x.placed_at AS at, ${about}
           FROM holds x ${join} LEFT JOIN users p ON p.id = x.placed_by
           WHERE x.released_at IS NULL ORDER BY x.placed_at DESC`,
        ),
        app.db.all<
          About & {
            id: number;
            opened_by: string;
            by_name: string | null;
            reason: string;
            at: string;
          }
        >(
          `SELECT x.id, x.opened_by, p.display_name AS by_name, x.reason, x.opened_at AS at, ${about}
           FROM investigations x ${join} LEFT JOIN users p ON p.id = x.opened_by
           WHERE x.closed_at IS NULL ORDER BY x.opened_at DESC`,
        ),
      ]);
      const recording = (row: About) => ({
        recordingId: row.recording_id,
        deviceId: row.device_id,
        room: row.room,
        ownerName: row.owner_name,
        startedAt: row.started_at,
      });
      return {
        holds: holds.map((row) => ({
          holdId: row.id,
          ...recording(row),
          placedBy: row.placed_by,
          placedByName: row.by_name ?? row.placed_by,
          reason: row.reason,
          placedAt: row.at,
        })),
        investigations: investigations.map((row) => ({
          investigationId: row.id,
          ...recording(row),
          openedBy: row.opened_by,
          openedByName: row.by_name ?? row.opened_by,
          reason: row.reason,
          openedAt: row.at,
        })),
      };
    },
  );
}

function fleetDevice(
  device: DeviceOverview,
  alerts: ReadonlyMap<string, readonly FleetAlert[]>,
  bytesPerDay: number | undefined,
) {
  const { state } = device;
  const online =
    device.status === "active" && device.connected && device.availability !== "offline";
  const storage = state?.storage ?? null;
  const written = state?.health?.bytesWritten ?? null;
  const problems: FleetAlert[] = [...(alerts.get(device.id) ?? [])];
  if (device.status === "active" && !online) {
    problems.push({ alertId: null, kind: "offline", detail: "", raisedAt: device.lastSeenAt });
  }
  return {
    id: device.id,
    room: device.room,
    status: device.status,
    enrolledAt: device.enrolledAt,
    online,
    lastSeenAt: device.lastSeenAt,
    lamp: online ? (state?.lamp ?? null) : null,
    recording: online && state?.recording != null,
    software: state?.software ?? null,
    storage,
    bufferDays: bufferDays(storage, bytesPerDay ?? 0),
    temperatureC: state?.health?.temperatureC ?? null,
    bytesWritten: written,
    cardWrites:
      written !== null && storage !== null && storage.totalBytes > 0
        ? Math.round((written / storage.totalBytes) * 100) / 100
        : null,
    alerts: problems,
    wipedAt: device.wipedAt,
  };
}

/** The figures of `GET /api/use`. */
async function useOverWeeks(app: FastifyInstance, weeks: number) {
  const now = app.now().getTime();
  const first = weekStart(now) - (weeks - 1) * WEEK_MS;
  const weekStarts = Array.from({ length: weeks }, (_, i) => first + i * WEEK_MS);
  const weekOf = (iso: string) => Math.floor((Date.parse(iso) - first) / WEEK_MS);
  const from = new Date(first).toISOString();

  // recording hours, by the week the recording started in
  const recorded = await app.db.all<{
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
  const held = await app.db.all<{
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
  const keepingRows = await app.db.all<{ action: string; at: string }>(
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

  const counts = await app.db.get<{
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
