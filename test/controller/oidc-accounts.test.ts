// Sign-in through the school's identity provider and the accounts it meets
// (issue 18): a local account of the same person is linked at their first
// provider sign-in (a verified e-mail of the school's domains whose name is
// the account's user name), audited; the last active administrator keeps the
// role whatever the groups say; a person whose groups no longer give any role
// is disabled at their next sign-in, their sessions ended, audited.
import t, { type Test } from "tap";
import { startController, type TestController } from "../helpers/controller.js";
import { startProvider, type TestProvider, schoolOidc } from "../helpers/oidc-provider.js";
import { sessionOf, signInThrough } from "../helpers/oidc-sign-in.js";

const REDIRECT = "http://127.0.0.1:8443/api/session/oidc/callback";
const PROVIDER = "oidc:identity-provider";

async function setting(t: Test): Promise<{ provider: TestProvider; controller: TestController }> {
  const provider = await startProvider(REDIRECT);
  t.teardown(() => provider.close());
  const controller = await startController({
    config: {
      oidc: schoolOidc(provider.issuer, {
        redirectUri: REDIRECT,
        roleMap: { "Teaching staff": ["teacher"], SLT: ["slt"], Admins: ["admin"] },
      }),
    },
  });
  t.teardown(() => controller.close());
  return { provider, controller };
}

const staff = (email: string, groups: string[], emailVerified: boolean | null = true) => ({
  email,
  name: email.split("@")[0] ?? email,
  groups,
  emailVerified,
});

async function entries(controller: TestController, action: string) {
  const rows = await controller.app.db.all<{ actor: string; subject: string; detail_json: string }>(
    "SELECT actor, subject, detail_json FROM audit_log WHERE action = ? ORDER BY seq",
    [action],
  );
  return rows.map((row) => ({
    actor: row.actor,
    subject: row.subject,
    detail: JSON.parse(row.detail_json) as Record<string, unknown>,
  }));
}

const identityOf = async (controller: TestController, subject: string) =>
  (
    await controller.app.db.get<{ user_id: string }>(
      "SELECT user_id FROM oidc_identities WHERE subject = ?",
      [subject],
    )
  )?.user_id;

void t.test(
  "a local account is linked at the person's first provider sign-in, audited",
  async (t) => {
    const { provider, controller } = await setting(t);
    const { people } = controller.app;
    await people.add({ id: "jane.teacher", displayName: "Jane T", roles: ["teacher"] }, "cli");
    provider.accounts.set("t-jane", staff("Jane.Teacher@school.org", ["Teaching staff", "SLT"]));

    const first = await signInThrough(controller, provider, "t-jane");
    t.equal(first.location, "/", "signed in");
    t.match((await sessionOf(controller, first.jar))?.user, {
      id: "jane.teacher",
      roles: ["teacher", "slt"],
    });
    t.equal((await people.list()).length, 1, "no second account made");
    t.equal(await identityOf(controller, "t-jane"), "jane.teacher", "the identity is linked");
    t.match(await entries(controller, "user.link"), [
      {
        actor: PROVIDER,
        subject: "jane.teacher",
        detail: { email: "jane.teacher@school.org", issuer: provider.issuer },
      },
    ]);
    t.match(await entries(controller, "user.update"), [
      {
        actor: PROVIDER,
        detail: { before: { roles: ["teacher"] }, after: { roles: ["teacher", "slt"] } },
      },
    ]);

    const again = await signInThrough(controller, provider, "t-jane");
    t.equal((await sessionOf(controller, again.jar))?.user.id, "jane.teacher");
    t.equal((await entries(controller, "user.link")).length, 1, "linked once");
  },
);

