// Adding staff from the school's staff list (CSV): the preview names every bad
// line by its number and says what is wrong (the file empty, too large or too
// long, no header, a bad user name, an unknown role, a user name twice, one
// already taken), reads what spreadsheets write (quoted fields with commas, a
// byte-order mark, CRLF, header names in any case), and the import is all or
// nothing, or only the good lines, as the administrator chooses, audited.
import t from "tap";
import { Caller, startSchool, type School } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");
const HEADER = "Name,Username,Roles";

interface Line {
  line: number;
  id: string;
  displayName: string;
  roles: string[];
  problems: string[];
}
interface Preview {
  people: Line[];
  fileProblems: { line: number | null; message: string }[];
  good: number;
  bad: number;
}
interface Imported {
  mode: string;
  added: {
    line: number;
    id: string;
    displayName: string;
    roles: string[];
    temporaryPassword: string;
  }[];
  skipped: Line[];
}

async function preview(school: School, csv: string): Promise<Preview> {
  const reply = await school.as.admin.post("/api/users/import/preview", { csv });
  if (reply.status !== 200)
    throw new Error(`preview: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.json<Preview>();
}

/** The problems of each line, by line number. */
const byLine = (result: Preview) =>
  Object.fromEntries(result.people.map((person) => [person.line, person.problems]));

const userCount = async (school: School) => (await school.app.people.list()).length;

/** Audit entries written by the administrator (the test school's own set-up is by 'test'). */
const adminEntries = async (school: School, action: string) =>
  (await school.app.audit.page({ action, limit: 1000 })).entries.filter(
    (entry) => entry.actor === "admin",
  );

void t.test("the preview names every bad line and what is wrong", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const before = await userCount(school);

  await t.test("an empty file", async (t) => {
    for (const csv of ["", "\r\n\r\n", "\uFEFF"]) {
      const result = await preview(school, csv);
      t.same(result.people, [], JSON.stringify(csv));
      t.match(result.fileProblems, [
        { line: null, message: /^the file is empty: it needs a header/ },
      ]);
    }
    const headerOnly = await preview(school, `${HEADER}\r\n`);
    t.match(headerOnly.fileProblems, [
      { message: "the file has a header line but nobody under it" },
    ]);
  });

  await t.test("no header line", async (t) => {
    const result = await preview(school, "Jane Smith,jsmith,teacher\nJo Bloggs,jbloggs,coach\n");
    t.same(result.people, []);
    t.match(result.fileProblems, [
      {
        line: 1,
        message:
          /^the header line \("Jane Smith", "jsmith", "teacher"\) has no column for a user name .*nor a name .*nor the roles/,
      },
    ]);
    const noRoles = await preview(school, "Name,Username\nJane,jsmith\n");
    t.match(noRoles.fileProblems, [
      { line: 1, message: /has no column for the roles \(a column named Roles\)$/ },
    ]);
  });

  await t.test("a bad user name, an unknown role, no role, no name", async (t) => {
    const csv = [
      HEADER,
      "Jane Smith,j smith!,teacher",
      "Jo Bloggs,jbloggs,teacher;wizard",
      "Al Green,agreen,",
      ",nobody,teacher",
      "Good Person,good.person,teacher",
    ].join("\n");
    const result = await preview(school, csv);
    const problems = byLine(result);
    t.match(problems[2], [/^user name 'j smith!' must be 2–64 lower-case letters/]);
    t.same(problems[3], [
      "unknown role 'wizard' (roles: teacher, coach, slt, headteacher, bursar, it, dpo, admin)",
    ]);
    t.match(problems[4], [/^no role given: write one or more of teacher, coach/]);
    t.same(problems[5], ["no name"]);
    t.same(problems[6], [], "a good line has no problem");
    t.equal(result.good, 1);
    t.equal(result.bad, 4);
  });

  await t.test("a user name twice in the file, and one already taken", async (t) => {
    const csv = [
      HEADER,
      "Jane Smith,jsmith,teacher",
      "Someone Else,teacher-a,teacher",
      "Jane Smith again,JSmith,coach",
    ].join("\n");
    const problems = byLine(await preview(school, csv));
    t.same(problems[2], ["the user name 'jsmith' is also on line 4: each person once"]);
    t.same(problems[4], ["the user name 'jsmith' is also on line 2: each person once"]);
    t.same(problems[3], [
      "the user name 'teacher-a' is already taken (by Ms teacher-a): choose another",
    ]);
  });

  await t.test("too many lines, too large", async (t) => {
    const rows = Array.from({ length: 501 }, (_, i) => `Person ${i},person${i},teacher`);
    const tooMany = await preview(school, [HEADER, ...rows].join("\n"));
    t.same(tooMany.people, []);
    t.same(tooMany.fileProblems, [
      {
        line: 502,
        message:
          "the file lists 501 people; at most 500 can be imported at once: split it into smaller files",
      },
    ]);
    const long = "x".repeat(700);
    const big = [HEADER, ...Array.from({ length: 400 }, (_, i) => `${long},p${i},teacher`)];
    const tooLarge = await preview(school, big.join("\n"));
    t.same(tooLarge.fileProblems, [
      {
        line: null,
        message:
          "the file is 279 KB; at most 256 KB can be imported at once: split it into smaller files",
      },
    ]);
  });

  await t.test("what a spreadsheet writes: quotes, commas, BOM, CRLF, header names", async (t) => {
    const csv =
      "\uFEFFDisplay name , E-mail,ROLES\r\n" +
      '"Smith, Jane",Jane.Smith@school.example,"teacher; coach"\r\n' +
      "\r\n" +
      '"O\'Neil ""Pat""",pat.oneil@school.example,Head teacher|SLT\r\n' +
      '"Two\r\nLines",two.lines@school.example,teacher\r\n' +
      "Short,short@school.example\r\n";
    const result = await preview(school, csv);
    t.same(result.fileProblems, []);
    t.same(
      result.people.map(({ line, id, displayName, roles }) => ({ line, id, displayName, roles })),
      [
        { line: 2, id: "jane.smith", displayName: "Smith, Jane", roles: ["teacher", "coach"] },
        { line: 4, id: "pat.oneil", displayName: 'O\'Neil "Pat"', roles: ["headteacher", "slt"] },
        { line: 5, id: "two.lines", displayName: "Two\r\nLines", roles: ["teacher"] },
        { line: 7, id: "short", displayName: "Short", roles: [] },
      ],
      "fields unquoted, the id from the e-mail, lines counted as the file has them",
    );
    t.same(byLine(result)[2], []);
    t.same(byLine(result)[4], []);
    t.same(byLine(result)[5], ["name must not contain control characters"]);
    t.match(byLine(result)[7], [
      "this line has 2 fields where the header has 3 (a name with a comma in it goes inside quotes)",
      /^no role given/,
    ]);
    const firstLast = await preview(
      school,
      "First name,Surname,Username,Role\nJo,Bloggs,jb,coach\n",
    );
    t.match(firstLast.people, [
      { id: "jb", displayName: "Jo Bloggs", roles: ["coach"], problems: [] },
    ]);
  });

  await t.test("a quote not closed", async (t) => {
    const result = await preview(school, `${HEADER}\nJane,jsmith,teacher\n"Jo, Bloggs,jb,coach\n`);
    t.match(result.fileProblems, [{ line: 3, message: /^a quote mark \("\) is not closed/ }]);
  });

  t.equal(await userCount(school), before, "a preview adds nobody");
  t.same(await adminEntries(school, "user.add"), [], "and audits no addition");
});

void t.test("only an administrator may import, and the body is bounded", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const csv = `${HEADER}\nJane,jsmith,teacher\n`;
  for (const who of ["head", "it", "dpo"] as const) {
    t.equal((await school.as[who].post("/api/users/import/preview", { csv })).status, 403, who);
    const reply = await school.as[who].post("/api/users/import", { csv, mode: "good-rows" });
    t.equal(reply.status, 403, who);
  }
  t.equal(
    (await school.anonymous.post("/api/users/import", { csv, mode: "good-rows" })).status,
    401,
  );
  const badMode = await school.as.admin.post("/api/users/import", { csv, mode: "some" });
  t.equal(badMode.status, 400, "the mode is one of the two");
  const huge = await school.as.admin.post("/api/users/import/preview", {
    csv: "x".repeat(2_000_000),
  });
  t.equal(huge.status, 413, "a body far over the limit is not even read");
  t.equal((await school.app.people.list()).length, 11, "nobody added");
});

void t.test("all or nothing: one bad line and nobody is added", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const before = await userCount(school);
  const csv = [
    HEADER,
    "Jane Smith,jsmith,teacher",
    "Jo Bloggs,jbloggs,wizard",
    "Al,agreen,coach",
  ].join("\r\n");
  const reply = await school.as.admin.post("/api/users/import", { csv, mode: "all-or-nothing" });
  t.equal(reply.status, 400);
  t.match(reply.json(), {
    error: "invalid",
    message:
      "nothing was imported: 1 of 3 lines have problems — line 3: unknown role 'wizard' " +
      "(roles: teacher, coach, slt, headteacher, bursar, it, dpo, admin)",
  });
  t.equal(await userCount(school), before, "nobody added");
  t.same(await adminEntries(school, "user.add"), [], "no addition audited");
  t.same(await adminEntries(school, "user.import"), [], "no import audited");

  const file = await school.as.admin.post("/api/users/import", { csv: "", mode: "good-rows" });
  t.equal(file.status, 400);
  t.match(file.json(), { message: /^nothing was imported: the file is empty/ });

  const good = csv.replace("wizard", "teacher");
  const done = await school.as.admin.post("/api/users/import", {
    csv: good,
    mode: "all-or-nothing",
  });
  t.equal(done.status, 201);
  t.same(
    done.json<Imported>().added.map((person) => person.id),
    ["jsmith", "jbloggs", "agreen"],
    "all of a good file",
  );
  t.equal(await userCount(school), before + 3);
});

