/**
 * Reading a CSV file a school exported (a staff list, a timetable, the
 * do-not-record classes): bounded in size, parsed with csv-parse (quoted
 * fields, a byte-order mark, CRLF), blank lines dropped, each record with the
 * line of the file it starts on, so every problem can be reported by line.
 * What the columns mean is each reader's own (`staff-csv.ts`,
 * `timetable-csv.ts`, `do-not-record-csv.ts`).
 */
import { createRequire } from "node:module";
import type * as CsvSync from "csv-parse/sync";
import { fileSizeProblem } from "./form-limits.js";

/**
 * csv-parse, loaded when a file is first read: a controller spends most of
 * its life reading none (about 0.5 MB of heap, issue 21).
 */
let csvSync: typeof CsvSync | null = null;
const csv = (): typeof CsvSync =>
  (csvSync ??= createRequire(import.meta.url)("csv-parse/sync") as typeof CsvSync);

/** A problem with the file as a whole (or its header line): nothing in it is imported. */
export interface FileProblem {
  /** The line it is on, when it is on one. */
  line: number | null;
  message: string;
}

export interface Entry {
  record: string[];
  /** The line of the file the record starts on (a quoted field may hold line breaks). */
  line: number;
}

/** The header line and the lines under it, or why the file cannot be read at all. */
export type CsvRecords =
  { ok: true; header: Entry | undefined; rows: Entry[] } | { ok: false; problem: FileProblem };

/** A header's column name as it is compared: any case, no spaces, dots, dashes or underscores. */
export const normalHeader = (text: string): string => text.toLowerCase().replace(/[\s._\-–]+/g, "");

/**
 * Reads the records of `text`, refusing a file over `maxBytes` with `advice`
 * on what to do instead (e.g. "split it into smaller files").
 */
export function readCsvRecords(text: string, maxBytes: number, advice: string): CsvRecords {
  const tooLarge = fileSizeProblem(Buffer.byteLength(text, "utf8"), maxBytes, advice);
  if (tooLarge !== null) return { ok: false, problem: { line: null, message: tooLarge } };
  let parsed: { record: string[]; info: { bytes: number } }[];
  const { CsvError, parse } = csv();
  try {
    // with `info`, each record comes with where it ends (csv-parse's types leave this out)
    parsed = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as typeof parsed;
  } catch (error) {
    if (error instanceof CsvError) return { ok: false, problem: csvProblem(error) };
    throw error;
  }
  const [header, ...rows] = withLines(text, parsed).filter((entry) =>
    entry.record.some((field) => field !== ""),
  );
  return { ok: true, header, rows };
}

/** A csv-parse refusal in words, with the line it happened on. */
function csvProblem(error: CsvSync.CsvError): FileProblem {
  const line = typeof error.lines === "number" && error.lines > 0 ? error.lines : null;
  const quotes =
    'a quote mark (") is not closed, or has text right after it: a field with commas or quotes ' +
    'goes inside quotes, with a quote inside it written twice ("")';
  return {
    line,
    message: /QUOTE/.test(error.code) ? quotes : "this line cannot be read as CSV",
  };
}

const NEWLINE = 0x0a;
const BLANK = new Set([NEWLINE, 0x0d, 0x20, 0x09]);

/**
 * Each record with the line it starts on, counted from the byte where it
 * ends (csv-parse's own line count takes a CRLF inside quotes for two).
 */
function withLines(
  text: string,
  parsed: readonly { record: string[]; info: { bytes: number } }[],
): Entry[] {
  const bytes = Buffer.from(text, "utf8");
  const entries: Entry[] = [];
  let offset = 0;
  let line = 1;
  for (const { record, info } of parsed) {
    let start = offset;
    while (start < bytes.length && BLANK.has(bytes[start] ?? 0)) start += 1;
    for (let i = offset; i < start; i += 1) if (bytes[i] === NEWLINE) line += 1;
    entries.push({ record, line });
    const end = Math.max(start, info.bytes);
    for (let i = start; i < end; i += 1) if (bytes[i] === NEWLINE) line += 1;
    offset = end;
  }
  return entries;
}
