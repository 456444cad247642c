/**
 * The rooms CSV for `bulk`: a header line naming the columns, then one room
 * per line. Fields may be quoted ("Room 4, science block"), with "" for a
 * quote inside. Every record knows the line it starts on, for the report.
 */
import { deviceIdProblem } from "@classcam/protocol";
import type { CameraIdentity, Pins } from "./bundle.js";

export interface CsvRecord {
  /** The line the record starts on (the header is line 1). */
  line: number;
  fields: string[];
}

/** Splits CSV text into records; throws with the line of an unterminated quote. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let quoteLine = 0;
  let touched = false;
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const endRecord = () => {
    fields.push(field);
    // a line with nothing on it is no record
    if (!(fields.length === 1 && fields[0] === "" && !touched))
      records.push({ line: start, fields });
    fields = [];
    field = "";
    touched = false;
  };
  for (let i = 0; i < source.length; i += 1) {
    const c = source.charAt(i);
    if (quoted) {
      if (c === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i += 1;
        } else quoted = false;
      } else {
        if (c === "\n") line += 1;
        field += c;
      }
      continue;
    }
    switch (c) {
      case '"':
        quoted = true;
        touched = true;
        quoteLine = line;
        break;
      case ",":
        fields.push(field);
        field = "";
        touched = true;
        break;
      case "\r":
        break;
      case "\n":
        endRecord();
        line += 1;
        start = line;
        break;
      default:
        field += c;
    }
  }
  if (quoted) throw new Error(`line ${quoteLine}: a quoted field is never closed`);
  if (field !== "" || fields.length > 0 || touched) endRecord();
  return records;
}

/** One room of the CSV, checked on its own. */
export interface RoomRow extends Pins {
  line: number;
  deviceId: string;
  room: string;
  camera: CameraIdentity;
}

/** The columns `bulk` understands: header name → what it sets. */
export const COLUMNS = {
  room: "the room's name as staff know it (required)",
  deviceId: "the device id: lower-case letters, digits and hyphens (required)",
  lampPin: "GPIO (BCM) line of the lamp",
  lampActiveLow: "yes when the lamp lights on a low output",
  buttonPin: "GPIO (BCM) line of the record button",
  buttonActiveLow: "yes when a press pulls the line low (the usual wiring)",
  cameraCard: "the camera's V4L2 card name",
  cameraDriver: "the camera's V4L2 driver",
  cameraBus: "the camera's V4L2 bus info (its USB port)",
  cameraDevice: "a fixed camera device node instead, e.g. /dev/video0",
} as const;
export type Column = keyof typeof COLUMNS;

const normalise = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, "");
const BY_NORMAL = new Map(Object.keys(COLUMNS).map((name) => [normalise(name), name as Column]));
BY_NORMAL.set("device", "deviceId");
BY_NORMAL.set("id", "deviceId");

/** The header's columns in order, or the problems with it. */
export function readHeader(
  record: CsvRecord | undefined,
): { ok: true; columns: Column[] } | { ok: false; problems: string[] } {
  if (record === undefined)
    return { ok: false, problems: ["the CSV is empty: it needs a header line"] };
  const problems: string[] = [];
  const columns: Column[] = [];
  for (const [index, name] of record.fields.entries()) {
    const column = BY_NORMAL.get(normalise(name));
    if (column === undefined) {
      problems.push(
        `line 1: unknown column '${name}' (column ${index + 1}); the columns are ${Object.keys(COLUMNS).join(", ")}`,
      );
    } else if (columns.includes(column)) {
      problems.push(`line 1: column '${column}' appears twice`);
    } else columns.push(column);
  }
  for (const required of ["room", "deviceId"] as const) {
    if (!columns.includes(required) && !problems.some((p) => p.includes(`'${required}'`))) {
      problems.push(`line 1: the header has no '${required}' column`);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, columns };
}

/** The same rules as the controller's for a room name. */
export function roomProblem(room: string): string | null {
  const trimmed = room.trim();
  if (trimmed.length === 0) return "room must not be empty";
  if (trimmed.length > 100) return "room is at most 100 characters";
  if (/[\p{Cc}]/u.test(room)) return "room must not contain control characters";
  return null;
}

export function pinProblem(name: string, text: string): string | null {
  if (!/^\d{1,4}$/.test(text.trim()) || Number(text) > 1023) {
    return `${name} must be a GPIO line number 0–1023 (got '${text}')`;
  }
  return null;
}

const YES = new Set(["yes", "y", "true", "1"]);
const NO = new Set(["no", "n", "false", "0"]);

export function flag(name: string, text: string): { value?: boolean; problem?: string } {
  const word = text.trim().toLowerCase();
  if (YES.has(word)) return { value: true };
  if (NO.has(word)) return { value: false };
  return { problem: `${name} must be yes or no (got '${text}')` };
}

/** A data record as a room, or its problems. Empty optional fields mean "the default". */
export function readRoom(
  record: CsvRecord,
  columns: readonly Column[],
): { row: RoomRow; problems: string[] } {
  const problems: string[] = [];
  if (record.fields.length !== columns.length) {
    problems.push(
      `has ${record.fields.length} field${record.fields.length === 1 ? "" : "s"}, the header has ${columns.length}`,
    );
  }
  const value = (column: Column): string | undefined => {
    const index = columns.indexOf(column);
    const text = index < 0 ? undefined : record.fields[index]?.trim();
    return text === "" ? undefined : text;
  };
  const row: RoomRow = {
    line: record.line,
    deviceId: value("deviceId") ?? "",
    room: value("room") ?? "",
    camera: {},
  };
  const idProblem = row.deviceId === "" ? "deviceId is empty" : deviceIdProblem(row.deviceId);
  if (idProblem !== null) problems.push(idProblem);
  const room = roomProblem(row.room);
  if (room !== null) problems.push(room);
  for (const [column, key] of [
    ["lampPin", "lampPin"],
    ["buttonPin", "buttonPin"],
  ] as const) {
    const text = value(column);
    if (text === undefined) continue;
    const problem = pinProblem(column, text);
    if (problem !== null) problems.push(problem);
    else row[key] = Number(text);
  }
  for (const [column, key] of [
    ["lampActiveLow", "lampActiveLow"],
    ["buttonActiveLow", "buttonActiveLow"],
  ] as const) {
    const text = value(column);
    if (text === undefined) continue;
    const read = flag(column, text);
    if (read.problem !== undefined) problems.push(read.problem);
    else row[key] = read.value;
  }
  const card = value("cameraCard");
  const driver = value("cameraDriver");
  const busInfo = value("cameraBus");
  const device = value("cameraDevice");
  if (card !== undefined) row.camera.card = card;
  if (driver !== undefined) row.camera.driver = driver;
  if (busInfo !== undefined) row.camera.busInfo = busInfo;
  if (device !== undefined) row.camera.device = device;
  return { row, problems };
}
