/**
 * The recording page's "Faces" line (issue 19) in a browser: the owner sees
 * the copy with every face blurred not made yet, then being made with its
 * progress, then ready — live, without reloading; a coach the recording is
 * shared with, pressing Watch while it is made, is told how far it is and is
 * never given the original (nothing loads in the player), and watches the
 * blurred copy once it is made.
 */
import t from "tap";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { eventually, tempDir } from "../helpers/controller.js";
import { listSegments } from "../helpers/media.js";
import { startSchool } from "../helpers/school.js";
import { issueUploadToken, recordingOnBox, UPLOAD_START } from "../helpers/upload-rig.js";
import { makeClip } from "../fixtures/anonymise/evaluation-set.js";
import {
  launchBrowser,
  look,
  openDashboard,
  Screenshots,
  signIn,
  go,
  waitInPage,
} from "./browser.js";

const work = tempDir("classcam-faces-line-");
t.teardown(work.remove);
// long enough that the copy is seen being made: twenty seconds with two faces
await makeClip(work.path, {
  seconds: 20,
  fps: 5,
  width: 640,
  height: 360,
  segmentSeconds: 2,
  faces: [
    { face: "collins", pose: "front", height: 90, x: 120, y: 120 },
    { face: "hopper", pose: "front", height: 100, x: 420, y: 100 },
  ],
});
const segments = listSegments(work.path, "source.m3u8");

void t.test("the Faces line: being made with progress, then ready; the coach waits", async (t) => {
  const school = await startSchool({ start: UPLOAD_START });
  t.teardown(school.close);
  const { app, as } = school;
  const id = await recordingOnBox(school, {
    dir: work.path,
    segments,
    total: segments.reduce((sum, s) => sum + s.bytes, 0),
    fileOf: () => Buffer.alloc(0),
  });
  await uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token: await issueUploadToken(app, id),
    recordingId: id,
    segments,
    dir: work.path,
  });
  const shared = await as["teacher-a"].post(`/api/recordings/${id}/shares`, { withId: "coach" });
  t.equal(shared.status, 201);

  const browser = await launchBrowser(t);
  const shots = new Screenshots("faces-line");
  const owner = await openDashboard(browser, school.httpUrl);
  await signIn(owner.page, "teacher-a");
  await go(owner.page, `recordings/${id}`, "recordings/:id");
  const faces = owner.page.locator(".anonymised-copy");
  t.match(
    await faces.innerText(),
    /You see the footage as recorded\. Colleagues see every face blurred: that copy is not made yet/,
  );

  const coach = await openDashboard(browser, school.httpUrl);
  await signIn(coach.page, "coach");
  await go(coach.page, `recordings/${id}`, "recordings/:id");
  t.match(
    await coach.page.locator(".anonymised-copy").innerText(),
    /You will see a copy with every face blurred; it is not made yet/,
  );
  await coach.page.getByRole("button", { name: "Watch", exact: true }).click();
  const waiting = coach.page.locator(".waiting-copy");
  await waiting.waitFor();
  t.match(
    await waiting.innerText(),
    /a copy with every face blurred is being prepared for you \(\d+ % done\)/,
    "the coach is told how far the copy is",
  );
  t.equal(
    await coach.page.evaluate("document.querySelector('video').currentSrc"),
    "",
    "and nothing is loaded in the player: never the original",
  );
  await look(t, shots, coach.page, "coach-waiting");

  // the owner's line follows the copy live: being made, how far, then ready
  await eventually(
    async () => /that copy is being made \(\d+ % done\)/.test(await faces.innerText()),
    240_000,
    "the owner's Faces line saying the copy is being made",
  );
  await look(t, shots, owner.page, "owner-being-made");
  await eventually(
    async () => /that copy is ready/.test(await faces.innerText()),
    240_000,
    "the owner's Faces line saying the copy is ready",
  );
  await look(t, shots, owner.page, "owner-ready");

  // the coach's player plays the copy once it is made, without a reload
  await waitInPage(coach.page, "document.querySelector('video')?.currentTime > 0.3", 60_000);
  t.match(
    await coach.page.locator(".anonymised-copy").innerText(),
    /You see a copy with every face blurred\./,
  );
  await look(t, shots, coach.page, "coach-watching");
  t.same([...owner.problems, ...coach.problems], [], "no page errors");
});
