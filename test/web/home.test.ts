/**
 * The home in a real browser, for each role: what needs that person, each
 * item linking to where it is dealt with, an empty part saying so — and kept
 * up to date live: a booking made for the teacher by the Bursar, a share made
 * by a teacher to the coach, a hold placed by the headteacher, a box's buffer
 * filling with protected footage, a coaching assignment set for the teacher all
 * appear without a reload. A new comment
 * stops being new once the person has opened the recording. axe-core finds
 * nothing wrong; a screenshot of each role's home.
 */
import t from "tap";
import { deviceEvent, recordedLesson, startSchool } from "../helpers/school.js";
import { Screenshots, TABLET, go, launchBrowser, look, openDashboard, signIn } from "./browser.js";

const START = new Date("2026-11-23T08:00:00.000Z"); // a Monday
const WEDNESDAY = new Date("2026-11-25T12:00:00.000Z");

void t.test("each role's home shows its items and follows changes live", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const { as } = school;
  const { recordingId } = await recordedLesson(school);
  await school.advance(WEDNESDAY.getTime() - START.getTime());
  const browser = await launchBrowser(t);
  const shots = new Screenshots("home");

  // ------------------------------------------------------------ the teacher
  const teacher = await openDashboard(browser, school.httpUrl);
  await signIn(teacher.page, "teacher-a");
  const teacherHome = teacher.page;
  const unwatched = teacherHome.getByRole("region", {
    name: "Recordings this week you have not watched",
  });
  await unwatched.getByRole("link", { name: /^Coaching in Room room-1/ }).waitFor();
  t.match(
    await unwatched.innerText(),
    /4 days left before the box overwrites it/,
    "the days left, by the buffer rule",
  );
  const bookings = teacherHome.getByRole("region", { name: "Your next bookings" });
  t.equal(
    await bookings.locator(".empty").innerText(),
    "You have no bookings in the next two weeks.",
    "an empty part says so",
  );
  t.ok(
    await teacherHome
      .getByRole("navigation", { name: "Your pages" })
      .getByRole("link", {
        name: "My bookings",
      })
      .isVisible(),
    "the compact menu of the teacher's pages",
  );

  // the Bursar books a slot for teacher A: it appears on their home without a reload
  const booked = await as.bursar.post("/api/bookings", {
    deviceId: "room-1",
    teacherId: "teacher-a",
    start: "2026-11-26T10:00:00Z",
    end: "2026-11-26T11:00:00Z",
    purpose: "self-reflection",
    classCode: "7A1",
  });
  t.equal(booked.status, 201, JSON.stringify(booked.body));
  await bookings.getByRole("link", { name: /^Self-reflection in Room room-1/ }).waitFor();
  t.pass("a booking made by someone else appears live");
  await look(t, shots, teacherHome, "teacher");

  // ------------------------------------------------------------ the coach
  const coach = await openDashboard(browser, school.httpUrl, TABLET);
  await signIn(coach.page, "coach");
  const awaiting = coach.page.getByRole("region", { name: "Awaiting your feedback" });
  t.equal(
    await awaiting.locator(".empty").innerText(),
    "No recording shared with you is waiting for your feedback.",
  );
  const shared = await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
    withId: "coach",
  });
  t.equal(shared.status, 201);
  const link = awaiting.getByRole("link", { name: /^Coaching in Room room-1/ });
  await link.waitFor();
  t.match(await awaiting.innerText(), /Shared by Ms teacher-a/, "a share appears live");
  await look(t, shots, coach.page, "coach");
  await link.click();
  await coach.page.waitForSelector('body[data-screen="recordings/:id"][data-ready]');
  t.equal(
    await coach.page.evaluate("location.hash"),
    `#/recordings/${recordingId}`,
    "the item opens the recording, where feedback is given",
  );

  // ------------------------------------------------------------ new comments, until looked at
  const colleague = await openDashboard(browser, school.httpUrl);
  await signIn(colleague.page, "teacher-b");
  const comments = colleague.page.getByRole("region", { name: "New comments" });
  await comments.locator(".empty").waitFor();
  t.equal(
    (await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, { withId: "teacher-b" }))
      .status,
    201,
  );
  t.equal(
    (
      await as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
        atSeconds: 30,
        body: "Watch the plenary",
      })
    ).status,
    201,
  );
  await comments.getByText("Ms teacher-a: “Watch the plenary”").waitFor();
  t.pass("a comment appears live");
  await comments.getByRole("link", { name: /^Coaching in Room room-1/ }).click();
  await colleague.page.waitForSelector('body[data-screen="recordings/:id"][data-ready]');
  await go(colleague.page, "", "");
  await comments.locator(".empty").waitFor();
  t.equal(
    await comments.locator(".empty").innerText(),
    "There are no new comments on your recordings or those shared with you.",
    "once the recording has been opened, its comment is no longer new",
  );

  // ------------------------------------------------------------ the headteacher
  const head = await openDashboard(browser, school.httpUrl);
  await signIn(head.page, "head");
  const held = head.page.getByRole("region", { name: "Holds in force" });
  await held.locator(".empty").waitFor();
  t.equal(
    (
      await as.head.post(`/api/recordings/${recordingId}/holds`, {
        reason: "A complaint is being looked into",
      })
    ).status,
    201,
  );
  await held.getByRole("link", { name: /^Room room-1/ }).waitFor();
  t.match(await held.innerText(), /A complaint is being looked into/, "a hold appears live");
  await look(t, shots, head.page, "headteacher");

  // ------------------------------------------------------------ IT
  const it = await openDashboard(browser, school.httpUrl);
  await signIn(it.page, "it");
  const boxes = it.page.getByRole("region", { name: "Boxes that need attention" });
  await boxes.getByRole("link", { name: "Room room-1: Offline" }).waitFor();
  await deviceEvent(
    school.app,
    "room-1",
    "storage.exhausted",
    { freeBytes: 0, protectedBytes: 30e9 },
    WEDNESDAY,
  );
  await boxes
    .getByRole("link", { name: /^Room room-1: Buffer full of protected footage/ })
    .waitFor();
  t.pass("a box's alert appears live");
  await look(t, shots, it.page, "it");

  // ------------------------------------------------------------ the DPO
  t.equal((await as.dpo.get("/api/audit/export?format=csv")).status, 200);
  const dpo = await openDashboard(browser, school.httpUrl);
  await signIn(dpo.page, "dpo");
  const exports = dpo.page.getByRole("region", { name: "Recent exports of the audit log" });
  await exports.getByRole("link", { name: /^Ms dpo/ }).waitFor();
  t.match(await exports.innerText(), /Exported as CSV/);
  t.equal(
    await dpo.page
      .getByRole("region", { name: "Recent investigations" })
      .locator(".empty")
      .innerText(),
    "No investigation was opened or closed in the last 30 days.",
  );
  await look(t, shots, dpo.page, "dpo");

  t.same(
    [teacher, coach, colleague, head, it, dpo].flatMap((person) => person.problems),
    [],
    "no errors or CSP refusals in any page",
  );
});

