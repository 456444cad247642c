/**
 * Sign-in through the school's identity provider in Debian's chromium: the
 * sign-in screen offers "Sign in with School Login", the browser goes to the
 * test's OpenID Connect provider (oidc-provider on loopback, logging in the
 * account the test names) and comes back signed in as a teacher made just in
 * time; an account of another domain comes back to the sign-in screen, which
 * says why in words. The administrator then maps a group to a role on the
 * Staff screen.
 */
import t from "tap";
import { DEFAULT_CONFIG } from "@classcam/controller";
import { freePort, startController } from "../helpers/controller.js";
import { schoolOidc, startProvider } from "../helpers/oidc-provider.js";
import {
  checkAccessibility,
  go,
  launchBrowser,
  menu,
  openDashboard,
  signIn,
  waitInPage,
} from "./browser.js";

void t.test("a teacher signs in through the school's identity provider", async (t) => {
  const port = await freePort();
  const httpUrl = `http://127.0.0.1:${port}`;
  const provider = await startProvider(`${httpUrl}/api/session/oidc/callback`);
  t.teardown(() => provider.close());
  provider.accounts.set("t-jane", {
    email: "jane.teacher@school.org",
    name: "Jane Teacher",
    groups: ["Teaching staff"],
  });
  provider.accounts.set("t-eve", {
    email: "eve@other.org",
    name: "Eve",
    groups: ["Teaching staff"],
  });
  const controller = await startController({
    config: {
      http: { ...DEFAULT_CONFIG.http, host: "127.0.0.1", port, publicUrl: httpUrl },
      oidc: schoolOidc(provider.issuer, { localSignIn: "break-glass" }),
    },
  });
  t.teardown(() => controller.close());
  // the first administrator, a local account (so the dashboard is past its set-up)
  const token = (await controller.app.people.issueSetupToken()) ?? "";
  await controller.app.people.setUp({
    token,
    id: "head.admin",
    displayName: "Admin",
    password: "a long local password 1",
    roles: [],
  });
  await controller.app.listen({ host: "127.0.0.1", port });
  const browser = await launchBrowser(t);

  // another domain's account: back on the sign-in screen, told why
  const eve = await openDashboard(browser, httpUrl);
  const { page: evePage } = eve;
  await evePage.waitForSelector("body[data-screen=signin][data-ready]");
  t.match(
    await evePage.textContent("main"),
    /Administrators only, for when School Login is down/,
    "passwords are for administrators only",
  );
  provider.loginAs("t-eve");
  await evePage.getByRole("link", { name: "Sign in with School Login" }).click();
  await waitInPage(evePage, `location.hash.startsWith("#/signin?problem=")`);
  await evePage.waitForSelector("body[data-screen=signin][data-ready] .message.error");
  t.match(
    await evePage.textContent(".message.error"),
    /not one of this school's/,
    "the refusal in words",
  );
  t.same(eve.problems, []);

  // the teacher: signed in, the account made with the teacher's role
  const jane = await openDashboard(browser, httpUrl);
  const { page } = jane;
  await page.waitForSelector("body[data-screen=signin][data-ready]");
  provider.loginAs("t-jane");
  await page.getByRole("link", { name: "Sign in with School Login" }).click();
  await page.waitForSelector("body:not([data-screen=signin])[data-ready]");
  t.match(await page.textContent("body"), /Jane Teacher/, "signed in as Jane Teacher");
  t.ok((await menu(page)).includes("Timetable"), "with a teacher's menu");
  t.same((await controller.app.people.get("jane.teacher"))?.roles, ["teacher"]);
  t.same(jane.problems, []);

  // the administrator (a password: break-glass) gives the group "SLT" the SLT role
  const admin = await openDashboard(browser, httpUrl);
  await signIn(admin.page, "head.admin", "a long local password 1");
  await go(admin.page, "users");
  const groups = admin.page.locator("section", {
    has: admin.page.getByRole("heading", { name: "Groups at the school's sign-in" }),
  });
  t.equal(await groups.getByLabel("Group 1").inputValue(), "Teaching staff", "the config's map");
  t.ok(
    await groups
      .getByRole("group", { name: "Roles group 1 gives" })
      .getByLabel("Teacher", { exact: true })
      .isChecked(),
  );
  await groups.getByRole("button", { name: "Add a group" }).click();
  await groups.getByLabel("Group 2").fill("SLT");
  await groups
    .getByRole("group", { name: "Roles group 2 gives" })
    .getByLabel("Senior leadership")
    .check();
  await checkAccessibility(t, admin.page, "the groups of the school's sign-in");
  await groups.getByRole("button", { name: "Save the groups" }).click();
  await groups
    .getByText("Saved. Each person's roles follow these groups at their next sign-in.")
    .waitFor();
  t.match(
    await groups.getByRole("paragraph").filter({ hasText: "You gave this group" }).innerText(),
    /You gave this group Senior leadership: your own sign-in does not get it through this group/,
  );
  const stored = await controller.app.db.get<{ value_json: string }>(
    "SELECT value_json FROM settings WHERE key = 'oidc_role_map'",
  );
  t.match(JSON.parse(stored?.value_json ?? "{}"), {
    entries: [
      { group: "Teaching staff", roles: ["teacher"] },
      { group: "SLT", roles: ["slt"], setBy: "head.admin" },
    ],
    changedBy: "head.admin",
  });

  // Jane has left: the staff list from the school's records no longer names her
  const reconcile = admin.page.locator("section", {
    has: admin.page.getByRole("heading", { name: "Check against the staff list" }),
  });
  await reconcile.getByLabel("Staff list to check against (CSV file)").setInputFiles({
    name: "staff.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("Name,Email\r\nAdmin,head.admin@school.org\r\n"),
  });
  await reconcile.getByRole("button", { name: "Check the accounts" }).click();
  const notListed = reconcile.getByRole("table", { name: "Active accounts not on the staff list" });
  t.match(
    await notListed.innerText(),
    /Jane Teacher \(jane\.teacher\)\s+Teacher\s+jane\.teacher@school\.org/,
  );
  await checkAccessibility(t, admin.page, "the accounts not on the staff list");
  await reconcile.getByLabel("Disable Jane Teacher (jane.teacher)").check();
  await reconcile.getByRole("button", { name: "Disable the accounts ticked" }).click();
  await reconcile.getByText(/^Disabled: jane\.teacher\. Their sessions have ended/).waitFor();
  t.equal((await controller.app.people.get("jane.teacher"))?.status, "disabled");
  t.same(admin.problems, []);
});
