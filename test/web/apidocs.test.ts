/**
 * The API's documentation page, `/api/docs`, in Debian's Chromium: it opens
 * without signing in, draws every operation from the controller's own
 * OpenAPI document with its scripts served by the controller (no CDN), under
 * the dashboard's Content-Security-Policy, with no page errors; the sign-in
 * schemes (the session cookie and the X-CSRF-Token header) are listed.
 */
import t from "tap";
import { startSchool } from "../helpers/school.js";
import { Screenshots, launchBrowser, openDashboard, waitInPage } from "./browser.js";

void t.test("a developer browses the API documentation", async (t) => {
  const school = await startSchool();
  t.teardown(() => school.close());
  const browser = await launchBrowser(t);
  const shots = new Screenshots("apidocs");

  const developer = await openDashboard(browser, `${school.httpUrl}/api/docs`);
  const { page, problems } = developer;
  const requested: string[] = [];
  page.on("request", (request) => requested.push(request.url()));
  await page.reload();
  await page.locator(".information-container .title").waitFor();
  t.match(
    await page.locator(".information-container .title").innerText(),
    /classcam controller API/,
    "the page shows the controller's API",
  );
  await waitInPage(page, "document.querySelectorAll('.opblock').length > 40");
  await shots.take(page, "api-docs");

  // an operation opened: its description, its request body and its answers' meanings
  const booking = page.locator("#operations-timetable-createBooking");
  await booking.locator(".opblock-summary").first().click();
  await booking.locator(".opblock-body .responses-table").first().waitFor();
  const opened = await booking.innerText();
  t.match(opened, /The slot must lie ahead/, "the operation's description");
  t.match(opened, /The booking made/, "what its success means");
  t.match(opened, /Conflict|Not allowed/, "what its errors mean");
  t.notMatch(opened, /Default Response/, "no answer without a meaning");
  await shots.take(page, "api-docs-operation");

  // the sign-in schemes, as the Authorize dialog lists them
  await page
    .getByRole("button", { name: /Authorize/ })
    .first()
    .click();
  const dialog = page.locator(".dialog-ux .modal-ux");
  await dialog.waitFor();
  const schemes = await dialog.innerText();
  t.match(schemes, /classcam_session/, "the session cookie is listed");
  t.match(schemes, /X-CSRF-Token/, "the CSRF header is listed");
  await shots.take(page, "api-docs-authorize");

  const origin = new URL(school.httpUrl).origin;
  t.same(
    requested.filter((url) => !url.startsWith(origin) && !url.startsWith("data:")),
    [],
    "everything the page loads comes from the controller",
  );
  t.same(problems, [], "no page errors or CSP refusals");
});
