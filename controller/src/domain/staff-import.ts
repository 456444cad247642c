/**
 * Adding many people from the school's staff list (CSV, read by
 * `staff-csv.ts`): a preview first, with every bad line and what is wrong
 * (including a user name already taken, which only the database knows), then
 * the import, as the administrator chose:
 *
 * - `all-or-nothing`: refused if any line has a problem, and otherwise every
 *   person added in one transaction (a name taken meanwhile undoes it all);
 * - `good-rows`: the lines without problems added, in one transaction, the
 *   others left out and listed.
 *
 * The file is read and checked again at import: the preview is never trusted.
 * Each person gets a one-time password (returned once, never stored) and is
 * audited as one added from the dashboard is (`user.add`, `user.grant-role`);
 * the import itself is one `user.import` entry with its counts and lines.
 */
import type { Database } from "../db/database.js";
import type { Role } from "./access.js";
import { temporaryPassword } from "./accounts.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import { grantProblem, grantRoles } from "./role-grants.js";
import { readStaffCsv, type FileProblem, type StaffLine } from "./staff-csv.js";
import { hashPassword, insertUser } from "./user-rows.js";

export type ImportMode = "all-or-nothing" | "good-rows";
export const IMPORT_MODES: readonly ImportMode[] = ["all-or-nothing", "good-rows"];

export interface StaffPreview {
  people: StaffLine[];
  fileProblems: FileProblem[];
  /** How many lines can be imported (no problems). */
  good: number;
  /** How many lines have a problem. */
  bad: number;
}

export interface StaffImported {
  mode: ImportMode;
  /** Everyone added, with their one-time password: shown once, never stored. */
  added: {
    line: number;
    id: string;
    displayName: string;
    roles: Role[];
    temporaryPassword: string;
  }[];
  /** The lines left out, with why. */
  skipped: StaffLine[];
}

const taken = (id: string, name: string) =>
  `the user name '${id}' is already taken (by ${name}): choose another`;

/** "line 3: …; line 7: …", at most `most` of them, and how many more. */
function linesInWords(lines: readonly StaffLine[], most = 5): string {
  const shown = lines
    .slice(0, most)
    .map((person) => `line ${person.line}: ${person.problems.join("; ")}`);
  const more = lines.length > most ? `; and ${lines.length - most} more` : "";
  return shown.join("; ") + more;
}

/**
 * Told how many of the people to add have their one-time password ready (the
 * slow part: a password hash each); the accounts are then written at once.
 */
export type ImportProgress = (done: number, total: number) => void;

export class StaffImport {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock = () => new Date(),
  ) {}

  /** Every problem of every line, without changing anything. */
  async preview(csv: string, actor: string): Promise<StaffPreview> {
    const file = readStaffCsv(csv);
    if (file.people.length > 0) {
      const existing = await this.db.all<{ id: string; display_name: string }>(
        "SELECT id, display_name FROM users",
      );
      const names = new Map(existing.map((row) => [row.id, row.display_name]));
      const grantor = await this.grantor(actor);
      for (const person of file.people) {
        const name = names.get(person.id);
        if (name !== undefined) person.problems.push(taken(person.id, name));
        const refusal = grantor && grantProblem(grantor, person.id, person.roles);
        if (refusal) person.problems.push(refusal);
      }
    }
    const bad = file.people.filter((person) => person.problems.length > 0).length;
    return { ...file, good: file.people.length - bad, bad };
  }

  /** Imports the file as `mode` says; refuses (adding nobody) when the file itself is wrong. */
  async run(
    csv: string,
    mode: ImportMode,
    actor: string,
    progress: ImportProgress = () => undefined,
  ): Promise<StaffImported> {
    const preview = await this.preview(csv, actor);
    const [fileProblem] = preview.fileProblems;
    if (fileProblem !== undefined) {
      const where = fileProblem.line === null ? "" : `line ${fileProblem.line}: `;
      throw new DomainError("invalid", `nothing was imported: ${where}${fileProblem.message}`);
    }
    const skipped = preview.people.filter((person) => person.problems.length > 0);
    if (mode === "all-or-nothing" && skipped.length > 0) {
      throw new DomainError(
        "invalid",
        `nothing was imported: ${skipped.length} of ${preview.people.length} lines have ` +
          `problems — ${linesInWords(skipped)}`,
      );
    }
    const good = preview.people.filter((person) => person.problems.length === 0);
    if (good.length === 0) {
      throw new DomainError(
        "invalid",
        `nothing was imported: no line can be imported — ${linesInWords(skipped)}`,
      );
    }
    // hashed one at a time before the transaction: sign-ins meanwhile get the other slot
    const passwords: { password: string; hash: string }[] = [];
    progress(0, good.length);
    for (let i = 0; i < good.length; i += 1) {
      const password = temporaryPassword();
      passwords.push({ password, hash: await hashPassword(password) });
      progress(i + 1, good.length);
    }
    const added: StaffImported["added"] = [];
    await this.db.transaction(async (tx) => {
      const now = this.clock().toISOString();
      for (const [index, person] of good.entries()) {
        const secret = passwords[index];
        if (secret === undefined) throw new Error("a password for each person");
        const existing = await tx.get<{ display_name: string }>(
          "SELECT display_name FROM users WHERE id = ?",
          [person.id],
        );
        if (existing) {
          // taken since the preview was read
          const late = { ...person, problems: [taken(person.id, existing.display_name)] };
          if (mode === "all-or-nothing") {
            throw new DomainError("conflict", `nothing was imported: ${linesInWords([late])}`);
          }
          skipped.push(late);
          continue;
        }
        await insertUser(tx, person, secret.hash, true, now);
        await this.audit.append(tx, {
          actor,
          action: "user.add",
          subject: person.id,
          detail: { roles: [...person.roles], import: true, line: person.line },
        });
        await grantRoles(tx, this.audit, { subject: person.id, granted: person.roles, actor });
        added.push({
          line: person.line,
          id: person.id,
          displayName: person.displayName,
          roles: person.roles,
          temporaryPassword: secret.password,
        });
      }
      if (added.length === 0) {
        throw new DomainError(
          "conflict",
          `nothing was imported: no line can be imported — ${linesInWords(skipped)}`,
        );
      }
      skipped.sort((a, b) => a.line - b.line);
      await this.audit.append(tx, {
        actor,
        action: "user.import",
        subject: "",
        // each person added has their own user.add entry, with their line
        detail: {
          mode,
          people: preview.people.length,
          added: added.length,
          skippedLines: skipped.map((person) => person.line),
        },
      });
    });
    return { mode, added, skipped };
  }

  private async grantor(
    actor: string,
  ): Promise<{ id: string; roles: Role[]; active: boolean } | null> {
    const row = await this.db.get<{ roles_json: string; status: string }>(
      "SELECT roles_json, status FROM users WHERE id = ?",
      [actor],
    );
    if (!row) return null;
    return {
      id: actor,
      roles: JSON.parse(row.roles_json) as Role[],
      active: row.status === "active",
    };
  }
}
