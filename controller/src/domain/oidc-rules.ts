/**
 * The rules of a sign-in through the school's identity provider, as pure
 * functions: whose e-mail domain may come in, which groups (or app roles) a
 * claim holds, which user name a first sign-in makes, and (oidc-words.ts) the
 * words for each refusal. The roles the groups give are oidc-role-map.ts's;
 * the flow itself is in oidc-sign-in.ts.
 */
import { USER_ID } from "./accounts.js";

export { refusalWords, type OidcRefusal } from "./oidc-words.js";

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

/**
 * The user name a first sign-in makes from an e-mail address: its local part,
 * lower case, with what a user name may not hold turned into '.'. `taken`
 * says whether a name is in use; then -2, -3, … is added.
 */
export function accountIdFor(email: string, taken: (id: string) => boolean): string {
  const local = email.slice(0, Math.max(0, email.lastIndexOf("@"))).toLowerCase();
  let base = local.replace(/[^a-z0-9._-]+/g, ".").slice(0, 56);
  if (!USER_ID.test(base)) base = `staff.${base}`.slice(0, 56).replace(/[._-]+$/, "");
  if (!USER_ID.test(base)) base = "staff";
  let id = base;
  for (let n = 2; taken(id); n += 1) id = `${base}-${n}`;
  return id;
}
