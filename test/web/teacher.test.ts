/**
 * The teacher's whole path in a real browser, on a real classroom box (the
 * sim box daemon, recording with ffmpeg over real MQTT, its demo panel
 * reached through the controller):
 *
 * book a slot → press the box's button on the demo panel and see the lamp
 * light → press again to stop → the recording appears in My recordings →
 * open it and watch it (fetched from the box, played by hls.js, the video
 * really advancing, the viewer's name over the picture) → comment at a time
 * and jump back to it → share with the coach, who sees it in their own
 * session, watches and comments but cannot share it on → ask to keep it →
 * the other teacher in the lesson agrees on their Consents screen → the
 * teacher's page shows it kept. axe-core on every screen; a screenshot of
 * each in test/web/screenshots/teacher/. The audit log holds every step.
 */
import t from "tap";
import type { Page } from "playwright-core";
import { until } from "../helpers/device.js";
import { schoolWithBox } from "../helpers/school-box.js";
import {
  Screenshots,
  TABLET,
  go,
  launchBrowser,
  look,
  openDashboard,
  signIn,
  waitInPage,
} from "./browser.js";

const DEVICE = "room-1";
const pad = (n: number) => String(n).padStart(2, "0");

/** The video's position, in seconds. */
const position = async (page: Page) =>
  page.evaluate<number>("document.querySelector('video')?.currentTime ?? -1");

