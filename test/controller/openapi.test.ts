// The API's OpenAPI document, as a developer browses it at /api/docs: valid
// OpenAPI 3, and every operation has what a reader needs — an id, a summary, a
// description, a meaning for every answer, the CSRF header on every change,
// the bodies of the upload routes, the live stream's and the export's content
// types. Walks the whole document, so a new route is held to it as soon as it
// exists.
import t, { type Test } from "tap";
import SwaggerParser from "@apidevtools/swagger-parser";
import { startController } from "../helpers/controller.js";

interface Response {
  description?: string;
  content?: Record<string, { schema?: { type?: string; format?: string } }>;
}
interface Operation {
  tags?: string[];
  operationId?: string;
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema?: { type?: string; format?: string } }> };
  responses: Record<string, Response>;
}
interface Document {
  openapi: string;
  tags?: { name: string; description?: string }[];
  security?: Record<string, string[]>[];
  components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> };
  paths: Record<string, Record<string, Operation>>;
}

const CHANGES = ["post", "put", "patch", "delete"];
/** The classroom devices' routes: a bearer upload token, never a session (so no CSRF). */
const isDeviceRoute = (path: string) => path.startsWith("/api/uploads/");

async function documentOf(t: Test): Promise<{
  document: Document;
  operations: { name: string; method: string; path: string; operation: Operation }[];
  inject: Awaited<ReturnType<typeof startController>>["app"]["inject"];
}> {
  const controller = await startController();
  t.teardown(() => controller.close());
  const { app } = controller;
  const reply = await app.inject({ method: "GET", url: "/api/openapi.json" });
  t.equal(reply.statusCode, 200, "the document is served");
  const document = reply.json<Document>();
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${path}`,
      method,
      path,
      operation,
    })),
  );
  return { document, operations, inject: app.inject.bind(app) };
}

void t.test("the document is valid OpenAPI 3", async (t) => {
  const { document, operations, inject } = await documentOf(t);
  t.match(document.openapi, /^3\./, "OpenAPI 3");
  t.ok(operations.length > 40, `it lists the routes (${operations.length})`);
  // validate() dereferences in place: give it a copy
  await t.resolves(
    SwaggerParser.validate(
      structuredClone(document) as unknown as Parameters<typeof SwaggerParser.validate>[0],
    ),
    "valid against the OpenAPI 3 schema",
  );
  const docs = await inject({ method: "GET", url: "/api/docs/json" });
  t.equal(docs.statusCode, 200, "the docs page's document is served");
  t.same(docs.json(), document, "the docs page shows the same document as /api/openapi.json");
});

void t.test("every operation has an id, a summary and a description", async (t) => {
  const { document, operations } = await documentOf(t);
  const groups = new Set(
    (document.tags ?? []).filter((tag) => (tag.description ?? "") !== "").map((tag) => tag.name),
  );
  const ids = new Map<string, string>();
  for (const { name, operation } of operations) {
    const { operationId, summary, description } = operation;
    t.match(operationId, /^[a-z][A-Za-z0-9]+$/, `${name}: an operationId`);
    if (operationId !== undefined) {
      t.notOk(ids.has(operationId), `${name}: operationId ${operationId} is unique`, {
        alsoUsedBy: ids.get(operationId),
      });
      ids.set(operationId, name);
    }
    t.ok((summary ?? "").length >= 5, `${name}: a summary`);
    t.ok((description ?? "").length >= 20, `${name}: a description`);
    t.not(description, summary, `${name}: the description says more than the summary`);
    t.ok(
      (operation.tags ?? []).length > 0 && (operation.tags ?? []).every((tag) => groups.has(tag)),
      `${name}: in a group the document describes (${(operation.tags ?? []).join(", ")})`,
    );
  }
});

void t.test("every response says what it means", async (t) => {
  const { operations } = await documentOf(t);
  for (const { name, operation } of operations) {
    const statuses = Object.keys(operation.responses);
    t.ok(
      // a redirect is the success of the identity provider's sign-in routes
      statuses.some((status) => status.startsWith("2") || status === "302"),
      `${name}: a success response (${statuses.join(", ")})`,
    );
    for (const [status, response] of Object.entries(operation.responses)) {
      const description = response.description ?? "";
      t.ok(
        description.length >= 5 && description !== "Default Response",
        `${name} ${status}: a meaning (${JSON.stringify(description)})`,
      );
    }
  }
});

void t.test("sign-in: the session cookie and the CSRF header on every change", async (t) => {
  const { document, operations } = await documentOf(t);
  const schemes = document.components.securitySchemes;
  const named = (wanted: { type: string; in?: string; name?: string }) =>
    Object.entries(schemes).find(
      ([, scheme]) =>
        scheme.type === wanted.type &&
        scheme.in === wanted.in &&
        scheme.name?.toLowerCase() === wanted.name?.toLowerCase(),
    )?.[0];
  const session = named({ type: "apiKey", in: "cookie", name: "classcam_session" });
  const csrf = named({ type: "apiKey", in: "header", name: "X-CSRF-Token" });
  t.ok(session, "the session cookie is a security scheme");
  t.ok(csrf, "the X-CSRF-Token header is a security scheme");
  if (session === undefined || csrf === undefined) return;

  const requirements = (operation: Operation) => operation.security ?? document.security ?? [];
  for (const { name, method, path, operation } of operations) {
    const security = requirements(operation);
    if (isDeviceRoute(path)) {
      t.same(security, [{ uploadToken: [] }], `${name}: the device's upload token, no session`);
      continue;
    }
    if (!CHANGES.includes(method)) continue;
    t.ok(
      security.some((requirement) => session in requirement && csrf in requirement),
      `${name}: a change with a session carries X-CSRF-Token (${JSON.stringify(security)})`,
    );
    t.notOk(
      security.some((requirement) => session in requirement && !(csrf in requirement)),
      `${name}: never a session without X-CSRF-Token`,
    );
  }
});

