/**
 * The share form's "Share unblurred" (issue 19) in a browser: absent while the
 * school's policy does not allow unblurred shares; once SLT allows them, the
 * owner sees the checkbox saying plainly what it means, ticks it and shares —
 * the share is listed as unblurred and audited as its own action.
 */
import t from "tap";
import { recordedLesson, startSchool } from "../helpers/school.js";
import { launchBrowser, look, openDashboard, Screenshots, signIn, go } from "./browser.js";

void t.test(
  "the share form offers an unblurred share only where the policy allows it",
  async (t) => {
    const school = await startSchool({ start: new Date("2026-11-23T08:00:00.000Z") });
    t.teardown(school.close);
    const { recordingId: id } = await recordedLesson(school);

    const browser = await launchBrowser(t);
    const shots = new Screenshots("unblurred-share");
    const owner = await openDashboard(browser, school.httpUrl);
    await signIn(owner.page, "teacher-a");
    await go(owner.page, `recordings/${id}`, "recordings/:id");
    await owner.page.getByRole("heading", { name: "Share with a colleague" }).waitFor();
    t.equal(
      await owner.page.getByRole("checkbox", { name: /Share unblurred/ }).count(),
      0,
      "no unblurred share while the policy does not allow it",
    );

    const allowed = await school.as.slt.patch("/api/policy", {
      anonymity: { ownerMayShareUnblurred: true },
    });
    t.equal(allowed.status, 200);
    await owner.page.reload();
    await owner.page.waitForSelector("body[data-screen='recordings/:id'][data-ready]");
    const unblurred = owner.page.getByRole("checkbox", { name: /Share unblurred/ });
    await unblurred.waitFor();
    t.match(
      await owner.page.locator("label").filter({ has: unblurred }).innerText(),
      /sees pupils' faces as recorded, not blurred.*recorded in the audit log.*blurred again if the school stops allowing it/s,
      "it says plainly what it means",
    );
    await look(t, shots, owner.page, "share-form-unblurred");

    await owner.page.getByLabel("Share with", { exact: true }).selectOption({ label: "Ms coach" });
    await unblurred.check();
    await owner.page.getByRole("button", { name: "Share", exact: true }).click();
    const share = owner.page.locator("ul.shares li").filter({ hasText: "Ms coach" });
    await share.waitFor();
    t.match(await share.innerText(), /unblurred \(faces as recorded while the policy allows it\)/);
    const audited = await school.app.db.all<{ action: string }>(
      "SELECT action FROM audit_log WHERE subject = ? AND action LIKE 'share.%'",
      [id],
    );
    t.same(
      audited.map((e) => e.action),
      ["share.unblurred"],
      "audited as its own action",
    );
    await look(t, shots, owner.page, "shared-unblurred");
    t.same(owner.problems, [], "no page errors");
  },
);
