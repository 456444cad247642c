// Coaching (issue 17): the school's framework of strands, assignments set by a
// coach and answered by a teacher with a recording and a reflection, feedback
// of a kind with strands, replies, next steps both can mark done, and each
// teacher's timeline — with who may see the submitted footage (only the
// teacher and whoever set the assignment).
import t from "tap";
import { recordedLesson, startSchool } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");

interface Strand {
  strandId: number;
  code: string;
  name: string;
  version: number;
  retiredAt: string | null;
}
interface Assignment {
  assignmentId: string;
  title: string;
  strands: Strand[];
  teachers: { teacherId: string; submission: { recordingId: string; reflection: string } | null }[];
  carriedForward: { commentId: number }[];
}
interface Comment {
  commentId: number;
  kind: string;
  strands: Strand[];
  parentId: number | null;
  atSeconds: number;
  doneAt: string | null;
  doneBy: string | null;
}
interface Timeline {
  own: boolean;
  assignments: Assignment[];
  feedback: { commentId: number; kind: string; authorId: string }[];
  nextSteps: { commentId: number; doneAt: string | null }[];
}

void t.test("the school's framework: seeded, edited by SLT, versioned, retired", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as } = school;
  const strands = (await as.coach.get("/api/strands")).json<Strand[]>();
  t.same(
    strands.map((s) => s.code),
    [1, 2, 3, 4, 5, 6, 7, 8]
      .map((n) => `TS${n}`)
      .concat([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `ECF${n}`)),
    "the Teachers' Standards 1–8 and the ECF's headings to start with",
  );
  t.match(strands[3], { code: "TS4", name: /well-structured lessons/, version: 1 });

  t.equal(
    (await as.coach.post("/api/strands", { framework: "Ours", code: "X1", name: "x" })).status,
    403,
  );
  const added = await as.slt.post("/api/strands", {
    framework: "Our school",
    code: "OS1",
    name: "Questioning that makes every pupil think",
  });
  t.equal(added.status, 201);
  const ours = added.json<Strand>();
  const again = await as.head.post("/api/strands", {
    framework: "Our school",
    code: "OS1",
    name: "y",
  });
  t.equal(again.status, 409);
  t.match(again.json().message, /already the strand “Questioning that makes every pupil think”/);

  const renamed = await as.head.patch(`/api/strands/${ours.strandId}`, {
    name: "Questioning that makes all pupils think",
  });
  t.match(renamed.json(), { name: "Questioning that makes all pupils think", version: 2 });
  t.equal((await as.slt.patch(`/api/strands/${ours.strandId}`, { name: "   " })).status, 400);

  const retired = await as.slt.post(`/api/strands/${ours.strandId}/retire`);
  t.equal(retired.status, 200);
  t.ok(retired.json<Strand>().retiredAt);
  t.equal((await as.slt.post(`/api/strands/${ours.strandId}/retire`)).status, 409);
  t.notOk(
    (await as.coach.get("/api/strands")).json<Strand[]>().some((s) => s.code === "OS1"),
    "a retired strand is no longer offered",
  );
  t.ok(
    (await as.coach.get("/api/strands?includeRetired=true"))
      .json<Strand[]>()
      .some((s) => s.code === "OS1" && s.retiredAt !== null),
    "and is still there",
  );
  const audit = await school.app.db.all<{ action: string }>(
    "SELECT action FROM audit_log WHERE action LIKE 'strand.%' ORDER BY seq",
  );
  t.same(
    audit.map((a) => a.action),
    ["strand.add", "strand.rename", "strand.retire"],
  );
});

