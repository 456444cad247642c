// The home each person starts from (GET /api/home): only the sections of
// their roles, each holding exactly what needs them and nothing another role's
// section would — the teacher's next bookings, this week's recordings not yet
// watched (with the days left by the buffer rule), consents asked, shares and
// comments new to them until they look; the coach's shares awaiting feedback;
// leadership's holds and investigations in force; the Bursar's and IT's fleet
// problems; the DPO's recent investigations, exports and deletions.
import { randomUUID } from "node:crypto";
import t from "tap";
import { bufferExpiresAt } from "@classcam/protocol";
import { FLEET_ROLES, fleetPage } from "../../controller/src/domain/fleet-view.js";
import { HOME_SECTION_ROLES } from "../../controller/src/domain/home-view.js";
import { GOVERNANCE_ROLES } from "../../controller/src/routes/oversight.js";
import { deviceEvent, recordedLesson, startSchool, type School } from "../helpers/school.js";
import { insertClipRow } from "../helpers/clip-rows.js";

const START = new Date("2026-11-23T08:00:00.000Z"); // a Monday
const DAY = 86_400_000;
/** Wednesday noon, two days after the Monday lesson recordedLesson() makes. */
const WEDNESDAY = Date.parse("2026-11-25T12:00:00.000Z");

interface Home {
  teacher?: {
    bookings: { bookingId: string; room: string }[];
    unwatched: { recordingId: string; overwriteAt: string | null; daysLeft: number | null }[];
    consents: { recordingId: string }[];
    shares: { shareId: number; recordingId: string; ownerName: string | null }[];
    comments: { commentId: number; recordingId: string; authorName: string; excerpt: string }[];
  };
  coach?: {
    awaitingFeedback: { recordingId: string }[];
    answersAwaitingFeedback: {
      assignmentId: string;
      title: string;
      teacherName: string;
      recordingId: string | null;
      clipId: string | null;
    }[];
  };
  leadership?: {
    holds: { holdId: number; recordingId: string }[];
    investigations: { investigationId: number; recordingId: string }[];
  };
  fleet?: { boxes: number; problems: { deviceId: string; kind: string }[] };
  dpo?: {
    investigations: { investigationId: number; closedAt: string | null }[];
    exports: { format: string; byName: string }[];
    deletions: { recordingId: string; copy: string }[];
  };
}

async function home(school: School, id: keyof School["as"]): Promise<Home> {
  const reply = await school.as[id].get("/api/home");
  if (reply.status !== 200) throw new Error(`${id}'s home: ${JSON.stringify(reply.body)}`);
  return reply.json<Home>();
}

/** A school on Wednesday with teacher A's Monday lesson (staff: teacher A and B) recorded. */
async function school(t: {
  teardown: (fn: () => unknown) => void;
}): Promise<School & { recordingId: string }> {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { recordingId } = await recordedLesson(school);
  await school.advance(WEDNESDAY - START.getTime());
  return { ...school, recordingId };
}

void t.test("each role's home has its sections and no other role's", async (t) => {
  const s = await school(t);
  const sections = async (id: keyof School["as"]) => Object.keys(await home(s, id)).sort();
  t.same(await sections("teacher-a"), ["teacher"]);
  t.same(await sections("coach"), ["coach"]);
  t.same(await sections("slt"), ["leadership", "teacher"], "SLT who teaches sees both");
  t.same(await sections("head"), ["leadership"]);
  t.same(await sections("bursar"), ["fleet"]);
  t.same(await sections("it"), ["fleet"]);
  t.same(await sections("dpo"), ["dpo"]);
  t.same(await sections("admin"), [], "the administrator has no items, only the menu");
  const anonymous = await s.anonymous.get("/api/home");
  t.equal(anonymous.status, 401, "nobody signed in has no home");

  // each section is for roles that may already see what it shows elsewhere
  for (const role of HOME_SECTION_ROLES.fleet) t.ok(FLEET_ROLES.includes(role), `${role}: fleet`);
  for (const role of HOME_SECTION_ROLES.leadership) {
    t.ok((GOVERNANCE_ROLES as readonly string[]).includes(role), `${role}: governance`);
  }
});

