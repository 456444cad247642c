/**
 * The rules of an account, as pure functions: user names, names, roles and
 * passwords, and one-time passwords. Who may grant which role is in
 * role-grants.ts.
 */
import { randomBytes } from "node:crypto";
import { ROLES, type Role } from "./access.js";

/** Lower-case letters, digits, dots, hyphens and underscores; starts with a letter. */
export const USER_ID_PATTERN = "^[a-z][a-z0-9._-]{1,63}$";
export const USER_ID = new RegExp(USER_ID_PATTERN);
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 256;

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
