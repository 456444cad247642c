// Every route checks who is asking before it reads the body: a request with no
// session and a body (and query) that no route accepts gets 401, never a 400
// that describes the route's schema to a stranger. Walks the OpenAPI document,
// so a new route is covered as soon as it exists.
import t from "tap";
import type { FastifyPluginAsync, InjectOptions } from "fastify";
import { startController } from "../helpers/controller.js";

/** Routes anyone may use without signing in. */
const PUBLIC = [
  "GET /healthz",
  "GET /api/setup",
  "POST /api/setup",
  "POST /api/session",
  // sign-in through the school's identity provider (routes/oidc.ts)
  "GET /api/session/oidc/start",
  "GET /api/session/oidc/callback",
  // the public privacy notice (issue 20: anyone may read it, no sign-in)
  "GET /privacy",
];

void t.test("every non-public route answers 401 before validating a bad body", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const { app } = controller;
  const openapi = (await app.inject({ method: "GET", url: "/api/openapi.json" })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  const routes = Object.entries(openapi.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
  );
  t.ok(routes.length > 40, `the document lists the routes (${routes.length})`);
  for (const { method, path } of routes) {
    const name = `${method} ${path}`;
    if (PUBLIC.includes(name)) continue;
    const url = `${path.replace(/\{[^}]+\}/g, "not-an-id")}?no-such-parameter=1`;
    const reply = await app.inject({
      method: method as InjectOptions["method"],
      url,
      ...(method !== "GET" && { payload: { "no-such-field": true } }),
    });
    t.equal(reply.statusCode, 401, `${name}: 401 (${reply.body.slice(0, 160)})`);
    t.match(reply.json(), { statusCode: 401, message: /sign in|upload token/ }, name);
  }
});

void t.test("a route that declares no access cannot be registered", async (t) => {
  const { fastify } = await import("fastify");
  const fastifyPlugin = (await import("fastify-plugin")).default;
  const { authRoutes, allow, PUBLIC_ROUTE } = await import("../../controller/src/routes/auth.js");
  const bare = fastify();
  t.teardown(() => bare.close());
  await bare.register(fastifyPlugin(authRoutes));
  await bare.register((plugin, _options, done) => {
    plugin.get("/api/open", { config: PUBLIC_ROUTE }, () => "ok");
    plugin.get("/api/guarded", { onRequest: allow("dpo") }, () => "ok");
    plugin.get("/dashboard.css", () => "ok");
    done();
  });
  const forgetful: FastifyPluginAsync = async (plugin) => {
    plugin.post("/api/forgotten", () => "ok");
  };
  await t.rejects(
    async () => {
      await bare.register(forgetful);
    },
    {
      message: /POST \/api\/forgotten declares no access: give it onRequest: allow\(/,
    },
  );
});
