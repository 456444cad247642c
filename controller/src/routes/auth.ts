/**
 * Sign-in, sessions and CSRF for the HTTP API (the accounts are in users.ts).
 *
 * - The session token travels only in a `Secure; HttpOnly; SameSite=Strict`
 *   cookie; the database keeps its hash.
 * - Every state change (any method but GET/HEAD) from a session must carry
 *   the session's CSRF token in `X-CSRF-Token` and an `Origin` naming this
 *   site; a cross-site `Origin`, or `Origin: null`, is refused outright.
 * - A route says which roles may use it; a signed-in person without one gets
 *   403, nobody signed in gets 401. Someone with a one-time password may only
 *   change it. This is checked when the request arrives, before its body is
 *   read or validated, and every `/api/` route must say who may use it
 *   (`allow(...)`, `SIGNED_IN`, `PUBLIC_ROUTE` or `DEVICE_ROUTE`): one that
 *   does not is refused when it is registered, so the controller does not start.
 * - Device routes (`config: DEVICE_ROUTE`: the footage upload) are the one
 *   exception to CSRF and Origin: they pass only because they carry a bearer
 *   token, and never with a session (a session cookie on them is refused, and
 *   no session is looked up). The route itself checks the token.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { Type } from "@sinclair/typebox";
import type { Role } from "../domain/access.js";
import { DomainError } from "../domain/errors.js";
import { personOf, type Session } from "../domain/people.js";
import {
  answer,
  Obj,
  Ok,
  Password,
  Role as RoleSchema,
  SessionSchema,
  UserId,
  UserSchema,
  errors,
} from "./schemas.js";
import { typed } from "./typed.js";
import { ProviderSchema, passwordRefusal, providerInfo } from "./oidc-info.js";

export const SESSION_COOKIE = "classcam_session";

declare module "fastify" {
  interface FastifyRequest {
    session: Session | null;
    sessionToken: string | null;
  }
  interface FastifyContextConfig {
    /** A route for devices, authenticated by a bearer token instead of a session. */
    deviceRoute?: boolean;
    /** A route anyone may use without signing in (sign-in and set-up themselves). */
    publicRoute?: boolean;
  }
}

/** Route config that marks a device route (bearer token, never a session, no CSRF). */
export const DEVICE_ROUTE = { deviceRoute: true } as const;

/** Route config that marks a route anyone may use without signing in. */
export const PUBLIC_ROUTE = { publicRoute: true } as const;

/**
 * The API's documentation page (routes/openapi.ts): public, with its scripts
 * and styles, which a package registers without route config. It describes
 * routes and holds no data, as `/api/openapi.json` (a `PUBLIC_ROUTE`).
 */
export const API_DOCS = "/api/docs";

/** The hooks made by `allow()` and `SIGNED_IN`: a route with one says who may use it. */
const ACCESS_HOOKS = new WeakSet<onRequestHookHandler>();
function accessHook(hook: onRequestHookHandler): onRequestHookHandler {
  ACCESS_HOOKS.add(hook);
  return hook;
}

/** Why a route may not be registered as it is declared (null: it may). */
export function accessProblem(route: {
  method: string | string[];
  url: string;
  config?: unknown;
  onRequest?: unknown;
}): string | null {
  if (!route.url.startsWith("/api/")) return null;
  if (route.url === API_DOCS || route.url.startsWith(`${API_DOCS}/`)) return null;
  const config = route.config as { deviceRoute?: boolean; publicRoute?: boolean } | undefined;
  if (config?.deviceRoute === true || config?.publicRoute === true) return null;
  const hooks: unknown[] = Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
  if (hooks.some((hook) => typeof hook === "function" && ACCESS_HOOKS.has(hook as never))) {
    return null;
  }
  const method = Array.isArray(route.method) ? route.method.join(",") : route.method;
  return (
    `${method} ${route.url} declares no access: give it onRequest: allow(...roles) ` +
    "(or SIGNED_IN), or config: PUBLIC_ROUTE or DEVICE_ROUTE"
  );
}

const isDeviceRoute = (request: FastifyRequest) =>
  (request.routeOptions.config as { deviceRoute?: boolean } | undefined)?.deviceRoute === true;

/** Anyone signed in, whatever their roles. */
export const ANYONE = "anyone";

/**
 * An onRequest hook that lets through people holding one of `roles`: it runs
 * before the body is read, so nobody learns a route's schema without access.
 */
