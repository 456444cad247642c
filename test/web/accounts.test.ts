/**
 * The administrator's Staff screen in a real browser: add a person (their
 * one-time password shown once), add many from a CSV file chosen in the file
 * input (a preview of every bad line by number, then only the good lines),
 * change a role, see that one's own footage roles are locked with the reason
 * (and the server's refusal shown if it is tried anyway), reset a password
 * (the person signs in with the new one-time password), disable an account
 * (that person's open page finds them signed out) and enable it again.
 * axe-core finds nothing wrong; a screenshot of each step in
 * test/web/screenshots/accounts/.
 */
import t from "tap";
import type { Page } from "playwright-core";
import { PASSWORD, startSchool } from "../helpers/school.js";
import { Screenshots, go, launchBrowser, look, menu, openDashboard, signIn } from "./browser.js";

const START = new Date();

/** The one-time password shown for `id`. */
const shownPassword = (page: Page, id: string) =>
  page.locator(`code[data-password="${id}"]`).innerText();

void t.test("an administrator runs the school's accounts from the Staff screen", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const { app } = school;
  const browser = await launchBrowser(t);
  const shots = new Screenshots("accounts");

  const admin = await openDashboard(browser, school.httpUrl);
  const { page } = admin;
  await signIn(page, "admin");
  t.ok((await menu(page)).includes("Staff"), "the administrator's menu offers Staff");
  await page.getByRole("link", { name: "Staff", exact: true }).first().click();
  await page.waitForSelector("body[data-screen=users][data-ready]");
  await page.getByRole("cell", { name: "teacher-a", exact: true }).waitFor();
  t.equal(await page.locator("h1").innerText(), "Staff");
  await look(t, shots, page, "staff-list");

  // search
  await page.getByLabel("Name, user name or role").fill("coach");
  await page.getByText("2 of 11 accounts").waitFor();
  t.equal(await page.locator("tbody tr").count(), 2, "the search finds the two coaches");
  await page.getByLabel("Name, user name or role").fill("");

  // ------------------------------------------------------------ one person
  await page.getByRole("button", { name: "Add", exact: true }).click();
  t.equal(
    await page.getByRole("alert").first().innerText(),
    "Please give their full name.",
    "checked before sending",
  );
  await page.getByLabel("Full name").fill("Mr Isaac Newton");
  await page.getByLabel("User name", { exact: true }).fill("teacher-a");
  await page.getByRole("group", { name: "Roles" }).getByLabel("Teacher", { exact: true }).check();
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("alert").first().waitFor();
  t.match(
    await page.getByRole("alert").first().innerText(),
    /already exists/,
    "the server's refusal, a user name taken, is shown",
  );
  await page.getByLabel("User name", { exact: true }).fill("newton");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  t.match(await shownPassword(page, "newton"), /^[a-z0-9]{5}(-[a-z0-9]{5}){3}$/, "shown once");
  t.match(
    await page.getByRole("region", { name: "One-time passwords" }).innerText(),
    /Copy it now: it will not be shown again/,
  );
  t.same((await app.people.require("newton")).roles, ["teacher"], "added, as a teacher");
  await page.getByRole("cell", { name: "newton", exact: true }).waitFor();
  await look(t, shots, page, "one-time-password");
  await page.getByRole("button", { name: "I have copied them — hide them" }).click();
  t.equal(await page.locator("code[data-password]").count(), 0, "hidden, and not shown again");

  // ------------------------------------------------------------ many, from a CSV file
  const csv =
    "\uFEFFDisplay name,Email,Roles\r\n" +
    '"Curie, Marie",marie.curie@school.example,teacher;coach\r\n' +
    "Someone,teacher-b@school.example,teacher\r\n" +
    "Ada Lovelace,ada@school.example,teacher|wizard\r\n" +
    "Alan Turing,alan.turing@school.example,IT\r\n";
  await page.getByLabel("Staff list (CSV file)").setInputFiles({
    name: "staff.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  await page.getByRole("button", { name: "Check the file" }).click();
  const problems = page.getByRole("table", { name: "Lines with problems" });
  await problems.waitFor();
  t.same(
    await problems.locator("tbody tr td:first-child").allInnerTexts(),
    ["3", "4"],
    "every bad line by its number",
  );
  t.match(await problems.innerText(), /already taken/);
  t.match(await problems.innerText(), /Unknown role 'wizard'/);
  t.equal(
    await page.getByRole("button", { name: /^Import/ }).count(),
    0,
    "all or nothing: nothing to import while a line is wrong",
  );
  await look(t, shots, page, "import-preview");
  await page.getByLabel("Import the good lines and leave out the others").check();
  await page.getByRole("button", { name: "Import the 2 people on good lines" }).click();
  const passwords = page.getByRole("table", { name: "One-time passwords of the people added" });
  await passwords.waitFor();
  t.same(
    await passwords.locator("tbody tr td:nth-child(2)").allInnerTexts(),
    ["marie.curie", "alan.turing"],
    "the good lines are imported",
  );
  t.ok(
    await page.getByRole("link", { name: "Download them as a CSV file" }).isVisible(),
    "the one-time passwords can be downloaded",
  );
  t.same((await app.people.require("alan.turing")).roles, ["it"]);
  t.equal(await app.people.get("ada"), null, "the bad line is left out");
  await look(t, shots, page, "import-done");
  await page.getByRole("button", { name: "I have copied them — hide them" }).click();

  // ------------------------------------------------------------ roles
  await page.getByRole("button", { name: "Change roles of Mr Isaac Newton (newton)" }).click();
  let dialog = page.getByRole("dialog");
  await dialog.getByLabel("Coach").check();
  await look(t, shots, page, "change-roles");
  await dialog.getByRole("button", { name: "Save the roles" }).click();
  await page.getByText("The roles of Mr Isaac Newton are now: Teacher, Coach.").waitFor();
  t.same((await app.people.require("newton")).roles, ["teacher", "coach"], "a role added");

  await page.getByRole("button", { name: "Change roles of Ms admin (admin)" }).click();
  dialog = page.getByRole("dialog");
  const teacherBox = dialog.getByLabel("Teacher", { exact: true });
  t.ok(await teacherBox.isDisabled(), "one's own footage role cannot be ticked");
  t.match(
    await dialog.innerText(),
    /only another administrator or the headteacher may give you this role/,
    "and says why",
  );
  await look(t, shots, page, "own-roles-locked");
  // tried anyway: the server refuses, and its words are shown in the dialog
  await page.evaluate(`document.querySelector("dialog input[value=teacher]").disabled = false`);
  await teacherBox.check();
  await dialog.getByRole("button", { name: "Save the roles" }).click();
  await dialog.getByRole("alert").waitFor();
  t.match(
    await dialog.getByRole("alert").innerText(),
    /you cannot give yourself a role that sees footage \(teacher\)/i,
    "the server's refusal is shown",
  );
  await dialog.getByRole("button", { name: "Cancel" }).click();
  t.same((await app.people.require("admin")).roles, ["admin"], "nothing changed");

  // ------------------------------------------------------------ reset a password
  const teacher = await openDashboard(browser, school.httpUrl);
  await signIn(teacher.page, "teacher-a");
  await page.getByRole("button", { name: "Reset password of Ms teacher-a (teacher-a)" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Reset the password" }).click();
  const resetPassword = await shownPassword(page, "teacher-a");
  await look(t, shots, page, "password-reset");
  // their open page learns it from the live stream, or from its next request
  await teacher.page.evaluate("location.hash = '#/bookings'");
  await teacher.page.waitForSelector("body[data-screen=signin][data-ready]");
  t.equal(
    await teacher.page.evaluate("fetch('/api/session').then((r) => r.status)"),
    401,
    "the person's session ended with the reset",
  );
  await signIn(teacher.page, "teacher-a", resetPassword);
  await teacher.page.waitForSelector("body[data-screen=password][data-ready]");
  t.pass("they sign in with the new one-time password, and choose their own");

  // ------------------------------------------------------------ disable, enable
  const other = await openDashboard(browser, school.httpUrl);
  await signIn(other.page, "teacher-b");
  await go(other.page, "recordings");
  await page
    .getByRole("button", { name: "Disable the account of Ms teacher-b (teacher-b)" })
    .click();
  await look(t, shots, page, "disable-confirm");
  await page.getByRole("dialog").getByRole("button", { name: "Disable the account" }).click();
  await page.getByText("The account of Ms teacher-b (teacher-b) is disabled").waitFor();
  t.equal((await app.people.require("teacher-b")).status, "disabled");
  // their open page learns it (the live stream ends), or their next request does
  await other.page.evaluate("location.hash = '#/bookings'");
  await other.page.waitForSelector("body[data-screen=signin][data-ready]");
  t.equal(
    await other.page.evaluate("fetch('/api/session').then((r) => r.status)"),
    401,
    "the disabled person's page shows they are signed out",
  );
  await other.page.getByLabel("User name").fill("teacher-b");
  await other.page.getByLabel("Password", { exact: true }).fill(PASSWORD("teacher-b"));
  await other.page.getByRole("button", { name: "Sign in" }).click();
  await other.page.getByRole("alert").waitFor();
  t.match(await other.page.getByRole("alert").innerText(), /not right/, "and cannot sign in");
  await look(t, shots, page, "disabled");

  await page
    .getByRole("button", { name: "Enable the account of Ms teacher-b (teacher-b)" })
    .click();
  await page.getByText("The account of Ms teacher-b (teacher-b) is enabled").waitFor();
  await signIn(other.page, "teacher-b");
  t.pass("enabled again, they sign in");
  t.equal((await app.people.require("newton")).lastSignInAt, null, "Newton never signed in");
  t.match(
    await page.getByRole("row", { name: /teacher-b/ }).innerText(),
    /Active/,
    "the list shows the account active",
  );

  t.same([...admin.problems, ...teacher.problems, ...other.problems], [], "no errors in the pages");
});
