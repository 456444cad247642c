/**
 * The school's directory, honestly: the identity provider's sign-in alone
 * cannot say that a person has left (someone who no longer signs in is never
 * seen), and Entra ID's and Google's directory APIs are not reachable from a
 * school's server in general. So an administrator reconciles the accounts
 * with the school's staff list as exported from its MIS or its directory
 * (CSV: a Username, Email or Id column, other columns ignored):
 *
 * - the preview lists every active account that is not on the list (matched
 *   by user name, by the part of the e-mail before the @, or by the e-mail
 *   the person signs in with at the provider), never the administrator doing
 *   it, and every bad line of the file;
 * - the administrator chooses whom of them to disable; the file is read again
 *   and each chosen account must still be off the list; all are disabled in
 *   one transaction, their sessions ended, each audited (`user.update`, why
 *   "not on the staff list") and the reconcile itself (`user.reconcile`).
 *
 * The last active administrator stays (role-grants.ts): the one doing it is
 * never disabled.
 */
import type { Database } from "../db/database.js";
import type { Role } from "./access.js";
import type { AuditLog } from "./audit.js";
import { normalHeader, readCsvRecords, type FileProblem } from "./csv-file.js";
import { DomainError } from "./errors.js";
import { MAX_STAFF_FILE_BYTES } from "./form-limits.js";
import { keepAnAdministrator } from "./role-grants.js";
import { USER_COLUMNS, toUser, type UserRow } from "./user-rows.js";

/** The most lines of a staff list read at once. */
export const MAX_LIST_ROWS = 3000;

const NAME_COLUMNS = new Set(["username", "userid", "id", "login", "account"]);
const EMAIL_COLUMNS = new Set(["email", "emailaddress", "mail", "upn", "userprincipalname"]);

/** The people a staff list names: user names and e-mail addresses, lower case. */
export interface StaffList {
  names: Set<string>;
  emails: Set<string>;
  lines: number;
  problems: FileProblem[];
}

/** Reads a staff list; every problem by line. Touches nothing. */
export function readStaffList(text: string): StaffList {
  const list: StaffList = { names: new Set(), emails: new Set(), lines: 0, problems: [] };
  const read = readCsvRecords(text, MAX_STAFF_FILE_BYTES, "export only the columns needed");
  if (!read.ok) return { ...list, problems: [read.problem] };
  const { header, rows } = read;
  if (header === undefined || rows.length === 0) {
    return { ...list, problems: [{ line: null, message: "the file names nobody: it is empty" }] };
  }
  const columns = header.record.map((name) => normalHeader(name));
  const nameAt = columns.findIndex((name) => NAME_COLUMNS.has(name));
  const emailAt = columns.findIndex((name) => EMAIL_COLUMNS.has(name));
  if (nameAt < 0 && emailAt < 0) {
    const found = header.record.map((name) => `"${name}"`).join(", ");
    return {
      ...list,
      problems: [
        {
          line: header.line,
          message: `the header line (${found}) has no column named Username, Email or Id`,
        },
      ],
    };
  }
  if (rows.length > MAX_LIST_ROWS) {
    return {
      ...list,
      problems: [{ line: null, message: `the file has over ${MAX_LIST_ROWS} lines` }],
    };
  }
  for (const { record, line } of rows) {
    const name = (nameAt < 0 ? "" : (record[nameAt] ?? "")).trim().toLowerCase();
    const email = (emailAt < 0 ? "" : (record[emailAt] ?? "")).trim().toLowerCase();
    if (name === "" && email === "") {
      list.problems.push({ line, message: "no user name or e-mail address on this line" });
      continue;
    }
    if (email !== "" && !/^[^@\s]+@[^@\s]+$/.test(email)) {
      list.problems.push({ line, message: `'${email}' is not an e-mail address` });
      continue;
    }
    list.lines += 1;
    if (name !== "") list.names.add(name);
    if (email !== "") {
      list.emails.add(email);
      list.names.add(email.slice(0, email.indexOf("@")));
    }
  }
  return list;
}

export interface NotListed {
  id: string;
  displayName: string;
  roles: Role[];
  /** The e-mail the person signs in with at the provider (null: a local account). */
  providerEmail: string | null;
  lastSignInAt: string | null;
}

export interface ReconcilePreview {
  /** How many people the list names. */
  listed: number;
  problems: FileProblem[];
  /** Active accounts not on the list, the administrator doing it left out. */
  notListed: NotListed[];
}

export class StaffReconcile {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
  ) {}

  async preview(csv: string, actor: string): Promise<ReconcilePreview> {
    const list = readStaffList(csv);
    if (list.lines === 0) return { listed: 0, problems: list.problems, notListed: [] };
    const rows = await this.db.all<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE status = 'active' ORDER BY id`,
    );
    const identities = await this.db.all<{ user_id: string; email: string }>(
      "SELECT user_id, email FROM oidc_identities",
    );
    const emailOf = new Map(identities.map((one) => [one.user_id, one.email.toLowerCase()]));
    const notListed = rows
      .filter(
        (row) =>
          row.id !== actor &&
          !list.names.has(row.id) &&
          !list.emails.has(emailOf.get(row.id) ?? ""),
      )
      .map((row): NotListed => {
        const user = toUser(row);
        return {
          id: user.id,
          displayName: user.displayName,
          roles: user.roles,
          providerEmail: emailOf.get(row.id) ?? null,
          lastSignInAt: user.lastSignInAt,
        };
      });
    return { listed: list.lines, problems: list.problems, notListed };
  }

  /** Disables the accounts chosen of those the list leaves out; refuses when the file is bad. */
  async run(
    csv: string,
    chosen: readonly string[],
    actor: string,
  ): Promise<{ disabled: string[] }> {
    const preview = await this.preview(csv, actor);
    const [problem] = preview.problems;
    if (problem !== undefined) {
      const where = problem.line === null ? "" : `line ${problem.line}: `;
      throw new DomainError("invalid", `nobody was disabled: ${where}${problem.message}`);
    }
    const off = new Set(preview.notListed.map((person) => person.id));
    const listedNow = chosen.filter((id) => !off.has(id));
    if (listedNow.length > 0) {
      throw new DomainError(
        "conflict",
        `nobody was disabled: ${listedNow.map((id) => `'${id}'`).join(", ")} ` +
          "is on the staff list, is you, or is already disabled: check the file again",
      );
    }
    const disabled = [...new Set(chosen)];
    if (disabled.length === 0) {
      throw new DomainError("invalid", "choose at least one account to disable");
    }
    await this.db.transaction(async (tx) => {
      for (const id of disabled) {
        const row = await tx.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
        if (!row) throw new DomainError("not-found", `no user '${id}'`);
        const before = toUser(row);
        await keepAnAdministrator(tx, before, { roles: before.roles, status: "disabled" });
        await tx.run("UPDATE users SET status = 'disabled' WHERE id = ?", [id]);
        await tx.run("DELETE FROM sessions WHERE user_id = ?", [id]);
        await this.audit.append(tx, {
          actor,
          action: "user.update",
          subject: id,
          detail: {
            before: { status: before.status },
            after: { status: "disabled" },
            why: "not on the staff list",
          },
        });
      }
      await this.audit.append(tx, {
        actor,
        action: "user.reconcile",
        subject: "",
        detail: { listed: preview.listed, disabled },
      });
    });
    return { disabled };
  }
}
