// Feedback on a clip answer (issue 17): a teacher answers an assignment with a
// clip; whoever set it watches the clip and gives feedback at moments of it,
// without gaining the rest of the recording. The feedback is on the teacher's
// recording (their page and timeline show it; they reply and mark next steps
// done there); the mentor sees the threads they started, the teacher all of
// the clip's part; nobody else sees any of it.
import t from "tap";
import { randomUUID } from "node:crypto";
import { recordedLesson, startSchool, type School } from "../helpers/school.js";
import { insertClipRow } from "../helpers/clip-rows.js";

const START = new Date("2026-11-23T08:00:00.000Z");

interface Comment {
  commentId: number;
  kind: string;
  body: string;
  atSeconds: number;
  parentId: number | null;
  strands: { code: string }[];
}

/** A clip of teacher A's recording, 60–120 s (its row only: feedback needs no footage). */
async function clipOf(school: School, recordingId: string): Promise<string> {
  const id = randomUUID();
  await school.app.db.transaction((tx) =>
    insertClipRow(tx, {
      id,
      recordingId,
      staff: ["teacher-a", "teacher-b"],
      from: 61,
      to: 119,
      cut: { from: 60, to: 120 },
      title: "The starter",
      createdAt: "2026-11-23T10:00:00.000Z",
    }),
  );
  return id;
}

void t.test(
  "the mentor gives feedback at moments of a clip answer; nobody else sees it",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { as } = school;
    const { recordingId } = await recordedLesson(school);
    const clipId = await clipOf(school, recordingId);
    const ts4 =
      (await as.coach.get("/api/strands"))
        .json<{ strandId: number; code: string }[]>()
        .find((s) => s.code === "TS4")?.strandId ?? 0;
    const set = await as.coach.post("/api/assignments", {
      title: "Questioning",
      focus: "Who answers?",
      strands: [ts4],
      dueOn: "2026-12-04",
      teachers: ["teacher-a"],
    });
    const assignmentId = set.json<{ assignmentId: string }>().assignmentId;
    const url = `/api/clips/${clipId}/comments`;

    // before the answer, the coach may not give feedback on the clip
    const early = await as.coach.post(url, { atSeconds: 70, body: "Too early", kind: "strength" });
    t.equal(early.status, 403, "not before the clip answers the coach's assignment");
    t.match(early.json().message, /whoever set an assignment it answers/);

    // teacher A keeps a note of her own at a moment of the clip, then answers with the clip
    t.equal(
      (
        await as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
          atSeconds: 65,
          body: "My own note",
        })
      ).status,
      201,
    );
    const answered = await as["teacher-a"].post(`/api/assignments/${assignmentId}/submission`, {
      clipId,
      reflection: "The same three answered.",
    });
    t.equal(answered.status, 201);

    t.same((await as.coach.get(url)).json(), [], "the coach sees none of the teacher's notes");
    const strength = await as.coach.post(url, {
      atSeconds: 70,
      body: "Clear routine",
      kind: "strength",
      strands: [ts4],
    });
    t.equal(strength.status, 201, JSON.stringify(strength.json()));
    t.match(strength.json(), {
      kind: "strength",
      atSeconds: 70,
      strands: [{ code: "TS4" }],
      recordingId,
    });
    const outside = await as.coach.post(url, { atSeconds: 200, body: "Later", kind: "question" });
    t.equal(outside.status, 400);
    t.match(outside.json().message, /the clip is 60–120 s of the recording/);

    // the teacher sees it on her recording, and replies there; the coach sees the reply
    const onRecording = (await as["teacher-a"].get(`/api/recordings/${recordingId}/comments`)).json<
      Comment[]
    >();
    const given = onRecording.find((c) => c.body === "Clear routine");
    t.ok(given, "the feedback is on the teacher's recording");
    const reply = await as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
      atSeconds: 0,
      body: "Thank you",
      parentId: given?.commentId,
    });
    t.equal(reply.status, 201);
    t.same(
      (await as.coach.get(url)).json<Comment[]>().map((c) => c.body),
      ["Clear routine", "Thank you"],
      "the coach sees the thread they started, with the reply",
    );
    t.same(
      (await as["teacher-a"].get(url)).json<Comment[]>().map((c) => c.body),
      ["My own note", "Clear routine", "Thank you"],
      "the teacher sees all of the clip's part",
    );
    const told = (await as.coach.get("/api/notifications?limit=10")).json<{
      notifications: { kind: string; link: string }[];
    }>().notifications;
    t.same(
      told.filter((n) => n.kind === "feedback").map((n) => n.link),
      [`coaching/answer?assignment=${assignmentId}&teacher=teacher-a`],
      "the coach is told of the reply with a link to the answer's page, which they may open",
    );
    const coachReply = await as.coach.post(url, {
      atSeconds: 0,
      body: "Let us talk",
      parentId: reply.json<Comment>().commentId,
    });
    t.equal(coachReply.status, 400, "a reply answers the comment itself");

    // the coach still cannot watch the recording itself
    t.equal((await as.coach.post(`/api/recordings/${recordingId}/views`)).status, 403);
    t.equal((await as.coach.get(`/api/recordings/${recordingId}/comments`)).status, 403);

    // a second coach, SLT and the Bursar see nothing and give nothing
    for (const who of ["coach-2", "slt", "bursar", "teacher-c"] as const) {
      t.equal((await as[who].get(url)).status, 403, `${who} reads nothing`);
      t.equal(
        (await as[who].post(url, { atSeconds: 70, body: "x", kind: "strength" })).status,
        403,
        `${who} writes nothing`,
      );
    }
    t.equal((await as.coach.get(`/api/clips/${randomUUID()}/comments`)).status, 404);
  },
);