void t.test(
  "no link without a verified e-mail, nor to an account another identity holds",
  async (t) => {
    const { provider, controller } = await setting(t);
    const { people } = controller.app;
    await people.add({ id: "una", displayName: "Una (local)", roles: ["teacher"] }, "cli");
    await people.add({ id: "sam", displayName: "Sam (local)", roles: ["teacher"] }, "cli");
    provider.accounts.set("t-una", staff("una@school.org", ["Teaching staff"], null));
    provider.accounts.set("t-sam", staff("sam@school.org", ["Teaching staff"]));
    provider.accounts.set("t-sam-again", staff("sam@school.org", ["Teaching staff"]));

    const una = await signInThrough(controller, provider, "t-una");
    t.equal((await sessionOf(controller, una.jar))?.user.id, "una-2", "an account of its own");
    t.equal(await identityOf(controller, "t-una"), "una-2");

    await signInThrough(controller, provider, "t-sam");
    t.equal(await identityOf(controller, "t-sam"), "sam", "linked");
    const other = await signInThrough(controller, provider, "t-sam-again");
    t.equal((await sessionOf(controller, other.jar))?.user.id, "sam-2", "not the linked account");
    t.same(
      (await entries(controller, "user.link")).map((entry) => entry.subject),
      ["sam"],
      "only the one link",
    );
  },
);

void t.test("the last active administrator keeps the role whatever the groups say", async (t) => {
  const { provider, controller } = await setting(t);
  const { people } = controller.app;
  await people.add({ id: "admin", displayName: "The admin", roles: ["admin"] }, "cli");
  provider.accounts.set("t-admin", staff("admin@school.org", ["Teaching staff"]));

  const first = await signInThrough(controller, provider, "t-admin");
  t.same(
    (await sessionOf(controller, first.jar))?.user.roles,
    ["teacher", "admin"],
    "admin kept, teacher given",
  );
  t.match((await entries(controller, "user.update")).at(-1)?.detail, {
    after: { roles: ["teacher", "admin"] },
    keptAdmin: true,
  });

  // with no group giving a role at all, still the administrator, not disabled
  provider.accounts.set("t-admin", staff("admin@school.org", []));
  const bare = await signInThrough(controller, provider, "t-admin");
  t.same((await sessionOf(controller, bare.jar))?.user.roles, ["admin"]);
  t.equal((await people.get("admin"))?.status, "active");

  // once another administrator exists, the groups decide
  await people.add({ id: "deputy", displayName: "Deputy", roles: ["admin"] }, "cli");
  provider.accounts.set("t-admin", staff("admin@school.org", ["Teaching staff"]));
  const later = await signInThrough(controller, provider, "t-admin");
  t.same((await sessionOf(controller, later.jar))?.user.roles, ["teacher"], "admin removed");
});

void t.test(
  "a person whose groups give no role any more is disabled at their next sign-in",
  async (t) => {
    const { provider, controller } = await setting(t);
    provider.accounts.set("t-sam", staff("sam@school.org", ["Teaching staff"]));
    const first = await signInThrough(controller, provider, "t-sam");
    t.ok(await sessionOf(controller, first.jar), "signed in");

    provider.accounts.set("t-sam", staff("sam@school.org", ["Leavers"]));
    const refused = await signInThrough(controller, provider, "t-sam");
    t.equal(refused.location, "/#/signin?problem=no%20role", "refused: no role");
    const sam = await controller.app.people.get("sam");
    t.match(sam, { status: "disabled", roles: ["teacher"] }, "the account is disabled");
    t.equal(await sessionOf(controller, first.jar), null, "their open session has ended");
    t.match((await entries(controller, "user.update")).at(-1), {
      actor: PROVIDER,
      subject: "sam",
      detail: {
        before: { status: "active" },
        after: { status: "disabled" },
        why: "no role",
        via: "oidc",
      },
    });

    // back in a group: still disabled until an administrator enables the account
    provider.accounts.set("t-sam", staff("sam@school.org", ["Teaching staff"]));
    const back = await signInThrough(controller, provider, "t-sam");
    t.equal(back.location, "/#/signin?problem=disabled");
  },
);
