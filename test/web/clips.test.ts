/**
 * Clips and the exemplar bank in the browser (issue 17): the owner cuts a
 * clip on the recording page (start and end from the player), offers it to
 * the bank from My clips with a strand; the other member of staff in the
 * lesson agrees on the Consents page; a colleague finds it in the Exemplar
 * bank by that strand and plays it. axe-core finds nothing on each screen.
 */
import t from "tap";
import { uploadRecording } from "../../device/src/link/uploader.js";
import type { School } from "../helpers/school.js";
import { issueUploadToken, makeFootage, schoolWithRecording } from "../helpers/upload-rig.js";
import {
  Screenshots,
  go,
  launchBrowser,
  look,
  openDashboard,
  signIn,
  waitInPage,
  type Person,
} from "./browser.js";

const FOOTAGE = makeFootage(t, {
  prefix: "classcam-web-clips-",
  video: "size=160x120:rate=10",
  encode: ["-g", "10", "-sc_threshold", "0"],
  segmentSeconds: 2,
  seconds: 12,
});

async function schoolWithFootage(): Promise<{ school: School; id: string }> {
  const { school, id } = await schoolWithRecording(t, FOOTAGE);
  await school.app.db.transaction((tx) =>
    tx.run(
      `UPDATE recordings SET duration_seconds = 12, staff_json = '["teacher-a","teacher-b"]'
       WHERE id = ?`,
      [id],
    ),
  );
  await uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token: await issueUploadToken(school.app, id),
    recordingId: id,
    segments: FOOTAGE.segments,
    dir: FOOTAGE.dir,
  });
  return { school, id };
}

void t.test(
  "cut a clip, offer it, the other teacher agrees, a colleague finds it and plays it",
  async (t) => {
    const { school, id } = await schoolWithFootage();
    const browser = await launchBrowser(t);
    const shots = new Screenshots("clips");
    const people: Person[] = [];
    const as = async (who: string): Promise<Person> => {
      const person = await openDashboard(browser, school.httpUrl);
      await signIn(person.page, who);
      people.push(person);
      return person;
    };

    // teacher A cuts 3–7 s while watching
    const owner = await as("teacher-a");
    await go(owner.page, `recordings/${id}`, "recordings/:id");
    await owner.page.getByLabel("Title").fill("Think, pair, share");
    await owner.page.getByLabel("Start (seconds)").fill("3.2");
    await owner.page.getByLabel("End (seconds)").fill("6.5");
    await look(t, shots, owner.page, "recording-cut");
    await owner.page.getByRole("button", { name: "Cut the clip" }).click();
    const cut = owner.page.getByText(/Clip “Think, pair, share” cut: 0:02–0:08/);
    await cut.waitFor();
    t.match(
      await cut.innerText(),
      /the start moved 1\.2 s earlier and the end 1\.5 s later/,
      "how far each point moved, in words",
    );

    // and offers it from My clips, tagged with the first strand
    await go(owner.page, "clips");
    await owner.page.getByLabel("Subject", { exact: true }).fill("Maths");
    await owner.page.getByLabel("Year group", { exact: true }).fill("Year 7");
    await owner.page.locator("details summary").first().click();
    await owner.page.locator("input[name=strand]").first().check();
    const strandId = Number(await owner.page.locator("input[name=strand]").first().inputValue());
    await look(t, shots, owner.page, "my-clips");
    await owner.page.getByRole("button", { name: "Offer to the exemplar bank" }).click();
    await owner.page.getByText("everyone in the lesson is asked to agree").waitFor();

    // teacher B, in the lesson, agrees on her Consents page
    const other = await as("teacher-b");
    await go(other.page, "consents");
    await other.page.getByRole("heading", { name: "Think, pair, share" }).waitFor();
    await look(t, shots, other.page, "consents");
    await other.page.getByRole("button", { name: "Agree to share it" }).click();
    await other.page.getByText(/You agreed to the clip “Think, pair, share”/).waitFor();

    // a coach finds it in the bank by the strand and plays it
    const coach = await as("coach");
    await go(coach.page, `bank?strand=${strandId}`, "bank");
    await coach.page.getByRole("heading", { name: "Think, pair, share" }).waitFor();
    await look(t, shots, coach.page, "bank");
    // faces are blurred for colleagues by default: the player says it waits for that copy
    // (asking again until it is made), then plays it — never the clip as cut
    await coach.page.getByRole("button", { name: "Watch “Think, pair, share”" }).click();
    await waitInPage(
      coach.page,
      "document.querySelector('video') !== null && document.querySelector('video').currentTime > 0.5",
      180_000,
    );
    t.pass("the clip plays in the colleague's browser");
    const plays = await school.app.db.all<{ actor: string; detail: string }>(
      "SELECT actor, detail_json AS detail FROM audit_log WHERE action = 'clip.play'",
    );
    t.same(
      plays.map((p) => p.actor),
      ["coach"],
      "the viewing is in the audit log",
    );
    t.match(
      JSON.parse(plays[0]?.detail ?? "{}"),
      { basis: "bank", copy: "anonymised" },
      "the colleague was served the copy with faces blurred",
    );

    // the Bursar has no bank in the menu, and the screen refuses
    const bursar = await as("bursar");
    await go(bursar.page, "bank", "not-allowed");
    t.pass("the Bursar cannot open the bank");

    for (const person of people) t.same(person.problems, [], "no page errors nor CSP refusals");
  },
);
