/**
 * Sign-in through the school's identity provider (domain/oidc-sign-in.ts):
 * `/api/session/oidc/start` sends the browser to the provider and
 * `/api/session/oidc/callback` takes it back, sets the session cookie as a
 * password sign-in does, and sends the browser to the dashboard. A refusal
 * sends it to the sign-in screen with the reason (`/#/signin?problem=wrong%20domain`),
 * which the screen puts in words. Without `oidc` in the config both answer 404.
 *
 * The sign-in's key travels in its own cookie, `SameSite=Lax` (the provider's
 * redirect back is a cross-site navigation, which a Strict cookie misses),
 * HttpOnly and Secure, limited to these two paths, for ten minutes.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { Type } from "@sinclair/typebox";
import { resolveOidc } from "../config-oidc.js";
import { DomainError } from "../domain/errors.js";
import { OidcRefused, OidcSignIn } from "../domain/oidc-sign-in.js";
import { PUBLIC_ROUTE, setSessionCookie } from "./auth.js";
import { oidcRoleMapRoutes } from "./oidc-role-map.js";
import { errors } from "./schemas.js";
import { typed } from "./typed.js";

export const OIDC_COOKIE = "classcam_oidc";
const COOKIE_PATH = "/api/session/oidc";

declare module "fastify" {
  interface FastifyInstance {
    /** Sign-in through the school's identity provider; null when the config has no `oidc`. */
    oidc: OidcSignIn | null;
  }
}

const Redirect = (description: string) => Type.Null({ description });

/**
 * Where the browser goes to read a refusal: the sign-in screen, with the
 * reason, which the screen puts in words (domain/oidc-words.ts).
 */
export const problemPage = (why: string) => `/#/signin?problem=${encodeURIComponent(why)}`;

export function oidcRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { config } = app;
  let signIn: OidcSignIn | null = null;
  if (config.oidc !== undefined) {
    const resolved = resolveOidc(config.oidc, config.http.publicUrl, process.cwd());
    if ("problems" in resolved) throw new Error(`oidc: ${resolved.problems.join("; ")}`);
    signIn = new OidcSignIn(
      resolved.settings,
      app.db,
      app.people,
      app.audit,
      app.log.child({ part: "oidc" }),
      app.now,
    );
  }
  app.decorate("oidc", signIn);
  oidcRoleMapRoutes(fastify, signIn?.roleMap ?? null);

  function configured(): OidcSignIn {
    if (signIn === null) {
      throw new DomainError(
        "not-found",
        "sign-in with the school's identity provider is not set up on this controller " +
          "(the config has no oidc section); sign in with your user name and password",
      );
    }
    return signIn;
  }

  const refused = (reply: FastifyReply, error: unknown) => {
    if (!(error instanceof OidcRefused)) throw error;
    return reply
      .clearCookie(OIDC_COOKIE, { path: COOKIE_PATH })
      .redirect(problemPage(error.why), 302);
  };

  app.get(
    "/api/session/oidc/start",
    {
      config: PUBLIC_ROUTE,
      schema: {
        tags: ["session"],
        operationId: "startProviderSignIn",
        summary: "Sign in with the school's identity provider",
        description:
          "Public. Sends the browser to the school's identity provider (OpenID Connect, authorisation code flow with PKCE, state and nonce), with a short-lived cookie that ties the answer to this browser. When the provider cannot be reached, sends it back to the sign-in screen with the reason.",
        response: {
          302: Redirect(
            "To the identity provider's sign-in page, or to the sign-in screen with the problem in words",
          ),
          ...errors(404),
        },
      },
    },
    async (request, reply) => {
      const provider = configured();
      try {
        const { url, key } = await provider.start(request.ip);
        reply.setCookie(OIDC_COOKIE, key, {
          path: COOKIE_PATH,
          httpOnly: true,
          secure: true,
          sameSite: "lax",
          maxAge: 600,
        });
        return await reply.redirect(url, 302);
      } catch (error) {
        return refused(reply, error);
      }
    },
  );

  app.get(
    "/api/session/oidc/callback",
    {
      config: PUBLIC_ROUTE,
      schema: {
        tags: ["session"],
        operationId: "finishProviderSignIn",
        summary: "Where the identity provider sends the browser back",
        description:
          "Public; the identity provider's redirect URI. Checks the answer against the sign-in this browser started (single use), swaps the code for tokens, checks the ID token (issuer, audience, expiry, nonce, signature), the e-mail domain and the roles the groups give, makes the account at a first sign-in, sets the session cookie as a password sign-in does and sends the browser to the dashboard. Every refusal is audited and sends the browser to the sign-in screen with the reason in words.",
        querystring: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 2000 })),
            state: Type.Optional(Type.String({ maxLength: 500 })),
            error: Type.Optional(Type.String({ maxLength: 200 })),
            error_description: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          // providers add their own (iss, session_state, scope, …); openid-client reads them
          { additionalProperties: Type.String({ maxLength: 2000 }) },
        ),
        response: {
          302: Redirect(
            "Signed in: to the dashboard, with the session cookie; refused: to the sign-in screen with the problem in words",
          ),
          ...errors(400, 404),
        },
      },
    },
    async (request, reply) => {
      const provider = configured();
      const callback = new URL(provider.settings.redirectUri);
      callback.search = new URL(request.url, "http://localhost").search;
      try {
        const { token } = await provider.finish(callback, request.cookies[OIDC_COOKIE], request.ip);
        setSessionCookie(reply, token, config.http.sessionHours * 3600);
        return await reply.clearCookie(OIDC_COOKIE, { path: COOKIE_PATH }).redirect("/", 302);
      } catch (error) {
        return refused(reply, error);
      }
    },
  );
}
