/**
 * Issue 18's whole journey in Debian's chromium: a teacher signs in through
 * the school's identity provider (the test's OpenID Connect provider on
 * loopback; the account is made just in time from the groups), the school's
 * timetable and do-not-record list are imported from its exports, the teacher
 * books from their imported lesson — the class has a pupil who must not be
 * recorded, so the form asks how they are protected and the booking is made
 * with sound off — and the lesson is recorded on the simulated classroom box
 * (the sim box daemon over real MQTT), without sound. axe-core on every
 * screen; screenshots in test/web/screenshots/oidc-journey/.
 */
import t from "tap";
import { DEFAULT_CONFIG } from "@classcam/controller";
import { freePort, startController } from "../helpers/controller.js";
import { boxDir, boxSettings, startBox, until, type TestBox } from "../helpers/device.js";
import { schoolOidc, startProvider } from "../helpers/oidc-provider.js";
import { Caller } from "../helpers/school.js";
import { Screenshots, go, launchBrowser, look, openDashboard } from "./browser.js";

const DEVICE = "room-1";
const ADMIN_PASSWORD = "a long local password 1";

/**
 * The lesson's times as the export writes them: the next whole minute at
 * least 30 s away (a box may start 2 minutes before a booking), for 50
 * minutes, in a time zone where that is around midday (never across midnight).
 */
function lessonTimes(): { timeZone: string; date: string; start: string; end: string } {
  const startMs = Math.ceil((Date.now() + 30_000) / 60_000) * 60_000;
  const offset = 12 - new Date(startMs).getUTCHours(); // hours ahead of UTC: -11 … 12
  const timeZone = offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
  const local = (ms: number) => new Date(ms + offset * 3600_000).toISOString();
  return {
    timeZone,
    date: local(startMs).slice(0, 10),
    start: local(startMs).slice(11, 16),
    end: local(startMs + 50 * 60_000).slice(11, 16),
  };
}

