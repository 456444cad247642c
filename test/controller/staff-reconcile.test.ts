// The accounts reconciled with the school's staff list (issue 18: a person
// the provider no longer returns is disabled): the list's reading as a table
// (every bad line by number), then through the API on a school: the preview
// lists the active accounts the list leaves out (matched by user name, the
// e-mail's name, or the e-mail signed in with at the provider; never the
// administrator asking), the chosen ones are disabled in one change, their
// sessions ended and audited; a chosen account that is on the list, or a bad
// file, disables nobody.
import t from "tap";
import { readStaffList } from "../../controller/src/domain/staff-reconcile.js";
import { startSchool } from "../helpers/school.js";

void t.test("a staff list's people and every bad line", async (t) => {
  const good = readStaffList("Name,Username,Email\r\nA,a.one,\r\nB,,B.Two@school.org\r\n");
  t.same([...good.names].sort(), ["a.one", "b.two"]);
  t.same([...good.emails], ["b.two@school.org"]);
  t.same(good.problems, []);
  t.equal(good.lines, 2);

  const bad = readStaffList("Name,Email\r\nA,a@school.org\r\nB,\r\nC,not-an-address\r\n");
  t.same(bad.problems, [
    { line: 3, message: "no user name or e-mail address on this line" },
    { line: 4, message: "'not-an-address' is not an e-mail address" },
  ]);
  t.match(readStaffList("Name,Room\r\nA,M1\r\n").problems, [
    { line: 1, message: /has no column named Username, Email or Id/ },
  ]);
  t.match(readStaffList("").problems, [{ line: null, message: /empty/ }]);
});

void t.test("the accounts off the staff list: previewed, then the chosen disabled", async (t) => {
  const school = await startSchool();
  t.teardown(() => school.close());
  const { as, app } = school;
  // coach signs in at the provider as c.oach@school.org: on the list by that e-mail
  await app.db.transaction((tx) =>
    tx.run(
      "INSERT INTO oidc_identities (issuer, subject, user_id, email, created_at) " +
        "VALUES ('https://login.example', 'sub-1', 'coach', 'c.oach@school.org', ?)",
      [new Date().toISOString()],
    ),
  );
  const csv = [
    "Name,Username,Email",
    "Ms A,teacher-a,",
    "Ms B,,teacher-b@school.org",
    "Coach,,c.oach@school.org",
    "SLT,slt,",
    "Head,head,",
    "Bursar,bursar,",
    "IT,it,",
    "DPO,dpo,",
  ].join("\r\n");

  const preview = await as.admin.post("/api/users/reconcile/preview", { csv });
  t.equal(preview.status, 200, JSON.stringify(preview.body));
  t.match(preview.json(), { listed: 8, problems: [] });
  t.same(
    preview.json<{ notListed: { id: string }[] }>().notListed.map((person) => person.id),
    ["coach-2", "teacher-c"],
    "off the list: never the administrator asking",
  );
  t.equal((await app.people.get("teacher-c"))?.status, "active", "the preview changes nothing");

  const listed = await as.admin.post("/api/users/reconcile", { csv, disable: ["teacher-a"] });
  t.equal(listed.status, 409);
  t.match(listed.json().message, /^nobody was disabled: 'teacher-a' is on the staff list/);
  const badFile = await as.admin.post("/api/users/reconcile", {
    csv: `${csv}\r\nNobody,,`,
    disable: ["teacher-c"],
  });
  t.equal(badFile.status, 400);
  t.match(badFile.json().message, /^nobody was disabled: line 10: no user name or e-mail/);
  t.equal((await app.people.get("teacher-c"))?.status, "active");

  const done = await as.admin.post("/api/users/reconcile", { csv, disable: ["teacher-c"] });
  t.equal(done.status, 200, JSON.stringify(done.body));
  t.same(done.json(), { disabled: ["teacher-c"] });
  t.equal((await app.people.get("teacher-c"))?.status, "disabled");
  t.equal((await app.people.get("coach-2"))?.status, "active", "only the one chosen");
  t.equal((await as["teacher-c"].get("/api/session")).status, 401, "their session has ended");
  const entries = await app.db.all<{ action: string; subject: string; detail_json: string }>(
    "SELECT action, subject, detail_json FROM audit_log " +
      "WHERE action IN ('user.update', 'user.reconcile') ORDER BY seq",
  );
  t.match(
    entries.map((entry) => ({ ...entry, detail: JSON.parse(entry.detail_json) as unknown })),
    [
      {
        action: "user.update",
        subject: "teacher-c",
        detail: { after: { status: "disabled" }, why: "not on the staff list" },
      },
      { action: "user.reconcile", detail: { listed: 8, disabled: ["teacher-c"] } },
    ],
  );
  t.equal((await as["teacher-a"].post("/api/users/reconcile/preview", { csv })).status, 403);
});
