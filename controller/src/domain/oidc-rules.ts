/**
 * The rules of a sign-in through the school's identity provider, as pure
 * functions: whose e-mail domain may come in, which classcam roles their
 * groups (or app roles) give them, which user name a first sign-in makes,
 * and the words for each refusal. The flow itself is in oidc-sign-in.ts.
 */
import { ROLES, type Role } from "./access.js";
import { USER_ID } from "./accounts.js";

/** Why a sign-in through the provider was refused (kept in the audit log as `why`). */
export type OidcRefusal =
  | "unknown state"
  | "provider error"
  | "provider unreachable"
  | "bad token"
  | "no e-mail"
  | "wrong domain"
  | "no role"
  | "disabled";

/** What the person reads on the sign-in screen for each refusal. */
export function refusalWords(why: OidcRefusal, provider: string): string {
  switch (why) {
    case "unknown state":
      return (
        "This sign-in was not started here, was already used, or took too long. " +
        `Press 'Sign in with ${provider}' again.`
      );
    case "provider error":
      return `${provider} did not sign you in. Try again, or ask the school's IT team.`;
    case "provider unreachable":
      return (
        `classcam cannot reach ${provider} just now, so nobody can sign in with it. ` +
        "Try again later; an administrator can still sign in with their password."
      );
    case "bad token":
      return (
        `The answer from ${provider} could not be trusted (its signature, audience or ` +
        "expiry was wrong), so you are not signed in. Try again; if it keeps happening, tell IT."
      );
    case "no e-mail":
      return `${provider} did not say your verified e-mail address, so you cannot sign in.`;
    case "wrong domain":
      return "That account is not one of this school's, so it cannot sign in to classcam.";
    case "no role":
      return (
        "Your account is in none of the groups classcam gives a role to, so you cannot " +
        "sign in. Ask the school's IT team to add you to the right group."
      );
    case "disabled":
      return "Your classcam account is disabled. Ask an administrator.";
  }
}

/** The domain of an e-mail address, lower case ('' when it is not one). */
export function domainOf(email: string): string {
  const at = email.lastIndexOf("@");
  return at <= 0 ? "" : email.slice(at + 1).toLowerCase();
}

/** Whether `email` belongs to one of the school's domains (exactly, not a subdomain). */
export function inAllowedDomain(email: string, allowed: readonly string[]): boolean {
  const domain = domainOf(email);
  return domain !== "" && allowed.some((one) => one.toLowerCase() === domain);
}

/** The group names (or app roles) a claim holds: a string or an array of strings. */
export function groupsOf(claim: unknown): string[] {
  if (typeof claim === "string") return [claim];
  if (Array.isArray(claim)) return claim.filter((one): one is string => typeof one === "string");
  return [];
}

/** The classcam roles `groups` give under `roleMap` ("*": everyone), in ROLES order. */
export function rolesFor(
  groups: readonly string[],
  roleMap: Readonly<Record<string, readonly Role[]>>,
): Role[] {
  const given = new Set<Role>(roleMap["*"] ?? []);
  for (const group of groups) {
    if (group === "*") continue;
    for (const role of roleMap[group] ?? []) given.add(role);
  }
  return ROLES.filter((role) => given.has(role));
}

/**
 * The user name a first sign-in makes from an e-mail address: its local part,
 * lower case, with what a user name may not hold turned into '.'. `taken`
 * says whether a name is in use; then -2, -3, … is added.
 */
export function accountIdFor(email: string, taken: (id: string) => boolean): string {
  const local = email.slice(0, Math.max(0, email.lastIndexOf("@"))).toLowerCase();
  let base = local
    .replace(/[^a-z0-9._-]+/g, ".")
    .replace(/^[^a-z]+/, "")
    .slice(0, 56);
  if (!USER_ID.test(base)) base = `staff.${base}`.slice(0, 56).replace(/[._-]+$/, "");
  let id = base;
  for (let n = 2; taken(id); n += 1) id = `${base}-${n}`;
  return id;
}
