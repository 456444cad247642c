/**
 * Teacher zones (issue 19) in a real browser: the DPO, on the policy screen
 * beside the room's masks, chooses "faces in the zones stay sharp", draws a
 * zone at the front of the room with the mouse and saves; the room's zones
 * are the ones drawn, the audit log has the change in words, and the privacy
 * notice names the room. axe-core finds nothing wrong with the drawing.
 */
import t from "tap";
import { startSchool } from "../helpers/school.js";
import { Screenshots, go, launchBrowser, look, openDashboard, signIn } from "./browser.js";

void t.test("the DPO draws a teacher zone", async (t) => {
  const school = await startSchool();
  t.teardown(() => school.close());
  const browser = await launchBrowser(t);
  const shots = new Screenshots("zones");
  const { page, problems } = await openDashboard(browser, school.httpUrl);
  await signIn(page, "dpo");
  await go(page, "policy");
  const zones = page.locator("section", {
    has: page.getByRole("heading", { name: "Teacher zones" }),
  });
  await zones.getByText("No zones drawn.").waitFor();
  t.ok(
    await zones.getByLabel("No teacher zone: every face is blurred.").isChecked(),
    "no zone until one is drawn",
  );

  // a mode that needs zones, and none drawn: said before anything is sent
  await zones.getByLabel(/Faces in the zones stay sharp/).check();
  await zones.getByRole("button", { name: "Save the zones" }).click();
  t.match(await zones.getByRole("alert").innerText(), /Draw at least one zone/);

  // the front of the room: the left third, from a fifth down to the bottom
  const stage = zones.locator(".zone-stage");
  const box = await stage.boundingBox();
  if (box === null) throw new Error("the drawing stage is not shown");
  await page.mouse.move(box.x + box.width * 0.05, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.6, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.95, { steps: 4 });
  await page.mouse.up();
  await zones.getByLabel("Zone 1: width (%)").waitFor();
  t.equal(Number(await zones.getByLabel("Zone 1: width (%)").inputValue()), 30);
  await look(t, shots, page, "zone-drawn");
  await zones.getByRole("button", { name: "Save the zones" }).click();
  await zones
    .getByRole("status")
    .filter({ hasText: /^The teacher zones of Room room-1 are saved \(1 zone\)/ })
    .waitFor();

  t.same(
    (await school.as.dpo.get("/api/devices/room-1/zones")).json(),
    { mode: "faces", zones: [{ x: 0.05, y: 0.2, width: 0.3, height: 0.75 }] },
    "the room's zones are the one drawn",
  );
  t.equal(await page.locator(".mask-stage .mask-rect").count(), 0, "drawn as a zone, not a mask");
  const audited = (await school.as.dpo.get("/api/audit?action=device.zones")).json<{
    entries: { actor: string; subject: string }[];
  }>().entries;
  t.match(audited, [{ actor: "dpo", subject: "room-1" }], "audited");
  await go(page, "audit");
  await page
    .getByText(/set the teacher zones of the box in Room room-1: faces in 1 zone left sharp/)
    .first()
    .waitFor();
  t.match(
    String((await school.as.dpo.get("/privacy")).body),
    /In Room room-1, faces in the teacher zone/,
  );
  t.same(problems, [], "no errors in the page");
});