void t.test(
  "the mentor marks a next step they gave at a clip answer done, and only that",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { as } = school;
    const { recordingId } = await recordedLesson(school);
    const clipId = await clipOf(school, recordingId);
    const set = await as.coach.post("/api/assignments", {
      title: "Transitions",
      focus: "Pace",
      strands: [],
      dueOn: "2026-12-04",
      teachers: ["teacher-a"],
    });
    t.equal(set.status, 201, JSON.stringify(set.json()));
    const assignmentId = set.json<{ assignmentId: string }>().assignmentId;
    const answered = await as["teacher-a"].post(`/api/assignments/${assignmentId}/submission`, {
      clipId,
      reflection: "Slow start.",
    });
    t.equal(answered.status, 201, JSON.stringify(answered.json()));
    const step = await as.coach.post(`/api/clips/${clipId}/comments`, {
      atSeconds: 80,
      body: "Have the books out before the bell",
      kind: "next-step",
    });
    t.equal(step.status, 201, JSON.stringify(step.json()));
    const stepId = step.json<Comment>().commentId;
    // the teacher's own next step at the same moments: not the mentor's to mark
    const own = await as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
      atSeconds: 90,
      body: "Seating plan",
      kind: "next-step",
    });
    const ownId = own.json<Comment>().commentId;

    const mark = (who: "coach" | "coach-2", id: number, done: boolean) =>
      as[who].put(`/api/clips/${clipId}/next-steps/${id}`, { done });
    t.equal(
      (await as.coach.put(`/api/next-steps/${stepId}`, { done: true })).status,
      403,
      "through the recording the mentor may not: they cannot see it",
    );
    const done = await mark("coach", stepId, true);
    t.equal(done.status, 200, JSON.stringify(done.json()));
    t.match(done.json(), { commentId: stepId, kind: "next-step", doneAt: String });
    const onRecording = (await as["teacher-a"].get(`/api/recordings/${recordingId}/comments`)).json<
      (Comment & { doneAt: string | null })[]
    >();
    t.ok(
      onRecording.find((c) => c.commentId === stepId)?.doneAt,
      "the teacher sees it done on her recording",
    );
    t.equal((await mark("coach", ownId, true)).status, 404, "not the teacher's own next step");
    t.equal((await mark("coach-2", stepId, false)).status, 403, "not another coach");
    const open = await mark("coach", stepId, false);
    t.equal(open.status, 200);
    t.equal(open.json<{ doneAt: string | null }>().doneAt, null, "open again");
    const audited = await school.app.db.all<{ action: string; actor: string }>(
      "SELECT action, actor FROM audit_log WHERE action LIKE 'next-step.%' ORDER BY seq",
    );
    t.same(
      audited.map((a) => `${a.actor} ${a.action}`),
      ["coach next-step.done", "coach next-step.reopen"],
      "each mark is audited",
    );
  },
);
