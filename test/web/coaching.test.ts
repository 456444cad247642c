/**
 * Coaching in the browser (issue 17): a coach sets an assignment for teacher
 * A with a strand; teacher A answers it with a recorded lesson and a
 * reflection; the coach, now able to watch it, leaves a strength, a question
 * and a next step with strands; teacher A replies and marks the next step
 * done; the timeline shows it; a second coach and the Bursar are refused the
 * submission. SLT sees the framework screen. axe-core on every new screen.
 */
import t from "tap";
import type { Page } from "playwright-core";
import { recordedLesson, startSchool } from "../helpers/school.js";
import { Screenshots, go, launchBrowser, look, openDashboard, signIn } from "./browser.js";

const START = new Date("2026-11-23T08:00:00.000Z");

/** Leaves a comment of a kind, with strands, through the recording page's form. */
async function feedback(page: Page, kind: string, words: string, strands: string[]) {
  const form = page.locator("form.comment-form");
  await form.getByLabel("Your comment").fill(words);
  await form.getByLabel("Kind of feedback").selectOption({ label: kind });
  for (const strand of strands) {
    const box = form.getByLabel(strand);
    if (!(await box.isVisible())) {
      const framework = strand.startsWith("TS") ? "Teachers' Standards" : "Early Career Framework";
      await form.locator("summary", { hasText: framework }).click();
    }
    await box.check();
  }
  await form.getByRole("button", { name: /^Add comment at/ }).click();
  await page.locator("ol.comments li.comment", { hasText: words }).waitFor();
}

