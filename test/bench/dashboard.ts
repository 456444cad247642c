/**
 * Benchmark: how soon the dashboard's first screen is interactive, and how
 * big its bundle is.
 *
 * A test school (`startSchool`) listens on loopback; Debian's Chromium
 * (headless, through playwright-core, as the browser tests drive it) opens it
 * in a fresh context each time — nothing cached — and the time is read in the
 * page: from the start of navigation to the moment the app marks its first
 * screen drawn and usable (`body[data-ready]`, set after the screen's data
 * has loaded). Two first screens: signed out (sign in: the page, its script
 * and style, two API calls) and signed in (a teacher's recordings: the
 * session, the live stream, the list).
 *
 * The baseline, measured the same way in the same run: a blank page from the
 * same server (`/healthz`: a tiny response), navigation start to its load
 * event — what any page costs this browser on this machine. The ratio is the
 * figure to compare between runs. The target (first screen interactive under
 * 1 s) is reported MET / NOT MET; nothing asserts, exit 0 unless the bench
 * broke. Results go to test/bench/results/dashboard-<timestamp>.json.
 *
 *   node --conditions=classcam-source --import=tsx test/bench/dashboard.ts [--runs 7]
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { DIST_DIR, ensureDashboard } from "../../controller/src/dashboard.js";
import { REPO } from "../helpers/controller.js";
import { PASSWORD, startSchool } from "../helpers/school.js";
import { LAPTOP, launchBrowser } from "../web/browser.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
const RUNS = Math.max(1, Number(values.runs));
const TARGET_MS = 1000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function timed(
  browser: Browser,
  url: string,
  ready: (page: Page) => Promise<number>,
  cookie?: { name: string; value: string; url: string },
): Promise<number> {
  const context = await browser.newContext({ viewport: LAPTOP });
  if (cookie) await context.addCookies([cookie]);
  const page = await context.newPage();
  await page.goto(url);
  const ms = await ready(page);
  await context.close();
  return ms;
}

/** Milliseconds from navigation start until the app marked its screen ready. */
async function untilReady(page: Page, screen: string): Promise<number> {
  await page.waitForSelector(`body[data-screen="${screen}"][data-ready]`, { timeout: 20_000 });
  return page.evaluate<number>("performance.now()");
}

async function main(): Promise<void> {
  const { build } = await ensureDashboard();
  const size = (name: string) => statSync(join(DIST_DIR, name)).size;
  const gzipped = (name: string) => gzipSync(readFileSync(join(DIST_DIR, name))).length;
  const first = ["index.html", build.script, build.styles];
  const lazy = build.files.filter((f) => /^chunk-.*\.js$/.test(f));
  const bundle = {
    firstScreenBytes: first.reduce((sum, f) => sum + size(f), 0),
    firstScreenGzipBytes: first.reduce((sum, f) => sum + gzipped(f), 0),
    scriptBytes: size(build.script),
    stylesBytes: size(build.styles),
    lazyChunks: lazy.map((f) => ({ file: f, bytes: size(f), gzipBytes: gzipped(f) })),
  };

  const school = await startSchool();
  const teardowns: (() => unknown)[] = [];
  try {
    const browser = await launchBrowser({ teardown: (fn) => teardowns.push(fn) });
    const signIn = await school.as["teacher-a"].signIn(PASSWORD("teacher-a"));
    if (signIn.status !== 200) throw new Error("the teacher could not sign in");
    const token = /classcam_session=([^;]+)/.exec(school.as["teacher-a"].cookie ?? "")?.[1] ?? "";
    const cookie = { name: "classcam_session", value: token, url: school.httpUrl };

    const baseline: number[] = [];
    const signedOut: number[] = [];
    const signedIn: number[] = [];
    // one warm-up of each, not counted (the server's first gzip, the browser's first process)
    await timed(browser, `${school.httpUrl}/`, (page) => untilReady(page, "signin"));
    for (let run = 0; run < RUNS; run += 1) {
      baseline.push(
        await timed(browser, `${school.httpUrl}/healthz`, async (page) => {
          await page.waitForLoadState("load");
          return page.evaluate<number>(
            "performance.getEntriesByType('navigation')[0].loadEventEnd",
          );
        }),
      );
      signedOut.push(
        await timed(browser, `${school.httpUrl}/`, (page) => untilReady(page, "signin")),
      );
      signedIn.push(
        await timed(
          browser,
          `${school.httpUrl}/#/recordings`,
          (page) => untilReady(page, "recordings"),
          cookie,
        ),
      );
    }
    const results = {
      at: new Date().toISOString(),
      runs: RUNS,
      bundle,
      baselineBlankPageMs: median(baseline),
      firstScreenSignedOutMs: median(signedOut),
      firstScreenSignedInMs: median(signedIn),
      ratioSignedOut: median(signedOut) / median(baseline),
      ratioSignedIn: median(signedIn) / median(baseline),
      samples: { baseline, signedOut, signedIn },
    };
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const out = (text: string) => process.stdout.write(`${text}\n`);
    out(
      `dashboard bundle, first screen: ${kb(bundle.firstScreenBytes)} (${kb(bundle.firstScreenGzipBytes)} gzipped)`,
    );
    out(`  script ${kb(bundle.scriptBytes)}, styles ${kb(bundle.stylesBytes)}`);
    for (const chunk of bundle.lazyChunks) {
      out(`  loaded on demand: ${chunk.file} ${kb(chunk.bytes)} (${kb(chunk.gzipBytes)} gzipped)`);
    }
    out(`median of ${RUNS} fresh browser contexts:`);
    out(`  blank page (baseline):            ${results.baselineBlankPageMs.toFixed(0)} ms`);
    out(
      `  first screen, signed out:         ${results.firstScreenSignedOutMs.toFixed(0)} ms ` +
        `(${results.ratioSignedOut.toFixed(2)}× baseline)`,
    );
    out(
      `  first screen, signed in (list):   ${results.firstScreenSignedInMs.toFixed(0)} ms ` +
        `(${results.ratioSignedIn.toFixed(2)}× baseline)`,
    );
    const met = Math.max(results.firstScreenSignedOutMs, results.firstScreenSignedInMs) < TARGET_MS;
    out(`target: first screen interactive under ${TARGET_MS} ms — ${met ? "MET" : "NOT MET"}`);
    const dir = join(REPO, "test/bench/results");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `dashboard-${results.at.replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    out(`results: ${file}`);
  } finally {
    for (const teardown of teardowns.reverse()) await teardown();
    await school.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`dashboard bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
