/**
 * Reading a school's staff list exported as CSV, as a pure function: which
 * column is which (header names tolerant of case and spaces: "Display name"
 * or "Name", "Username", "Email" or "Id", "Roles"), one person per line, and
 * every problem of every line by its line number — a bad user name, a name
 * out of bounds, an unknown role, a user name twice in the file — so the
 * administrator sees them all at once. What only the database knows (a user
 * name already taken) is added by `staff-import.ts`.
 *
 * The file is bounded (`MAX_IMPORT_BYTES`, `MAX_IMPORT_ROWS`) and read by
 * csv-parse: quoted fields with commas or line breaks, a byte-order mark, and
 * CRLF or LF line ends are all as a spreadsheet writes them.
 */
import { ROLES, type Role } from "./access.js";
import { userProblems } from "./accounts.js";
import { normalHeader, readCsvRecords, type Entry, type FileProblem } from "./csv-file.js";
import { MAX_STAFF_FILE_BYTES } from "./form-limits.js";

export type { FileProblem } from "./csv-file.js";

/** The largest file taken at once (a school of 500 staff needs well under 100 KB). */
export const MAX_IMPORT_BYTES = MAX_STAFF_FILE_BYTES;
/** The most people taken at once (each gets a one-time password, hashed one by one). */
export const MAX_IMPORT_ROWS = 500;

/** One person read from the file, with every problem of their line (none: it can be imported). */
export interface StaffLine {
  /** The line of the file the person starts on (the header is line 1). */
  line: number;
  id: string;
  displayName: string;
  roles: Role[];
  problems: string[];
}

export interface StaffFile {
  people: StaffLine[];
  /** When there are any, nothing in the file is imported. */
  fileProblems: FileProblem[];
}

type Column = "id" | "email" | "displayName" | "firstName" | "lastName" | "roles";

/** Header names, lower-cased without spaces, dots, hyphens or underscores, by the column they give. */
const HEADERS: Record<string, Column> = {
  username: "id",
  userid: "id",
  id: "id",
  login: "id",
  account: "id",
  email: "email",
  emailaddress: "email",
  mail: "email",
  displayname: "displayName",
  name: "displayName",
  fullname: "displayName",
  staffname: "displayName",
  firstname: "firstName",
  forename: "firstName",
  givenname: "firstName",
  lastname: "lastName",
  surname: "lastName",
  familyname: "lastName",
  roles: "roles",
  role: "roles",
};

/** A role as a spreadsheet may write it: any case, spaces ("Head teacher"), "SLT". */
const normalRole = (text: string) => text.toLowerCase().replace(/[\s_-]+/g, "");

const ROLE_LIST = ROLES.join(", ");

/** Which field of a line each column is, or the problem with the header line. */
function readHeader(header: readonly string[]): Map<Column, number> | string {
  const columns = new Map<Column, number>();
  header.forEach((name, index) => {
    const column = HEADERS[normalHeader(name)];
    if (column !== undefined && !columns.has(column)) columns.set(column, index);
  });
  const missing: string[] = [];
  if (!columns.has("id") && !columns.has("email")) {
    missing.push("a user name (a column named Username, Email or Id)");
  }
  if (!columns.has("displayName") && !(columns.has("firstName") && columns.has("lastName"))) {
    missing.push("a name (a column named Name or Display name, or First name and Last name)");
  }
  if (!columns.has("roles")) missing.push("the roles (a column named Roles)");
  if (missing.length === 0) return columns;
  const found = header.map((name) => `"${name}"`).join(", ");
  return `the header line (${found}) has no column for ${missing.join(", nor ")}`;
}

/** Reads the file's people and every problem, by line. Touches nothing. */
export function readStaffCsv(text: string): StaffFile {
  const read = readCsvRecords(text, MAX_IMPORT_BYTES, "split it into smaller files");
  if (!read.ok) return { people: [], fileProblems: [read.problem] };
  const { header, rows } = read;
  if (header === undefined) {
    return problem(
      null,
      "the file is empty: it needs a header line (Name, Username, Roles) and a line for each person",
    );
  }
  const columns = readHeader(header.record);
  if (typeof columns === "string") return problem(header.line, columns);
  if (rows.length === 0) {
    return problem(null, "the file has a header line but nobody under it");
  }
  if (rows.length > MAX_IMPORT_ROWS) {
    const first = rows[MAX_IMPORT_ROWS];
    return problem(
      first === undefined ? null : first.line,
      `the file lists ${rows.length} people; at most ${MAX_IMPORT_ROWS} can be imported at once: ` +
        "split it into smaller files",
    );
  }
  const people = rows.map((row) => readLine(row, header.record.length, columns));
  markDuplicates(people);
  return { people, fileProblems: [] };
}

function problem(line: number | null, message: string): StaffFile {
  return { people: [], fileProblems: [{ line, message }] };
}

function readLine(entry: Entry, headerFields: number, columns: Map<Column, number>): StaffLine {
  const { record } = entry;
  const at = (column: Column) => {
    const index = columns.get(column);
    return index === undefined ? "" : (record[index] ?? "").trim();
  };
  const problems: string[] = [];
  if (record.length !== headerFields) {
    problems.push(
      `this line has ${record.length} fields where the header has ${headerFields} ` +
        "(a name with a comma in it goes inside quotes)",
    );
  }
  const id = readId(at("id"), at("email"), problems);
  const displayName =
    at("displayName") !== "" || !columns.has("firstName")
      ? at("displayName")
      : `${at("firstName")} ${at("lastName")}`.trim();
  if (displayName === "") problems.push("no name");
  else problems.push(...userProblems({ displayName }));
  const roles = readRoles(at("roles"), problems);
  return { line: entry.line, id, displayName, roles, problems };
}

/** The user name: the Username/Id column, else the part of the e-mail address before the @. */
function readId(given: string, email: string, problems: string[]): string {
  if (given === "" && email === "") {
    problems.push("no user name");
    return "";
  }
  const fromEmail = given === "";
  const id = (fromEmail ? (email.split("@")[0] ?? "") : given).toLowerCase();
  const wrong = userProblems({ id });
  if (wrong.length > 0) {
    problems.push(
      fromEmail
        ? `the e-mail address '${email}' does not make a user name: ${wrong.join("; ")}`
        : wrong.join("; "),
    );
  }
  return id;
}

/** Roles separated by ; or |, in any case. */
function readRoles(text: string, problems: string[]): Role[] {
  const names = text
    .split(/[;|]/)
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length === 0) {
    problems.push(`no role given: write one or more of ${ROLE_LIST}, separated by ; or |`);
    return [];
  }
  const roles: Role[] = [];
  for (const name of names) {
    const role = ROLES.find((known) => normalRole(known) === normalRole(name));
    if (role === undefined) problems.push(`unknown role '${name}' (roles: ${ROLE_LIST})`);
    else if (roles.includes(role)) problems.push(`the role '${role}' is listed twice`);
    else roles.push(role);
  }
  return roles;
}

/** A user name on more than one line is a problem on each of them: which one is meant? */
function markDuplicates(people: StaffLine[]): void {
  const lines = new Map<string, number[]>();
  for (const person of people) {
    if (person.id === "") continue;
    lines.set(person.id, [...(lines.get(person.id) ?? []), person.line]);
  }
  for (const person of people) {
    const others = (lines.get(person.id) ?? []).filter((line) => line !== person.line);
    if (others.length > 0) {
      person.problems.push(
        `the user name '${person.id}' is also on line ${others.join(", ")}: each person once`,
      );
    }
  }
}
