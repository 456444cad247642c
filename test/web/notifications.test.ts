/**
 * Notifications in a real browser (issue 17): the count in the header
 * appears live when a colleague shares a recording, the list opens from it,
 * marking all read clears it; the e-mail settings screen; a concern flagged
 * on the recording's screen, answered by the DPO on the concern's screen,
 * and the flagger's count rising live with the answer. The share's e-mail
 * reached the test's SMTP relay once. axe-core finds nothing wrong.
 */
import t from "tap";
import { MailServer } from "../helpers/mail-server.js";
import { recordedLesson, startSchool } from "../helpers/school.js";
import {
  checkAccessibility,
  go,
  launchBrowser,
  openDashboard,
  signIn,
  waitInPage,
} from "./browser.js";

const START = new Date("2026-11-23T08:00:00.000Z");
const BELL = "document.querySelector('.notification-bell')?.dataset.unread";

void t.test(
  "the count arrives live, the list clears it, a concern is flagged and answered",
  async (t) => {
    const relay = await MailServer.start();
    const school = await startSchool({ start: START, config: { mail: relay.config } });
    t.teardown(async () => {
      await school.close();
      await relay.stop();
    });
    const { as } = school;
    const { recordingId } = await recordedLesson(school);
    const browser = await launchBrowser(t);

    const colleague = await openDashboard(browser, school.httpUrl);
    const page = colleague.page;
    await signIn(page, "teacher-b");
    await waitInPage(page, `${BELL} === "0"`);

    // e-mail settings: an address, the defaults kept
    await go(page, "notifications/settings");
    await page.getByLabel("My e-mail address").fill("teacher-b@school.example");
    t.ok(
      await page.getByLabel("A recording shared with me").isChecked(),
      "shares by e-mail by default",
    );
    t.notOk(
      await page.getByLabel("Footage I asked to watch is on the school's server").isChecked(),
    );
    await page.getByRole("button", { name: "Save my choices" }).click();
    await page.getByText("go to teacher-b@school.example").waitFor();
    await checkAccessibility(t, page, "the e-mail settings");

    // a share arrives: the count in the header appears without a reload
    t.equal(
      (await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, { withId: "teacher-b" }))
        .status,
      201,
    );
    await waitInPage(page, `${BELL} === "1"`);
    await page.getByRole("link", { name: /^Notifications\W*1 unread notification$/ }).waitFor();
    await page.locator(".notification-bell").click();
    await page.waitForSelector('body[data-screen="notifications"][data-ready]');
    const item = page.getByRole("link", { name: "Ms teacher-a shared a recording with you" });
    await item.waitFor();
    t.equal(await item.getAttribute("href"), `#/recordings/${recordingId}`);
    await page.getByText("You have 1 unread notification.").waitFor();
    await checkAccessibility(t, page, "the notification list");
    await page.getByRole("button", { name: "Mark all read" }).click();
    await waitInPage(page, `${BELL} === "0"`);
    await page.getByText("You have no unread notifications.").waitFor();

    // the e-mail went out once, with the link and nothing more
    await school.app.mailOutbox.deliverDue();
    const mails = relay.to("teacher-b@school.example");
    t.equal(mails.length, 1, "one e-mail for the share");
    t.ok(mails[0]?.text.includes(`${school.httpUrl}/#/recordings/${recordingId}`));

    // flag a concern on the recording's screen
    await item.click();
    await page.waitForSelector('body[data-screen="recordings/:id"][data-ready]');
    await page.getByRole("button", { name: "Flag a concern" }).click();
    await page.getByLabel("What is the concern?").fill("The camera sees into the corridor.");
    await checkAccessibility(t, page, "the recording with its concern form");
    await page.getByRole("button", { name: "Send the concern" }).click();
    await page.getByText("Your concern has gone to the school's concern leads.").waitFor();

    // the DPO answers it on the concern's screen; the flagger's count rises live
    const dpo = await openDashboard(browser, school.httpUrl);
    await signIn(dpo.page, "dpo");
    await waitInPage(dpo.page, `${BELL} === "1"`);
    await go(dpo.page, "notifications");
    await dpo.page
      .getByRole("link", { name: "Ms teacher-b flagged a concern about a recording" })
      .click();
    await dpo.page.waitForSelector('body[data-screen="concerns/:id"][data-ready]');
    await dpo.page.getByText("The camera sees into the corridor.").waitFor();
    await checkAccessibility(t, dpo.page, "a concern, for a lead to answer");
    await dpo.page.getByLabel("Your answer").fill("Thank you: a mask now covers the door.");
    await dpo.page.getByRole("button", { name: "Send the answer" }).click();
    await dpo.page.getByText("Answered: whoever flagged it has been told.").waitFor();
    await waitInPage(page, `${BELL} === "1"`);

    t.same(colleague.problems, [], "no page errors");
    t.same(dpo.problems, [], "no page errors");
  },
);