void t.test("only the good lines: exactly those are added, audited", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const before = await userCount(school);
  const csv = [
    HEADER,
    '"Smith, Jane",jsmith,teacher;coach',
    "Taken,teacher-b,teacher",
    "Bad Id,9lives,teacher",
    "Jo Bloggs,jbloggs,it|dpo",
    "Twice,twice,teacher",
    "Twice Again,twice,teacher",
  ].join("\n");
  const reply = await school.as.admin.post("/api/users/import", { csv, mode: "good-rows" });
  t.equal(reply.status, 201);
  const result = reply.json<Imported>();
  t.same(
    result.added.map(({ line, id, displayName, roles }) => ({ line, id, displayName, roles })),
    [
      { line: 2, id: "jsmith", displayName: "Smith, Jane", roles: ["teacher", "coach"] },
      { line: 5, id: "jbloggs", displayName: "Jo Bloggs", roles: ["it", "dpo"] },
    ],
  );
  t.same(
    result.skipped.map((line) => line.line),
    [3, 4, 6, 7],
    "the bad lines are left out, listed",
  );
  t.equal(await userCount(school), before + 2, "exactly the good ones");
  t.same(
    (await school.app.people.require("jsmith")).mustChangePassword,
    true,
    "a one-time password, to change at first sign-in",
  );

  // each can sign in with the one-time password given once
  for (const person of result.added) {
    const caller = new Caller(school.app, person.id);
    t.equal((await caller.signIn(person.temporaryPassword)).status, 200, `${person.id} signs in`);
  }

  t.same(
    (await adminEntries(school, "user.add")).map((entry) => [entry.subject, entry.detail]),
    [
      ["jsmith", { roles: ["teacher", "coach"], import: true, line: 2 }],
      ["jbloggs", { roles: ["it", "dpo"], import: true, line: 5 }],
    ],
    "each person added is audited",
  );
  t.same(
    (await adminEntries(school, "user.grant-role")).map((entry) => entry.subject),
    ["jsmith", "jbloggs"],
    "and the roles granted",
  );
  t.same(
    (await adminEntries(school, "user.import")).map((entry) => entry.detail),
    [{ mode: "good-rows", people: 6, added: 2, skippedLines: [3, 4, 6, 7] }],
    "the import itself is one entry",
  );
  t.match(await school.app.audit.verify(), { ok: true });

  // a file with no good line adds nobody
  const none = await school.as.admin.post("/api/users/import", {
    csv: `${HEADER}\nTaken,teacher-b,teacher\n`,
    mode: "good-rows",
  });
  t.equal(none.status, 400);
  t.match(none.json(), { message: /^nothing was imported: no line can be imported — line 2: / });
});
