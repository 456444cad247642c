/**
 * A recording's page follows a change that lands while the page is still
 * being built. The teacher opens her recording just as the box stops it: the
 * page read it as still recording, and the stop's live notice came before the
 * page was drawn. It must still offer Watch once the stop is in, without a
 * reload (the coaching story met this in CI: the projector applies events a
 * quarter of a second after they commit, so the stop lands just then).
 *
 * The page is held part-way by holding its "seen" request (sent after the
 * recording was read) until the stop has been applied and announced.
 */
import t from "tap";
import { until } from "../helpers/device.js";
import { bookOnBox, schoolWithBox } from "../helpers/school-box.js";
import { launchBrowser, openDashboard, signIn, waitInPage } from "./browser.js";

const DEVICE = "room-1";

void t.test(
  "a stop announced while the recording's page is built still brings Watch",
  async (t) => {
    const classroom = await schoolWithBox(t, DEVICE);
    const { school, box } = classroom;
    await bookOnBox(t, classroom, DEVICE, "coaching");
    const status = async (id: string) => {
      const answer = await school.as["teacher-a"].get(`/api/recordings/${id}`);
      return answer.status === 200 ? answer.json<{ status: string }>().status : null;
    };

    await box.daemon.press("short");
    const recordingId = box.daemon.session.recording?.recordingId ?? "";
    t.ok(recordingId, "the box records");
    await until(async () => (await status(recordingId)) === "recording", "the recording listed");
    await until(
      async () => ((await box.daemon.index.get(recordingId))?.segments ?? 0) >= 2,
      "two segments",
    );

    const browser = await launchBrowser(t);
    const teacher = await openDashboard(browser, school.httpUrl);
    await signIn(teacher.page, "teacher-a");
    await waitInPage(teacher.page, "document.body.dataset.live === 'connected'", 15_000);

    // the page reads the recording, then says it was seen: that request waits here
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let seenAsked = () => {};
    const asked = new Promise<void>((resolve) => (seenAsked = resolve));
    await teacher.page.route(`**/api/recordings/${recordingId}/seen`, async (route) => {
      seenAsked();
      await released;
      await route.continue();
    });
    await teacher.page.evaluate(`location.hash = "#/recordings/${recordingId}"`);
    await asked;

    await box.daemon.press("short");
    await until(async () => (await status(recordingId)) !== "recording", "the stop applied");
    // the stop's notice goes out as it is applied; give it time to reach the page
    await new Promise((resolve) => setTimeout(resolve, 1000));
    release();

    await teacher.page.waitForSelector("body[data-screen='recordings/:id'][data-ready]");
    await teacher.page.getByRole("button", { name: "Watch", exact: true }).waitFor({
      timeout: 15_000,
    });
    t.pass("Watch is offered without a reload");
    t.notOk(
      await teacher.page.getByText("Recording now: watch it when it has ended.").isVisible(),
      "the page no longer says it is recording",
    );
    t.same(teacher.problems, [], "no errors in the page");
  },
);
