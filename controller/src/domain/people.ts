/**
 * People and sign-in: local accounts with scrypt password hashes, roles,
 * sessions, sign-in limits, and the one-time setup token that creates the
 * first administrator. There is no built-in account and no default password:
 * a new controller has no users until someone holding the setup token (printed
 * at first start) or a shell on the server (`classcam-controller user add`)
 * makes one. Every sign-in, sign-out, password change and account change is
 * audited.
 *
 * A session is a random token in a cookie; the database keeps only its
 * SHA-256. Each session has its own CSRF token that every state change must
 * echo in a header.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database, Transaction } from "../db/database.js";
import { ConnectThrottle } from "../broker/throttle.js";
import { ROLES, type Person, type Role } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import { hashSecret, verifySecret } from "./secrets.js";

/** Lower-case letters, digits, dots, hyphens and underscores; starts with a letter. */
export const USER_ID_PATTERN = "^[a-z][a-z0-9._-]{1,63}$";
const USER_ID = new RegExp(USER_ID_PATTERN);
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 256;

export interface User {
  id: string;
  displayName: string;
  roles: Role[];
  status: "active" | "disabled";
  mustChangePassword: boolean;
  createdAt: string;
}

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

interface UserRow {
  id: string;
  display_name: string;
  roles_json: string;
  password_hash: string;
  must_change_password: number;
  status: "active" | "disabled";
  created_at: string;
}

const USER_COLUMNS =
  "id, display_name, roles_json, password_hash, must_change_password, status, created_at";