export function allow(...roles: (Role | typeof ANYONE)[]): onRequestHookHandler {
  return accessHook((request, _reply, done) => {
    const { session } = request;
    if (!session) {
      done(new DomainError("unauthorised", "sign in first"));
      return;
    }
    if (session.user.mustChangePassword) {
      done(new DomainError("forbidden", "change your one-time password before anything else"));
      return;
    }
    if (roles.includes(ANYONE) || session.user.roles.some((role) => roles.includes(role))) {
      done();
      return;
    }
    done(
      new DomainError(
        "forbidden",
        `this needs one of these roles: ${roles.join(", ")}; you have ${session.user.roles.join(", ") || "none"}`,
      ),
    );
  });
}

/** Anyone signed in, even with a one-time password still to change (to change it, or sign out). */
export const SIGNED_IN: onRequestHookHandler = accessHook((request, _reply, done) => {
  done(request.session ? undefined : new DomainError("unauthorised", "sign in first"));
});

/** The signed-in person (routes behind `allow()` always have one). */
export function me(request: FastifyRequest): { id: string; roles: readonly Role[]; name: string } {
  const { session } = request;
  if (!session) throw new DomainError("unauthorised", "sign in first");
  return { ...personOf(session.user), name: session.user.displayName };
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Sets the session cookie (a password sign-in, or one through the identity provider). */
export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    secure: true,
    sameSite: "strict",
    maxAge: maxAgeSeconds,
  });
}

