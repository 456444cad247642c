/**
 * Screens that were right but hard to read (issue 16), in a real browser:
 * the DPO's audit log names people, rooms and recordings and says each entry
 * in a sentence, and its filter survives a reload of the address; a reason
 * under 20 characters keeps the dialog open with its text and the server's
 * words; an over-long comment is refused in words, not cut; a 10,000-character
 * word leaves the page no wider than the window; the recording page says the
 * footage is on the school's server once it is, and tells someone who cannot
 * watch why, with a way back to a page they have. axe-core on each; a
 * screenshot of each in test/web/screenshots/readable/.
 */
import t from "tap";
import type { Page } from "playwright-core";
import { recordedLesson, startSchool } from "../helpers/school.js";
import { Screenshots, go, launchBrowser, look, openDashboard, signIn } from "./browser.js";

const START = new Date("2026-11-23T08:00:00.000Z"); // a Monday
const WEDNESDAY = new Date("2026-11-25T12:00:00.000Z");

/** The page is no wider than its window: nothing written pushes it sideways. */
async function fitsTheWindow(page: Page): Promise<{ page: number; window: number }> {
  return page.evaluate<{ page: number; window: number }>(
    "({ page: document.documentElement.scrollWidth, window: window.innerWidth })",
  );
}

void t.test("the audit, the recording page and the forms read well", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(() => school.close());
  const { as, app } = school;
  const { recordingId } = await recordedLesson(school);
  await school.advance(WEDNESDAY.getTime() - START.getTime());
  const shared = await as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
    withId: "coach",
  });
  t.equal(shared.status, 201);
  const browser = await launchBrowser(t);
  const shots = new Screenshots("readable");

  // ------------------------------------------------------------ comments: refused in words, never cut
  const teacher = await openDashboard(browser, school.httpUrl);
  await signIn(teacher.page, "teacher-a");
  await go(teacher.page, `recordings/${recordingId}`, "recordings/:id");
  const comment = teacher.page.getByLabel("Your comment");
  const tooLong = "a".repeat(4_001);
  await comment.fill(tooLong);
  await teacher.page.getByRole("button", { name: /^Add comment at/ }).click();
  const refusal = teacher.page.locator(".comment-form").getByRole("alert");
  await refusal.waitFor();
  t.equal(
    await refusal.innerText(),
    "Please check what you entered. A comment is at most 4,000 characters; this one has 4,001.",
    "an over-long comment is refused with the limit, before it is sent",
  );
  t.equal((await comment.inputValue()).length, 4_001, "and what was written is all still there");

  // a 10,000-character word, typed and refused, and a 4,000-character one, shown
  await comment.fill("w".repeat(10_000));
  await teacher.page.getByRole("button", { name: /^Add comment at/ }).click();
  await refusal.getByText(/this one has 10,000/).waitFor();
  const posted = await as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
    atSeconds: 5,
    body: "x".repeat(4_000),
  });
  t.equal(posted.status, 201);
  await teacher.page.reload();
  await teacher.page.waitForSelector('body[data-screen="recordings/:id"][data-ready]');
  await teacher.page.locator(".comment-body").first().waitFor();
  const width = await fitsTheWindow(teacher.page);
  t.ok(
    width.page <= width.window,
    `a long word wraps (page ${width.page} px, window ${width.window} px)`,
  );
  await look(t, shots, teacher.page, "long-comment");

  // ------------------------------------------------------------ a short reason keeps the dialog open
  const slt = await openDashboard(browser, school.httpUrl);
  await signIn(slt.page, "slt");
  await go(slt.page, "holds");
  await slt.page.getByRole("button", { name: /^Open for an investigation: Room room-1/ }).click();
  const dialog = slt.page.getByRole("dialog");
  const reason = dialog.getByRole("textbox");
  await reason.fill("a short reason"); // 14 characters
  await dialog.getByRole("button", { name: "Open it" }).click();
  await dialog.getByRole("alert").waitFor();
  t.equal(
    await dialog.getByRole("alert").innerText(),
    "Please check what you entered. Give a written reason of at least 20 characters.",
    "the server's words, before sending",
  );
  t.ok(await dialog.isVisible(), "the dialog stays open");
  t.equal(await reason.inputValue(), "a short reason", "with the reason still in it");
  await look(t, shots, slt.page, "short-reason");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  t.equal(
    (await app.db.get<{ n: number }>("SELECT count(*) AS n FROM investigations"))?.n,
    0,
    "nothing was opened",
  );

  // ------------------------------------------------------------ the recording page, once uploaded
  await app.db.transaction((tx) =>
    tx.run("UPDATE recordings SET on_controller = 1 WHERE id = ?", [recordingId]),
  );
  await go(slt.page, `recordings/${recordingId}`, "recordings/:id");
  const status = slt.page.locator(".status");
  t.match(
    await status.innerText(),
    /^On the school's server — .* left before it is deleted unless it is kept/,
    "the status follows the footage",
  );
  t.notMatch(await status.innerText(), /classroom box/);
  t.equal(
    await slt.page.locator("[data-part=cannot-watch]").innerText(),
    "You cannot watch this recording. Footage is need-to-know: open an investigation with a written reason first.",
    "someone who cannot watch is told why, and what would allow it",
  );
  await look(t, shots, slt.page, "cannot-watch");

  // ------------------------------------------------------------ the DPO's audit log
  const dpo = await openDashboard(browser, school.httpUrl);
  await signIn(dpo.page, "dpo");
  await go(dpo.page, "audit?actor=teacher-a&from=2026-11-01", "audit");
  const entries = dpo.page.locator(".audit-entries");
  const shareRow = entries.locator("tr", { hasText: "shared Coaching in Room room-1" });
  await shareRow.waitFor();
  t.match(
    await shareRow.innerText(),
    /Ms teacher-a\s+Shared\s*shared Coaching in Room room-1, .* with Ms coach, with no end date/,
    "who by name, what in a sentence",
  );
  const bookedRow = entries.locator("tr", { hasText: "booked Coaching" });
  t.match(
    await bookedRow.innerText(),
    /booked Coaching in Room room-1, Mon, 23 Nov 2026, \d\d:00–\d\d:00, sound on, for Ms teacher-a/,
  );
  t.equal(
    await shareRow.getByRole("link", { name: /^Coaching in Room room-1/ }).getAttribute("href"),
    `#/recordings/${recordingId}`,
    "the recording by its title, linked",
  );
  t.notMatch(await entries.innerText(), /\{|…/, "no raw JSON, nothing cut short");
  // a line box per line the date takes
  const lines = await dpo.page.evaluate<number>(
    "document.querySelector('.audit-entries .when').getClientRects().length",
  );
  t.equal(lines, 1, "the date on one line");
  await look(t, shots, dpo.page, "audit");

  // the filter is in the address: a reload (or a colleague given the address) sees the same
  await dpo.page.getByLabel("Action").selectOption({ label: "Shared" });
  await dpo.page.getByRole("button", { name: "Show", exact: true }).click();
  await entries.locator("tr", { hasText: "booked Coaching" }).waitFor({ state: "detached" });
  const address = await dpo.page.evaluate<string>("location.hash");
  t.match(address, /^#\/audit\?/);
  t.match(address, /actor=teacher-a/);
  t.match(address, /action=share\.create/);
  t.match(address, /from=2026-11-01/);
  const colleague = await openDashboard(browser, school.httpUrl);
  await signIn(colleague.page, "dpo");
  await go(colleague.page, address.slice(2), "audit");
  await colleague.page.locator("tr", { hasText: "shared Coaching in Room room-1" }).waitFor();
  t.equal(await colleague.page.getByLabel("Person").inputValue(), "teacher-a");
  t.equal(await colleague.page.getByLabel("Action").inputValue(), "share.create");
  t.equal(await colleague.page.getByLabel("From (date)").inputValue(), "2026-11-01");
  t.equal(
    await colleague.page.locator(".audit-entries tr", { hasText: "booked" }).count(),
    0,
    "the same view, filters and all",
  );
  await dpo.page.reload();
  await dpo.page.waitForSelector("body[data-screen=audit][data-ready]");
  await dpo.page.locator("tr", { hasText: "shared Coaching in Room room-1" }).waitFor();
  t.equal(await dpo.page.getByLabel("Action").inputValue(), "share.create", "a reload keeps it");

  // from the audit to the recording, and back to a page the DPO has
  await dpo.page
    .getByRole("link", { name: /^Coaching in Room room-1/ })
    .first()
    .click();
  await dpo.page.waitForSelector('body[data-screen="recordings/:id"][data-ready]');
  t.match(
    await dpo.page.locator("[data-part=cannot-watch]").innerText(),
    /^You cannot watch this recording\. Footage is need-to-know/,
  );
  const back = dpo.page.locator(".back a");
  t.equal(await back.innerText(), "← Audit log", "back to a page the DPO has");
  await look(t, shots, dpo.page, "dpo-recording");

  for (const person of [teacher, slt, dpo, colleague]) t.same(person.problems, []);
});
