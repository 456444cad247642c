// Coaching's live notices (issue 17): an assignment set or answered, feedback
// or a reply given, a next step marked done or open again — each tells the
// open screens of the people in it (the teacher and whoever set an assignment
// the lesson answers) with a `coaching` notice carrying no content, and
// nobody else. "Not told" is read once the person told has had theirs:
// notices go out in order, to every stream at once.
import t from "tap";
import { Listener } from "../helpers/live-listener.js";
import { recordedLesson, startSchool } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");

void t.test(
  "coaching changes reach the teacher and the mentor, live, and no one else",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(() => school.close());
    const { as } = school;
    const { recordingId } = await recordedLesson(school);
    const people = ["teacher-a", "coach", "coach-2", "teacher-b", "slt"] as const;
    const listen = {} as Record<(typeof people)[number], Listener>;
    for (const id of people) listen[id] = await Listener.open(school, as[id]);
    t.teardown(() => {
      for (const listener of Object.values(listen)) listener.close();
    });
    const coachingNotices = (who: (typeof people)[number]) =>
      listen[who].notices.filter((n) => n.event === "coaching").length;
    /** Waits until `who` has had `count` coaching notices in all. */
    const told = (who: (typeof people)[number], count: number, what: string) =>
      listen[who].waitFor(what, () => coachingNotices(who) >= count);

    // the coach sets an assignment for teacher A: both are told, nobody else
    const set = await as.coach.post("/api/assignments", {
      title: "Questioning",
      focus: "Who answers?",
      strands: [],
      dueOn: "2026-12-04",
      teachers: ["teacher-a"],
    });
    t.equal(set.status, 201);
    const assignmentId = set.json<{ assignmentId: string }>().assignmentId;
    await told("teacher-a", 1, "the assignment set for her");
    await told("coach", 1, "the assignment they set");
    t.same(
      ["coach-2", "teacher-b", "slt"].map((who) => coachingNotices(who as "slt")),
      [0, 0, 0],
      "another coach, another teacher and SLT are not told",
    );
    t.same(listen["teacher-a"].notices.find((n) => n.event === "coaching")?.data, {}, "no content");

    // teacher A answers with her recording: the coach is told
    const answered = await as["teacher-a"].post(`/api/assignments/${assignmentId}/submission`, {
      recordingId,
      reflection: "The same three answered.",
    });
    t.equal(answered.status, 201);
    await told("coach", 2, "the answer");
    await told("teacher-a", 2, "her own answer (her other screens follow)");

    // the coach gives a next step: teacher A is told
    const step = await as.coach.post(`/api/recordings/${recordingId}/comments`, {
      atSeconds: 30,
      body: "Cold call the first question",
      kind: "next-step",
    });
    t.equal(step.status, 201);
    await told("teacher-a", 3, "the feedback");
    await told("coach", 3, "the feedback they gave");

    // teacher A marks it done: the coach's screens follow, the recording's page too
    const before = listen.coach.about(recordingId).length;
    const done = await as["teacher-a"].put(
      `/api/next-steps/${step.json<{ commentId: number }>().commentId}`,
      { done: true },
    );
    t.equal(done.status, 200);
    await told("coach", 4, "the next step marked done");
    t.equal(
      listen.coach.about(recordingId).length,
      before + 1,
      "and the recording's own notice, sent just before",
    );
    t.same(
      ["coach-2", "teacher-b"].map((who) => coachingNotices(who as "slt")),
      [0, 0],
      "still nobody else",
    );
  },
);
