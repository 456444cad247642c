/**
 * The dashboard, served from `controller/web/dist` at `/`: the page and the
 * handful of files its bundle is made of (`dashboard.ts` builds it). The page
 * is revalidated on every load; the other files have content hashes in their
 * names and are cached for good. Everything but the source maps is held in
 * memory (a few hundred KiB), gzipped once for browsers that take it.
 *
 * When the controller starts, the bundle is checked and built if missing or
 * older than its sources, in the background: a request arriving before that
 * is done waits for it. If it cannot be built and there is no earlier
 * bundle, the page says how to build it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Type } from "@sinclair/typebox";
import { DIST_DIR, ensureDashboard, readBuild } from "../dashboard.js";
import { DomainError } from "../domain/errors.js";
import { typed } from "./typed.js";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  map: "application/json; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
};
/** esbuild's content hash in a name, e.g. `app-5XK2QH3M.js`. */
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/;

interface Asset {
  /** null for a source map: read from disk when asked for (see loadAssets). */
  body: Buffer | null;
  gzipped: Buffer | null;
  type: string;
  etag: string;
  immutable: boolean;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>classcam — dashboard not built</title></head>
<body><main><h1>The dashboard has not been built</h1>
<p>Run <code>npm run build</code> in the classcam folder, then reload this page.</p></main></body></html>`;

async function loadAssets(files: readonly string[]): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const name of files) {
    const body = await readFile(join(DIST_DIR, name));
    const extension = name.slice(name.lastIndexOf(".") + 1);
    assets.set(name, {
      // source maps are most of the bundle's bytes (2.8 of 3.4 MB) and only a
      // browser's developer tools ask for them: not held (issue 21, peak RSS)
      body: extension === "map" ? null : body,
      gzipped: null,
      type: TYPES[extension] ?? "application/octet-stream",
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
      immutable: HASHED.test(name),
    });
  }
  return assets;
}

export function webRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const log = app.log.child({ part: "dashboard" });

  const ready: Promise<Map<string, Asset> | null> = (async () => {
    try {
      const started = performance.now();
      const { build, built } = await ensureDashboard();
      if (built) {
        log.info(
          { files: build.files.length, ms: Math.round(performance.now() - started) },
          "dashboard built",
        );
      }
      return await loadAssets(build.files);
    } catch (error) {
      const earlier = await readBuild();
      if (earlier !== null) {
        log.warn({ err: error }, "the dashboard could not be rebuilt; serving the earlier build");
        return loadAssets(earlier.files).catch(() => null);
      }
      log.error({ err: error }, "the dashboard could not be built");
      return null;
    }
  })();
  app.addHook("onClose", async () => {
    await ready;
  });

  async function send(request: FastifyRequest, reply: FastifyReply, name: string) {
    const assets = await ready;
    if (assets === null) {
      return reply
        .code(503)
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(NOT_BUILT);
    }
    const asset = assets.get(name);
    if (asset === undefined) throw new DomainError("not-found", `no such page: /${name}`);
    reply
      .type(asset.type)
      .header("etag", asset.etag)
      .header("vary", "accept-encoding")
      .header(
        "cache-control",
        asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      );
    if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
    if (asset.body === null) {
      const body = await readFile(join(DIST_DIR, name)).catch(() => null);
      if (body === null) throw new DomainError("not-found", `/${name} is no longer on disk`);
      return reply.send(body);
    }
    const accepts = /\bgzip\b/.test(request.headers["accept-encoding"] ?? "");
    if (accepts && asset.body.length > 1024) {
      asset.gzipped ??= gzipSync(asset.body);
      return reply.header("content-encoding", "gzip").send(asset.gzipped);
    }
    return reply.send(asset.body);
  }

  app.get("/", { schema: { hide: true } }, (request, reply) => send(request, reply, "index.html"));
  app.get(
    "/:file",
    {
      schema: {
        hide: true,
        params: Type.Object({
          file: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$" }),
        }),
      },
    },
    (request, reply) => send(request, reply, request.params.file),
  );
}
