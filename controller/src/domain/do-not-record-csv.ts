/**
 * The do-not-record list from the school's system, exported as CSV: a column
 * of class codes (header Class, Class code, Group or Teaching group) — the
 * export may list one line per pupil, with their class; only the class codes
 * are read, and no other column (no pupil's name) is kept. Each class once,
 * whatever case; every bad line reported by its number. The import replaces
 * the policy's list in one change (`PolicyStore.update`, audited as any
 * policy change).
 */
import { CLASS_CODE_PATTERN } from "./policy.js";
import { normalHeader, readCsvRecords, type FileProblem } from "./csv-file.js";
import { MAX_DO_NOT_RECORD_FILE_BYTES } from "./form-limits.js";

/** The largest file taken (a list of pupils and classes for a large school is well under this). */
export const MAX_DO_NOT_RECORD_BYTES = MAX_DO_NOT_RECORD_FILE_BYTES;
/** The most classes the policy lists (its schema's bound). */
export const MAX_DO_NOT_RECORD_CLASSES = 500;
const MAX_LINES = 10_000;

export interface ClassLine {
  line: number;
  classCode: string;
  problems: string[];
}

export interface DoNotRecordFile {
  /** The class codes, each once, in the file's order. */
  classes: string[];
  /** Every line with a problem. */
  problems: ClassLine[];
  fileProblems: FileProblem[];
  lines: number;
}

const HEADERS = new Set([
  "class",
  "classcode",
  "group",
  "teachinggroup",
  "form",
  "registrationgroup",
]);
const pattern = new RegExp(CLASS_CODE_PATTERN);

export function readDoNotRecordCsv(text: string): DoNotRecordFile {
  const empty: DoNotRecordFile = { classes: [], problems: [], fileProblems: [], lines: 0 };
  const fail = (line: number | null, message: string) => ({
    ...empty,
    fileProblems: [{ line, message }],
  });
  const read = readCsvRecords(text, MAX_DO_NOT_RECORD_BYTES, "split it into smaller files");
  if (!read.ok) return { ...empty, fileProblems: [read.problem] };
  const { header, rows } = read;
  if (header === undefined) {
    return fail(
      null,
      "the file is empty: it needs a header line (Class) and a line for each class",
    );
  }
  const column = header.record.findIndex((name) => HEADERS.has(normalHeader(name)));
  if (column < 0) {
    const found = header.record.map((name) => `"${name}"`).join(", ");
    return fail(header.line, `the header line (${found}) has no column named Class or Class code`);
  }
  if (rows.length > MAX_LINES) {
    return fail(null, `the file has ${rows.length} lines; at most ${MAX_LINES}`);
  }
  const classes = new Map<string, string>();
  const problems: ClassLine[] = [];
  for (const row of rows) {
    const classCode = (row.record[column] ?? "").trim();
    const wrong: string[] = [];
    if (classCode === "") wrong.push("no class code");
    else if (!pattern.test(classCode)) {
      wrong.push(
        `'${classCode.slice(0, 40)}' is not a class code (letters, digits, space . / _ -, at most 32 characters)`,
      );
    }
    if (wrong.length > 0) problems.push({ line: row.line, classCode, problems: wrong });
    else if (!classes.has(classCode.toLowerCase())) classes.set(classCode.toLowerCase(), classCode);
  }
  const fileProblems: FileProblem[] = [];
  if (rows.length === 0)
    fileProblems.push({ line: null, message: "the file has no class under its header" });
  if (classes.size > MAX_DO_NOT_RECORD_CLASSES) {
    fileProblems.push({
      line: null,
      message: `the file names ${classes.size} classes; the list holds at most ${MAX_DO_NOT_RECORD_CLASSES}`,
    });
  }
  return { classes: [...classes.values()], problems, fileProblems, lines: rows.length };
}