void t.test("the teacher's bookings, unwatched recordings and consents", async (t) => {
  const s = await school(t);
  const booked = await s.as["teacher-a"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-11-26T10:00:00Z",
    end: "2026-11-26T11:00:00Z",
    purpose: "self-reflection",
    classCode: "7A1",
  });
  t.equal(booked.status, 201);
  const other = await s.as["teacher-b"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-11-27T10:00:00Z",
    end: "2026-11-27T11:00:00Z",
    purpose: "self-reflection",
    classCode: "7A1",
  });
  t.equal(other.status, 201);
  const a = (await home(s, "teacher-a")).teacher;
  t.same(
    a?.bookings.map((b) => [b.bookingId, b.room]),
    [[booked.json<{ bookingId: string }>().bookingId, "Room room-1"]],
    "only my own next bookings, with the room by name",
  );

  // this week's recording, not watched yet: the days left are the buffer rule's
  const expires = bufferExpiresAt("2026-11-23T09:11:00.000Z", 7);
  t.same(a?.unwatched, [
    {
      ...a?.unwatched[0],
      recordingId: s.recordingId,
      overwriteAt: expires.toISOString(),
      daysLeft: Math.floor((expires.getTime() - WEDNESDAY) / DAY),
    },
  ]);
  t.equal(a?.unwatched[0]?.daysLeft, 4, "overwritten next Monday 09:11: four whole days left");
  t.same((await home(s, "teacher-b")).teacher?.unwatched, [], "in it, but not the owner's");

  const policy = await s.as.dpo.patch("/api/policy", { retention: { bufferDays: 10 } });
  t.equal(policy.status, 200, JSON.stringify(policy.body));
  t.equal(
    (await home(s, "teacher-a")).teacher?.unwatched[0]?.daysLeft,
    7,
    "the school's buffer days count",
  );

  // asked to keep: teacher B (in it) is asked; teacher A asked and has consented already
  t.equal((await s.as["teacher-a"].post(`/api/recordings/${s.recordingId}/archive`)).status, 200);
  t.same(
    (await home(s, "teacher-b")).teacher?.consents.map((c) => c.recordingId),
    [s.recordingId],
  );
  t.same((await home(s, "teacher-a")).teacher?.consents, []);
  t.equal(
    (await home(s, "teacher-a")).teacher?.unwatched[0]?.daysLeft,
    null,
    "a recording being kept is not overwritten: no days left to count",
  );
  const agreed = await s.as["teacher-b"].put(`/api/recordings/${s.recordingId}/consent`, {
    decision: "agree",
  });
  t.equal(agreed.status, 200);
  t.same((await home(s, "teacher-b")).teacher?.consents, [], "answered: no longer asked");

  // watched: no longer waiting
  t.equal((await s.as["teacher-a"].post(`/api/recordings/${s.recordingId}/views`)).status, 200);
  t.same((await home(s, "teacher-a")).teacher?.unwatched, [], "watched by me");
});

void t.test("a recording from before this week is not in it", async (t) => {
  const s = await school(t);
  t.equal((await s.as.dpo.patch("/api/policy", { retention: { bufferDays: 14 } })).status, 200);
  t.equal((await home(s, "teacher-a")).teacher?.unwatched.length, 1);
  await s.advance(6 * DAY); // the next Tuesday: the Monday lesson is eight days old
  t.same((await home(s, "teacher-a")).teacher?.unwatched, [], "still in the box, but last week's");
});

void t.test("shares and comments are new until the person looks", async (t) => {
  const s = await school(t);
  const { as, recordingId } = s;
  const shared = await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
    withId: "teacher-b",
  });
  t.equal(shared.status, 201);
  const comment = await as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 30,
    body: "Look at the questioning here",
  });
  t.equal(comment.status, 201, JSON.stringify(comment.body));

  let b = (await home(s, "teacher-b")).teacher;
  t.same(
    b?.shares.map((x) => [x.recordingId, x.ownerName]),
    [[recordingId, "Ms teacher-a"]],
    "shared with me",
  );
  t.same(
    b?.comments.map((c) => [c.recordingId, c.authorName, c.excerpt]),
    [[recordingId, "Ms teacher-a", "Look at the questioning here"]],
  );
  const a = (await home(s, "teacher-a")).teacher;
  t.same(a?.comments, [], "my own comment is not new to me");
  t.same(a?.shares, [], "a share I made is not one made to me");
  const c = (await home(s, "teacher-c")).teacher;
  t.same([c?.shares, c?.comments], [[], []], "nothing of a recording I may not see");

  // teacher B looks: nothing is new any more
  t.equal((await as["teacher-b"].post(`/api/recordings/${recordingId}/seen`)).status, 200);
  b = (await home(s, "teacher-b")).teacher;
  t.same([b?.shares, b?.comments], [[], []], "seen");

  // a later comment is new again, alone
  await s.advance(60_000);
  const later = await as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 90,
    body: "And here",
  });
  t.equal(later.status, 201);
  b = (await home(s, "teacher-b")).teacher;
  t.same(
    b?.comments.map((x) => x.excerpt),
    ["And here"],
    "only what came after I looked",
  );

  // the owner is told of a colleague's comment on their recording
  const reply = await as["teacher-b"].post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 95,
    body: "Thanks, I see it",
  });
  t.equal(reply.status, 201);
  t.same(
    (await home(s, "teacher-a")).teacher?.comments.map((x) => x.authorName),
    ["Ms teacher-b"],
  );

  // a withdrawn share takes its comments with it
  const shareId = shared.json<{ shareId: number }>().shareId;
  t.equal(
    (await as["teacher-a"].delete(`/api/recordings/${recordingId}/shares/${shareId}`)).status,
    200,
  );
  b = (await home(s, "teacher-b")).teacher;
  t.same([b?.shares, b?.comments], [[], []], "no longer shared: nothing of it");

  // marking seen is for what the person may see, and names what is wrong
  const refused = await as["teacher-c"].post(`/api/recordings/${recordingId}/seen`);
  t.equal(refused.status, 403);
  t.match(refused.json<{ message: string }>().message, /details are for its owner/);
  const missing = await as["teacher-c"].post(
    "/api/recordings/00000000-0000-4000-8000-000000000000/seen",
  );
  t.equal(missing.status, 404);
});

