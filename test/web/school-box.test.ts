/**
 * The school-management screens with a real classroom box (the sim box
 * daemon, recording with ffmpeg over real MQTT):
 *
 * IT watches the fleet page while the box records: its lamp lights on the
 * page and goes out again, live; IT asks the box for a camera test picture.
 * The recording reaches the school's server; SLT places a hold on it (a
 * reason too short is refused in words), opens it for an investigation (the
 * owner sees it) and releases the hold. The DPO finds each step in the audit
 * log, checks the chain and exports the entries; then takes a picture of
 * the room now (the box's lamp lights) and draws privacy masks over it, by
 * numbers and with the mouse, and the box receives them. axe-core on every screen; screenshots
 * in test/web/screenshots/school-box/.
 */
import t from "tap";
import { until } from "../helpers/device.js";
import { bookOnBox, footageOnController, schoolWithBox } from "../helpers/school-box.js";
import { Screenshots, go, launchBrowser, look, openDashboard, signIn } from "./browser.js";

const DEVICE = "room-1";
const ROOM = "Room room-1";

void t.test("fleet lamp, camera test, hold, investigation, audit and masks", async (t) => {
  const classroom = await schoolWithBox(t, DEVICE);
  const { school, box } = classroom;
  const { as } = school;
  await bookOnBox(t, classroom, DEVICE, "coaching");

  const browser = await launchBrowser(t);
  const shots = new Screenshots("school-box");

  // ---------------------------------------------------------------- IT: the lamp on the fleet page
  const it = await openDashboard(browser, school.httpUrl);
  await signIn(it.page, "it");
  await go(it.page, "fleet");
  const row = it.page.locator(`tr[data-device="${DEVICE}"]`);
  await row.locator("[data-lamp=off]").waitFor({ timeout: 30_000 });
  t.match(await row.innerText(), /Online/, "the box is online");
  await look(t, shots, it.page, "fleet-lamp-off");
  await box.daemon.press("short");
  const recordingId = box.daemon.session.recording?.recordingId ?? "";
  t.ok(recordingId, "the box records");
  t.same(
    box.hw.speaker.said.map((said) => said.text),
    ["This lesson, or part of it, is being recorded for teacher training purposes."],
    "and told the room, in the default words",
  );
  await row.locator("[data-lamp=on][data-mode=recording]").waitFor({ timeout: 30_000 });
  t.match(await row.innerText(), /On — recording picture and sound/, "the lamp lit, in words");
  // (the lamp is lit just before the capture starts: then the box counts as recording)
  await it.page
    .locator(".fleet-facts div")
    .filter({ hasText: /^Recording now\s*1$/ })
    .waitFor({ timeout: 30_000 });
  await look(t, shots, it.page, "fleet-lamp-on");
  await until(
    async () => ((await box.daemon.index.get(recordingId))?.segments ?? 0) >= 2,
    "two segments",
  );
  await box.daemon.press("short");
  await row.locator("[data-lamp=off]").waitFor({ timeout: 30_000 });
  t.pass("the lamp goes out on the page when the box stops");

  // the camera test picture, asked for from the box's row
  await until(() => box.daemon.session.recording == null, "the recording over");
  await row.getByRole("button", { name: `Test the camera in ${ROOM}` }).click();
  const tested = it.page.getByRole("status").filter({ hasText: /^Camera test in Room room-1:/ });
  await tested.waitFor({ timeout: 30_000 });
  t.match(await tested.innerText(), /the picture looks right \(320 × 240, /);
  await look(t, shots, it.page, "fleet-camera-tested");
  t.same(it.problems, [], "IT: no errors in the page");

  // the footage reaches the school's server (the teacher opens it)
  await until(async () => (await box.daemon.outbox.depth()) === 0, "the events delivered");
  await school.app.projector.catchUp();
  const playlist = `/api/recordings/${recordingId}/footage/index.m3u8`;
  t.equal((await as["teacher-a"].get(playlist)).status, 404, "asked for from the box");
  await footageOnController(school, recordingId);

  // ---------------------------------------------------------------- SLT: hold and investigation
  const slt = await openDashboard(browser, school.httpUrl);
  await signIn(slt.page, "slt");
  await go(slt.page, "holds");
  await slt.page.getByText("No recording is on hold.").waitFor();
  const recording = slt.page.locator("tbody tr").filter({ hasText: "Coaching" });
  await recording.waitFor();
  t.match(await recording.innerText(), /Room room-1\s+Ms teacher-a\s+Coaching/);
  await look(t, shots, slt.page, "holds");
  const placeHold = async (reason: string) => {
    await recording.getByRole("button", { name: /^Place a hold on Room room-1/ }).click();
    const dialog = slt.page.getByRole("dialog", { name: "Place a hold?" });
    await dialog.getByLabel(/^Why is it held\?/).fill(reason);
    await dialog.getByRole("button", { name: "Place the hold" }).click();
  };
  await placeHold("Too short");
  const refused = slt.page.getByRole("alert").filter({ hasText: /reason/ });
  await refused.waitFor();
  t.equal(
    await refused.innerText(),
    "Please check what you entered. Give a written reason of at least 10 characters.",
    "a reason too short is refused in words",
  );
  // the dialog stays open with what was written: the reason is finished there
  const dialog = slt.page.getByRole("dialog", { name: "Place a hold?" });
  t.equal(
    await dialog.getByLabel(/^Why is it held\?/).inputValue(),
    "Too short",
    "the dialog kept the text",
  );
  await dialog
    .getByLabel(/^Why is it held\?/)
    .fill("A parent's complaint about this lesson is being looked into.");
  await dialog.getByRole("button", { name: "Place the hold" }).click();
  const holdRow = slt.page
    .locator("section")
    .filter({ has: slt.page.getByRole("heading", { name: "Holds in force" }) })
    .locator("tbody tr");
  await holdRow.waitFor();
  t.match(await holdRow.innerText(), /A parent's complaint[\s\S]*Ms slt/, "the hold in force");
  t.match(await recording.innerText(), /On hold/, "the recording shows it");
  await until(
    () => box.daemon.config.current?.holds.includes(recordingId) === true,
    "the box told to keep it",
  );
  await look(t, shots, slt.page, "hold-placed");

  await recording.getByRole("button", { name: /^Open for an investigation: Room room-1/ }).click();
  const open = slt.page.getByRole("dialog", { name: "Open this recording for an investigation?" });
  await open.getByLabel(/^Why\?/).fill("Safeguarding review asked for by the headteacher.");
  await open.getByRole("button", { name: "Open it" }).click();
  const investigation = slt.page
    .locator("section")
    .filter({ has: slt.page.getByRole("heading", { name: "Open investigations" }) })
    .locator("tbody tr");
  await investigation.waitFor();
  t.match(await investigation.innerText(), /Safeguarding review/);
  const owner = (await as["teacher-a"].get(`/api/recordings/${recordingId}`)).json<{
    investigations: { openedBy: string; reason: string }[];
  }>();
  t.match(
    owner.investigations,
    [{ openedBy: "slt", reason: "Safeguarding review asked for by the headteacher." }],
    "the owner sees who opened it and why",
  );
  await look(t, shots, slt.page, "investigation-opened");
  await investigation.getByRole("link", { name: /^Watch/ }).click();
  await slt.page.waitForSelector("body[data-screen='recordings/:id'][data-ready]");
  t.equal(await slt.page.getByRole("alert").count(), 0, "the recording opens for SLT");
  await go(slt.page, "holds");
  await holdRow.getByRole("button", { name: /^Release the hold/ }).click();
  const release = slt.page.getByRole("dialog", { name: "Release this hold?" });
  await release.getByLabel(/^Why is it released\?/).fill("The complaint was resolved.");
  await release.getByRole("button", { name: "Release the hold" }).click();
  await slt.page.getByText("No recording is on hold.").waitFor();
  t.same((await as.slt.get("/api/holds")).body, [], "no hold in force");
  t.same(slt.problems, [], "SLT: no errors in the page");

  // ---------------------------------------------------------------- DPO: the audit log
  const dpo = await openDashboard(browser, school.httpUrl);
  await signIn(dpo.page, "dpo");
  await go(dpo.page, "audit");
  await dpo.page.getByLabel("Recording or subject").fill(recordingId);
  await dpo.page.getByRole("button", { name: "Show", exact: true }).click();
  const entries = dpo.page.locator(".audit-entries");
  await dpo.page.getByRole("cell", { name: "Hold released" }).waitFor();
  const listed = await entries.innerText();
  for (const step of [
    "Footage fetched from the box",
    "Footage arrived",
    "Hold placed",
    "Opened for an investigation",
    "Hold released",
  ]) {
    t.match(listed, step, `the audit log shows: ${step}`);
  }
  t.match(listed, /Hold placed[\s\S]*Ms slt|Ms slt[\s\S]*Hold placed/, "by whom");
  await look(t, shots, dpo.page, "audit-of-the-recording");
  await dpo.page.getByRole("button", { name: "Check the chain" }).click();
  const whole = dpo.page.getByRole("status").filter({ hasText: /^The audit log is whole/ });
  await whole.waitFor();
  t.match(await whole.innerText(), /all \d+ entries check out/);
  await look(t, shots, dpo.page, "audit-chain-verified");
  const href = await dpo.page.getByRole("link", { name: /as CSV/ }).getAttribute("href");
  t.match(href, `subject=${recordingId}`, "the export is of the entries shown");
  const csv = await dpo.page.evaluate<string>(
    `fetch(${JSON.stringify(href)}).then((r) => r.text())`,
  );
  t.match(csv, /hold\.place/, "the export has the entries");
  t.notOk(/sign-in/.test(csv), "only the filtered ones");

  // ---------------------------------------------------------------- DPO: privacy masks
  await go(dpo.page, "policy");
  const stage = dpo.page.locator(".mask-stage");
  await dpo.page.locator(".mask-stage[data-picture=blank]").waitFor();
  t.equal(box.hw.camera.selfTests.length, 1, "no picture is taken until asked for");
  const lampChanges = box.hw.lamp.changes.length;
  await dpo.page.getByRole("button", { name: "Take a picture now (the lamp will light)" }).click();
  await dpo.page.locator(".mask-stage[data-picture=shown]").waitFor({ timeout: 30_000 });
  t.equal(
    await dpo.page.evaluate("document.querySelector('.mask-picture').naturalWidth"),
    320,
    "a picture of the room, taken by its box now",
  );
  t.same(box.hw.camera.selfTests.slice(1), ["on"], "with the lamp lit");
  t.same(
    box.hw.lamp.changes.slice(lampChanges).map((change) => change.level),
    ["on", "off"],
    "lit for the picture, then dark",
  );
  await dpo.page.getByRole("button", { name: "Add a rectangle" }).click();
  const set = async (label: string, value: string) => {
    const input = dpo.page.getByLabel(`Rectangle 1: ${label} (%)`);
    await input.fill(value);
    await input.press("Tab");
  };
  await set("from the left", "10");
  await set("from the top", "20");
  await set("width", "30");
  await set("height", "25");
  // and one drawn with the mouse, from the middle to three quarters across and down
  const area = await stage.boundingBox();
  if (area === null) throw new Error("the picture is not on the page");
  await dpo.page.mouse.move(area.x + area.width * 0.5, area.y + area.height * 0.5);
  await dpo.page.mouse.down();
  await dpo.page.mouse.move(area.x + area.width * 0.6, area.y + area.height * 0.6, { steps: 3 });
  await dpo.page.mouse.move(area.x + area.width * 0.75, area.y + area.height * 0.75, { steps: 3 });
  await dpo.page.mouse.up();
  await dpo.page.getByLabel("Rectangle 2: width (%)").waitFor();
  t.equal(Number(await dpo.page.getByLabel("Rectangle 2: width (%)").inputValue()), 25);
  await look(t, shots, dpo.page, "masks-drawn");
  await dpo.page.getByRole("button", { name: "Save the masks" }).click();
  await dpo.page
    .getByRole("status")
    .filter({ hasText: /^The masks of Room room-1 are saved \(2 rectangles\)/ })
    .waitFor();
  const masks = (await school.app.devices.get(DEVICE))?.config.masks;
  t.same(
    masks,
    [
      { x: 0.1, y: 0.2, width: 0.3, height: 0.25 },
      { x: 0.5, y: 0.5, width: 0.25, height: 0.25 },
    ],
    "the masks are the room's",
  );
  await until(() => box.daemon.config.current?.masks.length === 2, "the box gets them");
  const pictured = (await as.dpo.get("/api/audit?action=device.picture")).json<{
    entries: { actor: string; subject: string; detail: { room: string } }[];
  }>().entries;
  t.match(
    pictured,
    [{ actor: "dpo", subject: DEVICE, detail: { room: ROOM, ok: true } }],
    "taking it is audited",
  );
  t.same(
    (await as.dpo.get("/api/audit?action=device.frame")).json<{ entries: unknown[] }>().entries,
    [],
    "no still of the recording was shown",
  );
  await look(t, shots, dpo.page, "masks-saved");

  // how far ahead bookings may be made: out of bounds, refused before anything is sent
  const sent: string[] = [];
  dpo.page.on("request", (request) => {
    if (request.method() === "PATCH" && request.url().endsWith("/api/policy")) {
      sent.push(request.url());
    }
  });
  const horizon = dpo.page.getByLabel("Bookings up to (days ahead)");
  t.equal(await horizon.inputValue(), "365", "bookings a year ahead by default");
  await horizon.fill("731");
  await dpo.page.getByRole("button", { name: "Save the policy" }).click();
  await dpo.page
    .getByRole("alert")
    .filter({ hasText: "Bookings up to must be a whole number from 1 to 730." })
    .waitFor();
  t.same(sent, [], "a horizon past two years is not sent");
  await horizon.fill("500");

  // the spoken notice: the school's own sentence; on with no sentence is refused before sending
  const notice = dpo.page.getByLabel("What the box says");
  t.equal(
    await notice.inputValue(),
    "This lesson, or part of it, is being recorded for teacher training purposes.",
    "the default sentence",
  );
  await notice.fill("   ");
  await dpo.page.getByRole("button", { name: "Save the policy" }).click();
  await dpo.page
    .getByRole("alert")
    .filter({ hasText: "Write the sentence the box says when a recording starts" })
    .waitFor();
  t.same(sent, [], "a spoken notice with nothing to say is not sent");
  const sentence = "Part of this lesson is recorded so our teachers can learn from it.";
  await notice.fill(sentence);

  // the policy: footage stays five days in the box (and bookings up to 500 days ahead)
  await dpo.page.getByLabel("Days in the classroom box").fill("5");
  await dpo.page.getByRole("button", { name: "Save the policy" }).click();
  await dpo.page
    .getByRole("status")
    .filter({ hasText: "The policy is saved. The classroom boxes get it now." })
    .waitFor();
  t.equal(
    (await as.dpo.get("/api/policy")).json<{ retention: { bufferDays: number } }>().retention
      .bufferDays,
    5,
  );
  t.equal(
    (await as.dpo.get("/api/policy")).json<{ bookings: { horizonDays: number } }>().bookings
      .horizonDays,
    500,
  );
  t.equal(sent.length, 1, "saved once");
  await until(() => box.daemon.config.current?.retention.bufferDays === 5, "the box gets it");
  await until(
    () => box.daemon.config.current?.policy.spokenNotice?.text === sentence,
    "the box gets the school's sentence",
  );
  t.same(dpo.problems, [], "DPO: no errors in the page");
});