void t.test("an assignment set for the teacher appears on her open home", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const browser = await launchBrowser(t);
  const teacher = await openDashboard(browser, school.httpUrl);
  await signIn(teacher.page, "teacher-a");
  const toAnswer = teacher.page.getByRole("region", { name: "Assignments to answer" });
  await toAnswer.getByText("No coaching assignment is waiting for your answer.").waitFor();
  const set = await school.as.coach.post("/api/assignments", {
    title: "Questioning in the starter",
    focus: "Who answers?",
    strands: [],
    dueOn: "2026-12-04",
    teachers: ["teacher-a"],
  });
  t.equal(set.status, 201);
  await toAnswer.getByRole("link", { name: "Questioning in the starter" }).waitFor();
  t.pass("without a reload (the live 'coaching' notice)");
  t.same(teacher.problems, [], "no page errors");

  // her answer appears on the coach's open home, until the coach gives feedback
  const { recordingId } = await recordedLesson(school);
  const coach = await openDashboard(browser, school.httpUrl);
  await signIn(coach.page, "coach");
  const answers = coach.page.getByRole("region", { name: "Answers to your assignments" });
  await answers
    .getByText("No answer to an assignment you set is waiting for your feedback.")
    .waitFor();
  const assignmentId = set.json<{ assignmentId: string }>().assignmentId;
  const answered = await school.as["teacher-a"].post(
    `/api/assignments/${assignmentId}/submission`,
    { recordingId, reflection: "The same three answered." },
  );
  t.equal(answered.status, 201, JSON.stringify(answered.body));
  const link = answers.getByRole("link", { name: "Questioning in the starter: Ms teacher-a" });
  await link.waitFor();
  t.equal(await link.getAttribute("href"), `#/recordings/${recordingId}`);
  t.pass("the coach's home shows the answer without a reload");
  t.same(coach.problems, [], "no page errors on the coach's home");
});
