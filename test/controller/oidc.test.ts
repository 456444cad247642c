// Sign-in through the school's identity provider (issue 18): a real OpenID
// Connect provider (oidc-provider) on loopback with staff in groups, the
// controller configured with it, the whole flow through HTTP — start, the
// provider's authorisation and interaction, the callback — and each refusal:
// another domain, no mapped group, a wrong or replayed state, a forged,
// expired or wrong-audience ID token, the provider down. Each refusal is
// audited with its reason and writes nothing else.
import t, { type Test } from "tap";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "jose";
import { loadConfig, ConfigError } from "@classcam/controller";
import { asRefusal, refusalWords } from "../../controller/src/domain/oidc-words.js";
import { freePort, startController, type TestController } from "../helpers/controller.js";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  CookieJar,
  readIdToken,
  signIdToken,
  startProvider,
  type TestProvider,
} from "../helpers/oidc-provider.js";
import { sessionOf, signInThrough, type Attempt } from "../helpers/oidc-sign-in.js";

const REDIRECT = "http://127.0.0.1:8443/api/session/oidc/callback";
const ROLE_MAP = { "Teaching staff": ["teacher"], SLT: ["slt"], "IT team": ["it"] } as const;

function oidcConfig(issuer: string, localSignIn: "everyone" | "break-glass" = "everyone") {
  return {
    issuer,
    displayName: "School Login",
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT,
    allowedDomains: ["school.org"],
    roleClaim: "groups",
    roleMap: Object.fromEntries(Object.entries(ROLE_MAP).map(([k, v]) => [k, [...v]])),
    localSignIn,
  };
}

async function setting(t: Test): Promise<{ provider: TestProvider; controller: TestController }> {
  const provider = await startProvider(REDIRECT);
  t.teardown(() => provider.close());
  const controller = await startController({ config: { oidc: oidcConfig(provider.issuer) } });
  t.teardown(() => controller.close());
  provider.accounts.set("t-jane", {
    email: "Jane.Teacher@school.org",
    name: "Jane Teacher",
    groups: ["Teaching staff"],
  });
  return { provider, controller };
}

