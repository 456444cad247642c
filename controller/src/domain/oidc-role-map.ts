/**
 * Which classcam roles the school's groups (or app roles) give at a sign-in
 * through its identity provider: the config file's `oidc.roleMap` until an
 * administrator changes it on the dashboard; from then on the one kept in the
 * database (settings key `oidc_role_map`), re-read at every sign-in.
 *
 * Separation of duties (role-grants.ts): a role that sees footage is never
 * granted to oneself. A group given a footage role on the dashboard keeps who
 * gave it (`setBy`), and that person's own sign-in does not get that role
 * through that group (another administrator or the headteacher must give it).
 * Every change is audited (`oidc.role-map`) with the footage roles it gives.
 */
import type { Database } from "../db/database.js";
import { ROLES, type Role } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import { footageRoles } from "./role-grants.js";

const KEY = "oidc_role_map";
export const MAX_GROUPS = 100;
export const MAX_GROUP_NAME = 200;

export interface RoleMapEntry {
  /** The group's name or id as the provider's claim holds it; "*": everyone of the school. */
  group: string;
  roles: Role[];
  /** Who gave the group its roles on the dashboard (null: the config file). */
  setBy: string | null;
}

export interface RoleMapView {
  /** Where the map in use comes from. */
  source: "config" | "dashboard";
  entries: RoleMapEntry[];
  changedAt: string | null;
  changedBy: string | null;
}

interface Stored {
  entries: RoleMapEntry[];
  changedAt: string;
  changedBy: string;
}

/** Every problem with a map as an administrator wrote it, by line (1-based). */
export function roleMapProblems(
  entries: readonly { group: string; roles: readonly Role[] }[],
): string[] {
  const problems: string[] = [];
  if (entries.length === 0) {
    problems.push("the map is empty: give at least one group a role, or nobody could sign in");
  }
  if (entries.length > MAX_GROUPS) problems.push(`at most ${MAX_GROUPS} groups`);
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const line = index + 1;
    const group = entry.group.trim();
    if (group === "") problems.push(`line ${line}: no group name`);
    else if (group.length > MAX_GROUP_NAME) {
      problems.push(`line ${line}: the group name is longer than ${MAX_GROUP_NAME} characters`);
    }
    if (entry.roles.length === 0) {
      problems.push(`line ${line}: '${group}' gives no role: choose one, or remove the line`);
    }
    const first = seen.get(group);
    if (first !== undefined) problems.push(`line ${line}: '${group}' is also on line ${first}`);
    else seen.set(group, line);
  });
  return problems;
}

/**
 * The roles `groups` give someone whose account is `self` (null: not made
 * yet): every entry of their groups and "*", less the footage roles of
 * entries `self` set (`withheld`).
 */
export function mappedRoles(
  groups: readonly string[],
  entries: readonly RoleMapEntry[],
  self: string | null,
): { roles: Role[]; withheld: Role[] } {
  const given = new Set<Role>();
  const withheld = new Set<Role>();
  for (const entry of entries) {
    if (entry.group !== "*" && !groups.includes(entry.group)) continue;
    const own = self !== null && entry.setBy === self;
    for (const role of entry.roles) {
      if (own && footageRoles([role]).length > 0) withheld.add(role);
      else given.add(role);
    }
  }
  return {
    roles: ROLES.filter((role) => given.has(role)),
    withheld: ROLES.filter((role) => withheld.has(role) && !given.has(role)),
  };
}

export class OidcRoleMap {
  private readonly defaults: RoleMapEntry[];

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    defaults: Readonly<Record<string, readonly Role[]>>,
  ) {
    this.defaults = Object.entries(defaults)
      .filter(([, roles]) => roles.length > 0)
      .map(([group, roles]) => ({ group, roles: [...roles], setBy: null }));
  }

  /** The map in use now (read again each time: a change applies at the next sign-in). */
  async current(): Promise<RoleMapView> {
    const row = await this.db.get<{ value_json: string }>(
      "SELECT value_json FROM settings WHERE key = ?",
      [KEY],
    );
    if (!row) return { source: "config", entries: this.defaults, changedAt: null, changedBy: null };
    const stored = JSON.parse(row.value_json) as Stored;
    return { source: "dashboard", ...stored };
  }

  /** Replaces the map; audited with the footage roles it gives and to which groups. */
  async set(
    wanted: readonly { group: string; roles: readonly Role[] }[],
    actor: string,
  ): Promise<RoleMapView> {
    const problems = roleMapProblems(wanted);
    if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
    const before = await this.current();
    const footage: { group: string; roles: Role[] }[] = [];
    const entries = wanted.map((entry): RoleMapEntry => {
      const group = entry.group.trim();
      const roles = ROLES.filter((role) => entry.roles.includes(role));
      const old = before.entries.find((one) => one.group === group);
      const added = roles.filter((role) => !(old?.roles ?? []).includes(role));
      const givesFootage = footageRoles(added);
      if (givesFootage.length > 0) footage.push({ group, roles: givesFootage });
      // who gave its footage roles: the actor when they add one, else as it was
      const setBy = givesFootage.length > 0 ? actor : (old?.setBy ?? null);
      return { group, roles, setBy };
    });
    const stored: Stored = { entries, changedAt: this.clock().toISOString(), changedBy: actor };
    await this.db.transaction(async (tx) => {
      await tx.run(
        "INSERT INTO settings (key, value_json) VALUES (?, ?) " +
          "ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
        [KEY, JSON.stringify(stored)],
      );
      await this.audit.append(tx, {
        actor,
        action: "oidc.role-map",
        subject: "",
        detail: {
          before: before.entries.map(({ group, roles }) => ({ group, roles })),
          after: entries.map(({ group, roles }) => ({ group, roles })),
          footage,
        },
      });
    });
    return { source: "dashboard", ...stored };
  }
}
