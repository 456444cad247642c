/**
 * Issue 17's whole coaching story, in a real browser, on a real classroom box
 * (the sim box daemon, recording with ffmpeg over real MQTT, its demo panel
 * reached through the controller), with the school's SMTP relay started by
 * the test:
 *
 * a mentor (coach) sets an assignment for an early-career teacher (teacher A),
 * whose open Coaching screen shows it without a reload → she books, records on
 * the box, watches the lesson (it comes to the school's server), cuts a clip
 * on the Coaching screen and answers with it and a reflection → the mentor's
 * open screen shows the answer; the mentor watches the clip and leaves a
 * strength, a question and a next step, each with a strand → she replies and
 * marks the step done on her recording, and the mentor's open answer screen
 * follows → she offers the clip to the exemplar bank, the other teacher on the
 * booking (teacher B) agrees → a colleague (teacher C) finds it by its strand
 * and watches it → a second coach and the Bursar cannot see the submission
 * (the API refuses, their screens do not show it) → each person's
 * notifications and e-mails arrived once each. axe-core on every screen.
 */
import t from "tap";
import type { Locator, Page } from "playwright-core";
import { MailServer } from "../helpers/mail-server.js";
import { until } from "../helpers/device.js";
import { footageOnController, schoolWithBox } from "../helpers/school-box.js";
import {
  Screenshots,
  go,
  launchBrowser,
  look,
  openDashboard,
  signIn,
  waitInPage,
  watchPage,
  type Person,
} from "./browser.js";

const DEVICE = "room-1";
const TITLE = "Questioning in the starter";
const CLIP = "Cold calling at the start";
const TS4 = "TS4 Plan and teach well-structured lessons";
const ECF2 = "ECF2 How pupils learn";
const TS5 = "TS5 Adapt teaching to the strengths and needs of all pupils";

/**
 * A lesson that has just started, for 20 minutes, in a time zone where that is
 * around midday (a lesson near midnight would run past it in the form).
 */
function lessonTimes() {
  const startMs = Math.floor(Date.now() / 60_000) * 60_000;
  const offset = 12 - new Date(startMs).getUTCHours();
  const timeZone = offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
  const local = (ms: number) => new Date(ms + offset * 3600_000).toISOString();
  return {
    timeZone,
    date: local(startMs).slice(0, 10),
    due: local(startMs + 14 * 86_400_000).slice(0, 10),
    start: local(startMs).slice(11, 16),
    end: local(startMs + 20 * 60_000).slice(11, 16),
  };
}

/** Ticks strands in a form's strand picker, opening each framework's group as needed. */
async function tick(form: Locator, strands: readonly string[]) {
  for (const strand of strands) {
    const box = form.getByLabel(strand);
    if (!(await box.isVisible())) {
      const framework = strand.startsWith("TS") ? "Teachers' Standards" : "Early Career Framework";
      await form.locator("summary", { hasText: framework }).click();
    }
    await box.check();
  }
}

