/**
 * An account as the database keeps it: its row, the columns read, the `User`
 * the rest of the controller sees, how a password is hashed, and the one
 * INSERT that adds an account (used by `People` for one person and by the
 * staff import for many, so both write the same row).
 */
import type { Transaction } from "../db/database.js";
import type { Role } from "./access.js";
import { DomainError } from "./errors.js";
import { hashSecret, verifySecret } from "./secrets.js";

export interface User {
  id: string;
  displayName: string;
  roles: Role[];
  status: "active" | "disabled";
  mustChangePassword: boolean;
  createdAt: string;
  /** When the person last signed in successfully; null if never. */
  lastSignInAt: string | null;
}

export interface UserRow {
  id: string;
  display_name: string;
  roles_json: string;
  password_hash: string;
  must_change_password: number;
  status: "active" | "disabled";
  created_at: string;
  last_sign_in_at: string | null;
}

export const USER_COLUMNS =
  "id, display_name, roles_json, password_hash, must_change_password, status, created_at, " +
  "last_sign_in_at";

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    displayName: row.display_name,
    roles: JSON.parse(row.roles_json) as Role[],
    status: row.status,
    mustChangePassword: row.must_change_password === 1,
    createdAt: row.created_at,
    lastSignInAt: row.last_sign_in_at,
  };
}

/** Passwords are hashed in the people's lane: a burst of devices does not hold them up. */
export const hashPassword = (password: string) => hashSecret(password, undefined, "person");
export const checkPassword = (password: string, stored: string) =>
  verifySecret(password, stored, "person");

/** Adds an account's row, refusing a user name already taken. */
export async function insertUser(
  tx: Transaction,
  input: { id: string; displayName: string; roles: readonly Role[] },
  passwordHash: string,
  mustChange: boolean,
  now: string,
): Promise<void> {
  const existing = await tx.get("SELECT 1 FROM users WHERE id = ?", [input.id]);
  if (existing) throw new DomainError("conflict", `user '${input.id}' already exists`);
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