void t.test(
  "a coach sets an assignment; the teacher answers; feedback, replies, next steps",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { recordingId } = await recordedLesson(school);
    const browser = await launchBrowser(t);
    const shots = new Screenshots("coaching");

    // the coach sets an assignment for teacher A
    const coach = await openDashboard(browser, school.httpUrl);
    await signIn(coach.page, "coach");
    await go(coach.page, "coaching");
    const set = coach.page.getByRole("form", { name: "Set an assignment" });
    await set.getByLabel("Title").fill("Questioning in the starter");
    await set.getByLabel("Focus").fill("Record a starter; notice who answers your questions.");
    await set.locator("summary", { hasText: "Teachers' Standards" }).click();
    await set.getByLabel(/TS4 Plan/).check();
    await set.getByLabel("Due").fill("2026-12-18");
    await set.getByLabel("Ms teacher-a").check();
    await look(t, shots, coach.page, "set-an-assignment");
    await set.getByRole("button", { name: "Set the assignment" }).click();
    await coach.page.getByText("“Questioning in the starter” is set.").waitFor();
    t.match(
      await coach.page.locator("li.assignment").first().innerText(),
      /Questioning in the starter[\s\S]*Ms teacher-a: not answered yet/,
    );

    // teacher A answers with the recorded lesson and a reflection
    const teacher = await openDashboard(browser, school.httpUrl);
    await signIn(teacher.page, "teacher-a");
    await go(teacher.page, "coaching");
    const answer = teacher.page.getByRole("form", { name: "Answer “Questioning in the starter”" });
    await answer.getByLabel("What you send").selectOption({ index: 1 });
    await answer.getByLabel("Your reflection").fill("The same three pupils answered every time.");
    await look(t, shots, teacher.page, "assignments-for-me");
    await answer.getByRole("button", { name: "Send my answer" }).click();
    await teacher.page.getByText("Your answer to “Questioning in the starter” is sent").waitFor();
    t.match(await teacher.page.locator("li.assignment").innerText(), /You answered on/);

    // the coach watches it and gives three kinds of feedback, with strands
    await go(coach.page, "coaching/timeline");
    await go(coach.page, "coaching");
    t.match(
      await coach.page.locator("li.assignment").first().innerText(),
      /Ms teacher-a answered on[\s\S]*The same three pupils answered every time\./,
    );
    await coach.page.getByRole("link", { name: "watch and give feedback (Ms teacher-a)" }).click();
    await coach.page.waitForSelector('body[data-screen="recordings/:id"][data-ready]');
    await coach.page.locator("form.comment-form").waitFor();
    await feedback(coach.page, "Strength", "Clear routine for the starter.", [
      "TS4 Plan and teach well-structured lessons",
    ]);
    await feedback(coach.page, "Question", "What did the back row do?", ["ECF2 How pupils learn"]);
    await feedback(coach.page, "Next step", "Use cold calling for the first question.", [
      "TS5 Adapt teaching to the strengths and needs of all pupils",
    ]);
    await feedback(coach.page, "Next step", "Plan where each pupil sits.", []);
    await look(t, shots, coach.page, "feedback-given");

    // teacher A replies to the question and marks the next step done
    await go(teacher.page, `recordings/${recordingId}`, "recordings/:id");
    const question = teacher.page.locator("ol.comments li.comment", {
      hasText: "What did the back row do?",
    });
    await question.getByRole("button", { name: /^Reply to Ms coach/ }).click();
    await question.getByLabel("Your reply to Ms coach").fill("They were still copying the title.");
    await question.getByRole("button", { name: "Send the reply" }).click();
    await question
      .locator("ul.replies", { hasText: "They were still copying the title." })
      .waitFor();
    const step = teacher.page.locator("ol.comments li.comment", { hasText: "cold calling" });
    t.match(await step.innerText(), /Next step[\s\S]*TS5/);
    await step.getByRole("button", { name: /^Mark done/ }).click();
    await step.getByRole("button", { name: /^Open again/ }).waitFor();
    t.match(await step.innerText(), /Done/);
    await look(t, shots, teacher.page, "reply-and-done");

    // the timeline: the teacher's, with the step done, and the coach's view of it
    await go(teacher.page, "coaching/timeline");
    const steps = teacher.page.getByRole("region", { name: "Next steps" });
    t.match(await steps.innerText(), /Use cold calling for the first question\.[\s\S]*Done/);
    t.ok(await teacher.page.getByRole("link", { name: /Download as CSV/ }).count());
    await look(t, shots, teacher.page, "my-timeline");
    await go(coach.page, "coaching/timeline?teacher=teacher-a", "coaching/timeline");
    t.match(await coach.page.locator("main").innerText(), /Only what you set for Ms teacher-a/);
    t.equal(
      await coach.page.getByRole("link", { name: /Download as/ }).count(),
      0,
      "no export for the coach",
    );

    // the next assignment carries forward the step still open (the done one is not offered)
    await go(coach.page, "coaching");
    const next = coach.page.getByRole("form", { name: "Set an assignment" });
    await next.getByLabel("Title").fill("Seating");
    await next.getByLabel("Focus").fill("Try the seating plan.");
    await next.getByLabel("Due").fill("2026-12-18");
    await next.getByLabel("Ms teacher-a").check();
    await next.getByLabel("Ms teacher-a: Plan where each pupil sits.").check();
    t.equal(await next.getByLabel(/cold calling/).count(), 0, "a done step is not offered");
    await look(t, shots, coach.page, "carry-forward");
    await next.getByRole("button", { name: "Set the assignment" }).click();
    await coach.page.getByText("“Seating” is set.").waitFor();
    t.match(
      await coach.page.locator("li.assignment", { hasText: "Seating" }).innerText(),
      /Next steps carried forward:\s*Plan where each pupil sits\./,
    );

    // a second coach and the Bursar cannot see the submission
    for (const who of ["coach-2", "bursar"] as const) {
      const other = await openDashboard(browser, school.httpUrl);
      await signIn(other.page, who);
      await go(other.page, `recordings/${recordingId}`, "recordings/:id");
      t.match(
        await other.page.locator("main").innerText(),
        /need-to-know|details are for/,
        `${who} is refused the recording`,
      );
      t.equal(await other.page.locator("form.comment-form").count(), 0, `${who}: no comments`);
      t.equal((await school.as[who].post(`/api/recordings/${recordingId}/views`)).status, 403);
      await other.context.close();
    }

    // SLT edits the school's framework
    const slt = await openDashboard(browser, school.httpUrl);
    await signIn(slt.page, "slt");
    await go(slt.page, "framework");
    await slt.page.getByLabel("Code", { exact: true }).fill("OS1");
    await slt.page
      .getByLabel("Strand", { exact: true })
      .fill("Questioning that makes every pupil think");
    await slt.page.getByRole("button", { name: "Add the strand" }).click();
    await slt.page.getByText("OS1 is added.").waitFor();
    await look(t, shots, slt.page, "framework");

    t.same([...coach.problems, ...teacher.problems, ...slt.problems], [], "no page errors");
  },
);