async function counts(controller: TestController) {
  const one = async (table: string) =>
    (await controller.app.db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n ?? 0;
  return {
    users: await one("users"),
    sessions: await one("sessions"),
    identities: await one("oidc_identities"),
    audit: await one("audit_log"),
  };
}

async function lastAudit(controller: TestController) {
  const row = await controller.app.db.get<{ action: string; detail_json: string; subject: string }>(
    "SELECT action, subject, detail_json FROM audit_log ORDER BY seq DESC LIMIT 1",
  );
  return { ...row, detail: JSON.parse(row?.detail_json ?? "{}") as Record<string, unknown> };
}

/** Refused with `why` and words on the sign-in screen; one audit entry and nothing else written. */
async function expectRefused(
  t: Test,
  controller: TestController,
  attempt: () => Promise<Attempt>,
  why: string,
  words: RegExp,
): Promise<void> {
  const before = await counts(controller);
  const { location, jar } = await attempt();
  t.match(location, /^\/#\/signin\?problem=/, `${why}: back to the sign-in screen`);
  const problem = new URLSearchParams(location.split("?")[1] ?? "").get("problem") ?? "";
  t.equal(problem, why, `${why}: the reason, which the sign-in screen puts in words`);
  const refusal = asRefusal(problem);
  t.match(refusal && refusalWords(refusal, "School Login"), words, `${why}: the person reads why`);
  t.notOk(jar.cookies.has("classcam_session"), `${why}: no session cookie`);
  t.same(await counts(controller), { ...before, audit: before.audit + 1 }, `${why}: only audited`);
  const entry = await lastAudit(controller);
  t.equal(entry.action, "sign-in.refused", `${why}: audited as a refused sign-in`);
  t.match(entry.detail, { via: "oidc", why }, `${why}: with the reason`);
}

void t.test(
  "a teacher signs in through the provider: the account is made with the mapped roles",
  async (t) => {
    const { provider, controller } = await setting(t);
    const setup = await controller.app.inject({ method: "GET", url: "/api/setup" });
    t.match(setup.json(), {
      provider: { name: "School Login", start: "/api/session/oidc/start", localSignIn: "everyone" },
    });

    const { location, jar } = await signInThrough(controller, provider, "t-jane");
    t.equal(location, "/", "to the dashboard");
    const session = await sessionOf(controller, jar);
    t.match(session?.user, { id: "jane.teacher", roles: ["teacher"], displayName: "Jane Teacher" });
    const actions = await controller.app.db.all<{
      action: string;
      actor: string;
      detail_json: string;
    }>("SELECT action, actor, detail_json FROM audit_log ORDER BY seq");
    t.match(
      actions.map((entry) => [entry.action, entry.actor]),
      [
        ["user.add", "oidc:identity-provider"],
        ["user.grant-role", "oidc:identity-provider"],
        ["sign-in", "jane.teacher"],
      ],
      "made just in time, its roles granted by the provider's groups, signed in: all audited",
    );
    t.match(JSON.parse(actions[2]?.detail_json ?? "{}"), {
      via: "oidc",
      email: "jane.teacher@school.org",
    });

    // once the provider is known, the sign-in screen can offer its sign-out page
    const known = await controller.app.inject({ method: "GET", url: "/api/setup" });
    t.match(known.json<{ provider: { signOut: string } }>().provider.signOut, provider.issuer);

    // the same person again: the same account, nothing new made
    const again = await signInThrough(controller, provider, "t-jane");
    t.equal((await sessionOf(controller, again.jar))?.user.id, "jane.teacher");
    t.equal((await counts(controller)).users, 1);
    // an account made through the provider has no password to sign in with
    const password = await controller.app.inject({
      method: "POST",
      url: "/api/session",
      payload: { id: "jane.teacher", password: "oidc$no-password" },
    });
    t.equal(password.statusCode, 401);
  },
);

void t.test(
  "a group change takes effect at the next sign-in; roles taken away end other sessions",
  async (t) => {
    const { provider, controller } = await setting(t);
    provider.accounts.set("t-sam", {
      email: "sam.lead@school.org",
      name: "Sam Lead",
      groups: ["Teaching staff", "SLT"],
    });
    const first = await signInThrough(controller, provider, "t-sam");
    t.same((await sessionOf(controller, first.jar))?.user.roles, ["teacher", "slt"]);

    provider.accounts.set("t-sam", {
      email: "sam.lead@school.org",
      name: "Sam Lead",
      groups: ["Teaching staff"],
    });
    const second = await signInThrough(controller, provider, "t-sam");
    t.same((await sessionOf(controller, second.jar))?.user.roles, ["teacher"], "SLT gone");
    t.equal(await sessionOf(controller, first.jar), null, "the session with SLT has ended");
    const update = await controller.app.db.get<{ detail_json: string }>(
      "SELECT detail_json FROM audit_log WHERE action = 'user.update'",
    );
    t.match(JSON.parse(update?.detail_json ?? "{}"), {
      before: { roles: ["teacher", "slt"] },
      after: { roles: ["teacher"] },
      via: "oidc",
    });

    provider.accounts.set("t-sam", {
      email: "sam.lead@school.org",
      name: "Sam Lead",
      groups: ["Teaching staff", "IT team"],
    });
    const third = await signInThrough(controller, provider, "t-sam");
    t.same((await sessionOf(controller, third.jar))?.user.roles, ["teacher", "it"], "IT added");
    t.ok(await sessionOf(controller, second.jar), "a role added ends no session");
  },
);

void t.test("another domain's account, and one in no mapped group, are refused", async (t) => {
  const { provider, controller } = await setting(t);
  provider.accounts.set("t-other", {
    email: "eve@other.org",
    name: "Eve",
    groups: ["Teaching staff"],
  });
  provider.accounts.set("t-sub", {
    email: "eve@evil.school.org",
    name: "Eve",
    groups: ["Teaching staff"],
  });
  provider.accounts.set("t-cleaner", {
    email: "cleo@school.org",
    name: "Cleo",
    groups: ["Cleaners"],
  });
  provider.accounts.set("t-unverified", {
    email: "una@school.org",
    name: "Una",
    groups: ["Teaching staff"],
    emailVerified: false,
  });
  await expectRefused(
    t,
    controller,
    () => signInThrough(controller, provider, "t-other"),
    "wrong domain",
    /not one of this school's/,
  );
  await expectRefused(
    t,
    controller,
    () => signInThrough(controller, provider, "t-sub"),
    "wrong domain",
    /not one of this school's/,
  );
  await expectRefused(
    t,
    controller,
    () => signInThrough(controller, provider, "t-cleaner"),
    "no role",
    /none of the groups/,
  );
  await expectRefused(
    t,
    controller,
    () => signInThrough(controller, provider, "t-unverified"),
    "no e-mail",
    /verified e-mail/,
  );
});

void t.test("a wrong, missing or replayed state is refused", async (t) => {
  const { provider, controller } = await setting(t);
  const { app } = controller;
  const good = await signInThrough(controller, provider, "t-jane");
  t.equal(good.location, "/");
  const replay = async (): Promise<Attempt> => {
    const reply = await app.inject({
      method: "GET",
      url: good.callback ?? "",
      headers: { cookie: good.signInCookie },
    });
    const jar = new CookieJar();
    jar.take(reply.headers);
    return {
      location: reply.headers.location ?? "",
      jar,
      callback: null,
      signInCookie: "",
    };
  };
  await expectRefused(t, controller, replay, "unknown state", /already used/);
  const noCookie = async (): Promise<Attempt> => {
    const reply = await app.inject({ method: "GET", url: good.callback ?? "" });
    return {
      location: reply.headers.location ?? "",
      jar: new CookieJar(),
      callback: null,
      signInCookie: "",
    };
  };
  await expectRefused(t, controller, noCookie, "unknown state", /not started here/);
  await expectRefused(
    t,
    controller,
    () =>
      signInThrough(controller, provider, "t-jane", (url) =>
        url.searchParams.set("state", "another-state"),
      ),
    "unknown state",
    /not started here/,
  );
  await expectRefused(
    t,
    controller,
    () =>
      signInThrough(controller, provider, "t-jane", (url) => {
        // as the provider answers a refusal: its error, the state and its issuer
        url.searchParams.delete("code");
        url.searchParams.set("error", "access_denied");
        url.searchParams.set("error_description", "the user said no");
      }),
    "provider error",
    /did not sign you in/,
  );
});

void t.test("a forged, expired or wrong-audience ID token is refused", async (t) => {
  const { provider, controller } = await setting(t);
  const other = await generateKeyPair("RS256");
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, (jwt: string) => Promise<string>][] = [
    ["signed by another key", (jwt) => signIdToken(readIdToken(jwt).claims, other, provider.kid)],
    [
      "expired",
      (jwt) =>
        signIdToken(
          { ...readIdToken(jwt).claims, iat: now - 7200, exp: now - 3600 },
          provider.key,
          provider.kid,
        ),
    ],
    [
      "for another client",
      (jwt) =>
        signIdToken(
          { ...readIdToken(jwt).claims, aud: "someone-else" },
          provider.key,
          provider.kid,
        ),
    ],
  ];
  // a token re-signed untouched with the provider's own key passes: the tampering is the only difference
  provider.tamper = (jwt) => signIdToken(readIdToken(jwt).claims, provider.key, provider.kid);
  t.equal(
    (await signInThrough(controller, provider, "t-jane")).location,
    "/",
    "re-signed as it was: accepted",
  );
  for (const [what, tamper] of cases) {
    provider.tamper = tamper;
    t.comment(what);
    await expectRefused(
      t,
      controller,
      () => signInThrough(controller, provider, "t-jane"),
      "bad token",
      /could not be trusted/,
    );
  }
});

void t.test(
  "the provider down: a clear message, and break-glass administrators still sign in",
  async (t) => {
    const port = await freePort();
    const controller = await startController({
      config: { oidc: oidcConfig(`http://127.0.0.1:${port}`, "break-glass") },
    });
    t.teardown(() => controller.close());
    const { app } = controller;
    const token = (await app.people.issueSetupToken()) ?? "";
    await app.people.setUp({
      token,
      id: "head.admin",
      displayName: "Admin",
      password: "a long local password 1",
      roles: [],
    });
    const { temporaryPassword } = await app.people.add(
      { id: "tom", displayName: "Tom", roles: ["teacher"] },
      "cli",
    );

    await expectRefused(
      t,
      controller,
      () =>
        signInThrough(
          controller,
          { issuer: "none", loginAs: () => undefined } as unknown as TestProvider,
          "x",
        ),
      "provider unreachable",
      /cannot reach School Login/,
    );

    const admin = await app.inject({
      method: "POST",
      url: "/api/session",
      payload: { id: "head.admin", password: "a long local password 1" },
    });
    t.equal(admin.statusCode, 200, "the administrator signs in with their password");
    const before = await counts(controller);
    const teacher = await app.inject({
      method: "POST",
      url: "/api/session",
      payload: { id: "tom", password: temporaryPassword },
    });
    t.equal(teacher.statusCode, 403, "a teacher's password is refused");
    t.match(teacher.json<{ message: string }>().message, /Sign in with School Login/);
    t.same(await counts(controller), { ...before, audit: before.audit + 1 }, "only audited");
    t.match((await lastAudit(controller)).detail, {
      why: "password sign-in is for administrators only",
    });
  },
);

void t.test("without oidc in the config the provider's routes say it is not set up", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const reply = await controller.app.inject({ method: "GET", url: "/api/session/oidc/start" });
  t.equal(reply.statusCode, 404);
  t.match(reply.json<{ message: string }>().message, /not set up/);
  t.match((await controller.app.inject({ method: "GET", url: "/api/setup" })).json(), {
    provider: null,
  });
});

