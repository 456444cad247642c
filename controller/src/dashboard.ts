/**
 * The dashboard's bundle: `controller/web/src` (TypeScript, browser) bundled
 * by esbuild into `controller/web/dist` — an `index.html` naming the hashed
 * script and style sheet, the chunks loaded on demand (the player's hls.js),
 * and `build.json`, which lists the files and marks when the bundle was made.
 *
 * `npm run build -w @classcam/controller` builds it (this file, run as a
 * script). A controller running from source builds it when it starts, if it
 * is missing or older than its sources (`ensureDashboard`), in the
 * background: the first request for the page waits for it.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** `controller/web/`, from `controller/src/` and from `controller/dist/` alike. */
export const WEB_DIR = fileURLToPath(new URL("../web/", import.meta.url));
export const DIST_DIR = join(WEB_DIR, "dist");
const SOURCES = [join(WEB_DIR, "src"), join(WEB_DIR, "index.html")];
const STAMP = "build.json";

export interface DashboardBuild {
  /** File names in `dist/`, the page first. */
  files: string[];
  /** The page's script and style sheet. */
  script: string;
  styles: string;
  builtAt: string;
}

/** The newest modification time under `path` (a file or a folder), 0 when missing. */
async function newest(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const entry of await readdir(path)) {
    latest = Math.max(latest, await newest(join(path, entry)));
  }
  return latest;
}

/** The built bundle's listing, or null when there is none. */
export async function readBuild(): Promise<DashboardBuild | null> {
  try {
    return JSON.parse(await readFile(join(DIST_DIR, STAMP), "utf8")) as DashboardBuild;
  } catch {
    return null;
  }
}

/** Whether the bundle is missing or older than a source file (or than this builder). */
export async function dashboardIsStale(): Promise<boolean> {
  const built = await newest(join(DIST_DIR, STAMP));
  if (built === 0) return true;
  const sources = Math.max(
    ...(await Promise.all(SOURCES.map(newest))),
    await newest(fileURLToPath(import.meta.url)),
  );
  return sources > built;
}

/**
 * Bundles the dashboard into `dist/`: built in a folder of its own, then each
 * file renamed into place and `build.json` last, so a controller serving the
 * old bundle (or a second build at the same time) never sees half of one.
 */
export async function buildDashboard(options: { minify?: boolean } = {}): Promise<DashboardBuild> {
  const esbuild = await import("esbuild");
  const started = new Date();
  const work = join(DIST_DIR, `.build-${randomUUID()}`);
  await mkdir(work, { recursive: true });
  try {
    const result = await esbuild.build({
      entryPoints: { app: join(WEB_DIR, "src/main.ts"), styles: join(WEB_DIR, "src/styles.css") },
      outdir: work,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "browser",
      target: ["chrome111", "edge111", "firefox115", "safari16.4"],
      entryNames: "[name]-[hash]",
      chunkNames: "chunk-[hash]",
      minify: options.minify ?? true,
      sourcemap: "linked",
      metafile: true,
      tsconfig: join(WEB_DIR, "tsconfig.json"),
      logLevel: "silent",
    });
    const outputs = Object.keys(result.metafile.outputs).map((path) =>
      path.slice(path.lastIndexOf("/") + 1),
    );
    const script = outputs.find((name) => /^app-.*\.js$/.test(name));
    const styles = outputs.find((name) => /^styles-.*\.css$/.test(name));
    if (script === undefined || styles === undefined) {
      throw new Error(`esbuild made no app script or style sheet (made ${outputs.join(", ")})`);
    }
    const template = await readFile(join(WEB_DIR, "index.html"), "utf8");
    const page = template
      .replaceAll("{{script}}", `/${script}`)
      .replaceAll("{{styles}}", `/${styles}`);
    await writeFile(join(work, "index.html"), page);
    const build: DashboardBuild = {
      files: ["index.html", ...outputs.sort()],
      script,
      styles,
      builtAt: new Date().toISOString(),
    };
    for (const name of build.files) await rename(join(work, name), join(DIST_DIR, name));
    await writeFile(join(work, STAMP), `${JSON.stringify(build, null, 2)}\n`);
    // stamped with when the build began: a source saved meanwhile makes it stale
    await utimes(join(work, STAMP), started, started);
    await rename(join(work, STAMP), join(DIST_DIR, STAMP));
    await prune(build);
    return build;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Files of earlier builds go, once no page loaded a little while ago can still ask for them. */
async function prune(build: DashboardBuild): Promise<void> {
  const keep = new Set([...build.files, STAMP]);
  const before = Date.now() - 10 * 60_000;
  for (const name of await readdir(DIST_DIR)) {
    if (keep.has(name) || name.startsWith(".build-")) continue;
    const path = join(DIST_DIR, name);
    const info = await stat(path).catch(() => null);
    if (info?.isFile() && info.mtimeMs < before) await rm(path, { force: true });
  }
}

/** The bundle, built first when it is missing or stale. */
export async function ensureDashboard(): Promise<{ build: DashboardBuild; built: boolean }> {
  if (await dashboardIsStale()) return { build: await buildDashboard(), built: true };
  const build = await readBuild();
  if (build === null) return { build: await buildDashboard(), built: true };
  return { build, built: false };
}

// `node --import=tsx controller/src/dashboard.ts` (or dist/dashboard.js): build it now
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildDashboard().then(
    (build) => {
      process.stdout.write(`dashboard built: ${build.files.join(", ")} in ${DIST_DIR}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`dashboard build failed: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
