/**
 * The dashboard in a real browser, for each role: signing in shows the menu
 * that role may use and not the others; a page for another role says so;
 * errors are in plain words; signing out, changing a password, the one-time
 * password a new account starts with, and the first-run set-up of the first
 * administrator all work from the screens. axe-core finds nothing wrong on
 * any of them, at laptop and at tablet width.
 */
import t from "tap";
import { DEFAULT_CONFIG } from "@classcam/controller";
import { freePort, startController } from "../helpers/controller.js";
import { PASSWORD, startSchool, type PersonId } from "../helpers/school.js";
import {
  Screenshots,
  TABLET,
  checkAccessibility,
  launchBrowser,
  look,
  menu,
  openDashboard,
  signIn,
} from "./browser.js";

const MINE = ["My recordings", "My bookings", "Shared with me", "Consents"];

/** What each role's menu offers (of the screens that exist), and what it must not. */
const EXPECTED: { id: PersonId; role: string; sees: string[] }[] = [
  { id: "teacher-a", role: "teacher", sees: MINE },
  { id: "coach", role: "coach", sees: ["Shared with me", "Consents"] },
  { id: "slt", role: "SLT (also a teacher)", sees: MINE },
  { id: "head", role: "headteacher", sees: ["Shared with me", "Consents"] },
  { id: "bursar", role: "Bursar", sees: [] },
  { id: "it", role: "IT", sees: [] },
  { id: "dpo", role: "DPO", sees: [] },
  { id: "admin", role: "administrator", sees: [] },
];

void t.test("each role signs in and sees its own menu", async (t) => {
  const school = await startSchool();
  t.teardown(() => school.close());
  const browser = await launchBrowser(t);
  const shots = new Screenshots("roles");

  // the first screen: sign in, and a wrong password in plain words
  const visitor = await openDashboard(browser, school.httpUrl);
  const { page } = visitor;
  await page.waitForSelector("body[data-screen=signin][data-ready]");
  await look(t, shots, page, "sign-in");
  await page.getByLabel("User name").fill("teacher-a");
  await page.getByLabel("Password", { exact: true }).fill("not the password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  const refusal = page.getByRole("alert");
  await refusal.waitFor();
  t.equal(
    await refusal.innerText(),
    "The user name or password is not right. Please try again.",
    "a wrong password is said in plain words",
  );
  await look(t, shots, page, "sign-in-refused");
  await visitor.context.close();

  for (const expected of EXPECTED) {
    const person = await openDashboard(
      browser,
      school.httpUrl,
      expected.id === "teacher-a" ? TABLET : undefined,
    );
    await signIn(person.page, expected.id);
    const offered = await menu(person.page);
    for (const item of MINE) {
      t.equal(
        offered.includes(item),
        expected.sees.includes(item),
        `${expected.role} ${expected.sees.includes(item) ? "sees" : "does not see"} “${item}”`,
      );
    }
    t.notOk(offered.includes("Demo classroom"), `${expected.role}: no demo panel outside the demo`);
    t.match(
      await person.page.locator("h1").innerText(),
      `Welcome, Ms ${expected.id}`,
      `${expected.role} is welcomed by name`,
    );
    await look(t, shots, person.page, `home-${expected.id}`);
    for (const item of expected.sees) {
      await person.page.getByRole("link", { name: item, exact: true }).first().click();
      await person.page.waitForSelector("body[data-ready]");
      t.equal(await person.page.locator("h1").innerText(), pageTitle(item), `${item} opens`);
      // every screen once is enough; the teacher's at tablet width
      if (expected.id === "teacher-a" || expected.id === "coach") {
        await look(t, shots, person.page, `${expected.id}-${slug(item)}`);
      }
    }
    t.same(person.problems, [], `${expected.role}: no errors in the page`);
    await person.context.close();
  }
});

function pageTitle(menuItem: string): string {
  return menuItem === "Consents" ? "Asked to keep" : menuItem;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z]+/g, "-");
}

void t.test("a page for another role says so; signing out ends the session", async (t) => {
  const school = await startSchool();
  t.teardown(() => school.close());
  const browser = await launchBrowser(t);
  const shots = new Screenshots("roles-refusals");
  const coach = await openDashboard(browser, school.httpUrl);
  await signIn(coach.page, "coach");
  await coach.page.evaluate("location.hash = '#/bookings'");
  await coach.page.waitForSelector("body[data-screen=not-allowed]");
  t.equal(
    await coach.page.locator("h1").innerText(),
    "This page is not for your role",
    "a coach cannot open the teacher's bookings",
  );
  await look(t, shots, coach.page, "not-for-your-role");

  await coach.page.getByRole("button", { name: "Sign out" }).click();
  await coach.page.waitForSelector("body[data-screen=signin][data-ready]");
  t.match(await coach.page.getByRole("status").first().innerText(), /signed out/);
  const session = await coach.page.evaluate("fetch('/api/session').then((r) => r.status)");
  t.equal(session, 401, "the session is over on the server too");
  await look(t, shots, coach.page, "signed-out");
  // a page asked for while signed out comes back after signing in — with the keyboard alone
  await coach.page.evaluate("location.hash = '#/shared'");
  await coach.page.waitForSelector("body[data-screen=signin][data-ready]");
  await coach.page.keyboard.type("coach"); // the user name has the focus
  await coach.page.keyboard.press("Tab");
  await coach.page.keyboard.type(PASSWORD("coach"));
  await coach.page.keyboard.press("Enter");
  await coach.page.waitForSelector("body[data-screen=shared][data-ready]");
  t.equal(await coach.page.locator("h1").innerText(), "Shared with me", "back where they wanted");
  t.same(coach.problems, [], "no errors in the page");
});

