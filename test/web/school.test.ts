/**
 * The school-management screens in a real browser: each role's menu offers
 * exactly the screens the API lets that role use (and a screen for another
 * role says so); SLT books a slot on the timetable for a teacher — with the
 * "do not record" protection its class needs — changes it and cancels it;
 * IT enrols a box and sees its secret once, disables and retires one; the
 * Bursar pages through a fleet of 3,000 boxes (the page holds one page of
 * rows) and finds one; the Bursar sees the use of the boxes as charts, each
 * with its gist in words and its figures in a table. axe-core finds nothing
 * wrong on any screen; a screenshot of each in test/web/screenshots/school-*.
 */
import { randomUUID } from "node:crypto";
import t from "tap";
import type { Page } from "playwright-core";
import { deviceEvent, startSchool, type PersonId, type School } from "../helpers/school.js";
import {
  Screenshots,
  TABLET,
  go,
  launchBrowser,
  look,
  menu,
  openDashboard,
  signIn,
  waitInPage,
} from "./browser.js";

/** Each school screen, and an API call that only the roles it serves may make (403 for others). */
const SCREENS: {
  menu: string;
  path: string;
  title: string;
  probe: [method: "GET" | "POST" | "PATCH", url: string];
}[] = [
  { menu: "Timetable", path: "timetable", title: "Timetable", probe: ["POST", "/api/bookings"] },
  { menu: "Fleet", path: "fleet", title: "Fleet", probe: ["GET", "/api/fleet"] },
  { menu: "Use", path: "use", title: "Use of the boxes", probe: ["GET", "/api/use"] },
  {
    menu: "Holds",
    path: "holds",
    title: "Holds and investigations",
    probe: ["POST", `/api/recordings/${randomUUID()}/holds`],
  },
  { menu: "Audit", path: "audit", title: "Audit log", probe: ["GET", "/api/audit"] },
  { menu: "Policy", path: "policy", title: "Policy", probe: ["PATCH", "/api/policy"] },
  { menu: "Devices", path: "devices", title: "Devices", probe: ["POST", "/api/devices"] },
];

/** What the issue asks each role to see (at least), and not to see. */
const EXPECTED: { id: PersonId; sees: string[]; not: string[] }[] = [
  { id: "teacher-a", sees: ["Timetable"], not: ["Fleet", "Use", "Holds", "Audit", "Policy"] },
  { id: "coach", sees: [], not: ["Timetable", "Fleet", "Audit", "Devices"] },
  { id: "slt", sees: ["Holds", "Use", "Policy", "Timetable"], not: ["Audit", "Devices"] },
  { id: "head", sees: ["Holds", "Use", "Policy", "Timetable"], not: ["Audit", "Devices"] },
  { id: "bursar", sees: ["Fleet", "Use", "Timetable"], not: ["Audit", "Holds", "Devices"] },
  { id: "it", sees: ["Fleet", "Devices"], not: ["Audit", "Use", "Holds", "Policy"] },
  { id: "dpo", sees: ["Audit", "Policy"], not: ["Fleet", "Use", "Holds", "Devices"] },
  { id: "admin", sees: ["Fleet"], not: ["Audit", "Devices", "Use"] },
];

const pad = (n: number) => String(n).padStart(2, "0");
const localDate = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

async function opened(page: Page, path: string): Promise<void> {
  await page.waitForSelector(`body[data-screen="${path}"][data-ready]`);
}

