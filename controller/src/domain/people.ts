/**
 * People and sign-in: local accounts with scrypt password hashes, roles,
 * sessions, sign-in limits, and the one-time setup token that creates the
 * first administrator. There is no built-in account and no default password:
 * a new controller has no users until someone holding the setup token (printed
 * at first start) or a shell on the server (`classcam-controller user add`)
 * makes one. Every sign-in, sign-out, password change and account change is
 * audited. A role that sees footage is granted only by someone else holding
 * admin or headteacher, and the last active administrator stays
 * (role-grants.ts).
 *
 * A session is a random token in a cookie; the database keeps only its
 * SHA-256. Each session has its own CSRF token that every state change must
 * echo in a header.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "../db/database.js";
import { ConnectThrottle, type Attempt } from "../broker/throttle.js";
import type { Person, Role } from "./access.js";
import { USER_ID, passwordProblems, temporaryPassword, userProblems } from "./accounts.js";
import { footageRoles, grantRoles, keepAnAdministrator } from "./role-grants.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import {
  USER_COLUMNS,
  checkPassword,
  hashPassword,
  insertUser,
  toUser,
  type User,
  type UserRow,
} from "./user-rows.js";

export {
  MAX_PASSWORD,
  MIN_PASSWORD,
  USER_ID_PATTERN,
  passwordProblems,
  temporaryPassword,
  userProblems,
} from "./accounts.js";

export type { User } from "./user-rows.js";

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: string;
}

export interface SessionOptions {
  /** A session ends this long after sign-in, whatever happens. */
  absoluteMinutes: number;
  /** A session ends after this long without a request. */
  idleMinutes: number;
}

export interface SignInLimits {
  perAccount: { maxFailures: number; windowMs: number };
  perAddress: { maxFailures: number; windowMs: number };
}

export const DEFAULT_SESSION: SessionOptions = { absoluteMinutes: 12 * 60, idleMinutes: 120 };
export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perAccount: { maxFailures: 5, windowMs: 15 * 60_000 },
  perAddress: { maxFailures: 20, windowMs: 15 * 60_000 },
};

/** Refused because of too many failures; `retryAfterSeconds` says when to try again. */
export class SignInLimited extends Error {
  constructor(
    readonly scope: "account" | "address",
    readonly retryAfterSeconds: number,
  ) {
    super(
      `too many failed sign-ins ${scope === "account" ? "for this account" : "from this address"}; ` +
        `try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s)`,
    );
    this.name = "SignInLimited";
  }
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function refuseIf(problems: string[]): void {
  if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
}

/** Used when the account does not exist, so a miss costs the same time as a wrong password. */
let decoyHash: Promise<string> | undefined;

export class People {
  private readonly accountLimit: ConnectThrottle;
  private readonly addressLimit: ConnectThrottle;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock = () => new Date(),
    private readonly sessionOptions: SessionOptions = DEFAULT_SESSION,
    limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
  ) {
    const now = () => this.clock().getTime();
    this.accountLimit = new ConnectThrottle({ ...limits.perAccount, now });
    this.addressLimit = new ConnectThrottle({ ...limits.perAddress, now });
  }

  /** Counts a sign-in against both limits, or refuses it unchecked when either is used up. */
  private async reserveSignIn(account: string, address: string): Promise<Attempt[]> {
    const byAccount = await this.accountLimit.reserve(account);
    if (byAccount === null) {
      throw new SignInLimited("account", Math.ceil(this.accountLimit.retryAfterMs(account) / 1000));
    }
    const byAddress = await this.addressLimit.reserve(address);
    if (byAddress === null) {
      byAccount.release();
      throw new SignInLimited("address", Math.ceil(this.addressLimit.retryAfterMs(address) / 1000));
    }
    return [byAccount, byAddress];
  }

  async count(): Promise<number> {
    const row = await this.db.get<{ n: number }>("SELECT count(*) AS n FROM users");
    return row?.n ?? 0;
  }