void t.test(
  "change a password; a new account's one-time password must be changed first",
  async (t) => {
    const school = await startSchool();
    t.teardown(() => school.close());
    const browser = await launchBrowser(t);
    const shots = new Screenshots("roles-passwords");

    const it = await openDashboard(browser, school.httpUrl);
    await signIn(it.page, "it");
    await it.page.getByRole("link", { name: "Change password" }).click();
    await it.page.waitForSelector("body[data-screen=password][data-ready]");
    await look(t, shots, it.page, "change-password");
    await it.page.getByLabel("Current password").fill("a wrong current password");
    await it.page.getByLabel("New password", { exact: true }).fill("a fresh passphrase, 2026");
    await it.page.getByLabel("New password again").fill("a fresh passphrase, 2026");
    await it.page.getByRole("button", { name: "Change password" }).click();
    await it.page.getByRole("alert").waitFor();
    t.equal(
      await it.page.getByRole("alert").innerText(),
      "The current password is not right. Please try again.",
    );
    await it.page.getByLabel("Current password").fill(PASSWORD("it"));
    await it.page.getByRole("button", { name: "Change password" }).click();
    await it.page.getByText("Your password has been changed.", { exact: true }).first().waitFor();
    await look(t, shots, it.page, "password-changed");
    await it.page.getByRole("button", { name: "Sign out" }).click();
    await signIn(it.page, "it", "a fresh passphrase, 2026");
    t.match(await it.page.locator("h1").innerText(), /Welcome/, "the new password works");

    // an administrator adds an account: its first sign-in must choose a password
    const { temporaryPassword } = await school.app.people.add(
      { id: "new-teacher", displayName: "Mr New", roles: ["teacher"] },
      "admin",
    );
    const newcomer = await openDashboard(browser, school.httpUrl);
    await signIn(newcomer.page, "new-teacher", temporaryPassword);
    await newcomer.page.waitForSelector("body[data-screen=password][data-ready]");
    t.same(await menu(newcomer.page), [], "no menu until the password is changed");
    await look(t, shots, newcomer.page, "one-time-password");
    await newcomer.page.evaluate("location.hash = '#/recordings'");
    await newcomer.page.waitForSelector("body[data-screen=password][data-ready]");
    t.pass("nothing else opens first");
    await newcomer.page.getByLabel("One-time password").fill(temporaryPassword);
    await newcomer.page.getByLabel("New password", { exact: true }).fill("mr new's own passphrase");
    await newcomer.page.getByLabel("New password again").fill("mr new's own passphrase");
    await newcomer.page.getByRole("button", { name: "Change password" }).click();
    await newcomer.page.waitForSelector("body[data-screen=home][data-ready]");
    t.ok((await menu(newcomer.page)).includes("My recordings"), "then the teacher's menu");
    t.same([...it.problems, ...newcomer.problems], [], "no errors in the pages");
  },
);

void t.test("first-run set-up of the first administrator", async (t) => {
  const port = await freePort();
  const controller = await startController({
    config: { http: { ...DEFAULT_CONFIG.http, host: "127.0.0.1", port } },
  });
  t.teardown(() => controller.close());
  await controller.app.listen({ host: "127.0.0.1", port });
  const token = await controller.app.people.issueSetupToken();
  t.ok(token, "no accounts yet: a set-up token");
  const browser = await launchBrowser(t);
  const shots = new Screenshots("roles-setup");
  const { page, problems } = await openDashboard(browser, `http://127.0.0.1:${port}`);
  await page.waitForSelector("body[data-screen=setup][data-ready]");
  await look(t, shots, page, "first-run-set-up");
  await page.getByLabel("Set-up code").fill(token ?? "");
  await page.getByLabel("User name").fill("head.admin");
  await page.getByLabel("Full name").fill("Mrs Head Admin");
  await page.getByLabel("Password", { exact: true }).fill("the first admin's passphrase");
  await page.getByLabel("Password again").fill("the first admin's passphrase");
  await page.getByLabel("also the data protection officer").check();
  await page.getByRole("button", { name: "Create the administrator" }).click();
  await page.waitForSelector("body[data-screen=home][data-ready]");
  t.equal(await page.locator("h1").innerText(), "Welcome, Mrs Head Admin");
  const users = await controller.app.people.list();
  t.same(
    users.map((u) => [u.id, u.roles]),
    [["head.admin", ["admin", "dpo"]]],
    "the administrator exists, with the roles chosen",
  );
  await checkAccessibility(t, page, "after set-up");
  t.same(problems, [], "no errors in the page");
});