void t.test("each role's menu offers the school screens its API allows", async (t) => {
  const school = await startSchool();
  t.teardown(() => school.close());
  const browser = await launchBrowser(t);
  const shots = new Screenshots("school-roles");
  const looked = new Set<string>();

  for (const expected of EXPECTED) {
    const caller = school.as[expected.id];
    const person = await openDashboard(
      browser,
      school.httpUrl,
      expected.id === "teacher-a" ? TABLET : undefined,
    );
    const { page } = person;
    await signIn(page, expected.id);
    const offered = await menu(page);
    for (const screen of SCREENS) {
      const [method, url] = screen.probe;
      const reply = await caller.call(method, url, method === "GET" ? undefined : {});
      const allowed = reply.status !== 403 && reply.status !== 401;
      t.equal(
        offered.includes(screen.menu),
        allowed,
        `${expected.id}: “${screen.menu}” is ${allowed ? "" : "not "}in the menu, as the API ${allowed ? "allows" : `refuses (${reply.status})`}`,
      );
    }
    for (const item of expected.sees) t.ok(offered.includes(item), `${expected.id} sees ${item}`);
    for (const item of expected.not) t.notOk(offered.includes(item), `${expected.id}: no ${item}`);

    // each screen the role has opens from the menu (axe and a screenshot the first time)
    for (const screen of SCREENS.filter((s) => offered.includes(s.menu))) {
      await page.getByRole("link", { name: screen.menu, exact: true }).first().click();
      await opened(page, screen.path);
      t.equal(await page.locator("h1").innerText(), screen.title, `${expected.id}: ${screen.menu}`);
      t.equal(await page.getByRole("alert").count(), 0, `${screen.menu} opens without an error`);
      if (!looked.has(screen.path)) {
        looked.add(screen.path);
        await look(t, shots, page, `${screen.path}-as-${expected.id}`);
      }
    }
    t.same(person.problems, [], `${expected.id}: no errors in the page`);
    await person.context.close();
  }
  t.same(
    [...looked].sort(),
    SCREENS.map((s) => s.path).sort(),
    "every school screen was opened by some role",
  );

  // a screen for another role says so
  const teacher = await openDashboard(browser, school.httpUrl);
  await signIn(teacher.page, "teacher-a");
  await teacher.page.evaluate("location.hash = '#/fleet'");
  await teacher.page.waitForSelector("body[data-screen=not-allowed]");
  t.equal(await teacher.page.locator("h1").innerText(), "This page is not for your role");
  await look(t, shots, teacher.page, "fleet-refused-to-a-teacher");
  t.same(teacher.problems, []);
});