void t.test(
  "an assignment, answered; only the teacher and its setter see the footage",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { as } = school;
    const { recordingId } = await recordedLesson(school);
    const strands = (await as.coach.get("/api/strands")).json<Strand[]>();
    const ts4 = strands.find((s) => s.code === "TS4")?.strandId ?? 0;
    const ecf2 = strands.find((s) => s.code === "ECF2")?.strandId ?? 0;
    const body = {
      title: "Questioning in the starter",
      focus: "Record a starter and look at who answers your questions.",
      strands: [ts4, ecf2],
      dueOn: "2026-12-04",
      teachers: ["teacher-a", "teacher-c"],
      suggestion: "Your Year 7 lesson on Monday",
    };

    // bad input, each with its reason
    const refused = async (change: Record<string, unknown>, message: RegExp, who = as.coach) => {
      const reply = await who.post("/api/assignments", { ...body, ...change });
      t.equal(reply.status, 400, JSON.stringify(change));
      t.match(reply.json().message, message);
    };
    await refused({ dueOn: "2026-11-22" }, /has passed/);
    await refused({ dueOn: "2027-12-01" }, /more than a year ahead/);
    await refused({ dueOn: "2026-02-30" }, /must be a day written YYYY-MM-DD/);
    await refused({ teachers: ["bursar"] }, /not a teacher/);
    await refused({ teachers: ["nobody-here"] }, /not an active member of staff/);
    await refused({ teachers: ["coach", "teacher-a"] }, /for yourself/);
    await refused({ strands: [99_999] }, /no strand 99999/);
    await refused({ title: "   " }, /title is empty/);
    t.equal(
      (await as["teacher-b"].post("/api/assignments", body)).status,
      403,
      "a teacher sets none",
    );

    const set = await as.coach.post("/api/assignments", body);
    t.equal(set.status, 201);
    const assignment = set.json<Assignment>();
    t.same(
      assignment.strands.map((s) => s.code),
      ["TS4", "ECF2"],
    );
    t.same(
      assignment.teachers.map((x) => x.teacherId),
      ["teacher-a", "teacher-c"],
    );
    const url = `/api/assignments/${assignment.assignmentId}`;

    // each teacher sees it, with only their own part; others do not
    const forA = (await as["teacher-a"].get("/api/assignments")).json<{ forMe: Assignment[] }>();
    t.same(
      forA.forMe.map((a) => a.teachers.map((x) => x.teacherId)),
      [["teacher-a"]],
    );
    t.equal((await as["coach-2"].get(url)).status, 403);
    t.equal((await as.slt.get(url)).status, 403);
    t.same(
      (await as.coach.get(`/api/assignments?strand=${ecf2}`)).json<{ setByMe: Assignment[] }>()
        .setByMe.length,
      1,
    );
    t.same(
      (await as.coach.get(`/api/assignments?strand=${strands[0]?.strandId ?? 0}`)).json<{
        setByMe: Assignment[];
      }>().setByMe.length,
      0,
      "filtered by strand",
    );

    // on each teacher's home until they answer it
    const toAnswer = async (who: "teacher-a" | "teacher-c") =>
      (await as[who].get("/api/home"))
        .json<{ teacher: { assignments: { title: string; setByName: string; dueOn: string }[] } }>()
        .teacher.assignments.map((a) => a.title);
    t.same(await toAnswer("teacher-a"), ["Questioning in the starter"], "on teacher A's home");

    // before it is answered, the coach cannot watch teacher A's recording
    t.equal((await as.coach.post(`/api/recordings/${recordingId}/views`)).status, 403);

    // answering: with one's own recording, once, in and out points checked
    const submit = (who: typeof as.coach, change: Record<string, unknown> = {}) =>
      who.post(`${url}/submission`, {
        recordingId,
        reflection: "Mostly the same three pupils answered.",
        ...change,
      });
    t.equal((await submit(as["teacher-c"])).status, 403, "not with someone else's recording");
    t.match((await submit(as["teacher-c"])).json().message, /recording of your own lesson/);
    t.match(
      (await submit(as["teacher-a"], { inSeconds: 30 })).json().message,
      /both the in and the out/,
    );
    t.match(
      (await submit(as["teacher-a"], { inSeconds: 30, outSeconds: 900 })).json().message,
      /600 s long/,
    );
    t.equal((await submit(as["teacher-b"])).status, 403, "not set for teacher B");
    const answered = await submit(as["teacher-a"], { inSeconds: 30, outSeconds: 330 });
    t.equal(answered.status, 201);
    t.match(answered.json<Assignment>().teachers[0]?.submission, {
      recordingId,
      reflection: "Mostly the same three pupils answered.",
    });
    t.equal((await submit(as["teacher-a"])).status, 409, "answered once");
    t.same(await toAnswer("teacher-a"), [], "answered: off teacher A's home");

    // each told once: the teachers it was set for, and its setter when it is answered
    const told = async (who: "teacher-a" | "teacher-c" | "coach" | "coach-2") =>
      (await as[who].get("/api/notifications"))
        .json<{ notifications: { kind: string; subject: string; link: string }[] }>()
        .notifications.filter((n) => n.kind.startsWith("assignment"))
        .map((n) => `${n.kind}: ${n.subject} → ${n.link}`);
    t.same(await told("teacher-a"), [
      "assignment-set: Ms coach set you a coaching assignment, due 2026-12-04 → coaching",
    ]);
    t.same(await told("teacher-c"), [
      "assignment-set: Ms coach set you a coaching assignment, due 2026-12-04 → coaching",
    ]);
    t.same(await told("coach"), [
      "assignment-answered: Ms teacher-a answered your coaching assignment → coaching",
    ]);
    t.same(await told("coach-2"), []);
    t.same(await toAnswer("teacher-c"), ["Questioning in the starter"], "still on teacher C's");
    const seenByCoach = (await as.coach.get(url)).json<Assignment>();
    t.same(
      seenByCoach.teachers.map((x) => [x.teacherId, x.submission?.recordingId ?? null]),
      [
        ["teacher-a", recordingId],
        ["teacher-c", null],
      ],
    );

    // the footage: the teacher and the setter; not another coach, not SLT, not the Bursar
    const views = `/api/recordings/${recordingId}/views`;
    t.equal((await as["teacher-a"].post(views)).status, 200);
    const coachView = await as.coach.post(views);
    t.equal(coachView.status, 200, "the coach who set it");
    t.equal(coachView.json().basis, "assignment");
    t.equal((await as.coach.get(`/api/recordings/${recordingId}`)).status, 200);
    for (const [who, why] of [
      ["coach-2", /only its owner/],
      ["slt", /open an investigation/],
      ["bursar", /need-to-know/],
      ["teacher-c", /only its owner/],
    ] as const) {
      const reply = await as[who].post(views);
      t.equal(reply.status, 403, `${who} refused`);
      t.match(reply.json().message, why);
      t.equal(
        (await as[who].get(`/api/recordings/${recordingId}/footage/index.m3u8`)).status,
        403,
        `${who}: no footage`,
      );
    }
  },
);