void t.test("bodies and content types: uploads, the live stream, the exports", async (t) => {
  const { document } = await documentOf(t);
  const operation = (method: string, path: string): Operation => {
    const found = document.paths[path]?.[method];
    t.ok(found, `${method.toUpperCase()} ${path} is documented`);
    return found ?? { responses: {} };
  };

  const manifest = operation("put", "/api/uploads/{recordingId}/manifest");
  t.ok(manifest.requestBody?.content["application/json"]?.schema, "the manifest: a JSON body");
  const segment = operation("put", "/api/uploads/{recordingId}/segments/{name}");
  t.match(
    segment.requestBody?.content["application/octet-stream"]?.schema,
    { type: "string", format: "binary" },
    "a segment: its raw bytes as application/octet-stream",
  );

  for (const path of ["/api/events/stream", "/api/demo/panel/events"]) {
    t.ok(
      operation("get", path).responses["200"]?.content?.["text/event-stream"],
      `${path}: a text/event-stream answer`,
    );
  }

  const exported = operation("get", "/api/audit/export").responses["200"]?.content ?? {};
  t.same(
    Object.keys(exported).sort(),
    ["application/json", "text/csv"],
    "the audit export: JSON and CSV",
  );
});

void t.test("/api/docs is a page anyone may open, with its assets in the controller", async (t) => {
  const { inject } = await documentOf(t);
  const page = await inject({ method: "GET", url: "/api/docs" });
  t.equal(page.statusCode, 200, "the page answers without signing in");
  t.match(page.headers["content-type"], /^text\/html/, "as HTML");
  const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]);
  t.ok(scripts.length > 0, "it loads its scripts");
  for (const src of scripts) {
    t.match(src, /^\/api\/docs\/static\//, `${src}: served by the controller, no CDN`);
    const asset = await inject({ method: "GET", url: src ?? "" });
    t.equal(asset.statusCode, 200, `${src} answers`);
    t.match(asset.headers["content-type"], /javascript/, `${src} is JavaScript`);
  }
  t.match(
    page.headers["content-security-policy"],
    /script-src 'self'/,
    "the dashboard's Content-Security-Policy holds for the page",
  );
});
