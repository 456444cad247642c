/**
 * The DPO's requests in a real browser: finds Monday's footage in room 1 by
 * room and dates (where each copy is, and which is on hold), makes a subject
 * access export with the kept lesson's footage ticked and takes it away,
 * then erases what was found — the held recording refused with the reason —
 * and watches the deletion certificate become complete. axe finds nothing
 * wrong; screenshots in test/web/screenshots/dpo/.
 */
import { randomUUID } from "node:crypto";
import t from "tap";
import { eventually } from "../helpers/controller.js";
import { answeringDevice, deviceEvent, recordedLesson, startSchool } from "../helpers/school.js";
import {
  Screenshots,
  go,
  launchBrowser,
  look,
  menu,
  openDashboard,
  signIn,
  waitInPage,
} from "./browser.js";

void t.test("the DPO finds footage, exports it and erases it", async (t) => {
  const school = await startSchool({ start: new Date("2026-11-23T08:00:00.000Z") });
  t.teardown(() => school.close());
  const { as, app } = school;
  await answeringDevice(t, school, "room-1");
  const { recordingId: lesson } = await recordedLesson(school);
  await as["teacher-a"].post(`/api/recordings/${lesson}/archive`, {});
  await as["teacher-b"].put(`/api/recordings/${lesson}/consent`, { decision: "agree" });
  await eventually(
    async () => (await as["teacher-a"].get(`/api/recordings/${lesson}`)).json().onController,
    20_000,
    "the lesson uploaded",
  );
  const unbooked = randomUUID();
  for (const [kind, at, data] of [
    ["recording.started", "11:00", { bookingId: null, audio: false, encoder: "libx264" }],
    [
      "recording.stopped",
      "11:01",
      { reason: "button", durationSeconds: 60, segments: 15, bytes: 500 },
    ],
  ] as const) {
    await deviceEvent(
      app,
      "room-1",
      kind,
      { recordingId: unbooked, ...data },
      new Date(`2026-11-23T${at}:00Z`),
    );
  }
  t.equal(
    (
      await as.slt.post(`/api/recordings/${unbooked}/holds`, {
        reason: "a complaint is being looked at",
      })
    ).status,
    201,
  );

  const browser = await launchBrowser(t);
  const shots = new Screenshots("dpo");
  const { page, problems } = await openDashboard(browser, school.httpUrl);
  await signIn(page, "dpo");
  t.ok((await menu(page)).includes("Data requests"), "the DPO's menu offers it");
  await go(page, "dpo");

  await page.getByLabel("Room room-1").check();
  await page.getByLabel("From (date)").fill("2026-11-23");
  await page.getByLabel("To (date, included)").fill("2026-11-23");
  await page.getByRole("button", { name: "Find footage" }).click();
  await page.waitForSelector("table tbody tr:nth-child(2)");
  const rows = await page.locator("table tbody tr").allInnerTexts();
  t.equal(rows.length, 2, "both of Monday's recordings");
  t.match(rows[0], /7A1/);
  t.match(rows[0], /classroom box, school's server, kept \(archive\)/);
  t.match(rows[1], /On hold/);
  t.match(rows[1], /Not on the server/, "footage only on the box cannot be ticked");
  await look(t, shots, page, "found");

  await page.getByLabel("The request's reference").fill("SAR-2026-014");
  await page.getByRole("checkbox", { name: /Include the footage of Room room-1/ }).check();
  await page.getByRole("button", { name: "Make the export" }).click();
  // the footage goes with every face blurred: until its copy is made, the DPO is told how far
  await page.getByText(/the copies are being prepared: .* % done/).waitFor();
  await eventually(
    async () =>
      (await as.dpo.get(`/api/recordings/${lesson}/anonymised-copy`)).json().state === "ready",
    240_000,
    "the lesson's copy with faces blurred",
  );
  await page.getByRole("button", { name: "Make the export" }).click();
  const take = page.getByRole("link", { name: "Take the export away (once)" });
  await take.waitFor();
  t.match(await page.locator("body").innerText(), /one place a copy leaves the system/);
  t.match(await page.locator("body").innerText(), /the footage of 1, every face blurred/);
  const href = await take.getAttribute("href");
  const tar = await page.context().request.get(`${school.httpUrl}${href ?? ""}`);
  t.equal(tar.status(), 200, "taken away");
  t.ok((await tar.body()).length > 10_000, "with the footage in it");
  await look(t, shots, page, "exported");

  await page.getByRole("button", { name: "Erase all of these" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Erase" }).click();
  await page.getByRole("heading", { name: "Deletion certificate" }).waitFor();
  t.match(
    await page.locator("body").innerText(),
    /Not erased — Room room-1, .*: the recording is on hold and cannot be deleted/,
  );
  await eventually(
    async () => {
      await page.getByRole("button", { name: "Check the certificate again" }).click();
      await waitInPage(page, "document.querySelector('[data-certificate]') !== null");
      return (
        (await page.locator("[data-certificate]").getAttribute("data-certificate")) === "complete"
      );
    },
    20_000,
    "the certificate complete",
  );
  const certificate = await page.locator("body").innerText();
  t.match(certificate, /Deleted from the school's server/);
  t.match(certificate, /Deleted from the classroom box room-1 in Room room-1/);
  t.match(certificate, /classcam-controller audit verify --anchor \d+:[0-9a-f]{64}/);
  await look(t, shots, page, "erased");
  t.same(problems, [], "no page errors");
});