void t.test("the whole coaching story, from the assignment to the exemplar bank", async (t) => {
  const relay = await MailServer.start();
  t.teardown(() => relay.stop());
  const { school, box } = await schoolWithBox(t, DEVICE, {
    settings: (settings) => ({ ...settings, demo: { host: "127.0.0.1", port: 0 } }),
    config: { mail: relay.config },
  });
  school.app.demoPanel.url = box.daemon.panel?.url ?? null;
  const { as } = school;
  // Faces are blurred for colleagues by default (issue 19): the mentor and the colleague would
  // first wait for the blurred copy of the clip. Whether they may watch at all is this story's
  // question, the blurred copy is anonymise.test.ts's, so this school turns blurring off.
  t.equal((await as.slt.patch("/api/policy", { anonymity: { blurFaces: false } })).status, 200);
  // each person's own address, and the kinds of e-mail they get by default
  const cast = ["teacher-a", "teacher-b", "teacher-c", "coach", "coach-2", "bursar"] as const;
  for (const who of cast) {
    const { kinds } = (await as[who].get("/api/notifications/settings")).json<{
      kinds: string[];
    }>();
    const saved = await as[who].put("/api/notifications/settings", {
      ownAddress: `${who}@school.example`,
      kinds,
    });
    t.equal(saved.status, 200, `${who}'s e-mail address`);
  }
  const lesson = lessonTimes();
  const browser = await launchBrowser(t);
  const shots = new Screenshots("coaching-story");
  const people: Person[] = [];
  const open = async (who: string): Promise<Page> => {
    const person = await openDashboard(browser, school.httpUrl, undefined, lesson.timeZone);
    await signIn(person.page, who);
    people.push(person);
    return person.page;
  };

  // ------------------------------------------------------------ the mentor sets an assignment
  const teacher = await open("teacher-a");
  await go(teacher, "coaching");
  await teacher.getByText("No assignment has been set for you.").waitFor();
  // her home is open in another tab
  const home = await teacher.context().newPage();
  watchPage(home, people[0]?.problems ?? []);
  await home.goto(`${school.httpUrl}/#/`);
  await home.waitForSelector("body[data-screen=home][data-ready]");
  const coach = await open("coach");
  await go(coach, "coaching");
  const set = coach.getByRole("form", { name: "Set an assignment" });
  await set.getByLabel("Title").fill(TITLE);
  await set.getByLabel("Focus").fill("Record a starter; notice who answers your questions.");
  await tick(set, [TS4]);
  await set.getByLabel("Due").fill(lesson.due);
  await set.getByLabel("Ms teacher-a").check();
  await look(t, shots, coach, "set-an-assignment");
  await set.getByRole("button", { name: "Set the assignment" }).click();
  await coach.getByText(`“${TITLE}” is set.`).waitFor();
  // the teacher's open Coaching screen shows it, without a reload
  await teacher.locator("li.assignment", { hasText: TITLE }).waitFor();
  await home.getByText(TITLE).waitFor();
  t.pass("the assignment appears live on the teacher's Coaching screen and home");
  await home.close();
  await look(t, shots, teacher, "assignment-arrived");

  // ------------------------------------------------------------ she books and records
  await go(teacher, "bookings/new");
  await teacher.getByLabel("Room").selectOption({ label: `Room ${DEVICE}` });
  await teacher.getByLabel("Date").fill(lesson.date);
  await teacher.getByLabel("Starts at").fill(lesson.start);
  await teacher.getByLabel("Ends at").fill(lesson.end);
  await teacher.getByLabel("Purpose").selectOption({ label: "Coaching" });
  await teacher.getByLabel("Class", { exact: true }).fill("7A1");
  await teacher.getByLabel("Ms teacher-b").check();
  await look(t, shots, teacher, "book");
  await teacher.getByRole("button", { name: "Book", exact: true }).click();
  await teacher.waitForSelector("body[data-screen=bookings][data-ready]");
  t.match(await teacher.getByRole("status").first().innerText(), /^Booked: /);
  await until(
    () => (box.daemon.config.current?.schedule.length ?? 0) > 0,
    "the booking on the box's schedule",
  );
  await go(teacher, "demo");
  await teacher.waitForSelector("figure.box[data-lamp=off]");
  await teacher.getByRole("button", { name: "Record button: press" }).click();
  await teacher.waitForSelector("figure.box[data-lamp=on]");
  await until(() => box.daemon.session.recording != null, "the recording under way");
  const recordingId = box.daemon.session.recording?.recordingId ?? "";
  await until(
    async () => ((await box.daemon.index.get(recordingId))?.segments ?? 0) >= 3,
    "three segments",
  );
  await teacher.getByRole("button", { name: "Record button: press" }).click();
  await teacher.waitForSelector("figure.box[data-lamp=off]");

  // she watches it: the footage comes to the school's server
  await go(teacher, "recordings");
  const row = teacher.locator("tbody tr").filter({ hasText: "Room room-1" });
  await row.waitFor({ timeout: 30_000 });
  await row.getByRole("link").first().click();
  await teacher.waitForSelector("body[data-screen='recordings/:id'][data-ready]");
  await teacher.getByRole("button", { name: "Watch", exact: true }).click();
  await waitInPage(teacher, "document.querySelector('video')?.currentTime > 0.3", 60_000);
  await footageOnController(school, recordingId);
  const length =
    (await as["teacher-a"].get(`/api/recordings/${recordingId}`)).json<{
      durationSeconds: number | null;
    }>().durationSeconds ?? 0;
  t.ok(length >= 2, `the lesson is ${length} s long`);

  // ------------------------------------------------------------ she cuts a clip and answers
  await go(teacher, "coaching");
  const card = teacher.locator("li.assignment", { hasText: TITLE });
  await card.locator("summary", { hasText: "Send only a part: cut a clip here" }).click();
  await card.getByLabel("Cut from").selectOption({ index: 1 });
  await card.getByLabel("Title").fill(CLIP);
  await card.getByLabel("Start (seconds)").fill("0");
  await card.getByLabel("End (seconds)").fill(String(Math.floor(length)));
  await look(t, shots, teacher, "cut-a-clip-to-answer");
  await card.getByRole("button", { name: "Cut the clip" }).click();
  await card.getByText(new RegExp(`Clip “${CLIP}” cut`)).waitFor({ timeout: 30_000 });
  t.match(
    await card.getByLabel("What you send").inputValue(),
    /^clip:/,
    "the clip just cut is chosen",
  );
  await card.getByLabel("Your reflection").fill("The same three pupils answered every time.");
  await card.getByRole("button", { name: "Send my answer" }).click();
  await teacher.getByText(`Your answer to “${TITLE}” is sent to Ms coach.`).waitFor();
  t.match(await card.innerText(), new RegExp(`with your clip “${CLIP}”`));
  // the mentor's open screen shows the answer, without a reload
  const answered = coach.locator("li.assignment", { hasText: TITLE });
  await answered.getByText(/Ms teacher-a answered on .* with a clip/).waitFor();
  t.pass("the answer appears live on the mentor's screen");

  // ------------------------------------------------------------ the mentor watches, gives feedback
  // (the teacher has her recording's page open: the feedback appears there as it is given)
  await go(teacher, `recordings/${recordingId}`, "recordings/:id");
  await answered.getByRole("link", { name: "watch and give feedback (Ms teacher-a)" }).click();
  await coach.waitForSelector('body[data-screen="coaching/answer"][data-ready]');
  await coach.getByText("The same three pupils answered every time.").waitFor();
  await coach.getByRole("button", { name: `Watch “${CLIP}”` }).click();
  await waitInPage(coach, "document.querySelector('video')?.currentTime > 0.3", 30_000);
  t.pass("the clip plays for the mentor");
  const feedback = async (kind: string, words: string, strands: string[]) => {
    const form = coach.locator("form.comment-form");
    await form.getByLabel("Your feedback").fill(words);
    await form.getByLabel("Kind of feedback").selectOption({ label: kind });
    await tick(form, strands);
    await form.getByRole("button", { name: "Add the feedback" }).click();
    await coach.locator("ol.comments li.comment", { hasText: words }).waitFor();
  };
  await feedback("Strength", "Clear routine for the starter.", [TS4]);
  await feedback("Question", "What did the back row do?", [ECF2]);
  await feedback("Next step", "Use cold calling for the first question.", [TS5]);
  await look(t, shots, coach, "clip-answer-with-feedback");
  await teacher.locator("ol.comments li.comment", { hasText: "cold calling" }).waitFor();
  t.equal(
    await teacher.locator("ol.comments li.comment").count(),
    3,
    "the three feedbacks appear live on the teacher's recording",
  );

  // ------------------------------------------------------------ she replies, marks the step done
  const question = teacher.locator("ol.comments li.comment", {
    hasText: "What did the back row do?",
  });
  t.match(await question.innerText(), /Question[\s\S]*ECF2/);
  await question.getByRole("button", { name: /^Reply to Ms coach/ }).click();
  await question.getByLabel("Your reply to Ms coach").fill("They were still copying the title.");
  await question.getByRole("button", { name: "Send the reply" }).click();
  await question.locator("ul.replies", { hasText: "still copying the title" }).waitFor();
  const step = teacher.locator("ol.comments li.comment", { hasText: "cold calling" });
  await step.getByRole("button", { name: /^Mark done/ }).click();
  await step.getByRole("button", { name: /^Open again/ }).waitFor();
  await look(t, shots, teacher, "reply-and-done");
  // the mentor's open answer screen follows: the reply, and the step done
  await coach
    .locator("ol.comments li.comment", { hasText: "What did the back row do?" })
    .locator("ul.replies", { hasText: "still copying the title" })
    .waitFor();
  await coach
    .locator("ol.comments li.comment", { hasText: "cold calling" })
    .getByText("Done", { exact: true })
    .waitFor();
  t.pass("the reply and the step done appear live on the mentor's screen");
  // the mentor marks next steps too, on the answer screen: open again, then done
  const mentorsStep = coach.locator("ol.comments li.comment", { hasText: "cold calling" });
  await mentorsStep.getByRole("button", { name: /^Open again/ }).click();
  await step.getByRole("button", { name: /^Mark done/ }).waitFor();
  await mentorsStep.getByRole("button", { name: /^Mark done/ }).click();
  await step.getByRole("button", { name: /^Open again/ }).waitFor();
  t.pass("the mentor marks the step from the answer screen; the teacher's page follows live");
  await go(coach, "coaching/timeline?teacher=teacher-a", "coaching/timeline");
  t.match(
    await coach.getByRole("region", { name: "Next steps" }).innerText(),
    /Use cold calling for the first question\.[\s\S]*Done/,
  );
  await look(t, shots, coach, "timeline-for-the-mentor");

  // ------------------------------------------------------------ into the exemplar bank
  await go(teacher, "clips");
  const mine = teacher.locator("li.card", { hasText: CLIP });
  await mine.getByLabel("Subject", { exact: true }).fill("English");
  await mine.getByLabel("Year group", { exact: true }).fill("Year 7");
  await tick(mine, [TS4]);
  await look(t, shots, teacher, "offer-to-the-bank");
  await mine.getByRole("button", { name: "Offer to the exemplar bank" }).click();
  await teacher.getByText("everyone in the lesson is asked to agree").waitFor();

  const other = await open("teacher-b");
  await go(other, "consents");
  await other.getByRole("heading", { name: CLIP }).waitFor();
  await look(t, shots, other, "consents");
  await other.getByRole("button", { name: "Agree to share it" }).click();
  await other.getByText(new RegExp(`You agreed to the clip “${CLIP}”`)).waitFor();

  const colleague = await open("teacher-c");
  await go(colleague, "bank");
  const strandFilter = colleague.getByLabel("Strand", { exact: true });
  await strandFilter.selectOption({ label: TS4 });
  await colleague.getByRole("button", { name: "Search", exact: true }).click();
  await colleague.getByRole("heading", { name: CLIP }).waitFor();
  await look(t, shots, colleague, "bank-by-strand");
  await colleague.getByRole("button", { name: `Watch “${CLIP}”` }).click();
  await waitInPage(colleague, "document.querySelector('video')?.currentTime > 0.3", 30_000);
  t.pass("a colleague watches it from the bank");

  // ------------------------------------------------------------ nobody else sees the submission
  const { forMe } = (await as["teacher-a"].get("/api/assignments")).json<{
    forMe: { assignmentId: string; teachers: { submission: { clipId: string } | null }[] }[];
  }>();
  const assignmentId = forMe[0]?.assignmentId ?? "";
  const clipId = forMe[0]?.teachers[0]?.submission?.clipId ?? "";
  t.ok(clipId, "answered with the clip");
  for (const who of ["coach-2", "bursar"] as const) {
    t.equal(
      (await as[who].get(`/api/assignments/${assignmentId}`)).status,
      403,
      `${who}: no answer`,
    );
    t.equal(
      (await as[who].get(`/api/clips/${clipId}/comments`)).status,
      403,
      `${who}: no feedback`,
    );
    t.equal(
      (await as[who].post(`/api/recordings/${recordingId}/views`)).status,
      403,
      `${who}: no recording`,
    );
  }
  t.equal((await as.bursar.get(`/api/clips/${clipId}/footage/index.m3u8`)).status, 403);
  const coach2 = await open("coach-2");
  await go(coach2, "coaching");
  await coach2.getByText("You have not set any assignment yet.").waitFor();
  t.equal(await coach2.getByText(TITLE).count(), 0, "not on the second coach's screen");
  await go(
    coach2,
    `coaching/answer?assignment=${assignmentId}&teacher=teacher-a`,
    "coaching/answer",
  );
  await coach2
    .getByText(/You are not allowed to do that\. An assignment is for whoever set it/i)
    .waitFor();
  t.equal(await coach2.getByText("still copying the title").count(), 0);
  await look(t, shots, coach2, "second-coach-refused");
  const bursar = await open("bursar");
  await go(bursar, "coaching", "not-allowed");
  t.pass("the Bursar has no coaching screen");

  // ------------------------------------------------------------ told once each, and by e-mail once
  const told = async (who: (typeof cast)[number]) =>
    (await as[who].get("/api/notifications?limit=100"))
      .json<{ notifications: { kind: string; subject: string }[] }>()
      .notifications.map((n) => `${n.kind}: ${n.subject}`)
      .sort();
  t.same(
    await told("teacher-a"),
    [
      `assignment-set: Ms coach set you a coaching assignment, due ${lesson.due}`,
      "clip-bank-entered: Your clip is now in the exemplar bank: everyone in the lesson agreed",
      "feedback: Ms coach left feedback on your recording",
      "feedback: Ms coach left feedback on your recording",
      "feedback: Ms coach left feedback on your recording",
      "upload-ready: A recording you asked to watch is now on the school's server",
    ],
    "teacher A: the assignment, each of three feedbacks, her footage ready, the clip in the bank",
  );
  t.same(
    await told("coach"),
    [
      "assignment-answered: Ms teacher-a answered your coaching assignment",
      "feedback: Ms teacher-a replied to your comment on a recording",
    ],
    "the mentor: the answer and the reply",
  );
  t.same(
    await told("teacher-b"),
    [
      "consent-asked: Ms teacher-a asks you to agree to a clip of your lesson going into the exemplar bank",
    ],
    "teacher B: asked about the clip",
  );
  for (const who of ["teacher-c", "coach-2", "bursar"] as const) {
    t.same(await told(who), [], `${who}: nothing`);
  }
  // by e-mail: each notification of a kind they get by e-mail (the defaults), once
  await school.app.mailOutbox.deliverDue();
  const mailed = (who: string) =>
    relay
      .to(`${who}@school.example`)
      .map((m) => m.subject)
      .sort();
  const byMail = async (who: (typeof cast)[number]) =>
    (await told(who))
      .filter((line) => !/^(upload-ready|clip-bank-entered):/.test(line))
      .map((line) => `classcam: ${line.replace(/^[a-z-]+: /, "")}`)
      .sort();
  for (const who of cast) t.same(mailed(who), await byMail(who), `${who}'s e-mails, once each`);
  t.equal(mailed("teacher-a").length, 4, "teacher A: the assignment and three feedbacks");
  t.equal(mailed("coach").length, 2, "the mentor: the answer and the reply");
  const bodies = relay.received.map((m) => m.text).join("\n");
  t.notMatch(bodies, /back row|cold calling|same three pupils/i, "never what was said");

  for (const person of people) t.same(person.problems, [], "no page errors nor CSP refusals");
});