void t.test("the coach's shares awaiting feedback", async (t) => {
  const s = await school(t);
  const { as, recordingId } = s;
  t.equal(
    (await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, { withId: "coach" }))
      .status,
    201,
  );
  t.equal(
    (
      await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
        withId: "coach-2",
        expiresAt: "2026-11-25T13:00:00Z",
      })
    ).status,
    201,
  );
  t.same(
    (await home(s, "coach")).coach?.awaitingFeedback.map((r) => r.recordingId),
    [recordingId],
  );
  t.same(
    (await home(s, "coach-2")).coach?.awaitingFeedback.map((r) => r.recordingId),
    [recordingId],
  );
  // another's comment is not the coach's feedback
  await as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 1,
    body: "Over to you",
  });
  t.equal((await home(s, "coach")).coach?.awaitingFeedback.length, 1);
  const feedback = await as.coach.post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 10,
    body: "Good pace",
  });
  t.equal(feedback.status, 201);
  t.same((await home(s, "coach")).coach?.awaitingFeedback, [], "feedback given");
  await s.advance(2 * 60 * 60_000);
  t.same((await home(s, "coach-2")).coach?.awaitingFeedback, [], "the share has expired");
});

void t.test("answers to the coach's assignments awaiting their feedback", async (t) => {
  const s = await school(t);
  const { as, recordingId } = s;
  const set = async (title: string) => {
    const reply = await as.coach.post("/api/assignments", {
      title,
      focus: "Who answers?",
      strands: [],
      dueOn: "2026-12-04",
      teachers: ["teacher-a"],
    });
    t.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.json<{ assignmentId: string }>().assignmentId;
  };
  const whole = await set("Questioning");
  const part = await set("Transitions");
  const answers = async (who: "coach" | "coach-2") =>
    (await home(s, who)).coach?.answersAwaitingFeedback ?? [];
  t.same(await answers("coach"), [], "nothing before an answer comes");

  const answer = await as["teacher-a"].post(`/api/assignments/${whole}/submission`, {
    recordingId,
    reflection: "The same three answered.",
  });
  t.equal(answer.status, 201, JSON.stringify(answer.body));
  await s.advance(60_000);
  const clipId = randomUUID();
  await s.app.db.transaction((tx) =>
    insertClipRow(tx, {
      id: clipId,
      recordingId,
      staff: ["teacher-a", "teacher-b"],
      from: 61,
      to: 119,
      cut: { from: 60, to: 120 },
      title: "The starter",
      createdAt: "2026-11-25T10:00:00.000Z",
    }),
  );
  t.equal(
    (
      await as["teacher-a"].post(`/api/assignments/${part}/submission`, {
        clipId,
        reflection: "Slow to settle.",
      })
    ).status,
    201,
  );
  t.match(
    await answers("coach"),
    [
      { assignmentId: part, title: "Transitions", teacherName: String, recordingId: null, clipId },
      { assignmentId: whole, title: "Questioning", recordingId, clipId: null },
    ],
    "both answers, newest first: one with a recording, one with a clip",
  );
  t.same(await answers("coach-2"), [], "not on another coach's home");

  // the teacher's own note is not the coach's feedback; the coach's feedback on the clip is
  await as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 65,
    body: "My note",
  });
  t.equal((await answers("coach")).length, 2);
  const onClip = await as.coach.post(`/api/clips/${clipId}/comments`, {
    atSeconds: 70,
    body: "Good routine",
    kind: "strength",
  });
  t.equal(onClip.status, 201, JSON.stringify(onClip.body));
  t.same(
    (await answers("coach")).map((a) => a.assignmentId),
    [],
    "feedback at a moment of the clip answers both: it is on the same recording",
  );
});

