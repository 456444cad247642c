/**
 * A real OpenID Connect provider on loopback (the certified `oidc-provider`
 * package) for the sign-in tests: staff accounts in groups, one client
 * registered with the controller's redirect URI, and a tiny interaction that
 * logs in whichever account the test names (no forms to fill). The token
 * endpoint can be tampered with: `tamper` rewrites the ID token the provider
 * issued before the controller sees it (signed again with a real key), to
 * test forged, expired and wrong-audience tokens.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type KoaContextWithOIDC } from "oidc-provider";
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import type { OidcConfig } from "../../controller/src/config-oidc.js";

export interface StaffAccount {
  email: string;
  name: string;
  groups: string[];
  /** The email_verified claim (default true; null: the provider does not say, as Entra ID). */
  emailVerified?: boolean | null;
}

export const CLIENT_ID = "classcam";
export const CLIENT_SECRET = "a-client-secret-for-the-test-only-0123456789";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/**
 * The controller's `oidc` setting for the test's provider: the school.org
 * domain, groups as the role claim, "Teaching staff" → teacher; `changes`
 * for what a test needs otherwise.
 */
export function schoolOidc(issuer: string, changes: Partial<OidcConfig> = {}): OidcConfig {
  return {
    issuer,
    displayName: "School Login",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    allowedDomains: ["school.org"],
    roleClaim: "groups",
    roleMap: { "Teaching staff": ["teacher"] },
    localSignIn: "everyone",
    ...changes,
  };
}

export interface TestProvider {
  issuer: string;
  accounts: Map<string, StaffAccount>;
  /** The account the next interaction logs in. */
  loginAs: (accountId: string) => void;
  /** Rewrites the next ID tokens the token endpoint gives (null: as the provider made them). */
  tamper: ((idToken: string) => Promise<string>) | null;
  /** The provider's own signing key (to sign a token it would accept). */
  key: KeyPair;
  kid: string;
  close: () => Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function bodyOf(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** Signs `claims` again as a JWT with `key` under `kid`. */
export function signIdToken(
  claims: Record<string, unknown>,
  key: KeyPair,
  kid: string,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
    .sign(key.privateKey);
}

/** The claims and header of a JWT, unchecked (to build a tampered one from). */
export const readIdToken = (jwt: string) => ({
  claims: decodeJwt(jwt) as Record<string, unknown>,
  kid: decodeProtectedHeader(jwt).kid ?? "",
});

export async function startProvider(redirectUri: string): Promise<TestProvider> {
  const key = await generateKeyPair("RS256", { extractable: true });
  const kid = "classcam-test-key-1";
  const jwk = { ...(await exportJWK(key.privateKey)), kid, alg: "RS256", use: "sig" };
  const accounts = new Map<string, StaffAccount>();
  let nextLogin = "";

  const outer = createServer();
  const inner = createServer();
  const port = await listen(outer);
  const innerPort = await listen(inner);
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [redirectUri],
        post_logout_redirect_uris: [new URL("/", redirectUri).href],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    claims: {
      openid: ["sub", "groups"],
      email: ["email", "email_verified"],
      profile: ["name"],
    },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}`,
    },
    findAccount: (_ctx: KoaContextWithOIDC, id: string) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          email: account.email,
          ...(account.emailVerified !== null && { email_verified: account.emailVerified ?? true }),
          name: account.name,
          groups: account.groups,
        }),
      };
    },
  });
  const handle = provider.callback();

  const result: TestProvider = {
    issuer,
    accounts,
    loginAs: (accountId) => {
      nextLogin = accountId;
    },
    tamper: null,
    key,
    kid,
    close: async () => {
      await new Promise((resolve) => outer.close(resolve));
      await new Promise((resolve) => inner.close(resolve));
    },
  };

  async function interact(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(request, response);
    if (details.prompt.name === "login") {
      await provider.interactionFinished(
        request,
        response,
        { login: { accountId: nextLogin } },
        {
          mergeWithLastSubmission: false,
        },
      );
      return;
    }
    const accountId = details.session?.accountId ?? nextLogin;
    const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
    grant.addOIDCScope("openid email profile");
    const grantId = await grant.save();
    await provider.interactionFinished(
      request,
      response,
      { consent: { grantId } },
      {
        mergeWithLastSubmission: true,
      },
    );
  }

  /** The token endpoint through the inner server, with the ID token rewritten. */
  async function tamperedToken(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const tamper = result.tamper;
    if (tamper === null) throw new Error("no tamper set");
    const body = await bodyOf(request);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && name !== "content-length") headers[name] = value;
    }
    const answer = await fetch(`http://127.0.0.1:${innerPort}${request.url ?? ""}`, {
      method: "POST",
      headers,
      body,
    });
    const json = (await answer.json()) as Record<string, unknown>;
    if (typeof json.id_token === "string") json.id_token = await tamper(json.id_token);
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(JSON.stringify(json));
  }

  outer.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "").split("?")[0] ?? "";
    const fail = (error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    };
    if (path.startsWith("/interaction/")) {
      interact(request, response).catch(fail);
    } else if (path === "/token" && result.tamper !== null) {
      tamperedToken(request, response).catch(fail);
    } else {
      void handle(request, response);
    }
  });
  inner.on("request", (request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response);
  });
  return result;
}

/** Cookies a browser would keep for one site: name → value from Set-Cookie headers. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  take(headers: Headers | Record<string, unknown>): void {
    const lines =
      headers instanceof Headers
        ? headers.getSetCookie()
        : ([] as string[]).concat((headers["set-cookie"] as string | string[] | undefined) ?? []);
    for (const line of lines) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line))
        this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}