function toUser(row: UserRow): User {
  return {
    id: row.id,
    displayName: row.display_name,
    roles: JSON.parse(row.roles_json) as Role[],
    status: row.status,
    mustChangePassword: row.must_change_password === 1,
    createdAt: row.created_at,
  };
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Every reason a password is not good enough; empty when it is. */
export function passwordProblems(password: string, userId: string): string[] {
  const problems: string[] = [];
  if (password.length < MIN_PASSWORD) {
    problems.push(`a password is at least ${MIN_PASSWORD} characters`);
  }
  if (password.length > MAX_PASSWORD) {
    problems.push(`a password is at most ${MAX_PASSWORD} characters`);
  }
  if (userId.length > 0 && password.toLowerCase().includes(userId.toLowerCase())) {
    problems.push("a password must not contain the user name");
  }
  if (password.length > 0 && new Set(password).size < 5) {
    problems.push("a password needs more than four different characters");
  }
  return problems;
}

export function userProblems(input: {
  id?: string;
  displayName?: string;
  roles?: readonly string[];
}): string[] {
  const problems: string[] = [];
  if (input.id !== undefined && !USER_ID.test(input.id)) {
    problems.push(
      `user name '${input.id}' must be 2–64 lower-case letters, digits, '.', '-' or '_', ` +
        "starting with a letter",
    );
  }
  if (input.displayName !== undefined) {
    const name = input.displayName.trim();
    if (name.length === 0 || name.length > 100) problems.push("name must be 1–100 characters");
    if (/\p{Cc}/u.test(input.displayName))
      problems.push("name must not contain control characters");
  }
  if (input.roles !== undefined) {
    for (const role of input.roles) {
      if (!ROLES.includes(role as Role)) {
        problems.push(`unknown role '${role}' (roles: ${ROLES.join(", ")})`);
      }
    }
    if (new Set(input.roles).size !== input.roles.length) problems.push("a role is listed twice");
  }
  return problems;
}

function refuseIf(problems: string[]): void {
  if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
}

/** A readable one-time password: 4 groups of 5 from an alphabet without look-alikes. */
export function temporaryPassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = randomBytes(20);
  let out = "";
  for (let i = 0; i < 20; i += 1) {
    if (i > 0 && i % 5 === 0) out += "-";
    out += alphabet.charAt((bytes[i] ?? 0) % alphabet.length);
  }
  return out;
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

  private async insertUser(
    tx: Transaction,
    input: { id: string; displayName: string; roles: readonly Role[] },
    passwordHash: string,
    mustChange: boolean,
  ): Promise<void> {
    const existing = await tx.get("SELECT 1 FROM users WHERE id = ?", [input.id]);
    if (existing) throw new DomainError("conflict", `user '${input.id}' already exists`);
    const now = this.clock().toISOString();
    await tx.run(
      "INSERT INTO users (id, display_name, roles_json, password_hash, must_change_password, " +
        "status, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)",
      [
        input.id,
        input.displayName.trim(),
        JSON.stringify([...input.roles]),
        passwordHash,
        mustChange ? 1 : 0,
        now,
        now,
      ],
    );
  }

  /**
   * Adds an account with a one-time password that must be changed at first
   * sign-in. `actor` is who did it (a user id, or 'cli').
   */
  async add(
    input: { id: string; displayName: string; roles: readonly Role[] },
    actor: string,
  ): Promise<{ user: User; temporaryPassword: string }> {
    refuseIf(userProblems(input));
    const password = temporaryPassword();
    const hash = await hashSecret(password);
    await this.db.transaction(async (tx) => {
      await this.insertUser(tx, input, hash, true);
      await this.audit.append(tx, {
        actor,
        action: "user.add",
        subject: input.id,
        detail: { roles: [...input.roles] },
      });
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
    refuseIf([
      ...userProblems({ ...input, roles: input.roles }),
      ...passwordProblems(input.password, input.id),
    ]);
    const hash = await hashSecret(input.password);
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
      await this.insertUser(tx, { ...input, roles }, hash, false);
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
      await tx.run("UPDATE users SET display_name = ?, roles_json = ?, status = ? WHERE id = ?", [
        change.displayName?.trim() ?? before.displayName,
        JSON.stringify(change.roles ? [...change.roles] : before.roles),
        change.status ?? before.status,
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
    });
    return this.require(id);
  }

  /** A new one-time password for someone who forgot theirs; their sessions end. */
  async resetPassword(id: string, actor: string): Promise<string> {
    await this.require(id);
    const password = temporaryPassword();
    const hash = await hashSecret(password);
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
   * does not tell which accounts exist.
   */
  async signIn(
    id: string,
    password: string,
    address: string,
  ): Promise<{ token: string; session: Session }> {
    const account = id.toLowerCase();
    for (const [scope, limit, key] of [
      ["account", this.accountLimit, account],
      ["address", this.addressLimit, address],
    ] as const) {
      const wait = limit.retryAfterMs(key);
      if (wait > 0) throw new SignInLimited(scope, Math.ceil(wait / 1000));
    }
    const row = USER_ID.test(account)
      ? await this.db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [account])
      : undefined;
    decoyHash ??= hashSecret(randomBytes(16).toString("hex"));
    const ok = row
      ? await verifySecret(password, row.password_hash)
      : (await verifySecret(password, await decoyHash)) && false;
    if (!row || !ok || row.status !== "active") {
      this.accountLimit.recordFailure(account);
      this.addressLimit.recordFailure(address);
      await this.audit.record({
        actor: row ? row.id : "anonymous",
        action: "sign-in.refused",
        subject: row ? row.id : account.slice(0, 64),
        detail: { address, why: !row ? "unknown account" : !ok ? "wrong password" : "disabled" },
      });
      throw new DomainError("unauthorised", "wrong user name or password");
    }
    this.accountLimit.clear(account);
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
          row.id,
          csrfToken,
          address,
          now.toISOString(),
          now.toISOString(),
          expiresAt.toISOString(),
        ],
      );
      await this.audit.append(tx, {
        actor: row.id,
        action: "sign-in",
        subject: row.id,
        detail: { address },
      });
    });
    return {
      token,
      session: { user: toUser(row), csrfToken, expiresAt: expiresAt.toISOString() },
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
              u.status, u.created_at, s.csrf_token, s.last_seen_at, s.expires_at
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
    if (!(await verifySecret(current, row.password_hash))) {
      throw new DomainError("forbidden", "the current password is wrong");
    }
    const problems = passwordProblems(next, id);
    if (next === current) problems.push("the new password must differ from the current one");
    refuseIf(problems);
    const hash = await hashSecret(next);
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
