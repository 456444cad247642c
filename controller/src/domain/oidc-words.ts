/**
 * Why a sign-in through the school's identity provider was refused, and the
 * words the person reads for each reason. No imports: the dashboard's sign-in
 * screen shares it, so the server sends only the reason (`?problem=wrong
 * domain`) and no text from a link can pose as the school's words.
 */

/** Why a sign-in through the provider was refused (kept in the audit log as `why`). */
export const OIDC_REFUSALS = [
  "unknown state",
  "provider error",
  "provider unreachable",
  "bad token",
  "no e-mail",
  "wrong domain",
  "no role",
  "disabled",
] as const;
export type OidcRefusal = (typeof OIDC_REFUSALS)[number];

/** The reason a link names, if it is one (null: not a reason the server gives). */
export const asRefusal = (text: string): OidcRefusal | null =>
  OIDC_REFUSALS.find((why) => why === text) ?? null;

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
