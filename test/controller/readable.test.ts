// What the API gives the dashboard so its screens read well (issue 16): the
// audit page names the people, rooms, recordings and bookings behind its ids
// (the export keeps the raw ids); a written reason or a comment past a limit
// is refused with the words the dashboard checks with (form-limits.ts), never
// cut; a recording's details say why someone cannot watch it (the access
// decision's own reason) and until when a kept recording is kept.
import t from "tap";
import { DEFAULT_RETENTION } from "../../controller/src/domain/retention.js";
import {
  MAX_COMMENT_LENGTH,
  MAX_NOTE_LENGTH,
  MAX_REASON_LENGTH,
  MIN_HOLD_REASON,
  MIN_INVESTIGATION_REASON,
  commentTooLong,
  noteTooLong,
  reasonProblem,
  reasonTooLong,
  reasonTooShort,
} from "../../controller/src/domain/form-limits.js";
import { Mitigation, Reason } from "../../controller/src/routes/schemas.js";
import { recordedLesson, startSchool } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");

interface Names {
  people: Record<string, string>;
  rooms: Record<string, string>;
  recordings: Record<string, { purpose: string | null; room: string; startedAt: string }>;
  bookings: Record<string, { purpose: string; room: string; start: string; end: string }>;
}
interface Entry {
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

void t.test("the audit page names what its entries are about; the export keeps ids", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as } = school;
  const { bookingId, recordingId } = await recordedLesson(school);
  t.equal((await as["teacher-a"].post(`/api/recordings/${recordingId}/views`)).status, 200);
  const shared = await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
    withId: "coach",
  });
  t.equal(shared.status, 201);

  const page = await as.dpo.get("/api/audit?limit=1000");
  t.equal(page.status, 200);
  const { entries, names } = page.json<{ entries: Entry[]; names: Names }>();
  const share = entries.find((e) => e.action === "share.create");
  t.match(share, { actor: "teacher-a", subject: recordingId, detail: { with: "coach" } });
  t.equal(names.people["teacher-a"], "Ms teacher-a", "the actor by name");
  t.equal(names.people.coach, "Ms coach", "whom it was shared with, named from the detail");
  t.equal(names.people["teacher-b"], "Ms teacher-b", "the booking's staff, from the detail");
  t.equal(names.rooms["room-1"], "Room room-1", "the box by its room");
  t.same(names.recordings[recordingId], {
    purpose: "coaching",
    room: "Room room-1",
    startedAt: "2026-11-23T09:01:00.000Z",
  });
  t.match(names.bookings[bookingId], {
    purpose: "coaching",
    room: "Room room-1",
    start: "2026-11-23T09:00:00.000Z",
    end: "2026-11-23T10:00:00.000Z",
    audio: true,
    teacherId: "teacher-a",
  });
  t.notOk("coaching" in names.people, "a word in a detail that names no one is left out");

  const exported = await as.dpo.get("/api/audit/export?format=json");
  const raw = exported.json<Record<string, unknown>[]>();
  t.match(
    raw.find((e) => e.action === "share.create"),
    { actor: "teacher-a", subject: recordingId, detail: { with: "coach" } },
  );
  t.notOk(
    raw.some((e) => "names" in e),
    "the export is the entries as stored",
  );
});

void t.test("reasons and comments past a limit are refused in the dashboard's words", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as, app } = school;
  const { recordingId } = await recordedLesson(school);

  const hold = await as.slt.post(`/api/recordings/${recordingId}/holds`, { reason: "too short" });
  t.equal(hold.status, 400);
  t.equal(hold.json().message, reasonTooShort(MIN_HOLD_REASON));
  const open = await as.slt.post(`/api/recordings/${recordingId}/investigations`, {
    reason: "nineteen characters",
  });
  t.equal(open.status, 400);
  t.equal(open.json().message, reasonTooShort(MIN_INVESTIGATION_REASON));

  const comments = `/api/recordings/${recordingId}/comments`;
  const long = "a".repeat(MAX_COMMENT_LENGTH + 1);
  const refused = await as["teacher-a"].post(comments, { atSeconds: 1, body: long });
  t.equal(refused.status, 400, "a comment over the limit is refused, not cut");
  t.match(refused.json().message, /4000 characters/);
  await t.rejects(
    app.recordings.comment({ id: "teacher-a", roles: ["teacher"] }, recordingId, 1, long),
    { message: commentTooLong(long.length) },
    "the rule itself says how long is too long",
  );
  const longest = "b".repeat(MAX_COMMENT_LENGTH);
  const taken = await as["teacher-a"].post(comments, { atSeconds: 1, body: longest });
  t.equal(taken.status, 201);
  t.equal(taken.json<{ body: string }>().body.length, MAX_COMMENT_LENGTH, "kept whole");
});

void t.test(
  "a recording's details say why someone cannot watch, and until when it is kept",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { as, app } = school;
    const { recordingId } = await recordedLesson(school);
    const detail = async (who: "teacher-a" | "teacher-b" | "slt" | "dpo") =>
      (await as[who].get(`/api/recordings/${recordingId}`)).json<{
        cannotWatch: string | null;
        keptUntil: string | null;
      }>();

    t.equal((await detail("teacher-a")).cannotWatch, null, "the owner may watch");
    t.match((await detail("teacher-b")).cannotWatch, /only its owner and whom the owner shares it/);
    t.match((await detail("slt")).cannotWatch, /open an investigation with a written reason/);
    t.match((await detail("dpo")).cannotWatch, /need-to-know/);
    t.equal((await detail("teacher-a")).keptUntil, null, "not kept: no end to keeping");

    const archivedAt = "2026-11-24T10:00:00.000Z";
    await app.db.transaction((tx) =>
      tx.run("UPDATE recordings SET archive_state = 'archived', archived_at = ? WHERE id = ?", [
        archivedAt,
        recordingId,
      ]),
    );
    const until = new Date(
      Date.parse(archivedAt) + DEFAULT_RETENTION.archiveDays * 86_400_000,
    ).toISOString();
    t.equal((await detail("teacher-a")).keptUntil, until, "archive retention's end");
    await app.db.transaction((tx) =>
      tx.run("UPDATE recordings SET exemplar = 1 WHERE id = ?", [recordingId]),
    );
    t.equal((await detail("teacher-a")).keptUntil, null, "an exemplar is kept until released");
  },
);

void t.test("the API's schemas take their limits from form-limits.ts", async (t) => {
  t.equal(Reason.maxLength, MAX_REASON_LENGTH, "a reason");
  t.equal(Mitigation.properties.note.maxLength, MAX_NOTE_LENGTH, "a booking's note");
  t.equal(
    reasonProblem(" ".repeat(40) + "short", MIN_HOLD_REASON),
    reasonTooShort(MIN_HOLD_REASON),
  );
  t.equal(
    reasonProblem("r".repeat(MAX_REASON_LENGTH + 1), 1),
    reasonTooLong(MAX_REASON_LENGTH + 1),
  );
  t.equal(reasonProblem("a reason that will do", MIN_INVESTIGATION_REASON), null);
  t.equal(noteTooLong(612), "a note is at most 500 characters; this one has 612");
  t.equal(commentTooLong(10_000), "a comment is at most 4,000 characters; this one has 10,000");
});
