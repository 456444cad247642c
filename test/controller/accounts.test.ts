// The administrator's accounts list: each person's last sign-in (set on every
// successful sign-in, not on a refused one), and disabling an account ends
// its sessions at once; re-enabling lets the person sign in again, without
// bringing the old session back.
import t from "tap";
import { Caller, PASSWORD, startSchool } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");

interface User {
  id: string;
  status: string;
  lastSignInAt: string | null;
}

void t.test("each account shows its last sign-in", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as, app, clock } = school;
  const added = await as.admin.post("/api/users", {
    id: "newcomer",
    displayName: "Mr New",
    roles: ["teacher"],
  });
  const lastSignIn = async (id: string) =>
    (await as.admin.get("/api/users")).json<User[]>().find((user) => user.id === id)?.lastSignInAt;
  t.equal(await lastSignIn("newcomer"), null, "never signed in");
  t.equal(await lastSignIn("teacher-a"), START.toISOString(), "the school's people signed in");

  clock.advance(90 * 60_000);
  const newcomer = new Caller(app, "newcomer");
  t.equal((await newcomer.signIn("a wrong password, surely")).status, 401);
  t.equal(await lastSignIn("newcomer"), null, "a refused sign-in is not a sign-in");
  const temporary = added.json<{ temporaryPassword: string }>().temporaryPassword;
  t.equal((await newcomer.signIn(temporary)).status, 200);
  const at = new Date(START.getTime() + 90 * 60_000).toISOString();
  t.equal(await lastSignIn("newcomer"), at, "set when they sign in");
  t.equal(
    (await newcomer.get("/api/session")).json<{ user: User }>().user.lastSignInAt,
    at,
    "and their own session says so",
  );
});

void t.test(
  "disabling an account ends its sessions; re-enabling does not revive them",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { as, app } = school;
    const tablet = new Caller(app, "teacher-b");
    t.equal((await tablet.signIn(PASSWORD("teacher-b"))).status, 200, "a second session");
    t.equal((await as["teacher-b"].get("/api/session")).status, 200);

    const disabled = await as.admin.patch("/api/users/teacher-b", { status: "disabled" });
    t.equal(disabled.status, 200);
    t.equal(disabled.json<User>().status, "disabled");
    t.equal((await as["teacher-b"].get("/api/session")).status, 401, "the first session ended");
    t.equal((await tablet.get("/api/recordings")).status, 401, "and the second");
    t.equal(
      (await new Caller(app, "teacher-b").signIn(PASSWORD("teacher-b"))).status,
      401,
      "a disabled account cannot sign in",
    );

    t.equal((await as.admin.patch("/api/users/teacher-b", { status: "active" })).status, 200);
    t.equal((await as["teacher-b"].get("/api/session")).status, 401, "the old session stays ended");
    t.equal((await as["teacher-b"].signIn(PASSWORD("teacher-b"))).status, 200, "signs in again");
    t.same(
      (await app.audit.page({ action: "user.update", limit: 10 })).entries.map(
        (e) => e.detail.after,
      ),
      [{ status: "disabled" }, { status: "active" }],
      "both changes audited",
    );
  },
);
