/**
 * The browser test rig: Debian's Chromium (installed with apt-get when it is
 * missing) driven by playwright-core, headless, one fresh profile per
 * browser and one context (cookie jar) per person; axe-core run on a page
 * with zero violations expected; a screenshot of every screen into
 * `test/web/screenshots/<test>/`, for a person to look at; and the page's
 * own failures (uncaught errors, CSP refusals) failing the test.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Test } from "tap";
import { REPO } from "../helpers/controller.js";
import { PASSWORD } from "../helpers/school.js";

export const CHROMIUM = "/usr/bin/chromium";
export const LAPTOP = { width: 1280, height: 800 };
export const TABLET = { width: 768, height: 1024 };

/** What the helpers need of a tap test. */
type Tap = Pick<Test, "teardown" | "same">;

/** Installs Debian's chromium when it is not there (root, apt). */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const apt = (args: string[]) =>
    execFileSync("apt-get", args, {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  try {
    apt(["update", "-qq"]);
    apt(["install", "-y", "-qq", "chromium"]);
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `${CHROMIUM} is missing and apt-get could not install chromium (root needed): ` +
        (stderr ?? (error as Error).message),
    );
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`apt-get installed chromium but ${CHROMIUM} is missing`);
}

/** A headless Chromium with a fresh profile, closed when the test ends. */
export async function launchBrowser(t: {
  teardown: (fn: () => unknown) => void;
}): Promise<Browser> {
  ensureChromium();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  t.teardown(() => browser.close());
  return browser;
}

/** What went wrong inside a page: uncaught errors and Content-Security-Policy refusals. */
export function watchPage(page: Page, problems: string[]): void {
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    if (/Content.Security.Policy/i.test(text)) problems.push(`CSP: ${text}`);
  });
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** The page's uncaught errors and CSP refusals (a test ends by checking there are none). */
  problems: string[];
}

/** A new browser context (its own cookies) with the dashboard open. */
export async function openDashboard(
  browser: Browser,
  url: string,
  viewport = LAPTOP,
  /** The browser's time zone (default: the machine's), as a school's staff have the school's. */
  timezoneId?: string,
): Promise<Person> {
  const context = await browser.newContext({
    viewport,
    locale: "en-GB",
    ...(timezoneId !== undefined && { timezoneId }),
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  watchPage(page, problems);
  await page.goto(url);
  return { context, page, problems };
}

/** Signs in through the sign-in screen (the test school's passwords). */
export async function signIn(page: Page, id: string, password = PASSWORD(id)): Promise<void> {
  await page.waitForSelector("body[data-screen=signin][data-ready]");
  await page.getByLabel("User name").fill(id);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector("body:not([data-screen=signin])[data-ready]");
}

/** Opens `#/path` and waits for the screen to be drawn. */
export async function go(page: Page, path: string, screen = path): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(`#/${path}`)}`);
  await page.waitForSelector(`body[data-screen="${screen === "" ? "home" : screen}"][data-ready]`);
}

/**
 * Waits until `expression` is true in the page. (Playwright's waitForFunction
 * evaluates its string with eval, which the dashboard's CSP rightly refuses;
 * page.evaluate goes through the debugging protocol.)
 */
export async function waitInPage(
  page: Page,
  expression: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await page.evaluate(`Boolean(${expression})`)) !== true) {
    if (Date.now() > deadline) throw new Error(`timed out waiting in the page for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The main menu's entries. */
export async function menu(page: Page): Promise<string[]> {
  return page.locator('nav[aria-label="Main menu"] a').allInnerTexts();
}

const AXE = readFileSync(join(REPO, "node_modules/axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary: string }[];
}

/** axe-core on the page as it is now (every rule it runs by default): no violations. */
export async function checkAccessibility(t: Tap, page: Page, what: string): Promise<void> {
  // injected through the debugging protocol, as the page's CSP refuses inline scripts
  const present = await page.evaluate("typeof window.axe === 'object'");
  if (present !== true) await page.evaluate(AXE);
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    })))`,
  );
  t.same(
    violations.map((v) => `${v.id} (${v.impact ?? "?"}): ${v.help} — ${JSON.stringify(v.nodes)}`),
    [],
    `axe finds no accessibility violations: ${what}`,
  );
}

/** Screenshots of one test, numbered in the order taken, in `test/web/screenshots/<test>/`. */
export class Screenshots {
  readonly dir: string;
  private count = 0;

  constructor(test: string) {
    this.dir = join(REPO, "test/web/screenshots", test);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  async take(page: Page, name: string): Promise<void> {
    this.count += 1;
    const file = `${String(this.count).padStart(2, "0")}-${name}.png`;
    await page.screenshot({ path: join(this.dir, file), fullPage: true });
  }
}

/** Takes a screenshot and runs axe: what every screen gets. */
export async function look(t: Tap, shots: Screenshots, page: Page, name: string): Promise<void> {
  await shots.take(page, name);
  await checkAccessibility(t, page, name);
}