void t.test("SLT books a slot on the timetable, changes it and cancels it", async (t) => {
  const school = await startSchool({ devices: ["room-1", "room-2"] });
  t.teardown(() => school.close());
  const { as } = school;
  const listed = await as.dpo.patch("/api/policy", { doNotRecordClasses: ["9X2"] });
  t.equal(listed.status, 200, "9X2 has pupils on the do-not-record list");
  const browser = await launchBrowser(t);
  const shots = new Screenshots("school-timetable");
  const { page, problems } = await openDashboard(browser, school.httpUrl);
  await signIn(page, "slt");
  await go(page, "timetable");
  await page.getByLabel("Room", { exact: true }).selectOption({ label: "Room room-2" });
  await page.getByRole("button", { name: "Next week" }).click();
  const monday = new Date();
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7) + 7);
  monday.setHours(0, 0, 0, 0);
  const mondayColumn = page.locator(`section.week-day:has(h3#day-${localDate(monday)})`);
  await mondayColumn.getByRole("button", { name: /08:00–18:00 Free — book/ }).waitFor();
  await look(t, shots, page, "empty-week");

  // book Monday 09:00–09:50 for teacher-a, with teacher-b, class 9X2
  await mondayColumn.getByRole("button", { name: /Free — book/ }).click();
  const form = page.locator("section.booking-panel");
  await form.getByRole("heading", { name: /^Book Room room-2, / }).waitFor();
  t.equal(
    await page.evaluate("document.activeElement?.tagName"),
    "H2",
    "the form's heading has the focus",
  );
  await form.getByLabel("Teacher", { exact: true }).selectOption({ label: "Ms teacher-a" });
  await form.getByLabel("Starts at").fill("09:00");
  await form.getByLabel("Ends at").fill("09:50");
  await form.getByLabel("Purpose").selectOption({ label: "Coaching" });
  await form.getByLabel("Ms teacher-b").check();
  t.ok(await form.getByLabel("Ms teacher-a").isChecked(), "the teacher is in the lesson");
  t.ok(await form.getByLabel("Ms teacher-a").isDisabled(), "and cannot be taken out");
  await form.getByLabel("Class", { exact: true }).fill("9x2");
  await form.getByText("This class has pupils on the “do not record” list.").waitFor();
  // a confirmed booking for the class needs its protection first
  await form.getByRole("button", { name: "Book", exact: true }).click();
  t.equal(
    await form.getByRole("alert").innerText(),
    "Say how the pupils who must not be recorded are protected, and how it is done.",
  );
  await form.getByLabel("Sound off").check();
  t.ok(
    await form.getByLabel("Record picture only").isChecked(),
    "sound off as the protection: picture only",
  );
  await form.getByLabel("How it is done").fill("The microphone is off; pupils face away.");
  await look(t, shots, page, "book-a-slot");
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await page
    .getByRole("status")
    .filter({ hasText: /^Booked: / })
    .waitFor();
  const booked = mondayColumn.getByRole("button", { name: /^09:00–09:50 Coaching, Ms teacher-a/ });
  await booked.waitFor();
  t.match(await booked.innerText(), /No sound/);
  t.match(await booked.innerText(), /Do-not-record pupils protected/);
  const after = mondayColumn.getByRole("button", { name: /^09:50–18:00 Free — book/ });
  t.ok(await after.count(), "the free time after it is offered");

  // a slot that overlaps it: the API's refusal, in words
  await after.click();
  await form.getByLabel("Starts at").fill("09:30");
  await form.getByLabel("Ends at").fill("10:15");
  await form.getByLabel("Class", { exact: true }).fill("7A1");
  await form.getByRole("button", { name: "Book", exact: true }).click();
  const refusal = form.getByRole("alert");
  await refusal.waitFor();
  t.equal(
    await refusal.innerText(),
    "Please check what you entered. It overlaps another booking in this room (09:00–09:50).",
    "the API's refusal in words",
  );
  await look(t, shots, page, "book-refused");
  await form.getByRole("button", { name: "Close" }).click();
  await look(t, shots, page, "booked");
  const week = async () =>
    (
      await as.slt.get(
        `/api/bookings?from=${monday.toISOString()}&to=${new Date(monday.getTime() + 7 * 86_400_000).toISOString()}&deviceId=room-2&includeCancelled=true`,
      )
    ).json<
      {
        bookingId: string;
        teacherId: string;
        purpose: string;
        staff: string[];
        audio: boolean;
        classCode: string | null;
        mitigation: { kind: string; note: string } | null;
        status: string;
        createdBy: string;
      }[]
    >();
  const [booking] = await week();
  t.match(booking, {
    teacherId: "teacher-a",
    purpose: "coaching",
    staff: ["teacher-a", "teacher-b"],
    audio: false,
    classCode: "9X2",
    mitigation: { kind: "audio-off", note: "The microphone is off; pupils face away." },
    status: "confirmed",
    createdBy: "slt",
  });

  // change it: peer support, 10:00–10:45
  await booked.click();
  await form.getByRole("heading", { name: /^Change the booking of / }).waitFor();
  await form.getByLabel("Purpose").selectOption({ label: "Peer support" });
  await form.getByLabel("Starts at").fill("10:00");
  await form.getByLabel("Ends at").fill("10:45");
  await look(t, shots, page, "change-a-booking");
  await form.getByRole("button", { name: "Save changes" }).click();
  await page
    .getByRole("status")
    .filter({ hasText: /^Changed: / })
    .waitFor();
  const changed = mondayColumn.getByRole("button", { name: /^10:00–10:45 Peer support/ });
  await changed.waitFor();
  t.match((await week())[0], { purpose: "peer-support", staff: ["teacher-a", "teacher-b"] });

  // cancel it, with a reason
  await changed.click();
  await form.getByRole("button", { name: "Cancel the booking" }).click();
  const dialog = page.getByRole("dialog", { name: "Cancel this booking?" });
  await dialog.getByLabel("Why is it cancelled?").fill("The lesson moved to the hall.");
  await look(t, shots, page, "cancel-asked");
  await dialog.getByRole("button", { name: "Cancel the booking" }).click();
  await page
    .getByRole("status")
    .filter({ hasText: /^Cancelled: / })
    .waitFor();
  await mondayColumn.getByRole("button", { name: /08:00–18:00 Free — book/ }).waitFor();
  t.equal((await week())[0]?.status, "cancelled", "cancelled in the timetable");
  const audit = await as.dpo.get(`/api/audit?subject=${booking?.bookingId ?? ""}`);
  t.same(
    audit.json<{ entries: { action: string; actor: string }[] }>().entries.map((e) => e.action),
    ["booking.create", "booking.amend", "booking.cancel"],
    "each step is audited",
  );

  // a teacher sees the week and books for themself
  const teacher = await openDashboard(browser, school.httpUrl, TABLET);
  await signIn(teacher.page, "teacher-c");
  await go(teacher.page, "timetable");
  await teacher.page.getByRole("button", { name: "Next week" }).click();
  await teacher.page.locator(`h3#day-${localDate(monday)}`).waitFor();
  const column = teacher.page.locator(`section.week-day:has(h3#day-${localDate(monday)})`);
  await column
    .getByRole("button", { name: /Free — book/ })
    .first()
    .click();
  const own = teacher.page.locator("section.booking-panel");
  t.ok(
    await own.getByLabel("Teacher", { exact: true }).isDisabled(),
    "a teacher books for themself only",
  );
  await own.getByLabel("Starts at").fill("13:00");
  await own.getByLabel("Ends at").fill("13:40");
  await own.getByLabel("Class", { exact: true }).fill("7A1");
  await own.getByRole("button", { name: "Book", exact: true }).click();
  await column
    .getByRole("button", { name: /^13:00–13:40 Self-reflection, Ms teacher-c/ })
    .waitFor();
  await look(t, shots, teacher.page, "teacher-booked");
  t.same([...problems, ...teacher.problems], [], "no errors in the pages");
});

