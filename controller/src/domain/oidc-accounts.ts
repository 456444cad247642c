/**
 * The account a sign-in through the school's identity provider lands on, in
 * one transaction (the flow is oidc-sign-in.ts):
 *
 * - An identity already linked: its roles are set from the groups again
 *   (roles taken away end the person's sessions). Groups that give no role at
 *   all any more disable the account (its sessions end): the provider no
 *   longer vouches for the person. The account stays disabled until an
 *   administrator enables it, even if the groups give a role again.
 * - A first sign-in whose verified e-mail (the `email` claim with
 *   `email_verified: true`, of the school's domains, checked before) names a
 *   local account (the part before the @ is its user name, as the staff list
 *   import makes them) not yet linked to another identity: that account is
 *   linked and its roles then come from the groups.
 * - Otherwise a first sign-in makes the account, just in time.
 *
 * The last active administrator keeps the role whatever the groups say
 * (nobody could manage accounts after). Every change is audited with the
 * provider as its actor.
 */
import type { Database, Transaction } from "../db/database.js";
import { ROLES, type Role } from "./access.js";
import { USER_ID } from "./accounts.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { accountIdFor } from "./oidc-rules.js";
import { anotherAdministrator, grantRoles } from "./role-grants.js";
import { USER_COLUMNS, insertUser, toUser, type UserRow } from "./user-rows.js";

/** Who the audit log says gave a role the provider's groups gave. */
export const PROVIDER_ACTOR = "oidc:identity-provider";
/** A provider account's stored password hash: no password matches it. */
const NO_PASSWORD = "oidc$no-password";

/** The person as the provider's ID token says, after the domain check. */
export interface ProviderPerson {
  issuer: string;
  subject: string;
  /** The e-mail address signed in with, lower case. */
  email: string;
  /** The `email` claim, lower case, when the provider says it is verified; else null. */
  verifiedEmail: string | null;
  displayName: string;
  /**
   * The roles the groups give now (may be none) to the account `self` (null:
   * one not made yet), and the footage roles withheld from it (oidc-role-map.ts).
   */
  rolesFor: (self: string | null) => { roles: Role[]; withheld: Role[] };
}

/** The account signed in to, or why not (with the account, when there is one). */
export type ProviderAccount =
  { kind: "account"; row: UserRow } | { kind: "no role"; userId: string | null };

/** The local account a verified e-mail names, if it exists and no identity holds it. */
async function linkable(tx: Transaction, verifiedEmail: string | null): Promise<UserRow | null> {
  if (verifiedEmail === null) return null;
  const id = verifiedEmail.slice(0, Math.max(0, verifiedEmail.lastIndexOf("@")));
  if (!USER_ID.test(id)) return null;
  const row = await tx.get<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users WHERE id = ? ` +
      "AND id NOT IN (SELECT user_id FROM oidc_identities)",
    [id],
  );
  return row ?? null;
}

export async function providerAccount(
  db: Database,
  audit: AuditLog,
  clock: Clock,
  person: ProviderPerson,
): Promise<ProviderAccount> {
  const { issuer, subject, email } = person;
  const via = { via: "oidc", email, issuer };
  const now = clock().toISOString();
  const outcome = await db.transaction(async (tx): Promise<ProviderAccount | string> => {
    const linked = await tx.get<{ user_id: string }>(
      "SELECT user_id FROM oidc_identities WHERE issuer = ? AND subject = ?",
      [issuer, subject],
    );
    let row: UserRow | undefined;
    let given: { roles: Role[]; withheld: Role[] };
    if (linked) {
      row = await tx.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [
        linked.user_id,
      ]);
      given = person.rolesFor(linked.user_id);
    } else {
      const local = await linkable(tx, person.verifiedEmail);
      given = person.rolesFor(local?.id ?? null);
      const { roles, withheld } = given;
      // nothing is written for someone whose groups give no role
      if (roles.length === 0) return { kind: "no role", userId: null };
      if (local === null) {
        const ids = new Set(
          (await tx.all<{ id: string }>("SELECT id FROM users")).map((u) => u.id),
        );
        const id = accountIdFor(email, (one) => ids.has(one));
        await insertUser(
          tx,
          { id, displayName: person.displayName, roles },
          NO_PASSWORD,
          false,
          now,
        );
        await linkIdentity(tx, person, id, now);
        await audit.append(tx, {
          actor: PROVIDER_ACTOR,
          action: "user.add",
          subject: id,
          detail: { roles, ...via, ...(withheld.length > 0 && { withheld }) },
        });
        await grantRoles(tx, audit, { subject: id, granted: roles, actor: PROVIDER_ACTOR });
        return id;
      }
      await linkIdentity(tx, person, local.id, now);
      await audit.append(tx, {
        actor: PROVIDER_ACTOR,
        action: "user.link",
        subject: local.id,
        detail: via,
      });
      row = local;
    }
    if (!row) throw new Error(`the account linked to ${email} is gone`);
    if (row.status !== "active") return row.id;
    const { roles, withheld } = given;
    const before = toUser(row).roles;
    const keptAdmin =
      before.includes("admin") &&
      !roles.includes("admin") &&
      !(await anotherAdministrator(tx, row.id));
    const after = keptAdmin
      ? ROLES.filter((role) => role === "admin" || roles.includes(role))
      : roles;
    if (after.length === 0) {
      await tx.run("UPDATE users SET status = 'disabled' WHERE id = ?", [row.id]);
      await tx.run("DELETE FROM sessions WHERE user_id = ?", [row.id]);
      await audit.append(tx, {
        actor: PROVIDER_ACTOR,
        action: "user.update",
        subject: row.id,
        detail: {
          before: { roles: before, status: "active" },
          after: { status: "disabled" },
          why: "no role",
          ...via,
        },
      });
      return { kind: "no role", userId: row.id };
    }
    const granted = after.filter((role) => !before.includes(role));
    const removed = before.filter((role) => !after.includes(role));
    if (granted.length === 0 && removed.length === 0) return row.id;
    await tx.run("UPDATE users SET roles_json = ? WHERE id = ?", [JSON.stringify(after), row.id]);
    // roles taken away: the person's sessions with the old roles end now
    if (removed.length > 0) await tx.run("DELETE FROM sessions WHERE user_id = ?", [row.id]);
    await audit.append(tx, {
      actor: PROVIDER_ACTOR,
      action: "user.update",
      subject: row.id,
      detail: {
        before: { roles: before },
        after: { roles: after },
        ...via,
        ...(keptAdmin && { keptAdmin: true }),
        ...(withheld.length > 0 && { withheld }),
      },
    });
    await grantRoles(tx, audit, { subject: row.id, granted, actor: PROVIDER_ACTOR });
    return row.id;
  });
  if (typeof outcome !== "string") return outcome;
  const row = await db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [outcome]);
  if (!row) throw new Error(`the account '${outcome}' just signed in is gone`);
  return { kind: "account", row };
}

function linkIdentity(
  tx: Transaction,
  person: ProviderPerson,
  userId: string,
  now: string,
): Promise<unknown> {
  return tx.run(
    "INSERT INTO oidc_identities (issuer, subject, user_id, email, created_at) " +
      "VALUES (?, ?, ?, ?, ?)",
    [person.issuer, person.subject, userId, person.email, now],
  );
}
