/**
 * The `oidc` setting: sign-in through the school's identity provider (OpenID
 * Connect: Entra ID, Google Workspace). Absent, people sign in with the
 * controller's own passwords only. Checked at start with the rest of the
 * config (config.ts); `resolveOidc` reads the client secret's file and works
 * out the redirect URI, reporting every problem in words.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import { ROLES, type Role } from "./domain/access.js";

const RoleName = Type.Unsafe<Role>({ type: "string", enum: [...ROLES] });

export const OIDC_CALLBACK_PATH = "/api/session/oidc/callback";

export const OidcConfigSchema = Type.Object(
  {
    /** The provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0. */
    issuer: Type.String({ format: "uri", pattern: "^https?://" }),
    /** What the sign-in button calls the provider ("Sign in with <name>"). */
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
    clientId: Type.String({ minLength: 1, maxLength: 300 }),
    /** The client secret, or `clientSecretFile`: a file holding it (kept out of the config). */
    clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    clientSecretFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Default: http.publicUrl + /api/session/oidc/callback. */
    redirectUri: Type.Optional(Type.String({ format: "uri", pattern: "^https?://" })),
    /** The e-mail domains whose people may sign in, e.g. ["school.org"]. */
    allowedDomains: Type.Array(Type.String({ pattern: "^[a-z0-9.-]+\\.[a-z]{2,}$" }), {
      minItems: 1,
      maxItems: 20,
    }),
    /** The ID token claim holding groups or app roles, e.g. "groups" or "roles". */
    roleClaim: Type.String({ minLength: 1, maxLength: 100 }),
    /** Group or app role → classcam roles; "*" gives roles to everyone of an allowed domain. */
    roleMap: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Array(RoleName)),
    /** Who may still sign in with a password: everyone, or administrators only (break-glass). */
    localSignIn: Type.Unsafe<"everyone" | "break-glass">({
      type: "string",
      enum: ["everyone", "break-glass"],
    }),
  },
  { additionalProperties: false },
);
export type OidcConfig = Static<typeof OidcConfigSchema>;

/** The `oidc` setting ready to use: the secret read, the redirect URI known. */
export interface OidcSettings {
  issuer: string;
  displayName: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  allowedDomains: readonly string[];
  roleClaim: string;
  roleMap: Readonly<Record<string, readonly Role[]>>;
  localSignIn: "everyone" | "break-glass";
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Plain HTTP only on loopback (a provider inside a test); a school's provider uses HTTPS. */
export const insecureAllowed = (url: string): boolean => {
  const parsed = new URL(url);
  return parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname);
};

function nameOf(issuer: URL): string {
  if (issuer.hostname === "login.microsoftonline.com") return "Microsoft";
  if (issuer.hostname === "accounts.google.com") return "Google";
  return issuer.hostname;
}

/** The settings to use, or every problem with them (each naming its key). */
export function resolveOidc(
  config: OidcConfig,
  publicUrl: string | undefined,
  cwd: string,
): { settings: OidcSettings } | { problems: string[] } {
  const problems: string[] = [];
  for (const [key, url] of [
    ["oidc.issuer", config.issuer],
    ["oidc.redirectUri", config.redirectUri],
  ] as const) {
    if (url !== undefined && url.startsWith("http:") && !insecureAllowed(url)) {
      problems.push(`${key}: must be an https:// address (got '${url}')`);
    }
  }
  let secret = config.clientSecret;
  if ((config.clientSecret === undefined) === (config.clientSecretFile === undefined)) {
    problems.push("oidc: give exactly one of clientSecret and clientSecretFile");
  } else if (config.clientSecretFile !== undefined) {
    const path = resolve(cwd, config.clientSecretFile);
    try {
      secret = readFileSync(path, "utf8").trim();
      if (secret === "") problems.push(`oidc.clientSecretFile: ${path} is empty`);
    } catch (error) {
      problems.push(`oidc.clientSecretFile: cannot read ${path} (${(error as Error).message})`);
    }
  }
  const redirectUri =
    config.redirectUri ??
    (publicUrl === undefined ? undefined : new URL(OIDC_CALLBACK_PATH, publicUrl).toString());
  if (redirectUri === undefined) {
    problems.push(
      `oidc.redirectUri: is required when http.publicUrl is not set ` +
        `(it is the controller's address + ${OIDC_CALLBACK_PATH})`,
    );
  } else if (new URL(redirectUri).pathname !== OIDC_CALLBACK_PATH) {
    problems.push(`oidc.redirectUri: must end in ${OIDC_CALLBACK_PATH} (got '${redirectUri}')`);
  }
  const mapped = Object.values(config.roleMap).some((roles) => roles.length > 0);
  if (!mapped) {
    problems.push("oidc.roleMap: must give at least one group or app role a classcam role");
  }
  if (problems.length > 0 || secret === undefined || redirectUri === undefined) return { problems };
  return {
    settings: {
      issuer: config.issuer,
      displayName: config.displayName ?? nameOf(new URL(config.issuer)),
      clientId: config.clientId,
      clientSecret: secret,
      redirectUri,
      allowedDomains: config.allowedDomains,
      roleClaim: config.roleClaim,
      roleMap: config.roleMap,
      localSignIn: config.localSignIn,
    },
  };
}