void t.test(
  "signed in through the provider, a teacher books an imported lesson and records it",
  async (t) => {
    const port = await freePort();
    const httpUrl = `http://127.0.0.1:${port}`;
    const provider = await startProvider(`${httpUrl}/api/session/oidc/callback`);
    provider.accounts.set("t-jane", {
      email: "jane.teacher@school.org",
      name: "Jane Teacher",
      groups: ["Teaching staff"],
    });
    const controller = await startController({
      config: {
        http: { ...DEFAULT_CONFIG.http, host: "127.0.0.1", port, publicUrl: httpUrl },
        oidc: schoolOidc(provider.issuer),
      },
    });
    const { app } = controller;
    const dir = boxDir();
    let box: TestBox | null = null;
    t.teardown(async () => {
      await box?.stop();
      await controller.close();
      await provider.close();
      dir.remove();
    });
    await app.listen({ host: "127.0.0.1", port });
    const secret = await controller.enrol(DEVICE, "Room M1");
    box = await startBox(boxSettings(DEVICE, secret, controller.url, dir.path));
    const { daemon } = box;

    // the school's first administrator (a local account) and its DPO
    const token = (await app.people.issueSetupToken()) ?? "";
    await app.people.setUp({
      token,
      id: "admin",
      displayName: "The administrator",
      password: ADMIN_PASSWORD,
      roles: [],
    });
    const admin = new Caller(app, "admin");
    t.equal((await admin.signIn(ADMIN_PASSWORD)).status, 200);
    const dpo = new Caller(app, "dpo");
    const added = await admin.post("/api/users", {
      id: "dpo",
      displayName: "The DPO",
      roles: ["dpo"],
    });
    const once = added.json<{ temporaryPassword: string }>().temporaryPassword;
    await dpo.signIn(once);
    await dpo.post("/api/session/password", {
      current: once,
      next: "correct horse battery staple 9",
    });
    t.equal((await dpo.signIn("correct horse battery staple 9")).status, 200);

    const browser = await launchBrowser(t);
    const shots = new Screenshots("oidc-journey");

    // ------------------------------------------------------------ the teacher signs in
    // the lesson, and the teacher's browser, in a zone where it is around midday
    const lesson = lessonTimes();
    const jane = await openDashboard(browser, httpUrl, undefined, lesson.timeZone);
    const { page } = jane;
    await page.waitForSelector("body[data-screen=signin][data-ready]");
    await look(t, shots, page, "sign-in");
    provider.loginAs("t-jane");
    await page.getByRole("link", { name: "Sign in with School Login" }).click();
    await page.waitForSelector("body:not([data-screen=signin])[data-ready]");
    t.match(await page.textContent("body"), /Jane Teacher/, "signed in as Jane Teacher");
    t.same((await app.people.get("jane.teacher"))?.roles, ["teacher"], "made just in time");

    // ------------------------------------------------------------ the school's exports
    const rooms = await admin.put("/api/rooms", { rooms: [{ room: "M1", deviceId: DEVICE }] });
    t.equal(rooms.status, 200, JSON.stringify(rooms.body));
    const timetable = await admin.post("/api/timetable/import", {
      format: "csv",
      timeZone: lesson.timeZone,
      text: [
        "Date,Start,End,Room,Class,Subject,Teacher",
        `${lesson.date},${lesson.start},${lesson.end},M1,9X2,Mathematics,jane.teacher@school.org`,
      ].join("\r\n"),
    });
    t.match(timetable.json(), { added: 1 }, JSON.stringify(timetable.body));
    const dnr = await dpo.post("/api/policy/do-not-record/import", {
      csv: "Pupil,Class\r\nA. Pupil,9X2\r\n",
    });
    t.match(dnr.json(), { doNotRecordClasses: ["9X2"] }, JSON.stringify(dnr.body));

    // ------------------------------------------------------------ booked from the lesson
    await go(page, "bookings/new");
    const choice = page.getByLabel("From my lesson");
    const option = choice.locator("option", { hasText: "9X2" });
    await option.waitFor({ state: "attached" });
    await choice.selectOption({ label: await option.innerText() });
    t.equal(await page.getByLabel("Class", { exact: true }).inputValue(), "9X2");
    await page.getByLabel("Purpose").selectOption({ label: "Coaching" });
    await page.getByText("This class has pupils on the “do not record” list.").waitFor();
    await page.getByRole("button", { name: "Book", exact: true }).click();
    t.equal(
      await page.getByRole("alert").innerText(),
      "Say how the pupils who must not be recorded are protected, and how it is done.",
      "the mitigation is required",
    );
    await page.getByLabel("Sound off").check();
    await page
      .getByLabel("How it is done")
      .fill("The microphone is off; the camera faces the board.");
    await look(t, shots, page, "book-from-lesson");
    await page.getByRole("button", { name: "Book", exact: true }).click();
    await page.waitForSelector("body[data-screen=bookings][data-ready]");
    t.match(await page.getByRole("status").first().innerText(), /^Booked: /);
    await look(t, shots, page, "booked");
    const booking = await app.db.get<{ id: string; class_code: string }>(
      "SELECT id, class_code FROM bookings WHERE teacher_id = 'jane.teacher'",
    );
    t.equal(booking?.class_code, "9X2", "booked for the real class");

    // ------------------------------------------------------------ recorded on the box
    const bookingId = booking?.id ?? "";
    await until(
      () => daemon.config.current?.schedule.some((b) => b.bookingId === bookingId) === true,
      "the booking on the box's schedule",
    );
    await daemon.press("short");
    const recordingId = daemon.session.recording?.recordingId ?? "";
    t.ok(recordingId, "the box records");
    await until(
      async () => ((await daemon.index.get(recordingId))?.segments ?? 0) >= 2,
      "two segments",
    );
    await daemon.press("short");
    await until(() => daemon.session.recording == null, "the recording over");
    await until(async () => (await daemon.outbox.depth()) === 0, "the events delivered");
    await app.projector.catchUp();
    const recording = await app.db.get<{ booking_id: string; owner_id: string; audio: number }>(
      "SELECT booking_id, owner_id, audio FROM recordings WHERE id = ?",
      [recordingId],
    );
    t.same(
      recording,
      { booking_id: bookingId, owner_id: "jane.teacher", audio: 0 },
      "the lesson recorded for its booking, Jane's, without sound",
    );

    await go(page, "recordings");
    await page.locator("tbody tr").filter({ hasText: "Coaching" }).first().waitFor();
    await look(t, shots, page, "recordings");
    t.same(jane.problems, [], "no errors in the page");
  },
);