  async get(id: string): Promise<User | null> {
    const row = await this.db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    return row ? toUser(row) : null;
  }

  async require(id: string): Promise<User> {
    const user = await this.get(id);
    if (!user) throw new DomainError("not-found", `no user '${id}'`);
    return user;
  }

  async list(): Promise<User[]> {
    const rows = await this.db.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`);
    return rows.map(toUser);
  }

  /**
   * Adds an account with a one-time password that must be changed at first
   * sign-in. `actor` is who did it (a user id, or 'cli'); a role that sees
   * footage is granted only by someone else holding admin or headteacher.
   */
  async add(
    input: { id: string; displayName: string; roles: readonly Role[] },
    actor: string,
  ): Promise<{ user: User; temporaryPassword: string }> {
    refuseIf(userProblems(input));
    const password = temporaryPassword();
    const hash = await hashPassword(password);
    await this.db.transaction(async (tx) => {
      await insertUser(tx, input, hash, true, this.clock().toISOString());
      await this.audit.append(tx, {
        actor,
        action: "user.add",
        subject: input.id,
        detail: { roles: [...input.roles] },
      });
      await grantRoles(tx, this.audit, { subject: input.id, granted: input.roles, actor });
    });
    return { user: await this.require(input.id), temporaryPassword: password };
  }

  /**
   * A new setup token while the controller has no users (null once it has
   * one). Each call replaces the previous token; only its hash is stored.
   */
  async issueSetupToken(): Promise<string | null> {
    if ((await this.count()) > 0) return null;
    const token = randomBytes(24).toString("base64url");
    await this.db.transaction(async (tx) => {
      await tx.run(
        "INSERT INTO settings (key, value_json) VALUES ('setup_token', ?) " +
          "ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
        [JSON.stringify(sha256(token))],
      );
    });
    return token;
  }

  /** Creates the first administrator with the setup token; the token then stops working. */
  async setUp(input: {
    token: string;
    id: string;
    displayName: string;
    password: string;
    roles: readonly Role[];
  }): Promise<User> {
    const roles: Role[] = [...new Set<Role>(["admin", ...input.roles])];
    const footage = footageRoles(input.roles);
    refuseIf([
      ...userProblems({ ...input, roles: input.roles }),
      ...passwordProblems(input.password, input.id),
      ...(footage.length === 0
        ? []
        : [
            `the first administrator cannot give themself a role that sees footage ` +
              `(${footage.join(", ")}): once set up, add the people who need it, or have ` +
              "another administrator give it to you",
          ]),
    ]);
    const hash = await hashPassword(input.password);
    await this.db.transaction(async (tx) => {
      const stored = await tx.get<{ value_json: string }>(
        "SELECT value_json FROM settings WHERE key = 'setup_token'",
      );
      const users = await tx.get<{ n: number }>("SELECT count(*) AS n FROM users");
      const expected = stored ? (JSON.parse(stored.value_json) as string) : "";
      const given = sha256(input.token);
      if (
        (users?.n ?? 0) > 0 ||
        expected.length !== given.length ||
        !timingSafeEqual(Buffer.from(expected), Buffer.from(given))
      ) {
        throw new DomainError(
          "forbidden",
          "the setup token is wrong or was already used (set-up is done once, on a new controller)",
        );
      }
      await insertUser(tx, { ...input, roles }, hash, false, this.clock().toISOString());
      await tx.run("DELETE FROM settings WHERE key = 'setup_token'");
      await this.audit.append(tx, {
        actor: input.id,
        action: "user.setup",
        subject: input.id,
        detail: { roles },
      });
    });
    return this.require(input.id);
  }

  async update(
    id: string,
    change: { displayName?: string; roles?: readonly Role[]; status?: "active" | "disabled" },
    actor: string,
  ): Promise<User> {
    refuseIf(userProblems({ displayName: change.displayName, roles: change.roles }));
    await this.db.transaction(async (tx) => {
      const row = await tx.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
      if (!row) throw new DomainError("not-found", `no user '${id}'`);
      const before = toUser(row);
      if (id === actor && change.roles && !change.roles.includes("admin")) {
        throw new DomainError("conflict", "you cannot remove your own admin role");
      }
      if (id === actor && change.status === "disabled") {
        throw new DomainError("conflict", "you cannot disable your own account");
      }
      const roles = change.roles ? [...change.roles] : before.roles;
      const status = change.status ?? before.status;
      await keepAnAdministrator(tx, before, { roles, status });
      await tx.run("UPDATE users SET display_name = ?, roles_json = ?, status = ? WHERE id = ?", [
        change.displayName?.trim() ?? before.displayName,
        JSON.stringify(roles),
        status,
        id,
      ]);
      if (change.status === "disabled" || change.roles) {
        await tx.run("DELETE FROM sessions WHERE user_id = ?", [id]);
      }
      await this.audit.append(tx, {
        actor,
        action: "user.update",
        subject: id,
        detail: {
          before: { displayName: before.displayName, roles: before.roles, status: before.status },
          after: change,
        },
      });
      const granted = roles.filter((role) => !before.roles.includes(role));
      await grantRoles(tx, this.audit, { subject: id, granted, actor });
    });
    return this.require(id);
  }

  /** A new one-time password for someone who forgot theirs; their sessions end. */
  async resetPassword(id: string, actor: string): Promise<string> {
    await this.require(id);
    const password = temporaryPassword();
    const hash = await hashPassword(password);
    await this.db.transaction(async (tx) => {
      await tx.run(
        "UPDATE users SET password_hash = ?, must_change_password = 1, password_changed_at = ? " +
          "WHERE id = ?",
        [hash, this.clock().toISOString(), id],
      );
      await tx.run("DELETE FROM sessions WHERE user_id = ?", [id]);
      await this.audit.append(tx, { actor, action: "user.reset-password", subject: id });
    });
    return password;
  }

  /**
   * Checks a password and opens a session. Refuses with one message for an
   * unknown account, a wrong password and a disabled account, so the answer
   * does not tell which accounts exist. The attempt counts against both
   * limits before its password is hashed, so a burst is cut at the limit.
   */
  async signIn(
    id: string,
    password: string,
    address: string,
    /** Why this account may not sign in with a password (null: it may); break-glass only. */
    passwordRefusal: (user: User) => string | null = () => null,
  ): Promise<{ token: string; session: Session }> {
    const account = id.toLowerCase();
    const attempts = await this.reserveSignIn(account, address);
    let row: UserRow | undefined;
    let ok: boolean;
    try {
      row = USER_ID.test(account)
        ? await this.db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [account])
        : undefined;
      decoyHash ??= hashPassword(randomBytes(16).toString("hex"));
      ok = row
        ? await checkPassword(password, row.password_hash)
        : (await checkPassword(password, await decoyHash)) && false;
    } catch (error) {
      for (const attempt of attempts) attempt.release();
      throw error;
    }
    if (!row || !ok || row.status !== "active") {
      for (const attempt of attempts) attempt.failed();
      await this.audit.record({
        actor: row ? row.id : "anonymous",
        action: "sign-in.refused",
        subject: row ? row.id : account.slice(0, 64),
        detail: { address, why: !row ? "unknown account" : !ok ? "wrong password" : "disabled" },
      });
      throw new DomainError("unauthorised", "wrong user name or password");
    }
    for (const attempt of attempts) attempt.release();
    this.accountLimit.clear(account);
    const refusal = passwordRefusal(toUser(row));
    if (refusal !== null) {
      await this.audit.record({
        actor: row.id,
        action: "sign-in.refused",
        subject: row.id,
        detail: { address, why: "password sign-in is for administrators only" },
      });
      throw new DomainError("forbidden", refusal);
    }
    return this.openSession(row, address);
  }

  /**
   * Opens a session for someone whose identity is already proven (a password
   * checked, or the school's identity provider's ID token), audited as a
   * sign-in with `detail` (e.g. how they signed in).
   */
  async openSession(
    user: UserRow,
    address: string,
    detail: Record<string, string> = {},
  ): Promise<{ token: string; session: Session }> {
    const token = randomBytes(32).toString("base64url");
    const csrfToken = randomBytes(24).toString("base64url");
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + this.sessionOptions.absoluteMinutes * 60_000);
    await this.db.transaction(async (tx) => {
      await tx.run(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, address, created_at, " +
          "last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
          sha256(token),
          user.id,
          csrfToken,
          address,
          now.toISOString(),
          now.toISOString(),
          expiresAt.toISOString(),
        ],
      );
      await tx.run("UPDATE users SET last_sign_in_at = ? WHERE id = ?", [
        now.toISOString(),
        user.id,
      ]);
      await this.audit.append(tx, {
        actor: user.id,
        action: "sign-in",
        subject: user.id,
        detail: { address, ...detail },
      });
    });
    return {
      token,
      session: {
        user: toUser({ ...user, last_sign_in_at: now.toISOString() }),
        csrfToken,
        expiresAt: expiresAt.toISOString(),
      },
    };
  }

  /** The session a cookie's token belongs to, or null when it is unknown, expired or idle. */
  async session(token: string): Promise<Session | null> {
    if (token.length === 0 || token.length > 100) return null;
    const hash = sha256(token);
    const row = await this.db.get<
      UserRow & { csrf_token: string; last_seen_at: string; expires_at: string }
    >(
      `SELECT u.id, u.display_name, u.roles_json, u.password_hash, u.must_change_password,
              u.status, u.created_at, u.last_sign_in_at, s.csrf_token, s.last_seen_at, s.expires_at
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`,
      [hash],
    );
    if (!row) return null;
    const now = this.clock();
    const idleUntil = Date.parse(row.last_seen_at) + this.sessionOptions.idleMinutes * 60_000;
    if (
      row.status !== "active" ||
      Date.parse(row.expires_at) <= now.getTime() ||
      idleUntil <= now.getTime()
    ) {
      await this.db.transaction((tx) =>
        tx.run("DELETE FROM sessions WHERE token_hash = ?", [hash]),
      );
      return null;
    }
    // touched at most once a minute: a busy page does not turn every read into a write
    if (now.getTime() - Date.parse(row.last_seen_at) > 60_000) {
      await this.db.transaction((tx) =>
        tx.run("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", [
          now.toISOString(),
          hash,
        ]),
      );
    }
    return { user: toUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  async signOut(token: string, userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run("DELETE FROM sessions WHERE token_hash = ?", [sha256(token)]);
      await this.audit.append(tx, { actor: userId, action: "sign-out", subject: userId });
    });
  }

  /** Changes one's own password; every other session of the account ends. */
  async changePassword(
    id: string,
    current: string,
    next: string,
    keepToken: string,
  ): Promise<void> {
    const row = await this.db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    if (!row) throw new DomainError("not-found", `no user '${id}'`);
    if (!(await checkPassword(current, row.password_hash))) {
      throw new DomainError("forbidden", "the current password is wrong");
    }
    const problems = passwordProblems(next, id);
    if (next === current) problems.push("the new password must differ from the current one");
    refuseIf(problems);
    const hash = await hashPassword(next);
    await this.db.transaction(async (tx) => {
      await tx.run(
        "UPDATE users SET password_hash = ?, must_change_password = 0, password_changed_at = ? " +
          "WHERE id = ?",
        [hash, this.clock().toISOString(), id],
      );
      await tx.run("DELETE FROM sessions WHERE user_id = ? AND token_hash != ?", [
        id,
        sha256(keepToken),
      ]);
      await this.audit.append(tx, { actor: id, action: "user.change-password", subject: id });
    });
  }
}

export function personOf(user: User): Person {
  return { id: user.id, roles: user.roles };
}
