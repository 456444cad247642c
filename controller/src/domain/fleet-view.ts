/**
 * The fleet as the dashboard reads it (a read model: it changes nothing).
 *
 * - `fleetPage()`: the fleet a page at a time (a school may have thousands of
 *   boxes), filtered and counted, with what the fleet page shows of each box —
 *   how many days of recording its free and overwritable space holds at its
 *   recent rate, how often its card has been written over, its alerts (with
 *   two problems that are not alert rows: offline, and a card worn out);
 * - `openAlerts()`: the alerts not yet dealt with, newest first, with the room.
 */
import type { Database } from "../db/database.js";
import type { DeviceOverview, DeviceRegistry } from "./devices.js";

const DAY_MS = 86_400_000;
/** The recent recording rate that "days of buffer" is judged by. */
const RATE_DAYS = 14;

/**
 * A box's card is wearing out once its whole size has been written this many
 * times: consumer microSD cards are commonly rated for some hundreds to a few
 * thousand, so at this figure a replacement is planned before footage is lost.
 */
export const CARD_WORN_WRITES = 500;

/** Which boxes a fleet page shows, after the status and text filters. */
/** Who sees the fleet: leadership, the Bursar, IT and administrators (metadata only). */
export const FLEET_ROLES = ["bursar", "it", "slt", "headteacher", "admin"] as const;

export const FLEET_SHOW = ["all", "alerts", "offline", "recording"] as const;
/** Which boxes a fleet page counts: those in use (not retired), of one status, or any. */
export const FLEET_STATUS = ["in-use", "active", "disabled", "retired", "any"] as const;

export interface FleetQuery {
  /** Words the room or the device's id contains. */
  q?: string;
  show?: (typeof FLEET_SHOW)[number];
  status?: (typeof FLEET_STATUS)[number];
  offset?: number;
  limit?: number;
}

export interface FleetAlert {
  /** null for a problem that is not an alert row (a box that is offline). */
  alertId: number | null;
  kind: string;
  detail: string;
  raisedAt: string | null;
}

/** An alert not yet dealt with. */
export interface OpenAlert {
  alertId: number;
  deviceId: string;
  room: string;
  kind: string;
  detail: string;
  raisedAt: string;
}

/** Rooms in the order a person reads them ("Room 2" before "Room 10"). */
export const rooms = new Intl.Collator("en-GB", { numeric: true, sensitivity: "base" });

/** Days of recording that `storage` still holds at `bytesPerDay`; null when nothing was recorded. */
export function bufferDays(
  storage: { freeBytes: number; bufferBytes: number; protectedBytes: number } | null,
  bytesPerDay: number,
): number | null {
  if (storage === null || bytesPerDay <= 0) return null;
  const usable = storage.freeBytes + Math.max(0, storage.bufferBytes - storage.protectedBytes);
  return Math.round((usable / bytesPerDay) * 10) / 10;
}

/** The alerts not yet dealt with, newest first. */
export async function openAlerts(db: Database): Promise<OpenAlert[]> {
  const rows = await db.all<{
    id: number;
    device_id: string;
    room: string;
    kind: string;
    detail: string;
    raised_at: string;
  }>(
    `SELECT a.id, a.device_id, d.room, a.kind, a.detail, a.raised_at
     FROM alerts a JOIN devices d ON d.id = a.device_id
     WHERE a.cleared_at IS NULL ORDER BY a.raised_at DESC`,
  );
  return rows.map((row) => ({
    alertId: row.id,
    deviceId: row.device_id,
    room: row.room,
    kind: row.kind,
    detail: row.detail,
    raisedAt: row.raised_at,
  }));
}

/** One page of the fleet, by room, with the counts over the boxes of the status asked for. */
export async function fleetPage(
  db: Database,
  devices: DeviceRegistry,
  now: Date,
  query: FleetQuery,
) {
  const status = query.status ?? "in-use";
  const offset = query.offset ?? 0;
  const limit = query.limit ?? 50;
  const since = new Date(now.getTime() - RATE_DAYS * DAY_MS).toISOString();
  const [overview, alertRows, recent] = await Promise.all([
    devices.overview(),
    openAlerts(db),
    db.all<{ device_id: string; bytes: number }>(
      "SELECT device_id, coalesce(sum(bytes), 0) AS bytes FROM recordings " +
        "WHERE started_at >= ? GROUP BY device_id",
      [since],
    ),
  ]);
  const alerts = new Map<string, FleetAlert[]>();
  for (const row of alertRows) {
    const list = alerts.get(row.deviceId) ?? [];
    list.push({ alertId: row.alertId, kind: row.kind, detail: row.detail, raisedAt: row.raisedAt });
    alerts.set(row.deviceId, list);
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
  const cardWrites =
    written !== null && storage !== null && storage.totalBytes > 0
      ? Math.round((written / storage.totalBytes) * 100) / 100
      : null;
  // the box reports a speaker that cannot say the spoken notice (issue 20 §2): it still records
  const speaker = state?.speaker ?? "ok";
  if (device.status === "active" && /^(missing|failed): /.test(speaker)) {
    problems.push({
      alertId: null,
      kind: "speaker",
      detail: `the spoken notice cannot be said: ${speaker.replace(/^(missing|failed): /, "")}`,
      raisedAt: null,
    });
  }
  if (device.status !== "retired" && cardWrites !== null && cardWrites >= CARD_WORN_WRITES) {
    problems.push({
      alertId: null,
      kind: "card-worn",
      detail: `its card has been written over ${Math.floor(cardWrites)} times`,
      raisedAt: null,
    });
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
    backend: state?.backend ?? null,
    storage,
    bufferDays: bufferDays(storage, bytesPerDay ?? 0),
    temperatureC: state?.health?.temperatureC ?? null,
    bytesWritten: written,
    cardWrites,
    alerts: problems,
    wipedAt: device.wipedAt,
  };
}