void t.test("the oidc setting is checked at start, every problem in words", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "classcam-oidc-config-"));
  const file = join(dir, "config.json");
  const write = (oidc: Record<string, unknown>) => writeFileSync(file, JSON.stringify({ oidc }));
  const problemsOf = (oidc: Record<string, unknown>): string[] => {
    write(oidc);
    try {
      loadConfig({ file, env: {}, cwd: dir });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
  };
  const good = {
    ...oidcConfig("https://login.microsoftonline.com/tenant/v2.0"),
    redirectUri: undefined,
  };
  t.match(problemsOf(good), [/oidc.redirectUri: is required when http.publicUrl is not set/]);
  t.match(problemsOf({ ...good, issuer: "http://idp.example.org", redirectUri: REDIRECT }), [
    /oidc.issuer: must be an https:\/\/ address/,
  ]);
  t.match(problemsOf({ ...good, clientSecret: undefined, redirectUri: REDIRECT }), [
    /exactly one of clientSecret and clientSecretFile/,
  ]);
  t.match(
    problemsOf({
      ...good,
      clientSecret: undefined,
      clientSecretFile: "missing.txt",
      redirectUri: REDIRECT,
    }),
    [/oidc.clientSecretFile: cannot read/],
  );
  t.match(
    problemsOf({ ...good, roleMap: { Staff: ["janitor"] }, redirectUri: REDIRECT }).join(" "),
    /roleMap/,
  );
  writeFileSync(join(dir, "secret.txt"), "s3cret\n");
  t.same(
    problemsOf({
      ...good,
      clientSecret: undefined,
      clientSecretFile: "secret.txt",
      redirectUri: REDIRECT,
    }),
    [],
  );
});

void t.test(
  "an account an administrator disabled is refused, whatever the provider says",
  async (t) => {
    const { provider, controller } = await setting(t);
    t.equal((await signInThrough(controller, provider, "t-jane")).location, "/");
    await controller.app.people.update("jane.teacher", { status: "disabled" }, "cli");
    await expectRefused(
      t,
      controller,
      () => signInThrough(controller, provider, "t-jane"),
      "disabled",
      /disabled/,
    );
  },
);