void t.test("feedback of a kind, replies, next steps and the timeline", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as } = school;
  const { recordingId } = await recordedLesson(school);
  const strands = (await as.coach.get("/api/strands")).json<Strand[]>();
  const id = (code: string) => strands.find((s) => s.code === code)?.strandId ?? 0;
  const set = (
    await as.coach.post("/api/assignments", {
      title: "Behaviour at transitions",
      focus: "Watch the move from starter to main task.",
      strands: [id("TS7")],
      dueOn: "2026-11-30",
      teachers: ["teacher-a"],
    })
  ).json<Assignment>();
  await as["teacher-a"].post(`/api/assignments/${set.assignmentId}/submission`, {
    recordingId,
    reflection: "The move took four minutes.",
  });
  const comments = `/api/recordings/${recordingId}/comments`;
  const give = (kind: string, body: string, codes: string[], atSeconds = 60) =>
    as.coach.post(comments, { atSeconds, body, kind, strands: codes.map(id) });
  const strength = await give("strength", "Clear routine for handing out books.", ["TS7"]);
  t.equal(strength.status, 201);
  t.match(strength.json<Comment>(), {
    kind: "strength",
    strands: [{ code: "TS7" }],
    parentId: null,
  });
  const question = (
    await give("question", "What did the back row do?", ["TS7", "ECF7"], 120)
  ).json<Comment>();
  const step = (
    await give("next-step", "Count down from five at transitions.", ["ECF7"], 200)
  ).json<Comment>();
  t.equal((await give("praise", "x", [])).status, 400, "an unknown kind");
  t.equal(
    (await as.coach.post(comments, { atSeconds: 1, body: "x", strands: [99_999] })).status,
    400,
  );

  // the teacher replies, at the comment's own moment; a reply to a reply is refused
  const reply = await as["teacher-a"].post(comments, {
    atSeconds: 0,
    body: "They were finishing the starter.",
    parentId: question.commentId,
  });
  t.equal(reply.status, 201);
  t.match(reply.json<Comment>(), { parentId: question.commentId, atSeconds: 120, kind: "comment" });
  const nested = await as.coach.post(comments, {
    atSeconds: 0,
    body: "Which part?",
    parentId: reply.json<Comment>().commentId,
  });
  t.equal(nested.status, 400);
  t.match(nested.json().message, /not to a reply/);
  t.match(
    (await as["teacher-a"].post(comments, { atSeconds: 0, body: "x", parentId: 99_999 })).json()
      .message,
    /no comment 99999 on this recording/,
  );
  t.equal((await as["coach-2"].post(comments, { atSeconds: 1, body: "x" })).status, 403);

  // a plain comment still reads as one
  const listed = (await as["teacher-a"].get(comments)).json<Comment[]>();
  t.same(
    listed.map((c) => [c.kind, c.parentId === null]),
    [
      ["strength", true],
      ["question", true],
      ["comment", false],
      ["next-step", true],
    ],
  );

  // the next step: either may mark it done; nobody else; only next steps
  const mark = (who: typeof as.coach, commentId: number, done: boolean) =>
    who.put(`/api/next-steps/${commentId}`, { done });
  t.equal((await mark(as["coach-2"], step.commentId, true)).status, 403);
  t.match(
    (await mark(as["teacher-a"], question.commentId, true)).json().message,
    /not a next step/,
  );
  const done = await mark(as["teacher-a"], step.commentId, true);
  t.equal(done.status, 200);
  t.match(done.json<Comment>(), { doneBy: "teacher-a" });
  t.ok(done.json<Comment>().doneAt);
  t.match((await mark(as.coach, step.commentId, false)).json<Comment>(), { doneAt: null });
  await mark(as.coach, step.commentId, true);

  // a retired strand stays on the feedback it tagged
  await as.slt.post(`/api/strands/${id("ECF7")}/retire`);
  const after = (await as["teacher-a"].get(comments)).json<Comment[]>();
  t.ok(
    after
      .find((c) => c.commentId === step.commentId)
      ?.strands.some((s) => s.code === "ECF7" && s.retiredAt !== null),
  );
  t.equal((await give("suggestion", "x", ["ECF7"])).status, 400, "and cannot be chosen again");

  // the next assignment carries the step forward (only a step of the teachers it is for)
  const carried = await as.coach.post("/api/assignments", {
    title: "Transitions again",
    focus: "Try the countdown.",
    strands: [],
    dueOn: "2026-12-11",
    teachers: ["teacher-a"],
    carryForward: [step.commentId],
  });
  t.equal(carried.status, 201);
  t.same(
    carried.json<Assignment>().carriedForward.map((c) => c.commentId),
    [step.commentId],
  );
  const wrong = await as.coach.post("/api/assignments", {
    title: "x",
    focus: "x",
    strands: [],
    dueOn: "2026-12-11",
    teachers: ["teacher-c"],
    carryForward: [step.commentId],
  });
  t.match(wrong.json().message, /another teacher's recording/);

  // another coach sets teacher A an assignment too: neither coach sees the other's
  await as["coach-2"].post("/api/assignments", {
    title: "Coach 2's own",
    focus: "x",
    strands: [],
    dueOn: "2026-12-11",
    teachers: ["teacher-a"],
  });
  const own = (await as["teacher-a"].get("/api/coaching/timeline")).json<Timeline>();
  t.equal(own.own, true);
  t.same(own.assignments.map((a) => a.title).sort(), [
    "Behaviour at transitions",
    "Coach 2's own",
    "Transitions again",
  ]);
  t.same(own.feedback.map((f) => f.kind).sort(), ["next-step", "question", "strength"]);
  t.same(
    own.nextSteps.map((s) => [s.commentId, s.doneAt !== null]),
    [[step.commentId, true]],
  );
  const coachSees = (
    await as.coach.get("/api/coaching/timeline?teacher=teacher-a")
  ).json<Timeline>();
  t.equal(coachSees.own, false);
  t.same(coachSees.assignments.map((a) => a.title).sort(), [
    "Behaviour at transitions",
    "Transitions again",
  ]);
  t.equal(coachSees.feedback.length, 3);
  const coach2Sees = (
    await as["coach-2"].get("/api/coaching/timeline?teacher=teacher-a")
  ).json<Timeline>();
  t.same(
    coach2Sees.assignments.map((a) => a.title),
    ["Coach 2's own"],
  );
  t.same(coach2Sees.feedback, [], "no feedback coach 2 did not give");
  t.same(
    (
      await as.coach.get(`/api/coaching/timeline?teacher=teacher-a&strand=${id("TS4")}`)
    ).json<Timeline>().feedback,
    [],
    "filtered by strand",
  );
  t.equal((await as.coach.get("/api/coaching/timeline?teacher=ghost")).status, 404);

  // no rating anywhere; the export is the teacher's alone
  t.notMatch(JSON.stringify(own), /rating|score|grade/i);
  t.equal((await as.coach.get("/api/coaching/timeline/export?format=csv")).status, 403);
  const csv = await as["teacher-a"].get("/api/coaching/timeline/export?format=csv");
  t.equal(csv.status, 200);
  t.match(
    String(csv.headers["content-disposition"]),
    /attachment; filename="coaching-timeline-teacher-a-2026-11-23.csv"/,
  );
  t.match(String(csv.body), /Behaviour at transitions/);
  t.match(String(csv.body), /Count down from five at transitions/);
  const json = await as["teacher-a"].get("/api/coaching/timeline/export?format=json");
  t.equal(json.json<Timeline>().assignments.length, 3);
  const audit = await school.app.db.all<{ action: string; actor: string }>(
    `SELECT action, actor FROM audit_log
     WHERE action IN ('assignment.set', 'assignment.submit', 'next-step.done', 'next-step.reopen', 'coaching.export')
     ORDER BY seq`,
  );
  t.same(
    audit.map((a) => `${a.actor} ${a.action}`),
    [
      "coach assignment.set",
      "teacher-a assignment.submit",
      "teacher-a next-step.done",
      "coach next-step.reopen",
      "coach next-step.done",
      "coach assignment.set",
      "coach-2 assignment.set",
      "teacher-a coaching.export",
      "teacher-a coaching.export",
    ],
  );
});
