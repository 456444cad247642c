/**
 * `bulk`: enrol many rooms from a CSV. Every row is checked first — its own
 * fields, a bundle the daemon would accept, device ids repeated in the CSV or
 * already known to the controller, a bundle folder already there — and each
 * problem is reported with its line number. Then the good rows are enrolled
 * one by one, each bundle written whole or not at all; with `allOrNothing`,
 * one bad row means nothing is enrolled and nothing is written.
 */
import { join } from "node:path";
import {
  PLACEHOLDER_SECRET,
  bundleProblem,
  destinationProblem,
  writeBundle,
  type BundleInput,
} from "./bundle.js";
import { ControllerError, type ControllerClient, type FleetDevice } from "./api.js";
import { parseCsv, readHeader, readRoom, type RoomRow } from "./csv.js";

export type BulkDefaults = Omit<BundleInput, "deviceId" | "secret">;

export interface BulkOptions {
  csv: string;
  out: string;
  defaults: BulkDefaults;
  allOrNothing: boolean;
}

export interface RowProblem {
  line: number;
  deviceId: string;
  problem: string;
}

export interface BulkOutcome {
  rows: number;
  enrolled: { line: number; deviceId: string; room: string; dir: string }[];
  problems: RowProblem[];
  /** Rows never tried because the controller stopped answering. */
  notTried: RowProblem[];
}

/** Reading the CSV failed as a whole (exit 2): the header, an unclosed quote, no rows. */
export class CsvError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "CsvError";
  }
}

export function readRooms(text: string): { rows: RoomRow[]; problems: RowProblem[] } {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    throw new CsvError([(error as Error).message]);
  }
  const header = readHeader(records[0]);
  if (!header.ok) throw new CsvError(header.problems);
  if (records.length < 2) throw new CsvError(["the CSV has a header but no rooms"]);
  const rows: RoomRow[] = [];
  const problems: RowProblem[] = [];
  for (const record of records.slice(1)) {
    const { row, problems: found } = readRoom(record, header.columns);
    rows.push(row);
    for (const problem of found) problems.push({ line: row.line, deviceId: row.deviceId, problem });
  }
  return { rows, problems };
}

export function rowInput(row: RoomRow, defaults: BulkDefaults): BundleInput {
  const camera = Object.keys(row.camera).length > 0 ? row.camera : defaults.camera;
  return {
    ...defaults,
    deviceId: row.deviceId,
    secret: PLACEHOLDER_SECRET,
    ...(row.lampPin !== undefined && { lampPin: row.lampPin }),
    ...(row.lampActiveLow !== undefined && { lampActiveLow: row.lampActiveLow }),
    ...(row.buttonPin !== undefined && { buttonPin: row.buttonPin }),
    ...(row.buttonActiveLow !== undefined && { buttonActiveLow: row.buttonActiveLow }),
    ...(camera !== undefined && { camera }),
  };
}

/** Problems that need every row, the output folder and the fleet to see. */
export function crossCheck(
  rows: readonly RoomRow[],
  defaults: BulkDefaults,
  out: string,
  fleet: readonly FleetDevice[],
  alreadyBad: ReadonlySet<number>,
): RowProblem[] {
  const problems: RowProblem[] = [];
  const firstLine = new Map<string, number>();
  const known = new Map(fleet.map((device) => [device.id, device]));
  for (const row of rows) {
    const at = (problem: string) =>
      problems.push({ line: row.line, deviceId: row.deviceId, problem });
    if (row.deviceId === "") continue;
    const first = firstLine.get(row.deviceId);
    if (first !== undefined) at(`device id '${row.deviceId}' is also on line ${first}`);
    else firstLine.set(row.deviceId, row.line);
    const device = known.get(row.deviceId);
    if (device !== undefined) {
      at(
        device.status === "retired"
          ? `device '${row.deviceId}' was retired; ids are never reused — choose a new one`
          : `device '${row.deviceId}' is already enrolled (${device.room}, ${device.status})`,
      );
    }
    if (alreadyBad.has(row.line)) continue; // its own fields are wrong: a bundle check adds nothing
    const bundle = bundleProblem(rowInput(row, defaults));
    if (bundle !== null) at(bundle);
    const destination = destinationProblem(join(out, row.deviceId));
    if (destination !== null) at(destination);
  }
  return problems;
}

