// The map of the school's groups to classcam roles, kept by an administrator
// on the dashboard (issue 18): the rules as tables (every problem of a map in
// words; the roles a person's groups give, less the footage roles of entries
// they set themself), then through the API with the test's OpenID provider:
// the config's map until changed, a change audited and re-read at the next
// sign-in, and the administrator who gives a group a footage role not getting
// it through that group.
import t, { type Test } from "tap";
import type { Role } from "@classcam/controller";
import {
  mappedRoles,
  roleMapProblems,
  type RoleMapEntry,
} from "../../controller/src/domain/oidc-role-map.js";
import { startController, type TestController } from "../helpers/controller.js";
import { startProvider, type TestProvider, schoolOidc } from "../helpers/oidc-provider.js";
import { sessionOf, signInThrough } from "../helpers/oidc-sign-in.js";
import { Caller } from "../helpers/school.js";

const REDIRECT = "http://127.0.0.1:8443/api/session/oidc/callback";

void t.test("every problem of a map, by line", async (t) => {
  const cases: [string, { group: string; roles: Role[] }[], RegExp[]][] = [
    ["a good map", [{ group: "Teaching staff", roles: ["teacher"] }], []],
    ["empty", [], [/the map is empty/]],
    ["a blank group", [{ group: "  ", roles: ["teacher"] }], [/line 1: no group name/]],
    ["no role", [{ group: "Office", roles: [] }], [/line 1: 'Office' gives no role/]],
    [
      "a group twice",
      [
        { group: "SLT", roles: ["slt"] },
        { group: "SLT", roles: ["teacher"] },
      ],
      [/line 2: 'SLT' is also on line 1/],
    ],
    ["too long", [{ group: "x".repeat(201), roles: ["it"] }], [/longer than 200 characters/]],
  ];
  for (const [what, entries, expected] of cases) {
    const problems = roleMapProblems(entries);
    t.equal(problems.length, expected.length, `${what}: ${problems.join("; ")}`);
    expected.forEach((pattern, index) => t.match(problems[index], pattern, what));
  }
});

void t.test(
  "the roles a person's groups give, less footage roles they gave themself",
  async (t) => {
    const map: RoleMapEntry[] = [
      { group: "Teaching staff", roles: ["teacher"], setBy: null },
      { group: "SLT", roles: ["slt", "teacher"], setBy: "ann" },
      { group: "Office", roles: ["bursar"], setBy: "ann" },
      { group: "*", roles: ["it"], setBy: null },
    ];
    const cases: [string, string[], string | null, Role[], Role[]][] = [
      ["teaching staff", ["Teaching staff"], "bob", ["teacher", "it"], []],
      ["SLT, given by another", ["SLT"], "bob", ["teacher", "slt", "it"], []],
      ["SLT, given by oneself", ["SLT"], "ann", ["it"], ["teacher", "slt"]],
      [
        "…but teacher from another group",
        ["SLT", "Teaching staff"],
        "ann",
        ["teacher", "it"],
        ["slt"],
      ],
      ["no footage role in it: given", ["Office"], "ann", ["bursar", "it"], []],
      ["no account yet", ["SLT"], null, ["teacher", "slt", "it"], []],
      ["no group", [], "bob", ["it"], []],
    ];
    for (const [what, groups, self, roles, withheld] of cases) {
      t.same(mappedRoles(groups, map, self), { roles, withheld }, what);
    }
  },
);

async function setting(t: Test): Promise<{
  provider: TestProvider;
  controller: TestController;
  admin: Caller;
}> {
  const provider = await startProvider(REDIRECT);
  t.teardown(() => provider.close());
  const controller = await startController({
    config: {
      oidc: schoolOidc(provider.issuer, { redirectUri: REDIRECT }),
    },
  });
  t.teardown(() => controller.close());
  const { people } = controller.app;
  const token = (await people.issueSetupToken()) ?? "";
  await people.setUp({
    token,
    id: "admin",
    displayName: "Admin",
    password: "a long local password 1",
    roles: [],
  });
  const admin = new Caller(controller.app, "admin");
  await admin.signIn("a long local password 1");
  return { provider, controller, admin };
}

