/**
 * What the sign-in screen needs to know of the school's identity provider
 * (GET /api/setup's `provider`), and the break-glass rule for passwords.
 */
import { Type, type Static } from "@sinclair/typebox";
import type { OidcSignIn } from "../domain/oidc-sign-in.js";
import type { User } from "../domain/people.js";

export const ProviderSchema = Type.Object(
  {
    /** "Sign in with <name>". */
    name: Type.String(),
    /** Where the sign-in button goes. */
    start: Type.String(),
    /** The provider's own sign-out page, once known (null: it has none, or not yet found). */
    signOut: Type.Union([Type.String(), Type.Null()]),
    /** Who may still sign in with a password. */
    localSignIn: Type.Unsafe<"everyone" | "break-glass">({
      type: "string",
      enum: ["everyone", "break-glass"],
    }),
  },
  { additionalProperties: false },
);

export function providerInfo(oidc: OidcSignIn): Static<typeof ProviderSchema> {
  return {
    name: oidc.settings.displayName,
    start: "/api/session/oidc/start",
    signOut: oidc.endSessionUrl(),
    localSignIn: oidc.settings.localSignIn,
  };
}

/** Why `user` may not sign in with a password: with break-glass, only administrators may. */
export function passwordRefusal(oidc: OidcSignIn | null): (user: User) => string | null {
  return (user) => {
    if (oidc === null || oidc.settings.localSignIn === "everyone") return null;
    if (user.roles.includes("admin")) return null;
    const name = oidc.settings.displayName;
    return (
      `this school signs in with ${name}: use 'Sign in with ${name}'. ` +
      "A password is only for administrators, for when the provider is down"
    );
  };
}
