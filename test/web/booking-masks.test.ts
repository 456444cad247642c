/**
 * Masks per booking (issue 19) in a real browser: a teacher books a lesson of
 * a class with a pupil on the do-not-record list, chooses "masks on this
 * booking" as the protection, draws the pupil's seat with the mouse over the
 * room's picture and books; the booking carries the rectangle, the box's
 * schedule gets it, and a colleague's view of the booking says where it is.
 * axe-core finds nothing wrong on the form with the drawing.
 */
import t from "tap";
import { startSchool } from "../helpers/school.js";
import { Screenshots, go, launchBrowser, look, openDashboard, signIn } from "./browser.js";

const pad = (n: number) => String(n).padStart(2, "0");
const localDate = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

void t.test("a teacher draws a mask on a booking for a do-not-record class", async (t) => {
  const school = await startSchool();
  t.teardown(() => school.close());
  const listed = await school.as.dpo.patch("/api/policy", { doNotRecordClasses: ["9X2"] });
  t.equal(listed.status, 200, "9X2 has a pupil on the do-not-record list");
  const browser = await launchBrowser(t);
  const shots = new Screenshots("booking-masks");
  const { page, problems } = await openDashboard(browser, school.httpUrl);
  await signIn(page, "teacher-a");
  await go(page, "timetable");
  await page.getByRole("button", { name: "Next week" }).click();
  const monday = new Date();
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7) + 7);
  monday.setHours(0, 0, 0, 0);
  const column = page.locator(`section.week-day:has(h3#day-${localDate(monday)})`);
  await column.getByRole("button", { name: /Free — book/ }).click();
  const form = page.locator("section.booking-panel");
  await form.getByLabel("Starts at").fill("09:00");
  await form.getByLabel("Ends at").fill("09:50");
  await form.getByLabel("Class", { exact: true }).fill("9X2");
  await form.getByLabel("Masks on this booking over where they sit").check();
  await form.getByLabel("How it is done").fill("The pupil by the window is blacked out.");

  // the protection names masks, and none is drawn yet: said before anything is sent
  await form.getByRole("button", { name: "Book", exact: true }).click();
  t.match(
    await form.getByRole("alert").innerText(),
    /Draw where the pupils who must not be recorded sit/,
  );

  // drag over the right-hand bottom quarter of the picture
  const stage = form.locator(".mask-stage");
  const box = await stage.boundingBox();
  if (box === null) throw new Error("the drawing stage is not shown");
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.6, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.75, { steps: 4 });
  await page.mouse.up();
  await form.getByLabel("Mask 1: width (%)").waitFor();
  await look(t, shots, page, "mask-drawn");
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await page
    .getByRole("status")
    .filter({ hasText: /^Booked: / })
    .waitFor();

  const week = await school.as["teacher-a"].get(
    `/api/bookings?from=${monday.toISOString()}&to=${new Date(monday.getTime() + 7 * 86_400_000).toISOString()}`,
  );
  const [booking] = week.json<
    {
      bookingId: string;
      masks: { x: number; y: number; width: number; height: number }[];
      mitigation: { kind: string } | null;
    }[]
  >();
  t.equal(booking?.mitigation?.kind, "booking-masks", "the protection is the booking's masks");
  t.equal(booking?.masks.length, 1, "one mask drawn");
  const [mask] = booking?.masks ?? [];
  t.ok(
    mask !== undefined &&
      Math.abs(mask.x - 0.6) < 0.02 &&
      Math.abs(mask.y - 0.5) < 0.02 &&
      Math.abs(mask.width - 0.2) < 0.02 &&
      Math.abs(mask.height - 0.25) < 0.02,
    `where it was drawn: ${JSON.stringify(mask)}`,
  );
  t.same(problems, [], "no errors in the page");

  // a colleague's view of the booking says where the mask is
  const other = await openDashboard(browser, school.httpUrl);
  await signIn(other.page, "teacher-b");
  await go(other.page, "timetable");
  await other.page.getByRole("button", { name: "Next week" }).click();
  await other.page
    .locator(`section.week-day:has(h3#day-${localDate(monday)})`)
    .getByRole("button", { name: /^09:00–09:50/ })
    .click();
  const facts = other.page.locator("section.booking-panel dl");
  await facts.waitFor();
  t.match(
    await facts.innerText(),
    /Masks on this booking\s+1 blacked out by the box in every recording \(1: 60–80 % from the left, 50–75 % from the top\)/,
  );
  await look(t, shots, other.page, "booking-with-a-mask");
  t.same(other.problems, [], "no errors in the colleague's page");
});
