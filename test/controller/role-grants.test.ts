// Separation of duties: a role that can see footage (teacher, coach, SLT,
// headteacher) is granted only by another person holding admin or
// headteacher, never to oneself, and every grant is audited; the last active
// administrator cannot be removed or disabled; the first-run set-up makes an
// administrator, not a path to footage.
import t from "tap";
import { Caller, PASSWORD, startSchool, type School } from "../helpers/school.js";
import { startController } from "../helpers/controller.js";

const START = new Date("2026-11-23T08:00:00.000Z");

/** A second administrator, signed in (made by the first, through the API). */
async function secondAdmin(school: School): Promise<Caller> {
  const added = await school.as.admin.post("/api/users", {
    id: "admin-2",
    displayName: "Mr Admin",
    roles: ["admin"],
  });
  if (added.status !== 201) throw new Error(`admin-2: ${JSON.stringify(added.body)}`);
  const caller = new Caller(school.app, "admin-2");
  await caller.signIn(added.json<{ temporaryPassword: string }>().temporaryPassword);
  await caller.post("/api/session/password", {
    current: added.json<{ temporaryPassword: string }>().temporaryPassword,
    next: PASSWORD("admin-2"),
  });
  await caller.signIn(PASSWORD("admin-2"));
  return caller;
}

/** Roles granted since the school was set up (its accounts were made by the test itself). */
const grants = async (school: School) =>
  (await school.app.audit.page({ action: "user.grant-role", limit: 100 })).entries.filter(
    (entry) => entry.actor !== "test",
  );

void t.test("an administrator cannot give themself a role that sees footage", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as, app } = school;
  for (const role of ["slt", "headteacher", "teacher", "coach"]) {
    const reply = await as.admin.patch("/api/users/admin", { roles: ["admin", role] });
    t.equal(reply.status, 403, `${role}: refused`);
    t.match(reply.json(), {
      message: new RegExp(
        `you cannot give yourself a role that sees footage \\(${role}\\): another administrator ` +
          "or the headteacher must grant it",
      ),
    });
  }
  t.same((await app.people.require("admin")).roles, ["admin"], "nothing changed");
  t.equal(
    (await as.admin.patch("/api/users/admin", { roles: ["admin", "dpo"] })).status,
    200,
    "a role without footage is theirs to take",
  );
  t.same(
    (await grants(school)).map((entry) => entry.detail),
    [{ roles: ["dpo"], footage: [] }],
    "audited, and no footage role was granted",
  );
});

void t.test("another administrator grants it, and the grant is audited", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { app } = school;
  const other = await secondAdmin(school);
  const granted = await other.patch("/api/users/admin", { roles: ["admin", "slt"] });
  t.equal(granted.status, 200, JSON.stringify(granted.body));
  t.same((await app.people.require("admin")).roles, ["admin", "slt"]);
  t.match(await grants(school), [
    { actor: "admin", subject: "admin-2", detail: { roles: ["admin"], footage: [] } },
    { actor: "admin-2", subject: "admin", detail: { roles: ["slt"], footage: ["slt"] } },
  ]);
  // adding an account with a footage role is a grant too
  t.equal(
    (await other.post("/api/users", { id: "new-teacher", displayName: "T", roles: ["teacher"] }))
      .status,
    201,
  );
  t.match((await grants(school)).at(-1), {
    actor: "admin-2",
    subject: "new-teacher",
    detail: { roles: ["teacher"] },
  });
});

void t.test("only someone holding admin or headteacher may grant it", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { app } = school;
  await t.rejects(app.people.update("coach", { roles: ["coach", "slt"] }, "it"), {
    code: "forbidden",
    message: /only an administrator or the headteacher may grant a role that sees footage \(slt\)/,
  });
  await t.rejects(app.people.add({ id: "x-ray", displayName: "X", roles: ["coach"] }, "dpo"), {
    code: "forbidden",
  });
  const byHead = await app.people.update("coach", { roles: ["coach", "teacher"] }, "head");
  t.same(byHead.roles, ["coach", "teacher"], "the headteacher may");
  const disabled = await secondAdminDisabled(school);
  await t.rejects(app.people.update("coach", { roles: ["coach", "slt"] }, disabled), {
    code: "forbidden",
    message: /only an administrator or the headteacher/,
  });
});

/** An administrator whose account is disabled (made and disabled by 'admin'). */
async function secondAdminDisabled(school: School): Promise<string> {
  await school.app.people.add({ id: "old-admin", displayName: "O", roles: ["admin"] }, "test");
  await school.app.people.update("old-admin", { status: "disabled" }, "admin");
  return "old-admin";
}

void t.test("the last active administrator stays", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { app } = school;
  const other = await secondAdmin(school);
  // each removes the other's admin role at the same moment: one of them must stay
  const [mine, theirs] = await Promise.all([
    school.as.admin.patch("/api/users/admin-2", { roles: ["dpo"] }),
    other.patch("/api/users/admin", { roles: ["dpo"] }),
  ]);
  t.same([mine.status, theirs.status].sort(), [200, 409], "one succeeds, one is refused");
  const refused = mine.status === 409 ? mine : theirs;
  t.match(refused.json(), {
    message: /is the last active administrator: make someone else an administrator first/,
  });
  const admins = (await app.people.list()).filter((u) => u.roles.includes("admin"));
  t.equal(admins.length, 1, "one administrator is left");
  const last = admins[0]?.id ?? "";
  await t.rejects(app.people.update(last, { status: "disabled" }, "cli"), {
    code: "conflict",
    message: new RegExp(`'${last}' is the last active administrator`),
  });
  await t.rejects(app.people.update(last, { roles: ["dpo"] }, "cli"), { code: "conflict" });
});

void t.test("the first-run set-up makes an administrator, not a path to footage", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const { app } = controller;
  const token = (await app.people.issueSetupToken()) ?? "";
  const anyone = new Caller(app, "head");
  const body = { token, id: "head", displayName: "Ms Head", password: "a long passphrase here" };
  const refused = await anyone.post("/api/setup", { ...body, roles: ["headteacher"] });
  t.equal(refused.status, 400);
  t.match(refused.json(), {
    message:
      /the first administrator cannot give themself a role that sees footage \(headteacher\)/,
  });
  const made = await anyone.post("/api/setup", { ...body, roles: ["dpo"] });
  t.equal(made.status, 201, JSON.stringify(made.body));
  t.same(made.json<{ roles: string[] }>().roles, ["admin", "dpo"]);
});