void t.test("IT enrols a box and sees its secret once; disables and retires one", async (t) => {
  const school = await startSchool({ devices: ["room-1", "room-2"] });
  t.teardown(() => school.close());
  const browser = await launchBrowser(t);
  const shots = new Screenshots("school-devices");
  const { page, problems } = await openDashboard(browser, school.httpUrl);
  await signIn(page, "it");
  await go(page, "devices");
  await look(t, shots, page, "devices");

  // a name that is not a box name: said in words, nothing sent
  await page.getByLabel("Room", { exact: true }).fill("Science 2");
  await page.getByLabel("Box name", { exact: true }).fill("Science 2");
  await page.getByRole("button", { name: "Enrol the box" }).click();
  t.match(
    await page.getByRole("alert").first().innerText(),
    /The box name may use only lower-case letters, digits and hyphens/,
  );
  await page.getByLabel("Box name", { exact: true }).fill("sci-2");
  await page.getByRole("button", { name: "Enrol the box" }).click();
  const secretPanel = page.locator("section.secret-panel");
  await secretPanel.waitFor();
  const secret = await secretPanel.locator("[data-secret]").innerText();
  t.ok(secret.length >= 20, "a secret is shown");
  t.has(
    await school.app.devices.checkCredentials("sci-2", secret),
    { ok: true },
    "it is the box's secret",
  );
  t.equal(await page.evaluate("document.activeElement?.textContent"), "The secret for Science 2");
  await look(t, shots, page, "secret-shown-once");
  await page.getByRole("button", { name: /I have written it down/ }).click();
  t.equal(await secretPanel.count(), 0, "hidden when done");
  await go(page, "fleet");
  await go(page, "devices");
  t.notOk((await page.content()).includes(secret), "and never shown again");
  const fromApi = JSON.stringify((await school.as.it.get("/api/fleet?status=any")).body);
  t.notOk(fromApi.includes(secret), "the API does not give it again either");
  await page.locator("tbody tr").filter({ hasText: "sci-2" }).waitFor();

  // the same name again: the API's refusal in words
  await page.getByLabel("Room", { exact: true }).fill("Science 2b");
  await page.getByLabel("Box name", { exact: true }).fill("sci-2");
  await page.getByRole("button", { name: "Enrol the box" }).click();
  await page.getByText("That name is already taken. Device 'sci-2' is already enrolled.").waitFor();
  t.pass("a second enrolment under the same name is refused in words");

  // disable room-1, retire room-2
  await page.getByRole("button", { name: "Disable: Room room-1 (room-1)" }).click();
  await page
    .getByRole("status")
    .filter({ hasText: "The box in Room room-1 is disabled" })
    .waitFor();
  t.equal((await school.app.devices.get("room-1"))?.status, "disabled");
  await page.getByRole("button", { name: "Retire: Room room-2 (room-2)" }).click();
  const dialog = page.getByRole("dialog", { name: "Retire the box in Room room-2?" });
  await dialog.waitFor();
  await look(t, shots, page, "retire-asked");
  await dialog.getByRole("button", { name: "Retire it" }).click();
  await page
    .getByRole("status")
    .filter({ hasText: "The box in Room room-2 is retired." })
    .waitFor();
  t.equal((await school.app.devices.get("room-2"))?.status, "retired");
  await page.getByLabel("Status").selectOption({ label: "Retired" });
  const retired = page.locator("tbody tr").filter({ hasText: "room-2" });
  await retired.waitFor();
  t.match(await retired.innerText(), /Not yet wiped/);
  await look(t, shots, page, "retired");
  const actions = (await school.as.dpo.get("/api/audit?action=device.retire")).json<{
    entries: { actor: string; subject: string }[];
  }>().entries;
  t.match(actions, [{ actor: "it", subject: "room-2" }], "audited");
  t.same(problems, [], "no errors in the page");
});

