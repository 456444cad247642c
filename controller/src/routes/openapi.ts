/**
 * The API's documentation: the OpenAPI document that every route's schema
 * adds to (@fastify/swagger), and the page a developer browses it on,
 * `/api/docs` (@fastify/swagger-ui, whose scripts and styles are served from
 * the package, under the dashboard's Content-Security-Policy: nothing comes
 * from a CDN). The page and the document are public (`API_DOCS` in auth.ts):
 * they describe routes and hold no data.
 *
 * What each route says of itself is in its own schema: `operationId`,
 * `summary`, `description`, what each success answer means (`answer()` in
 * schemas.ts; the errors' meanings are `errors()`'s). What holds for every
 * route is declared once, here, from what auth.ts enforces: a signed-in
 * route takes the session cookie; a change (POST, PUT, PATCH, DELETE) with a
 * session also the `X-CSRF-Token` header; the devices' upload routes their
 * bearer upload token instead; a public route nothing.
 */
import type { FastifyInstance, FastifySchema, RouteOptions } from "fastify";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import { API_DOCS, PUBLIC_ROUTE, SESSION_COOKIE } from "./auth.js";

declare module "fastify" {
  interface FastifySchema {
    /**
     * A body the route reads as a stream (never parsed, so never validated by
     * a schema): documented as raw bytes of this content type.
     */
    streamedBody?: { contentType: string };
  }
}

/** The header that carries the session's CSRF token (checked in auth.ts). */
export const CSRF_HEADER = "X-CSRF-Token";

type Security = { [scheme: string]: string[] }[];

const SIGNED_IN: Security = [{ session: [] }];
const CHANGE: Security = [{ session: [], csrf: [] }];
/** Anyone; someone signed in sends the CSRF token all the same (auth.ts checks it whenever there is a session). */
const PUBLIC_CHANGE: Security = [{}, { session: [], csrf: [] }];
const PUBLIC: Security = [];

/** Who may call a route, as auth.ts decides it, in OpenAPI's words. */
export function routeSecurity(route: Pick<RouteOptions, "method" | "url" | "config">): Security {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const changes = methods.some((method) => !["GET", "HEAD"].includes(method));
  if (!route.url.startsWith("/api/")) return PUBLIC;
  if (route.config?.publicRoute === true) return changes ? PUBLIC_CHANGE : PUBLIC;
  return changes ? CHANGE : SIGNED_IN;
}

/** The OpenAPI document: registered before the routes, so it sees each one. */
export async function apiDocument(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      // 3.1: the schemas are JSON Schema as ajv checks them (numeric exclusiveMinimum, null types)
      openapi: "3.1.0",
      info: {
        title: "classcam controller API",
        version: "1",
        description:
          "The school server's HTTP API, as the dashboard uses it. Sign in with " +
          "`POST /api/session`: the session travels in the `classcam_session` cookie. Every " +
          `change (POST, PUT, PATCH, DELETE) made with a session also sends its csrfToken (from ` +
          `\`GET /api/session\`) in \`${CSRF_HEADER}\`, and the site's own \`Origin\`. A ` +
          "route answers 401 to nobody signed in and 403 to someone without one of the roles it " +
          "names. The upload routes are for classroom devices: the one-time token of an upload " +
          "request, as a bearer token, never a session. Errors are " +
          "`{statusCode, error, message}`, the message meant for a person.",
      },
      tags: [
        { name: "session", description: "Setting up, signing in and out, my password" },
        { name: "home", description: "What needs the person signed in, by role" },
        { name: "people", description: "Accounts, the staff directory, staff lists as CSV" },
        { name: "timetable", description: "Booking a classroom box for a lesson" },
        { name: "recordings", description: "Recordings, their footage, comments, shares, keeping" },
        { name: "clips", description: "Clips cut from recordings, and the exemplar bank" },
        {
          name: "coaching",
          description:
            "The school's framework, assignments, next steps, a teacher's coaching timeline",
        },
        {
          name: "notifications",
          description: "My notifications, what reaches me by e-mail, the mail outbox",
        },
        { name: "concerns", description: "Concerns flagged about recordings, and their answers" },
        { name: "governance", description: "Holds, investigations, retention and deletions" },
        { name: "audit", description: "The audit log, its check and its export" },
        { name: "policy", description: "The school's policy" },
        {
          name: "privacy",
          description:
            "The public privacy notice, door signs, the DPO's subject access and erasure",
        },
        { name: "fleet", description: "The classroom boxes, their health, alerts and cameras" },
        { name: "use", description: "How the boxes are used, in numbers" },
        { name: "live", description: "Live notices for the dashboard (server-sent events)" },
        { name: "demo", description: "The demo's simulated classroom box" },
        { name: "uploads", description: "Footage uploads by classroom boxes (upload token)" },
        { name: "health", description: "Whether the controller is up (for monitoring)" },
      ],
      components: {
        securitySchemes: {
          session: {
            type: "apiKey",
            in: "cookie",
            name: SESSION_COOKIE,
            description:
              "The session cookie set by POST /api/session (HttpOnly, Secure, SameSite=Strict)",
          },
          csrf: {
            type: "apiKey",
            in: "header",
            name: CSRF_HEADER,
            description:
              "The session's csrfToken (GET /api/session), sent with every change made with a session",
          },
          uploadToken: {
            type: "http",
            scheme: "bearer",
            description: "The one-time token of the device's upload request (upload routes only)",
          },
        },
      },
      security: SIGNED_IN,
    },
    transform: ({ schema: declared, url, route }) => {
      // a route may declare no schema at all, whatever the type says
      const schema = declared as FastifySchema | undefined;
      if (schema === undefined) return { schema: declared, url };
      const { streamedBody, ...rest } = schema;
      return {
        url,
        schema: {
          ...rest,
          security: schema.security ?? routeSecurity(route),
          ...(streamedBody && {
            body: {
              content: {
                [streamedBody.contentType]: { schema: { type: "string", format: "binary" } },
              },
            },
          }),
        },
      };
    },
  });
}

/** The documentation page, `/api/docs`, and the document as JSON: registered after the routes. */
export async function apiDocsPage(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwaggerUi, {
    routePrefix: API_DOCS,
    theme: { title: "classcam API" },
    uiConfig: { deepLinking: true, displayOperationId: true, tryItOutEnabled: false },
  });
  app.get("/api/openapi.json", { config: PUBLIC_ROUTE, schema: { hide: true } }, () =>
    app.swagger(),
  );
}
