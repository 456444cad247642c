// Subject access exports not taken away expire (issue 20 §3): the answer says
// by when to take it; the retention sweep leaves a young one, deletes one past
// its week with an audit entry saying so, and a download after that answers
// 410 saying what happened and what to do. While it waits, the file is
// encrypted at rest with a key of its own, erased with it.
import t from "tap";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expireExports } from "../../controller/src/domain/privacy/dpo-export-expiry.js";
import { recordedLesson, startSchool } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");
const DAY = 86_400_000;

void t.test("an export not taken away within a week is deleted, audited; then 410", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as, app } = school;
  const { recordingId } = await recordedLesson(school);
  const exportsDir = join(school.controller.dataDir, "exports");
  const made = await as.dpo.post("/api/dpo/exports", {
    reference: "SAR-2026-020",
    recordingIds: [recordingId],
    footage: [],
  });
  t.equal(made.status, 201, JSON.stringify(made.body));
  const { exportId, expiresAt } = made.json<{ exportId: string; expiresAt: string }>();
  t.equal(expiresAt, new Date(START.getTime() + 7 * DAY).toISOString(), "says by when to take it");
  const tar = join(exportsDir, `${exportId}.tar.enc`);
  t.ok(existsSync(tar));
  t.notOk(
    readFileSync(tar).includes("SAR-2026-020"),
    "encrypted at rest: the request's reference (in its manifest and README) is not in the file",
  );
  const key = () =>
    app.db.get("SELECT 1 AS kept FROM copy_keys WHERE kind = 'export' AND copy_id = ?", [exportId]);
  t.same(await key(), { kept: 1 }, "its key is kept, sealed, apart from it");

  const sweep = () =>
    expireExports({ db: app.db, audit: app.audit, exportsDir, keys: app.copyKeys }, app.now());
  await school.advance(6 * DAY);
  t.same(await sweep(), [], "a young export stays");
  t.ok(existsSync(tar));

  await school.advance(DAY);
  t.same(await sweep(), [exportId], "one past its week is deleted");
  t.notOk(existsSync(tar), "its file is gone");
  t.equal(await key(), undefined, "and its key erased");
  t.same(readdirSync(exportsDir), [], "nothing of it is left");
  const expired = (
    await app.audit.page({ subject: exportId, action: "dpo.export-expire", limit: 10 })
  ).entries;
  t.match(
    expired,
    [{ actor: "system", detail: { reference: "SAR-2026-020", keptDays: 7 } }],
    "audited",
  );

  const late = await as.dpo.get(`/api/dpo/exports/${exportId}`);
  t.equal(late.status, 410, "gone");
  t.match(late.json(), {
    error: "gone",
    message: /not taken away within 7 days.*deleted.*make it again/,
  });
  t.same(await sweep(), [], "nothing more to do");
});