void t.test("book, record, watch, comment, share, keep — in the browser", async (t) => {
  const { school, box } = await schoolWithBox(t, DEVICE, {
    settings: (settings) => ({ ...settings, demo: { host: "127.0.0.1", port: 0 } }),
  });
  school.app.demoPanel.url = box.daemon.panel?.url ?? null;
  t.ok(school.app.demoPanel.url, "the controller knows the box's demo panel");
  const browser = await launchBrowser(t);
  const shots = new Screenshots("teacher");

  const teacher = await openDashboard(browser, school.httpUrl);
  const { page } = teacher;
  await signIn(page, "teacher-a");
  t.ok(
    await page.getByRole("link", { name: "Demo classroom", exact: true }).count(),
    "in the demo, the menu offers the demo classroom",
  );

  // ---------------------------------------------------------------- book a slot, now
  await go(page, "bookings");
  await page.getByRole("link", { name: "Book a slot" }).click();
  await page.waitForSelector("body[data-screen='bookings/new'][data-ready]");
  // a lesson that has just started (its end is what must be ahead) and lasts 20 minutes
  const start = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const end = new Date(start.getTime() + 20 * 60_000);
  const localDate = `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}`;
  await page.getByLabel("Room").selectOption({ label: `Room ${DEVICE}` });
  await page.getByLabel("Date").fill(localDate);
  await page.getByLabel("Starts at").fill(`${pad(start.getHours())}:${pad(start.getMinutes())}`);
  await page.getByLabel("Ends at").fill(`${pad(end.getHours())}:${pad(end.getMinutes())}`);
  await page.getByLabel("Purpose").selectOption({ label: "Coaching" });
  await page.getByLabel("Class", { exact: true }).fill("7A1");
  await page.getByLabel("Ms teacher-b").check();
  await page.getByLabel("Record picture and sound").check();
  await look(t, shots, page, "book-a-slot");
  await page.getByRole("button", { name: "Book", exact: true }).click();
  await page.waitForSelector("body[data-screen=bookings][data-ready]");
  t.match(await page.getByRole("status").first().innerText(), /^Booked: /, "booked, it says");
  t.match(await page.locator("table").innerText(), /Coaching[\s\S]*Ms teacher-a, Ms teacher-b/);
  await look(t, shots, page, "my-bookings");
  const bookings = await school.as["teacher-a"].get(
    `/api/bookings?from=${new Date(start.getTime() - 60_000).toISOString()}&to=${end.toISOString()}&teacherId=teacher-a`,
  );
  const booking = bookings.json<{ bookingId: string; staff: string[]; audio: boolean }[]>()[0];
  t.same(booking?.staff, ["teacher-a", "teacher-b"], "the booking names both teachers");
  t.equal(booking?.audio, true, "with sound");
  await until(
    () =>
      box.daemon.config.current?.schedule.some((b) => b.bookingId === booking?.bookingId) === true,
    "the booking on the box's schedule",
  );

  // ---------------------------------------------------------------- the demo panel: record
  await go(page, "demo");
  await page.waitForSelector("figure.box[data-lamp=off]");
  await look(t, shots, page, "demo-box-lamp-off");
  await page.getByRole("button", { name: "Record button: press" }).click();
  await page.waitForSelector("figure.box[data-lamp=on][data-mode=recording]");
  t.equal(box.daemon.lamp.mode, "recording", "the box records picture and sound, lamp on");
  t.match(await page.locator(".lamp-state").innerText(), /On — recording picture and sound/);
  await look(t, shots, page, "demo-box-lamp-on");
  // the lamp is lit (and read back) before the capture starts: then the recording is under way
  await until(() => box.daemon.session.recording != null, "the recording under way");
  const recordingId = box.daemon.session.recording?.recordingId ?? "";
  await until(
    async () => ((await box.daemon.index.get(recordingId))?.segments ?? 0) >= 2,
    "two segments",
  );
  // the second press from the keyboard: the box's button is a real button
  await page.getByRole("button", { name: "Record button: press" }).focus();
  await page.keyboard.press("Space");
  await page.waitForSelector("figure.box[data-lamp=off]");
  t.equal(box.daemon.lamp.mode, "off", "stopped: the lamp is off");

  // ---------------------------------------------------------------- my recordings, live
  await go(page, "recordings");
  const row = page.locator("tbody tr").filter({ hasText: "In the classroom box" });
  await row.waitFor({ timeout: 30_000 }); // the box's events arrive, the list follows
  t.match(await row.innerText(), /Room room-1\s+Coaching/, "with its room and purpose");
  t.match(await row.innerText(), /7 days left before it is overwritten/, "and days left");
  await look(t, shots, page, "my-recordings");

  // ---------------------------------------------------------------- watch it
  await row.getByRole("link").click();
  await page.waitForSelector("body[data-screen='recordings/:id'][data-ready]");
  t.match(await page.locator("h1").innerText(), /^Coaching — /);
  await look(t, shots, page, "recording");
  await page.getByRole("button", { name: "Watch", exact: true }).click();
  // fetched from the box (its upload shown as it goes), then played
  await waitInPage(page, "document.querySelector('video')?.currentTime > 0.3", 60_000);
  const first = await position(page);
  await waitInPage(page, `document.querySelector('video').currentTime > ${first + 0.5}`);
  t.ok((await position(page)) > first + 0.5, "the video really plays: its time advances");
  t.match(
    await page.locator(".player-frame").getAttribute("data-watermark"),
    /^Ms teacher-a · /,
    "the viewer's name and the time are over the picture",
  );
  t.ok(await page.locator(".watermark .mark").first().isVisible(), "and visible");
  t.equal(
    await page.locator("video").getAttribute("controlslist"),
    "nodownload noremoteplayback nofullscreen noplaybackrate",
    "no download control",
  );
  await look(t, shots, page, "recording-playing");

  // ---------------------------------------------------------------- comment at a time, jump back
  await page.evaluate(
    "(async () => { const v = document.querySelector('video'); v.pause(); v.currentTime = 2; " +
      "await new Promise((done) => v.addEventListener('seeked', done, { once: true })); })()",
  );
  await page.getByLabel("Your comment").fill("Good wait time after the question here.");
  await page.getByRole("button", { name: "Add comment at 0:02" }).click();
  const comment = page.locator("li.comment").filter({ hasText: "Good wait time" });
  await comment.waitFor();
  t.equal(await comment.getAttribute("data-at"), "2", "the comment is at 2 s");
  await page.evaluate("document.querySelector('video').currentTime = 0");
  await waitInPage(page, "document.querySelector('video').currentTime < 0.5");
  await comment.getByRole("button", { name: "Jump to 0:02" }).click();
  await waitInPage(page, "Math.abs(document.querySelector('video').currentTime - 2) < 0.3", 5000);
  t.pass("pressing the comment's time goes back to that moment");
  await look(t, shots, page, "recording-commented");

  // ---------------------------------------------------------------- share with the coach
  const tomorrow = new Date(Date.now() + 86_400_000);
  const offered = await page
    .getByLabel("Share with", { exact: true })
    .locator("option")
    .allInnerTexts();
  t.same(
    offered.filter((name) => name !== "Choose a colleague").sort(),
    ["Ms coach", "Ms coach-2", "Ms head", "Ms slt", "Ms teacher-b", "Ms teacher-c"],
    "only colleagues are offered: not the Bursar, IT, the DPO or an administrator",
  );
  await page.getByLabel("Share with", { exact: true }).selectOption({ label: "Ms coach" });
  await page
    .getByLabel("Until (optional)")
    .fill(`${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}`);
  await page.getByRole("button", { name: "Share", exact: true }).click();
  const share = page.locator("ul.shares li").filter({ hasText: "Ms coach" });
  await share.waitFor();
  t.match(await share.innerText(), /Ms coach — until /, "shared with the coach, with an end");

  const coach = await openDashboard(browser, school.httpUrl, TABLET);
  await signIn(coach.page, "coach");
  await go(coach.page, "shared");
  const sharedRow = coach.page.locator("tbody tr").filter({ hasText: "Ms teacher-a" });
  await sharedRow.waitFor();
  await look(t, shots, coach.page, "coach-shared-with-me");
  await sharedRow.getByRole("link").click();
  await coach.page.waitForSelector("body[data-screen='recordings/:id'][data-ready]");
  t.equal(
    await coach.page.getByRole("heading", { name: "Share with a colleague" }).count(),
    0,
    "the coach cannot share it on",
  );
  t.equal(await coach.page.getByRole("button", { name: /Delete/ }).count(), 0, "nor delete it");
  t.equal(await coach.page.getByRole("button", { name: /Ask to keep/ }).count(), 0, "nor keep it");
  t.ok(await coach.page.locator("li.comment").filter({ hasText: "Good wait time" }).count());
  // by default a colleague sees only a copy with every face blurred (anonymise.test.ts makes
  // and checks it); this school turns blurring off, so the coach watches as recorded
  t.match(
    await coach.page.locator(".anonymised-copy").innerText(),
    /You will see a copy with every face blurred/,
    "the coach is told faces will be blurred for them",
  );
  t.equal(
    (await school.as.slt.patch("/api/policy", { anonymity: { blurFaces: false } })).status,
    200,
  );
  await coach.page.reload();
  await coach.page.waitForSelector("body[data-screen='recordings/:id'][data-ready]");
  await coach.page.getByRole("button", { name: "Watch", exact: true }).click();
  await waitInPage(coach.page, "document.querySelector('video')?.currentTime > 0.3", 30_000);
  t.match(
    await coach.page.locator(".player-frame").getAttribute("data-watermark"),
    /^Ms coach · /,
    "the coach's own name over the picture",
  );
  await coach.page.evaluate("document.querySelector('video').pause()");
  await coach.page.getByLabel("Your comment").fill("Agreed: count to five before taking answers.");
  await coach.page.getByRole("button", { name: /^Add comment at / }).click();
  await coach.page.locator("li.comment").filter({ hasText: "count to five" }).waitFor();
  await look(t, shots, coach.page, "coach-recording");

  // ---------------------------------------------------------------- ask to keep; the colleague agrees
  await page.getByRole("button", { name: "Ask to keep it" }).click();
  const answers = page.locator("table").filter({ hasText: "Member of staff" });
  await answers.waitFor();
  t.match(await answers.innerText(), /Ms teacher-a\s+Agreed/, "the owner agreed by asking");
  t.match(await answers.innerText(), /Ms teacher-b\s+Not answered yet/, "the colleague not yet");
  await look(t, shots, page, "recording-asked-to-keep");

  const colleague = await openDashboard(browser, school.httpUrl);
  await signIn(colleague.page, "teacher-b");
  await colleague.page.getByRole("link", { name: "Consents", exact: true }).first().click();
  await colleague.page.waitForSelector("body[data-screen=consents][data-ready]");
  const ask = colleague.page.locator("li.card").filter({ hasText: "Ms teacher-a asks to keep" });
  await ask.waitFor();
  await look(t, shots, colleague.page, "colleague-consents");
  await ask.getByRole("button", { name: "Agree to keep it" }).click();
  await colleague.page.getByText("Nobody is asking you to keep a recording.").waitFor();
  t.match(await colleague.page.getByRole("status").first().innerText(), /You agreed to keep/);
  await look(t, shots, colleague.page, "colleague-agreed");

  // the teacher's page follows, live, until the copy is kept
  await page.locator("[data-status=archived]").waitFor({ timeout: 30_000 });
  t.match(await answers.innerText(), /Ms teacher-b\s+Agreed/, "everyone agreed");
  t.match(
    await page.locator("[data-status]").innerText(),
    /^Kept \(archived\) until \w{3}, \d{1,2} \w{3} \d{4}$/,
    "kept, and until when",
  );
  await look(t, shots, page, "recording-kept");

  // ---------------------------------------------------------------- delete it (asked first)
  await page.getByRole("button", { name: "Delete this recording" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this recording?" });
  await dialog.waitFor();
  await look(t, shots, page, "recording-delete-asked");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  t.equal(await page.getByRole("dialog").count(), 0, "cancelled: nothing happens");
  await page.getByRole("button", { name: "Delete this recording" }).click();
  await dialog.getByRole("button", { name: "Delete it" }).click();
  await page.waitForSelector("body[data-screen=recordings][data-ready]");
  t.equal(
    await page.getByRole("status").first().innerText(),
    "The recording is being deleted.",
    "back to the list, which says so",
  );
  await page
    .getByText(/^(Being deleted|You have no recordings yet\.)/)
    .first()
    .waitFor({ timeout: 30_000 });
  t.pass("the list shows it going, or gone");

  // ---------------------------------------------------------------- the audit log has each step
  const audit = await school.as.dpo.get(`/api/audit?subject=${recordingId}&limit=1000`);
  const steps = audit
    .json<{ entries: { actor: string; action: string }[] }>()
    .entries.map((e) => `${e.actor} ${e.action}`);
  for (const step of [
    "teacher-a recording.view",
    "teacher-a footage.upload-request",
    "teacher-a footage.play",
    "teacher-a comment.add",
    "teacher-a share.create",
    "coach recording.view",
    "coach comment.add",
    "teacher-a archive.request",
    "teacher-b consent.give",
    "system archive.consented",
    "system archive.complete",
    "teacher-a recording.delete",
  ]) {
    t.ok(steps.includes(step), `audited: ${step}`);
  }
  t.same(
    [...teacher.problems, ...coach.problems, ...colleague.problems],
    [],
    "no errors or CSP refusals in any page",
  );
});
