/**
 * What footage exists of someone, for the DPO's subject access and erasure
 * requests: recordings made in some rooms over a time range, or of a class
 * over some dates, with where each copy is — in the classroom box, on the
 * controller, archived, in the exemplar bank, cut into clips — and whether
 * it is on hold. Metadata only: nothing here opens footage.
 */
import type { Database } from "../../db/database.js";
import { DomainError } from "../errors.js";

/** The longest time range one search covers. */
export const MAX_SEARCH_DAYS = 366;
/** The most recordings one search answers with (and one request acts on). */
export const MAX_FOUND = 500;

export type FootageSearch =
  { rooms: string[]; from: string; to: string } | { classCode: string; from: string; to: string };

export interface FoundRecording {
  recordingId: string;
  deviceId: string;
  room: string;
  classCode: string | null;
  ownerId: string | null;
  ownerName: string | null;
  purpose: string | null;
  startedAt: string;
  endedAt: string | null;
  audio: boolean;
  onHold: boolean;
  /** Every copy gone (erased or overwritten): kept in the list so a request sees it is done. */
  deleted: boolean;
  where: { box: boolean; controller: boolean; archived: boolean; exemplar: boolean; clips: number };
}

const DAY = 86_400_000;

/** Every reason the search cannot run; empty when it can. */
export function searchProblems(search: FootageSearch): string[] {
  const problems: string[] = [];
  const from = Date.parse(search.from);
  const to = Date.parse(search.to);
  if (Number.isNaN(from)) problems.push(`'from' is not a date and time: '${search.from}'`);
  if (Number.isNaN(to)) problems.push(`'to' is not a date and time: '${search.to}'`);
  if (!Number.isNaN(from) && !Number.isNaN(to)) {
    if (to <= from) problems.push("'to' must be after 'from'");
    else if (to - from > MAX_SEARCH_DAYS * DAY) {
      problems.push(`search at most ${MAX_SEARCH_DAYS} days at a time`);
    }
  }
  if ("rooms" in search) {
    if (search.rooms.length === 0) problems.push("name at least one room");
  } else if (search.classCode.trim() === "") {
    problems.push("name the class (its class code)");
  }
  return problems;
}

interface Row {
  id: string;
  device_id: string;
  room: string;
  class_code: string | null;
  owner_id: string | null;
  owner_name: string | null;
  purpose: string | null;
  started_at: string;
  ended_at: string | null;
  audio: number;
  held: number;
  deleted_at: string | null;
  on_device: number;
  on_controller: number;
  archive_state: string;
  exemplar: number;
  clips: number;
}

export async function findFootage(db: Database, search: FootageSearch): Promise<FoundRecording[]> {
  const problems = searchProblems(search);
  if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
  const from = new Date(search.from).toISOString();
  const to = new Date(search.to).toISOString();
  const which =
    "rooms" in search
      ? {
          sql: "r.device_id IN (SELECT value FROM json_each(?))",
          param: JSON.stringify(search.rooms),
        }
      : { sql: "lower(b.class_code) = lower(?)", param: search.classCode.trim() };
  const found = await query(
    db,
    `${which.sql} AND r.started_at < ? AND coalesce(r.ended_at, r.started_at) >= ?`,
    [which.param, to, from],
  );
  if (found.length > MAX_FOUND) {
    throw new DomainError(
      "invalid",
      `more than ${MAX_FOUND} recordings match: search fewer rooms or a shorter time`,
    );
  }
  return found;
}

/** The recordings named, in the order they were made; `not-found` names one that does not exist. */
export async function foundByIds(db: Database, ids: readonly string[]): Promise<FoundRecording[]> {
  const found = await query(db, "r.id IN (SELECT value FROM json_each(?))", [JSON.stringify(ids)]);
  const missing = ids.filter((id) => !found.some((f) => f.recordingId === id));
  if (missing.length > 0)
    throw new DomainError("not-found", `no recording '${missing.join("', '")}'`);
  return found;
}

async function query(db: Database, where: string, params: unknown[]): Promise<FoundRecording[]> {
  const hasClips = await db.get(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clips'",
  );
  const clips = hasClips
    ? "(SELECT count(*) FROM clips c WHERE c.recording_id = r.id AND c.deleted_at IS NULL)"
    : "0";
  const rows = await db.all<Row>(
    `SELECT r.id, r.device_id, d.room, b.class_code, r.owner_id, u.display_name AS owner_name,
            r.purpose, r.started_at, r.ended_at, r.audio, r.deleted_at, r.on_device,
            r.on_controller, r.archive_state, r.exemplar, ${clips} AS clips,
            EXISTS (SELECT 1 FROM holds h WHERE h.recording_id = r.id AND h.released_at IS NULL) AS held
     FROM recordings r JOIN devices d ON d.id = r.device_id
       LEFT JOIN bookings b ON b.id = r.booking_id LEFT JOIN users u ON u.id = r.owner_id
     WHERE ${where}
     ORDER BY r.started_at, r.id LIMIT ?`,
    [...params, MAX_FOUND + 1],
  );
  return rows.map((row) => ({
    recordingId: row.id,
    deviceId: row.device_id,
    room: row.room,
    classCode: row.class_code,
    ownerId: row.owner_id,
    ownerName: row.owner_name,
    purpose: row.purpose,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    audio: row.audio === 1,
    onHold: row.held === 1,
    deleted: row.deleted_at !== null,
    where: {
      box: row.on_device === 1 && row.deleted_at === null,
      controller: row.on_controller === 1,
      archived: row.archive_state === "archived" && row.deleted_at === null,
      exemplar: row.exemplar === 1 && row.deleted_at === null,
      clips: row.clips,
    },
  }));
}