void t.test("the config's map until an administrator changes it; re-read at sign-in", async (t) => {
  const { provider, controller, admin } = await setting(t);
  const first = await admin.get("/api/oidc/role-map");
  t.equal(first.status, 200);
  t.match(first.json(), {
    source: "config",
    entries: [{ group: "Teaching staff", roles: ["teacher"], setBy: null }],
    changedBy: null,
  });
  provider.accounts.set("t-dee", {
    email: "dee@school.org",
    name: "Dee",
    groups: ["Teaching staff", "Deputies"],
  });
  const before = await signInThrough(controller, provider, "t-dee");
  t.same((await sessionOf(controller, before.jar))?.user.roles, ["teacher"]);

  const bad = await admin.put("/api/oidc/role-map", {
    entries: [
      { group: "Deputies", roles: ["slt"] },
      { group: "Deputies", roles: ["teacher"] },
    ],
  });
  t.equal(bad.status, 400);
  t.match(bad.json().message, /line 2: 'Deputies' is also on line 1/);

  const changed = await admin.put("/api/oidc/role-map", {
    entries: [
      { group: "Teaching staff", roles: ["teacher"] },
      { group: "Deputies", roles: ["slt"] },
    ],
  });
  t.equal(changed.status, 200, JSON.stringify(changed.body));
  t.match(changed.json(), {
    source: "dashboard",
    entries: [
      { group: "Teaching staff", roles: ["teacher"], setBy: null },
      { group: "Deputies", roles: ["slt"], setBy: "admin" },
    ],
    changedBy: "admin",
  });
  const entry = await controller.app.db.get<{ actor: string; detail_json: string }>(
    "SELECT actor, detail_json FROM audit_log WHERE action = 'oidc.role-map'",
  );
  t.equal(entry?.actor, "admin");
  t.match(JSON.parse(entry?.detail_json ?? "{}"), {
    before: [{ group: "Teaching staff", roles: ["teacher"] }],
    footage: [{ group: "Deputies", roles: ["slt"] }],
  });

  const after = await signInThrough(controller, provider, "t-dee");
  t.same(
    (await sessionOf(controller, after.jar))?.user.roles,
    ["teacher", "slt"],
    "the next sign-in reads the new map",
  );

  const asDee = await controller.app.inject({
    method: "GET",
    url: "/api/oidc/role-map",
    headers: { cookie: `classcam_session=${after.jar.cookies.get("classcam_session") ?? ""}` },
  });
  t.equal(asDee.statusCode, 403, "only an administrator");
});

void t.test(
  "the administrator who gives a group a footage role does not get it by that group",
  async (t) => {
    const { provider, controller, admin } = await setting(t);
    await admin.put("/api/oidc/role-map", {
      entries: [
        { group: "Teaching staff", roles: ["teacher"] },
        { group: "Deputies", roles: ["slt"] },
      ],
    });
    provider.accounts.set("t-admin", {
      email: "admin@school.org",
      name: "Admin",
      groups: ["Teaching staff", "Deputies"],
    });
    provider.accounts.set("t-dee", { email: "dee@school.org", name: "Dee", groups: ["Deputies"] });

    const own = await signInThrough(controller, provider, "t-admin");
    t.same(
      (await sessionOf(controller, own.jar))?.user.roles,
      ["teacher", "admin"],
      "linked, still the administrator, a teacher, without SLT",
    );
    const update = await controller.app.db.get<{ detail_json: string }>(
      "SELECT detail_json FROM audit_log WHERE action = 'user.update' AND subject = 'admin'",
    );
    t.match(JSON.parse(update?.detail_json ?? "{}"), { withheld: ["slt"] }, "audited as withheld");
    const other = await signInThrough(controller, provider, "t-dee");
    t.same((await sessionOf(controller, other.jar))?.user.roles, ["slt"], "someone else gets SLT");
  },
);
