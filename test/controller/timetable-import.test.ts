// The school's timetable from its information system (issue 18): a week of a
// 1,200-pupil secondary school (60 rooms, 80 staff, 5 periods a day) as CSV
// and as iCalendar. The preview names every bad line by its number (unknown
// room, unknown teacher, bad time, end before start, a room twice at once,
// over-long fields, a bad date) and nothing is imported while any line is
// bad; a good export is imported in one transaction; the same export again
// changes nothing, and a changed one answers what changed. A booking is then
// made from a lesson — room, time and class from the timetable, so a class on
// the do-not-record list asks for the mitigation — and a booking without a
// class, or with another class than the timetable's, is refused in words.
import t from "tap";
import { startSchool, type School } from "../helpers/school.js";
import {
  csvExport,
  icsExport,
  ROOMS,
  TEACHERS,
  vevent,
  weekOfLessons,
  type ExportLesson,
} from "../helpers/timetable-export.js";
import { insertUser } from "../../controller/src/domain/user-rows.js";

const START = new Date("2026-12-04T08:00:00.000Z");

interface Line {
  line: number;
  problems: string[];
}
interface Changes {
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
}
interface Preview {
  first: (Line & { teacherId: string; deviceId: string | null })[];
  problems: Line[];
  fileProblems: { line: number | null; message: string }[];
  lessons: number;
  good: number;
  bad: number;
  unknownRooms: { room: string; lines: number[] }[];
  unknownTeachers: { teacher: string; lines: number[] }[];
  changes: Changes;
}
interface Lesson {
  lessonId: string;
  start: string;
  room: string;
  classCode: string;
  deviceId: string | null;
  bookingId: string | null;
}

/** A school with the 80 teachers' accounts and its 60 rooms, M1's box room-1 and S1's room-2. */
async function school(): Promise<School> {
  const s = await startSchool({ start: START, devices: ["room-1", "room-2"] });
  await s.app.db.transaction(async (tx) => {
    for (const id of TEACHERS) {
      // the password is never used: these people are only named by the timetable
      await insertUser(
        tx,
        { id, displayName: id, roles: ["teacher"] },
        "unused",
        false,
        START.toISOString(),
      );
    }
  });
  const rooms = ROOMS.map((room) => ({
    room,
    deviceId: room === "M1" ? "room-1" : room === "S1" ? "room-2" : null,
  }));
  const set = await s.as.admin.put("/api/rooms", { rooms });
  if (set.status !== 200) throw new Error(`rooms: ${JSON.stringify(set.body)}`);
  return s;
}