export interface BulkProgress {
  (done: number, total: number, row: RoomRow, outcome: "enrolled" | "failed"): void;
}

/** Enrols the rooms; the caller has signed `client` in. */
export async function bulkEnrol(
  client: ControllerClient,
  rows: readonly RoomRow[],
  firstProblems: readonly RowProblem[],
  options: Omit<BulkOptions, "csv">,
  progress: BulkProgress,
): Promise<BulkOutcome> {
  const fleet = await client.devices();
  const bad = new Set(firstProblems.map((p) => p.line));
  const problems = [
    ...firstProblems,
    ...crossCheck(rows, options.defaults, options.out, fleet, bad),
  ];
  problems.sort((a, b) => a.line - b.line);
  const outcome: BulkOutcome = { rows: rows.length, enrolled: [], problems, notTried: [] };
  if (options.allOrNothing && problems.length > 0) return outcome;
  const refused = new Set(problems.map((p) => p.line));
  const good = rows.filter((row) => !refused.has(row.line));
  let done = 0;
  for (const [index, row] of good.entries()) {
    let secret: string;
    let sealingKey: string | undefined;
    try {
      ({ secret, sealingKey } = await client.enrol(row.deviceId, row.room));
    } catch (error) {
      const text = (error as Error).message;
      if (error instanceof ControllerError && error.status === null) {
        // the controller is gone: the rest are not tried, and say so
        for (const rest of good.slice(index)) {
          outcome.notTried.push({ line: rest.line, deviceId: rest.deviceId, problem: text });
        }
        break;
      }
      outcome.problems.push({ line: row.line, deviceId: row.deviceId, problem: text });
      progress(++done, good.length, row, "failed");
      continue;
    }
    const dir = join(options.out, row.deviceId);
    try {
      writeBundle(dir, { ...rowInput(row, options.defaults), secret, sealingKey });
    } catch (error) {
      outcome.problems.push({
        line: row.line,
        deviceId: row.deviceId,
        problem:
          `enrolled, but its bundle could not be written (${(error as Error).message}); ` +
          `get a new secret with 'classcam-provision rotate ${row.deviceId} --out DIR'`,
      });
      progress(++done, good.length, row, "failed");
      continue;
    }
    outcome.enrolled.push({ line: row.line, deviceId: row.deviceId, room: row.room.trim(), dir });
    progress(++done, good.length, row, "enrolled");
  }
  outcome.problems.sort((a, b) => a.line - b.line);
  return outcome;
}

/** One report line for a row's problem. */
export function problemLine(problem: RowProblem): string {
  return `line ${problem.line}${problem.deviceId === "" ? "" : ` (${problem.deviceId})`}: ${problem.problem}`;
}

/** The closing summary. */
export function summary(outcome: BulkOutcome, allOrNothing: boolean, out: string): string[] {
  const lines: string[] = [];
  const badRows = new Set(outcome.problems.map((p) => p.line)).size;
  if (
    allOrNothing &&
    outcome.enrolled.length === 0 &&
    badRows > 0 &&
    outcome.notTried.length === 0
  ) {
    lines.push(
      `nothing enrolled and nothing written: ${badRows} of ${outcome.rows} rows have problems (--all-or-nothing)`,
    );
    return lines;
  }
  const failed = badRows + outcome.notTried.length;
  lines.push(
    `enrolled ${outcome.enrolled.length} of ${outcome.rows} rooms` +
      (failed > 0 ? `; ${failed} not enrolled` : "") +
      (outcome.enrolled.length > 0 ? `; bundles in ${out}` : ""),
  );
  if (outcome.notTried.length > 0) {
    lines.push(`stopped: ${outcome.notTried[0]?.problem ?? "the controller stopped answering"}`);
    lines.push(
      `not tried: lines ${outcome.notTried.map((p) => p.line).join(", ")} — run bulk again with those rows`,
    );
  }
  return lines;
}
