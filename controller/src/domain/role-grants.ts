/**
 * Who may grant which role: separation of duties.
 *
 * A role that can see footage (teacher, coach, slt, headteacher: through
 * `decide()` in access.ts — owning a booking's recording, a share, an
 * investigation) is granted only by ANOTHER person who holds admin or
 * headteacher, never to oneself, so an administrator cannot open a path to
 * footage for themself alone. Every role granted is audited
 * (`user.grant-role`). The server's own shell (`classcam-controller user add`,
 * which can read the database anyway) is not a person and may grant any role.
 *
 * The last active administrator cannot lose the role or be disabled: nobody
 * could manage accounts after.
 */
import type { Transaction } from "../db/database.js";
import { COLLEAGUE_ROLES, type Role } from "./access.js";
import type { AuditLog } from "./audit.js";
import { DomainError } from "./errors.js";

/**
 * Roles through which footage can be seen (owning a booking, a share, an
 * investigation): the colleague roles of `decide()`, defined there once.
 */
export const FOOTAGE_ROLES: readonly Role[] = COLLEAGUE_ROLES;
/** Roles whose holder may grant a footage role to someone else. */
export const GRANTING_ROLES: readonly Role[] = ["admin", "headteacher"];

/** The footage roles among `roles`. */
export function footageRoles(roles: readonly Role[]): Role[] {
  return roles.filter((role) => FOOTAGE_ROLES.includes(role));
}

/**
 * Why `grantor` may not give `subject` the roles in `granted` (null: they
 * may). `grantor` is the person doing it, with their current roles and status.
 */
export function grantProblem(
  grantor: { id: string; roles: readonly Role[]; active: boolean },
  subject: string,
  granted: readonly Role[],
): string | null {
  const footage = footageRoles(granted);
  if (footage.length === 0) return null;
  const which = footage.join(", ");
  if (grantor.id === subject) {
    return (
      `you cannot give yourself a role that sees footage (${which}): another administrator ` +
      "or the headteacher must grant it"
    );
  }
  if (!grantor.active || !grantor.roles.some((role) => GRANTING_ROLES.includes(role))) {
    return `only an administrator or the headteacher may grant a role that sees footage (${which})`;
  }
  return null;
}

/**
 * Checks and audits, inside the change's transaction, the roles `actor` gives
 * `subject`. An actor that is no account is the server's own shell (the CLI).
 */
export async function grantRoles(
  tx: Transaction,
  audit: AuditLog,
  change: { subject: string; granted: readonly Role[]; actor: string },
): Promise<void> {
  const { subject, granted, actor } = change;
  if (granted.length === 0) return;
  const grantor = await tx.get<{ roles_json: string; status: string }>(
    "SELECT roles_json, status FROM users WHERE id = ?",
    [actor],
  );
  if (grantor) {
    const roles = JSON.parse(grantor.roles_json) as Role[];
    const problem = grantProblem(
      { id: actor, roles, active: grantor.status === "active" },
      subject,
      granted,
    );
    if (problem !== null) throw new DomainError("forbidden", problem);
  }
  await audit.append(tx, {
    actor,
    action: "user.grant-role",
    subject,
    detail: { roles: [...granted], footage: footageRoles(granted) },
  });
}

/** Refuses a change that would leave no active administrator to manage accounts. */
export async function keepAnAdministrator(
  tx: Transaction,
  before: { id: string; roles: readonly Role[]; status: "active" | "disabled" },
  after: { roles: readonly Role[]; status: "active" | "disabled" },
): Promise<void> {
  const wasAdmin = before.status === "active" && before.roles.includes("admin");
  if (!wasAdmin || (after.status === "active" && after.roles.includes("admin"))) return;
  if (await anotherAdministrator(tx, before.id)) return;
  throw new DomainError(
    "conflict",
    `'${before.id}' is the last active administrator: make someone else an administrator ` +
      "first, or nobody could manage accounts",
  );
}

/** Whether an active administrator other than `id` exists. */
export async function anotherAdministrator(tx: Transaction, id: string): Promise<boolean> {
  const others = await tx.all<{ roles_json: string }>(
    "SELECT roles_json FROM users WHERE id != ? AND status = 'active'",
    [id],
  );
  return others.some((row) => (JSON.parse(row.roles_json) as Role[]).includes("admin"));
}