void t.test("leadership's holds and investigations; the DPO's recent work", async (t) => {
  const s = await school(t);
  const { as, recordingId } = s;
  const hold = await as.head.post(`/api/recordings/${recordingId}/holds`, {
    reason: "A complaint is being looked into",
  });
  t.equal(hold.status, 201);
  const investigation = await as.slt.post(`/api/recordings/${recordingId}/investigations`, {
    reason: "Safeguarding concern raised by a parent",
  });
  t.equal(investigation.status, 201);
  const governance = (await as.head.get("/api/governance")).json();
  for (const id of ["slt", "head"] as const) {
    t.same(
      (await home(s, id)).leadership,
      governance,
      `${id}: the holds and investigations in force`,
    );
  }
  t.equal((await home(s, "head")).leadership?.holds.length, 1);

  const exported = await as.dpo.get("/api/audit/export?format=csv");
  t.equal(exported.status, 200);
  const dpo = (await home(s, "dpo")).dpo;
  t.same(
    dpo?.investigations.map((i) => [i.investigationId, i.closedAt]),
    [[investigation.json<{ investigationId: number }>().investigationId, null]],
  );
  t.same(
    dpo?.exports.map((e) => [e.format, e.byName]),
    [["csv", "Ms dpo"]],
  );
  t.same(dpo?.deletions, []);

  // released, closed and deleted: leadership's in force is empty; the DPO's recent has it all
  const holdId = hold.json<{ holdId: number }>().holdId;
  t.equal(
    (await as.head.post(`/api/holds/${holdId}/release`, { reason: "Looked into: no case" })).status,
    200,
  );
  const investigationId = investigation.json<{ investigationId: number }>().investigationId;
  t.equal((await as.slt.post(`/api/investigations/${investigationId}/close`)).status, 200);
  t.same((await home(s, "head")).leadership, { holds: [], investigations: [] });
  t.equal((await as["teacher-a"].delete(`/api/recordings/${recordingId}`)).status, 200);
  await s.app.custodian.sweep();
  const after = (await home(s, "dpo")).dpo;
  t.equal(after?.investigations[0]?.closedAt !== null, true, "closed, and still recent");
  t.ok(
    after?.deletions.some((d) => d.recordingId === recordingId),
    "the deletion is listed",
  );
});

void t.test("the fleet's problems for the Bursar and IT", async (t) => {
  const s = await school(t);
  await deviceEvent(
    s.app,
    "room-1",
    "storage.exhausted",
    { freeBytes: 0, protectedBytes: 30e9 },
    new Date(WEDNESDAY),
  );
  await s.app.db.transaction((tx) =>
    tx.run("UPDATE devices SET state_json = ? WHERE id = 'room-1'", [
      JSON.stringify({
        at: new Date(WEDNESDAY).toISOString(),
        software: "classcam-device 0.1.0",
        bootId: "00000000-0000-4000-8000-000000000001",
        lamp: "off",
        recording: null,
        configVersion: 1,
        storage: { totalBytes: 32e9, freeBytes: 0, bufferBytes: 32e9, protectedBytes: 30e9 },
        health: { uptimeSeconds: 60, temperatureC: 40, bytesWritten: 32e9 * 600 },
      }),
    ]),
  );
  const fleet = (await home(s, "it")).fleet;
  t.same(
    fleet?.problems.map((p) => [p.deviceId, p.kind]).sort(),
    [
      ["room-1", "buffer-full"],
      ["room-1", "card-worn"],
      ["room-1", "offline"],
    ],
    "the disk full of protected footage, the worn card and the box offline",
  );
  t.equal(fleet?.boxes, 1);
  const page = await fleetPage(s.app.db, s.app.devices, s.app.now(), { show: "alerts" });
  t.same(
    fleet?.problems.map((p) => p.kind).sort(),
    page.devices[0]?.alerts.map((a) => a.kind).sort(),
    "the fleet page's own problems",
  );
  t.same((await home(s, "bursar")).fleet, fleet);
});