async function preview(s: School, format: "csv" | "ics", text: string): Promise<Preview> {
  const reply = await s.as.bursar.post("/api/timetable/import/preview", { format, text });
  if (reply.status !== 200)
    throw new Error(`preview: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.json<Preview>();
}

const byLine = (result: Preview) =>
  Object.fromEntries(result.problems.map((lesson) => [lesson.line, lesson.problems.join(" | ")]));

const lessonCount = async (s: School) =>
  (await s.app.db.get<{ n: number }>("SELECT count(*) AS n FROM lessons"))?.n ?? -1;

const imports = async (s: School) =>
  (await s.app.audit.page({ action: "timetable.import", limit: 100 })).entries.length;

/** A lesson after school in a room of its own, for a bad line that clashes with nothing else. */
const extra = (change: Partial<ExportLesson>): ExportLesson => ({
  date: "2026-12-07",
  start: "16:00",
  end: "17:00",
  room: "A12",
  classCode: "11J/Ar1",
  subject: "Art",
  teacher: "amy.adams@school.example",
  ...change,
});

void t.test("a CSV export: every bad line by its number, and nothing imported", async (t) => {
  const s = await school();
  t.teardown(s.close);
  const week = weekOfLessons();
  t.equal(week.length, 1200, "a week: 5 days, 5 periods, 48 classes");
  const first = week[0];
  if (first === undefined) throw new Error("a lesson");
  const bad = [
    extra({ room: "Z99" }),
    extra({ room: "A11", teacher: "nobody@school.example" }),
    extra({ room: "A10", start: "9:5O" }),
    extra({ room: "A9", start: "16:00", end: "15:00" }),
    { ...first },
    extra({ room: "A8", subject: "x".repeat(150) }),
    extra({ room: "A7", date: "2026-02-30" }),
    extra({ room: "A6", classCode: "10A/Ma1;DROP" }),
  ];
  const csv = csvExport([...week, ...bad]);
  const result = await preview(s, "csv", csv);
  t.same(result.fileProblems, [], "no problem with the file as a whole");
  t.equal(result.lessons, 1208);
  const lines = byLine(result);
  t.match(lines[1202], /unknown room 'Z99'/, "an unknown room, on its line");
  t.match(lines[1203], /unknown teacher 'nobody@school\.example'/, "an unknown teacher");
  t.match(lines[1204], /start time '9:5O' is not a time/, "a bad time");
  t.match(lines[1205], /ends before it starts/, "an end before the start");
  t.match(lines[1206], /has the same lesson time on line 2 too/, "a duplicate, on its line");
  t.match(lines[2], /on line 1206 too/, "and on the line it repeats");
  t.match(lines[1207], /subject is 150 characters long; at most 100/, "an over-long field");
  t.match(lines[1208], /'2026-02-30' is not a date/, "a bad date");
  t.match(lines[1209], /is not a class code/, "a bad class code");
  t.equal(result.bad, 9, "those lines and no other");
  t.equal(result.good, 1199);
  t.same(result.unknownRooms, [{ room: "Z99", lines: [1202] }], "the unknown rooms, listed");
  t.same(result.unknownTeachers, [{ teacher: "nobody@school.example", lines: [1203] }]);
  t.equal(result.first.length, 20, "the first lessons are shown");
  t.equal(result.first[0]?.teacherId, TEACHERS[0], "with the account the e-mail address names");
  t.equal(await lessonCount(s), 0, "the preview imports nothing");

  const refused = await s.as.bursar.post("/api/timetable/import", { format: "csv", text: csv });
  t.equal(refused.status, 400);
  t.match(
    refused.json().message,
    /^nothing was imported: 9 of 1208 lessons have problems — line 2: .*line 1202: unknown room 'Z99'/,
    "the refusal says why, by line",
  );
  t.equal(await lessonCount(s), 0, "nothing half-imported");
  t.equal(await imports(s), 0, "and nothing audited as imported");

  const teacher = await s.as["teacher-a"].post("/api/timetable/import/preview", {
    format: "csv",
    text: csv,
  });
  t.equal(teacher.status, 403, "a teacher does not import the timetable");
  const zone = await s.as.bursar.post("/api/timetable/import/preview", {
    format: "csv",
    text: csv,
    timeZone: "Mars/Olympus",
  });
  t.equal(zone.status, 400);
  t.match(zone.json().message, /'Mars\/Olympus' is not a time zone/);
});

void t.test(
  "a good export imports at once; again, nothing changes; changed, it says what",
  async (t) => {
    const s = await school();
    t.teardown(s.close);
    const week = weekOfLessons();
    const csv = csvExport(week);
    const before = await preview(s, "csv", csv);
    t.equal(before.bad, 0, "a good export");
    t.same(before.changes, {
      ...before.changes,
      added: 1200,
      changed: 0,
      removed: 0,
      unchanged: 0,
    });

    const first = await s.as.bursar.post("/api/timetable/import", { format: "csv", text: csv });
    t.equal(first.status, 200, JSON.stringify(first.body).slice(0, 300));
    t.match(first.json(), { added: 1200, changed: 0, removed: 0, unchanged: 0 });
    t.equal(await lessonCount(s), 1200);

    const again = await s.as.bursar.post("/api/timetable/import", { format: "csv", text: csv });
    t.match(again.json(), { added: 0, changed: 0, removed: 0, unchanged: 1200 }, "idempotent");
    t.equal(await lessonCount(s), 1200);

    // a class renamed, a lesson dropped, one added after school
    const changed = week.map((lesson, index) =>
      index === 0 ? { ...lesson, classCode: "7A/Ma2" } : lesson,
    );
    changed.splice(1, 1);
    changed.push(extra({}));
    const second = await s.as.slt.post("/api/timetable/import", {
      format: "csv",
      text: csvExport(changed),
    });
    t.match(second.json(), { added: 1, changed: 1, removed: 1, unchanged: 1198 });
    t.equal(await lessonCount(s), 1200);

    // the same lessons from the iCalendar feed are the same lessons
    const ics = icsExport(changed);
    const fromIcs = await preview(s, "ics", ics);
    t.equal(fromIcs.bad, 0, JSON.stringify(fromIcs.problems.slice(0, 3)));
    t.match(fromIcs.changes, { added: 0, changed: 0, removed: 0, unchanged: 1200 });
    const imported = await s.as.admin.post("/api/timetable/import", { format: "ics", text: ics });
    t.match(imported.json(), { added: 0, changed: 0, removed: 0, unchanged: 1200 });

    const audit = (await s.app.audit.page({ action: "timetable.import", limit: 10 })).entries;
    t.equal(audit.length, 4, "each import audited");
    t.match(audit.find((entry) => entry.actor === "slt")?.detail, {
      format: "csv",
      added: 1,
      changed: 1,
      removed: 1,
    });
  },
);

void t.test("an iCalendar export: every bad event at the line it begins on", async (t) => {
  const s = await school();
  t.teardown(s.close);
  const week = weekOfLessons().slice(0, 100);
  const first = week[0];
  if (first === undefined) throw new Error("a lesson");
  const events = [
    vevent(extra({ room: "Z99" }), "bad-1"),
    vevent(extra({ room: "A11", teacher: "nobody@school.example" }), "bad-2"),
    vevent(extra({ room: "A9", start: "16:00", end: "15:00" }), "bad-3"),
    vevent({ ...first }, "bad-4"),
    vevent(extra({ room: "A8", subject: "x".repeat(150) }), "bad-5"),
    vevent(extra({ room: "A7" }), "bad-6").map((line) =>
      line.startsWith("DTSTART") ? "DTSTART;TZID=Europe/London:20260230T160000" : line,
    ),
    [
      ...vevent(extra({ room: "A6" }), "bad-7").slice(0, -1),
      "RRULE:FREQ=WEEKLY;COUNT=10",
      "END:VEVENT",
    ],
  ];
  const ics = icsExport(week, events);
  // the header takes 3 lines, each event 9 (the repeating one 10)
  const at = (index: number) => 4 + 9 * index;
  const result = await preview(s, "ics", ics);
  const lines = byLine(result);
  t.match(lines[at(100)], /unknown room 'Z99'/, "an unknown room, at its BEGIN:VEVENT");
  t.match(lines[at(101)], /unknown teacher 'nobody@school\.example'/);
  t.match(lines[at(102)], /ends before it starts/);
  t.match(lines[at(103)], /same lesson time on line 4 too/, "a duplicate");
  t.match(lines[4], new RegExp(`on line ${at(103)} too`));
  t.match(lines[at(104)], /subject is 150 characters long/);
  t.match(lines[at(105)], /'20260230T160000' is not a date \(DTSTART\)/, "a bad date");
  t.match(lines[at(106)], /repeating event \(RRULE\)/);
  t.equal(result.bad, 8);
  const refused = await s.as.bursar.post("/api/timetable/import", { format: "ics", text: ics });
  t.equal(refused.status, 400);
  t.match(refused.json().message, /^nothing was imported: 8 of 107 lessons have problems/);
  t.equal(await lessonCount(s), 0, "nothing half-imported");

  const notIcs = await s.as.bursar.post("/api/timetable/import/preview", {
    format: "ics",
    text: "Date,Start\n",
  });
  t.match(notIcs.json<Preview>().fileProblems, [{ message: /not an iCalendar file/ }]);
});

void t.test("a booking from a lesson takes its room, time and class", async (t) => {
  const s = await school();
  t.teardown(s.close);
  // teacher-a teaches 9X/Ma1 in M1 (box room-1) on Tuesday first period; S1 has a box too
  const week = weekOfLessons().filter((lesson) => lesson.room !== "M1" && lesson.room !== "S1");
  const mine: ExportLesson = {
    date: "2026-12-08",
    start: "08:50",
    end: "09:50",
    room: "M1",
    classCode: "9X/Ma1",
    subject: "Mathematics",
    teacher: "teacher-a",
  };
  const noBox = { ...mine, room: "M2", start: "16:00", end: "17:00" };
  const other = { ...mine, start: "11:10", end: "12:10", classCode: "8Y/Ma1" };
  const imported = await s.as.bursar.post("/api/timetable/import", {
    format: "csv",
    text: csvExport([
      ...week.filter((l) => l.room !== "M2" || l.date !== "2026-12-08"),
      mine,
      noBox,
      other,
    ]),
  });
  t.equal(imported.status, 200, JSON.stringify(imported.body).slice(0, 300));

  // the do-not-record list from the school's export: one line per pupil, only the class is kept
  const dnr = "Pupil,Class\nA. Pupil,9X/Ma1\nB. Pupil,9x/ma1\nC. Pupil,10B/En1\n";
  const dnrPreview = await s.as.slt.post("/api/policy/do-not-record/preview", { csv: dnr });
  t.same(dnrPreview.json().classes, ["9X/Ma1", "10B/En1"], "each class once, no names");
  const dnrImport = await s.as.slt.post("/api/policy/do-not-record/import", { csv: dnr });
  t.equal(dnrImport.status, 200);
  t.same(dnrImport.json().doNotRecordClasses, ["9X/Ma1", "10B/En1"]);

  const list = await s.as["teacher-a"].get(
    "/api/lessons?from=2026-12-07T00:00:00Z&to=2026-12-12T00:00:00Z",
  );
  t.equal(list.status, 200);
  const lessons = list.json<Lesson[]>();
  t.equal(lessons.length, 3, "a teacher sees their own lessons");
  const lesson = lessons.find((l) => l.classCode === "9X/Ma1" && l.room === "M1");
  const boxless = lessons.find((l) => l.room === "M2");
  if (lesson === undefined || boxless === undefined) throw new Error("the lessons");
  t.equal(lesson.deviceId, "room-1", "with the box in its room");
  t.equal(boxless.deviceId, null);

  const url = `/api/lessons/${lesson.lessonId}/booking`;
  const asked = await s.as["teacher-a"].post(url, { purpose: "coaching" });
  t.equal(asked.status, 400);
  t.match(
    asked.json().message,
    /do-not-record list: state the mitigation/,
    "the mitigation is asked for",
  );

  const theirs = await s.as["teacher-b"].post(url, { purpose: "coaching" });
  t.equal(theirs.status, 403, "not another teacher's lesson");
  t.match(theirs.json().message, /their own lessons/);

  const booked = await s.as["teacher-a"].post(url, {
    purpose: "coaching",
    mitigation: { kind: "camera-position", note: "camera turned to the board" },
  });
  t.equal(booked.status, 201, JSON.stringify(booked.body));
  t.match(booked.json(), {
    deviceId: "room-1",
    teacherId: "teacher-a",
    start: "2026-12-08T08:50:00.000Z",
    end: "2026-12-08T09:50:00.000Z",
    classCode: "9X/Ma1",
    doNotRecordPupils: true,
  });
  const relisted = await s.as["teacher-a"].get(
    "/api/lessons?from=2026-12-07T00:00:00Z&to=2026-12-12T00:00:00Z",
  );
  t.equal(
    relisted.json<Lesson[]>().find((l) => l.lessonId === lesson.lessonId)?.bookingId,
    booked.json().bookingId,
    "the lesson shows its booking",
  );

  const unboxed = await s.as["teacher-a"].post(`/api/lessons/${boxless.lessonId}/booking`, {
    purpose: "coaching",
  });
  t.equal(unboxed.status, 409);
  t.match(unboxed.json().message, /room 'M2' has no box/);

  // typed by hand: the class is required, and the timetable's where it has one
  const typedOther = await s.as["teacher-a"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-12-08T11:10:00Z",
    end: "2026-12-08T12:10:00Z",
    purpose: "coaching",
    classCode: "7A/Ma1",
  });
  t.equal(typedOther.status, 400);
  t.match(typedOther.json().message, /the timetable has 8Y\/Ma1 in this room then/);
  const noClass = await s.as["teacher-a"].post("/api/bookings", {
    deviceId: "room-2",
    start: "2026-12-08T16:00:00Z",
    end: "2026-12-08T17:00:00Z",
    purpose: "coaching",
  });
  t.equal(noClass.status, 400);
  t.match(noClass.json().message, /say which class is taught \(its class code\)/);
});

void t.test("the do-not-record list from an export: every bad line, all or nothing", async (t) => {
  const s = await school();
  t.teardown(s.close);
  const csv = "Class,Note\n9X/Ma1,\n\n;DROP TABLE,\n,x\n10B/En1,\n";
  const previewed = await s.as.dpo.post("/api/policy/do-not-record/preview", { csv });
  t.equal(previewed.status, 200);
  t.match(previewed.json(), {
    classes: ["9X/Ma1", "10B/En1"],
    problems: [
      { line: 4, problems: [/is not a class code/] },
      { line: 5, problems: ["no class code"] },
    ],
  });
  const refused = await s.as.dpo.post("/api/policy/do-not-record/import", { csv });
  t.equal(refused.status, 400);
  t.match(refused.json().message, /^nothing was imported: 2 lines have problems — line 4: /);
  t.same((await s.app.policy.get()).doNotRecordClasses, [], "the list is as it was");
  const noHeader = await s.as.dpo.post("/api/policy/do-not-record/preview", { csv: "Name\nX\n" });
  t.match(noHeader.json().fileProblems, [{ line: 1, message: /no column named Class/ }]);
  const teacher = await s.as["teacher-a"].post("/api/policy/do-not-record/import", { csv });
  t.equal(teacher.status, 403);
});