/** Enrols `count` boxes straight into the database (enrolling each hashes a secret: too slow). */
async function enrolMany(school: School, count: number): Promise<void> {
  const now = new Date().toISOString();
  await school.app.db.transaction(async (tx) => {
    for (let i = 1; i <= count; i += 1) {
      const id = `room-${String(i).padStart(4, "0")}`;
      const room = `Room ${String(i).padStart(4, "0")}`;
      const config = {
        version: 1,
        issuedAt: now,
        room,
        schedule: [],
        retention: { bufferDays: 7 },
        policy: { allowUnbookedRecording: false },
        masks: [],
        holds: [],
      };
      const state = {
        at: now,
        software: "classcam-device 0.1.0",
        bootId: randomUUID(),
        // room 0002 is a simulated box; room 0003's software is too old to say
        ...(i === 3 ? {} : { backend: i === 2 ? "sim" : "linux" }),
        lamp: "off",
        recording: null,
        configVersion: 1,
        storage: {
          totalBytes: 64e9,
          freeBytes: 40e9 - i * 1e6,
          bufferBytes: 20e9,
          protectedBytes: i % 50 === 0 ? 5e9 : 0,
        },
        health: { uptimeSeconds: 3600, temperatureC: 45 + (i % 40), bytesWritten: 3e12 + i * 1e9 },
      };
      const online = i % 10 !== 0;
      await tx.run(
        `INSERT INTO devices (id, room, secret_hash, status, enrolled_at, status_changed_at,
           config_json, config_version, connected, availability, state_json, state_at, last_seen_at)
         VALUES (?, ?, 'not-a-secret', 'active', ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
        [
          id,
          room,
          now,
          now,
          JSON.stringify(config),
          online ? 1 : 0,
          online ? "online" : "offline",
          JSON.stringify(state),
          now,
          now,
        ],
      );
    }
  });
}

void t.test("the fleet page with 3,000 boxes: a page at a time, found by room", async (t) => {
  const school = await startSchool({ devices: [] });
  t.teardown(() => school.close());
  await enrolMany(school, 3000);
  const browser = await launchBrowser(t);
  const shots = new Screenshots("school-fleet");
  const { page, problems } = await openDashboard(browser, school.httpUrl);
  await signIn(page, "bursar");
  await go(page, "fleet");
  const where = page.locator(".pager-where");
  t.equal(await where.innerText(), "Boxes 1–50 of 3,000");
  t.equal(await page.locator(".fleet-list tbody tr").count(), 50, "the page holds 50 rows");
  t.match(await page.locator(".fleet-facts").innerText(), /Boxes\s+3,000\s+Online\s+2,700/);
  t.match(
    await page.locator(".fleet-list tbody tr").first().innerText(),
    /Room 0001[\s\S]*Online[\s\S]*GB of 64 GB used[\s\S]*written/,
  );
  await look(t, shots, page, "fleet-3000-first-page");
  const simulated = (id: string) =>
    page.locator(`tr[data-device="${id}"] .badge`).filter({ hasText: "Simulated box" }).count();
  t.equal(await simulated("room-0002"), 1, "the simulated box is marked as such");
  t.equal(await simulated("room-0001"), 0, "a real box is not");
  t.equal(await simulated("room-0003"), 0, "nor a box whose software does not say");
  t.match(
    await page.locator('tr[data-device="room-0002"]').innerText(),
    /Room 0002\s*room-0002\s*Simulated box/,
    "the mark sits with the room's name",
  );

  // scroll through: the next pages replace the rows, they do not pile up
  for (let pageNumber = 2; pageNumber <= 4; pageNumber += 1) {
    await page.getByRole("button", { name: "Next page" }).click();
    await page
      .getByText(`Boxes ${(pageNumber - 1) * 50 + 1}–${pageNumber * 50} of 3,000`)
      .waitFor();
    t.equal(await page.locator(".fleet-list tbody tr").count(), 50, `page ${pageNumber}: 50 rows`);
    await page.mouse.wheel(0, 2000);
  }
  t.match(
    await page.locator(".fleet-list tbody tr").first().innerText(),
    /^Room 0151/,
    "page 4 starts at the 151st box",
  );
  await page.getByRole("button", { name: "Previous page" }).click();
  await page.getByText("Boxes 101–150 of 3,000").waitFor();

  // find one box; then only the offline ones
  await page.getByLabel("Room or box name").fill("2999");
  await page.getByText("Room 2999").waitFor();
  t.equal(await page.locator(".fleet-list tbody tr").count(), 1, "one box matches");
  await page.getByLabel("Room or box name").fill("");
  await page.getByLabel("Show").selectOption({ label: "Offline boxes" });
  await page.getByText("Boxes 1–50 of 300").waitFor();
  t.match(await page.locator(".fleet-list tbody tr").first().innerText(), /Offline/);
  await look(t, shots, page, "fleet-3000-offline");
  t.same(problems, [], "no errors in the page");
});

/** A recording on `deviceId` in `booking`, as its box reports it. */
async function recorded(
  school: School,
  deviceId: string,
  bookingId: string,
  start: Date,
  minutes: number,
): Promise<string> {
  const recordingId = randomUUID();
  await deviceEvent(
    school.app,
    deviceId,
    "recording.started",
    { recordingId, bookingId, audio: true, encoder: "libx264" },
    start,
  );
  await deviceEvent(
    school.app,
    deviceId,
    "recording.stopped",
    {
      recordingId,
      reason: "button",
      durationSeconds: minutes * 60,
      segments: minutes * 30,
      bytes: minutes * 30e6,
    },
    new Date(start.getTime() + minutes * 60_000),
  );
  return recordingId;
}

/** A confirmed booking straight into the database (the API refuses bookings in the past). */
async function pastBooking(
  school: School,
  deviceId: string,
  start: Date,
  minutes: number,
  purpose: string,
): Promise<string> {
  const bookingId = randomUUID();
  const at = new Date().toISOString();
  await school.app.db.transaction((tx) =>
    tx.run(
      `INSERT INTO bookings (id, device_id, teacher_id, start_at, end_at, purpose, staff_json, audio,
         status, class_code, do_not_record, created_by, created_at, updated_at)
       VALUES (?, ?, 'teacher-a', ?, ?, ?, '["teacher-a","teacher-b"]', 1, 'confirmed', NULL, 0,
         'bursar', ?, ?)`,
      [
        bookingId,
        deviceId,
        start.toISOString(),
        new Date(start.getTime() + minutes * 60_000).toISOString(),
        purpose,
        at,
        at,
      ],
    ),
  );
  return bookingId;
}

void t.test("the use of the boxes, as charts with words and figures", async (t) => {
  const school = await startSchool({ devices: ["room-1", "room-2", "room-3"] });
  t.teardown(() => school.close());
  const now = school.clock.now.getTime();
  const day = 86_400_000;
  // three weeks of lessons: room-1 most, coaching most
  const lessons: [string, number, number, string][] = [
    ["room-1", 20, 50, "coaching"],
    ["room-1", 13, 50, "coaching"],
    ["room-2", 13, 40, "self-reflection"],
    ["room-1", 6, 60, "peer-support"],
    ["room-3", 2, 30, "coaching"],
  ];
  const ids: string[] = [];
  for (const [deviceId, daysAgo, minutes, purpose] of lessons) {
    const start = new Date(now - daysAgo * day);
    const bookingId = await pastBooking(school, deviceId, start, minutes, purpose);
    ids.push(await recorded(school, deviceId, bookingId, start, minutes));
  }
  // one asked to keep: teacher-a asks, teacher-b declines
  const asked = await school.as["teacher-a"].post(`/api/recordings/${ids[4] ?? ""}/archive`, {});
  t.equal(asked.status, 200, JSON.stringify(asked.body));
  const declined = await school.as["teacher-b"].put(`/api/recordings/${ids[4] ?? ""}/consent`, {
    decision: "decline",
  });
  t.equal(declined.status, 200, JSON.stringify(declined.body));

  const figures = (await school.as.bursar.get("/api/use?weeks=4")).json<{
    hoursByRoom: { room: string; hours: number[] }[];
    hoursByPurpose: { purpose: string | null; hours: number[] }[];
    keeping: { asked: number[]; declined: number[] };
  }>();
  const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
  t.same(
    figures.hoursByRoom.map((r) => [r.room, Math.round(total(r.hours) * 60)]),
    [
      ["Room room-1", 160],
      ["Room room-2", 40],
      ["Room room-3", 30],
    ],
    "minutes by room, the busiest first",
  );
  t.equal(
    Math.round(
      total(figures.hoursByPurpose.find((p) => p.purpose === "coaching")?.hours ?? []) * 60,
    ),
    130,
    "coaching: 130 minutes",
  );
  t.equal(total(figures.keeping.asked), 1, "one asked to keep");
  t.equal(total(figures.keeping.declined), 1, "one declined");

  const browser = await launchBrowser(t);
  const shots = new Screenshots("school-use");
  const { page, problems } = await openDashboard(browser, school.httpUrl);
  await signIn(page, "bursar");
  await go(page, "use");
  await waitInPage(page, "document.querySelectorAll('.chart-plot canvas').length === 4");
  const plots = page.getByRole("img");
  const names: (string | null)[] = [];
  for (let i = 0; i < (await plots.count()); i += 1) {
    names.push(await plots.nth(i).getAttribute("aria-label"));
  }
  t.same(
    names,
    [
      "Recording hours per week, by room",
      "Recording hours per week, by purpose",
      "Footage held over time",
      "Asking to keep recordings, per week",
    ],
    "four charts, each named",
  );
  const described = await page.evaluate<string>(
    "document.getElementById(document.querySelector('.chart-plot').getAttribute('aria-describedby')).textContent",
  );
  t.match(
    described,
    /^3\.8 hours recorded in the last 12 weeks\. The most in Room room-1: 2\.7 hours\./,
  );
  t.match(
    await page.getByText(/^Of 3\.8 hours: Coaching 2\.2 hours/).innerText(),
    /Self-reflection/,
  );
  t.match(
    await page.getByText(/^In the last 12 weeks, keeping was asked for 1 recording;/).innerText(),
    /staff agreed 0 times and declined once; 0 recordings were kept/,
  );
  await look(t, shots, page, "use");
  // the figures, as a table to open
  await page.getByText("Show the figures as a table").first().click();
  const firstTable = page.locator("details[open] table");
  t.match(await firstTable.innerText(), /Week of\s+Room room-1\s+Room room-2\s+Room room-3/);
  await look(t, shots, page, "use-figures-open");
  await page.getByLabel("Show").selectOption({ label: "The last 4 weeks" });
  await page.getByText(/recorded in the last 4 weeks/).waitFor();
  t.same(problems, [], "no errors in the page");
});