export function authRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  app.decorateRequest("session", null);
  app.decorateRequest("sessionToken", null);

  app.addHook("onRoute", (route) => {
    const problem = accessProblem(route);
    if (problem !== null) throw new Error(problem);
  });

  app.addHook("onRequest", async (request) => {
    if (isDeviceRoute(request)) return; // devices have no session
    const token = request.cookies[SESSION_COOKIE];
    if (token === undefined) return;
    request.session = await app.people.session(token);
    request.sessionToken = request.session ? token : null;
  });

  // before any route's own checks and before the body is even validated
  app.addHook("onRequest", (request, _reply, done) => {
    try {
      checkCsrf(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  function checkCsrf(request: FastifyRequest): void {
    if (isDeviceRoute(request)) {
      checkDevice(request);
      return;
    }
    if (request.method === "GET" || request.method === "HEAD") return;
    checkOrigin(request);
    const { session } = request;
    if (!session) return;
    const given = request.headers["x-csrf-token"];
    if (typeof given !== "string" || !sameToken(given, session.csrfToken)) {
      throw new DomainError(
        "forbidden",
        "missing or wrong X-CSRF-Token header (take it from GET /api/session)",
      );
    }
  }

  /**
   * A state change comes from this site. With the session cookie, the Origin
   * header must name this host (browsers send it on every POST, PUT, PATCH and
   * DELETE); without it (a script signing in) Origin is checked when sent.
   * `Origin: null` (a sandboxed page, a redirect) never passes.
   */
  function checkOrigin(request: FastifyRequest): void {
    const origin = request.headers.origin;
    if (origin === undefined) {
      if (request.cookies[SESSION_COOKIE] === undefined) return;
      throw new DomainError(
        "forbidden",
        "a change needs the Origin header of this site; this request has none " +
          "(browsers send it; a script must send Origin: <the controller's address>)",
      );
    }
    if (origin === "null") {
      throw new DomainError(
        "forbidden",
        "a change from Origin 'null' (a sandboxed page or a redirect) is refused; " +
          "make it from the dashboard",
      );
    }
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new DomainError("forbidden", "the request's Origin is not a URL");
    }
    // the Host header read with the Origin's scheme, so a default port compares equal
    let expected: string | null = null;
    try {
      expected = new URL(`${url.protocol}//${request.headers.host ?? ""}`).host;
    } catch {
      /* no usable Host header: nothing is same-site */
    }
    if (expected === null || url.host !== expected) {
      throw new DomainError("forbidden", "cross-site requests are refused");
    }
  }

  /** A device route passes with a bearer token and no session; the route checks the token. */
  function checkDevice(request: FastifyRequest): void {
    if (request.cookies[SESSION_COOKIE] !== undefined) {
      throw new DomainError(
        "forbidden",
        "the upload routes take a device's upload token, never a signed-in session",
      );
    }
    const authorization = request.headers.authorization;
    if (typeof authorization !== "string" || !/^Bearer \S+$/.test(authorization)) {
      throw new DomainError(
        "unauthorised",
        "the upload routes need the device's upload token: Authorization: Bearer <token>",
      );
    }
  }

  app.get(
    "/api/setup",
    {
      config: PUBLIC_ROUTE,
      schema: {
        tags: ["session"],
        operationId: "getSetup",
        description:
          "Public. `needed` is true until the first administrator is made with POST /api/setup; the dashboard shows its set-up screen while it is. `provider` says whether people sign in with the school's identity provider: its name, where to start, its sign-out page if it has one, and whether passwords are for administrators only.",
        summary:
          "Whether the controller still needs its first administrator, and how people sign in",
        response: {
          200: answer(
            "Whether set-up is still needed, and the identity provider to sign in with (null: passwords only)",
            Obj({ needed: Type.Boolean(), provider: Type.Union([ProviderSchema, Type.Null()]) }),
          ),
        },
      },
    },
    async () => ({
      needed: (await app.people.count()) === 0,
      provider: app.oidc === null ? null : providerInfo(app.oidc),
    }),
  );

  app.post(
    "/api/setup",
    {
      config: PUBLIC_ROUTE,
      schema: {
        tags: ["session"],
        operationId: "setUp",
        description:
          "Public, and only once: makes the first administrator (the admin role, with any roles given) with the one-time set-up code the controller printed when it first started. Refused with a wrong code, or once anyone exists.",
        summary: "Create the first administrator with the one-time setup token",
        body: Obj({
          token: Type.String({ minLength: 1, maxLength: 200 }),
          id: UserId,
          displayName: Type.String({ minLength: 1, maxLength: 100 }),
          password: Password,
          roles: Type.Optional(Type.Array(RoleSchema, { maxItems: 8 })),
        }),
        response: {
          201: answer("The first administrator's account", UserSchema),
          ...errors(400, 403),
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const user = await app.people.setUp({ ...body, roles: body.roles ?? [] });
      return reply.code(201).send(user);
    },
  );

  app.post(
    "/api/session",
    {
      config: PUBLIC_ROUTE,
      schema: {
        tags: ["session"],
        operationId: "signIn",
        description:
          "Public. Checks the user name and password and sets the session cookie (HttpOnly, Secure, SameSite=Strict). Repeated failures are slowed down (429 with Retry-After). An account with a one-time password may only change it next. Where the school signs in through its identity provider with `localSignIn: break-glass`, only administrators may use a password (403 for anyone else).",
        summary: "Sign in",
        body: Obj({ id: Type.String({ minLength: 1, maxLength: 64 }), password: Password }),
        response: {
          200: answer(
            "Signed in: the account, the csrfToken to send with changes, and when the session ends",
            SessionSchema,
          ),
          ...errors(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const { id, password } = request.body;
      const { token, session } = await app.people.signIn(
        id,
        password,
        request.ip,
        passwordRefusal(app.oidc),
      );
      setSessionCookie(reply, token, app.config.http.sessionHours * 3600);
      return session;
    },
  );

  app.get(
    "/api/session",
    {
      onRequest: SIGNED_IN,
      schema: {
        tags: ["session"],
        operationId: "getSession",
        description:
          "Anyone signed in, even with a one-time password still to change. The dashboard reads the csrfToken here and sends it as X-CSRF-Token with every change.",
        summary: "Who is signed in, and the CSRF token for state changes",
        response: {
          200: answer("The session: who, its csrfToken, and when it ends", SessionSchema),
          ...errors(401),
        },
      },
    },
    (request) => {
      if (!request.session) throw new DomainError("unauthorised", "sign in first");
      return request.session;
    },
  );

  app.delete(
    "/api/session",
    {
      onRequest: SIGNED_IN,
      schema: {
        tags: ["session"],
        operationId: "signOut",
        description:
          "Anyone signed in: ends this session and clears its cookie (audited); the person's other sessions go on.",
        summary: "Sign out",
        response: { 200: answer("Signed out", Ok), ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const { session, sessionToken } = request;
      if (!session || sessionToken === null) throw new DomainError("unauthorised", "sign in first");
      await app.people.signOut(sessionToken, session.user.id);
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return { ok: true as const };
    },
  );

  app.post(
    "/api/session/password",
    {
      onRequest: SIGNED_IN,
      schema: {
        tags: ["session"],
        operationId: "changeMyPassword",
        description:
          "Anyone signed in, including with a one-time password, which this replaces. Needs the current password; every other session of the account ends, this one goes on.",
        summary: "Change my password (other sessions end)",
        body: Obj({ current: Password, next: Password }),
        response: { 200: answer("The password is changed", Ok), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { session, sessionToken } = request;
      if (!session || sessionToken === null) throw new DomainError("unauthorised", "sign in first");
      const { current, next } = request.body;
      await app.people.changePassword(session.user.id, current, next, sessionToken);
      return { ok: true as const };
    },
  );
}
