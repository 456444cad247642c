/**
 * The school's timetable in the browser (issue 18): the Bursar imports a
 * small CSV export on the Timetable screen — a bad line is shown by its
 * number and nothing can be imported; the rooms it names are added in one
 * press and M1 given its box; the corrected file is imported and says what
 * changed — then teacher A books "from my lesson": room, time and class come
 * from the timetable, the class is on the do-not-record list so the form asks
 * how its pupils are protected, and the booking is made for the real class.
 */
import t from "tap";
import { startSchool } from "../helpers/school.js";
import { Screenshots, go, launchBrowser, look, openDashboard, signIn } from "./browser.js";

interface Lesson {
  lessonId: string;
  start: string;
  end: string;
  classCode: string;
  bookingId: string | null;
}

/** Next week's Monday and Tuesday, as the export writes dates. */
function nextWeek(): [string, string] {
  const monday = new Date();
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7) + 7);
  const tuesday = new Date(monday.getTime() + 86_400_000);
  return [monday.toISOString().slice(0, 10), tuesday.toISOString().slice(0, 10)];
}

void t.test("import a timetable, then book from a lesson", async (t) => {
  const school = await startSchool({ devices: ["room-1"] });
  t.teardown(() => school.close());
  const { as } = school;
  const [monday, tuesday] = nextWeek();
  const header = "Date,Start,End,Room,Class,Subject,Teacher";
  const good = [
    `${monday},09:00,09:50,M1,9X2,Mathematics,teacher-a`,
    `${tuesday},10:00,10:50,M2,7A1,English,teacher-a`,
  ];
  const bad = `${tuesday},11:00,11:50,M2,8B1,French,nobody@school.example`;

  const browser = await launchBrowser(t);
  const shots = new Screenshots("timetable-import");

  // the DPO imports the do-not-record list: one line per pupil, only the class is kept
  const dpo = await openDashboard(browser, school.httpUrl);
  await signIn(dpo.page, "dpo");
  await go(dpo.page, "policy");
  await dpo.page.getByLabel("Do-not-record export (CSV file)").setInputFiles({
    name: "do-not-record.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("Pupil,Class\r\nA. Pupil,9X2\r\nB. Pupil,9x2\r\n"),
  });
  const dnr = dpo.page.locator("section", {
    has: dpo.page.getByRole("heading", { name: "Import the do-not-record list" }),
  });
  await dnr.getByRole("button", { name: "Check the file" }).click();
  await dnr.getByText("Classes in the file: 9X2.").waitFor();
  await dnr.getByRole("button", { name: "Put this class on the list" }).click();
  await dpo.page.getByText("The do-not-record list is now the class of the file.").waitFor();
  t.same((await school.app.policy.get()).doNotRecordClasses, ["9X2"], "no pupil's name kept");
  t.same(dpo.problems, []);
  const bursar = await openDashboard(browser, school.httpUrl);
  const { page } = bursar;
  await signIn(page, "bursar");
  await go(page, "timetable");
  const importing = page.locator("section", {
    has: page.getByRole("heading", { name: "Import the timetable" }),
  });
  const upload = async (lines: string[]) => {
    await importing.getByLabel("Timetable export (.csv or .ics)").setInputFiles({
      name: "timetable.csv",
      mimeType: "text/csv",
      buffer: Buffer.from([header, ...lines].join("\r\n")),
    });
    await importing.getByRole("button", { name: "Check the file" }).click();
  };

  await upload([...good, bad]);
  await importing.getByText("Rooms not on the school's list: M1, M2.").waitFor();
  const problems = importing.getByRole("table", { name: "Lines with problems" });
  t.match(
    await problems.innerText(),
    /4\s+unknown room 'M2'.*unknown teacher 'nobody@school\.example'/s,
  );
  t.ok(
    await importing.getByRole("button", { name: "Import 3 lessons" }).isDisabled(),
    "nothing imported while a line is bad",
  );
  await look(t, shots, page, "preview-with-problems");

  await importing.getByRole("button", { name: "Add the 2 rooms, without a box" }).click();
  await importing.getByText(/1 line has a problem/).waitFor();
  const rooms = page.locator("section", {
    has: page.getByRole("heading", { name: "Rooms and their boxes" }),
  });
  await rooms.getByRole("row", { name: /M1/ }).getByRole("combobox").selectOption("room-1");
  await rooms.getByRole("button", { name: "Save the rooms" }).click();
  await rooms.getByText("The rooms are saved.").waitFor();

  await upload(good);
  await importing.getByText(/2 lessons: 2 can be imported, 0 lines have problems/).waitFor();
  await importing.getByRole("button", { name: "Import 2 lessons" }).click();
  await importing
    .getByText("Timetable imported: 2 added, 0 changed, 0 removed, 0 as they were.")
    .waitFor();
  t.equal(
    (await school.app.db.get<{ n: number }>("SELECT count(*) AS n FROM lessons"))?.n,
    2,
    "the two lessons are in",
  );
  t.same(bursar.problems, []);

  // teacher A books their Monday lesson in M1, from the timetable
  const teacher = await openDashboard(browser, school.httpUrl);
  await signIn(teacher.page, "teacher-a");
  await go(teacher.page, "bookings/new");
  const choice = teacher.page.getByLabel("From my lesson");
  await choice.locator("option", { hasText: "9X2" }).waitFor({ state: "attached" });
  t.equal(
    await choice.locator("option").count(),
    2,
    "only the lesson in a room with a box is offered (and typing it myself)",
  );
  await choice.selectOption({
    label: await choice.locator("option", { hasText: "9X2" }).innerText(),
  });
  t.equal(await teacher.page.getByLabel("Class", { exact: true }).inputValue(), "9X2");
  t.ok(await teacher.page.getByLabel("Starts at").isDisabled(), "the time is the lesson's");
  await teacher.page.getByLabel("Purpose").selectOption({ label: "Coaching" });
  await teacher.page.getByText("This class has pupils on the “do not record” list.").waitFor();
  await teacher.page.getByRole("button", { name: "Book", exact: true }).click();
  t.equal(
    await teacher.page.getByRole("alert").innerText(),
    "Say how the pupils who must not be recorded are protected, and how it is done.",
  );
  await teacher.page.getByLabel("Sound off").check();
  await teacher.page
    .getByLabel("How it is done")
    .fill("The microphone is off; the camera faces the board.");
  await look(t, shots, teacher.page, "book-from-lesson");
  await teacher.page.getByRole("button", { name: "Book", exact: true }).click();
  await teacher.page.waitForSelector("body[data-screen=bookings][data-ready]");
  t.match(await teacher.page.getByRole("status").first().innerText(), /^Booked: /);

  const lessons = (
    await as["teacher-a"].get(`/api/lessons?from=${monday}T00:00:00Z&to=${tuesday}T23:00:00Z`)
  ).json<Lesson[]>();
  const lesson = lessons.find((l) => l.classCode === "9X2");
  t.ok(lesson?.bookingId, "the lesson is booked");
  const booking = (await as["teacher-a"].get(`/api/bookings/${lesson?.bookingId ?? ""}`)).json();
  t.match(booking, {
    deviceId: "room-1",
    start: lesson?.start,
    end: lesson?.end,
    classCode: "9X2",
    doNotRecordPupils: true,
    audio: false,
    mitigation: { kind: "audio-off" },
  });
  t.same(teacher.problems, []);
});
