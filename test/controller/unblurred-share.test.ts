// The unblurred share (issue 19): where the school's policy allows it, the
// owner may share a recording unblurred with a named colleague — who then
// watches it as recorded, and its clips too — audited as its own action;
// refused, saying why, where the policy does not allow it; and when the
// policy is turned off later, the share falls back to the copy with faces
// blurred. An ordinary share stays blurred throughout.
import t from "tap";
import { uploadRecording } from "../../device/src/link/uploader.js";
import type { School } from "../helpers/school.js";
import {
  issueUploadToken,
  makeFootage,
  schoolWithRecording,
  UPLOAD_START,
} from "../helpers/upload-rig.js";

const FOOTAGE = makeFootage(t, {
  prefix: "classcam-unblurred-share-",
  video: "size=64x48:rate=10",
  encode: ["-g", "10", "-keyint_min", "10", "-sc_threshold", "0"],
  segmentSeconds: 4,
});

const UNTIL = new Date(UPLOAD_START.getTime() + 7 * 86_400_000).toISOString();

async function setPolicy(school: School, anonymity: Record<string, boolean>): Promise<void> {
  const reply = await school.as.slt.patch("/api/policy", { anonymity });
  if (reply.status !== 200) throw new Error(`policy: ${JSON.stringify(reply.json())}`);
}

void t.test("an unblurred share: only where the policy allows it, audited", async (t) => {
  const { school, id } = await schoolWithRecording(t, FOOTAGE);
  await uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token: await issueUploadToken(school.app, id),
    recordingId: id,
    segments: FOOTAGE.segments,
    dir: FOOTAGE.dir,
  });
  const a = school.as["teacher-a"];
  const b = school.as["teacher-b"];
  const playlist = `/api/recordings/${id}/footage/index.m3u8`;

  const refused = await a.post(`/api/recordings/${id}/shares`, {
    withId: "teacher-b",
    expiresAt: UNTIL,
    unblurred: true,
  });
  t.equal(refused.status, 403, "not while the policy forbids it");
  t.match(refused.json(), {
    message: /the school's policy does not let owners share a recording unblurred/,
  });

  await setPolicy(school, { ownerMayShareUnblurred: true });
  const shared = await a.post(`/api/recordings/${id}/shares`, {
    withId: "teacher-b",
    expiresAt: UNTIL,
    unblurred: true,
  });
  t.equal(shared.status, 201, JSON.stringify(shared.json()));
  t.match(shared.json(), { withId: "teacher-b", unblurred: true });
  const ordinary = await a.post(`/api/recordings/${id}/shares`, {
    withId: "teacher-c",
    expiresAt: UNTIL,
  });
  t.match(ordinary.json(), { withId: "teacher-c", unblurred: false });
  const audited = await school.app.db.all<{ action: string; detail_json: string }>(
    "SELECT action, detail_json FROM audit_log WHERE subject = ? AND action LIKE 'share.%' ORDER BY seq",
    [id],
  );
  t.same(
    audited.map((e) => e.action),
    ["share.unblurred", "share.create"],
    "the unblurred share is its own action",
  );
  t.match(JSON.parse(audited[0]?.detail_json ?? "{}"), { with: "teacher-b", expiresAt: UNTIL });

  const asRecorded = await b.get(playlist);
  t.equal(asRecorded.status, 200, "teacher B watches it as recorded");
  t.match(String(asRecorded.body), /seg-00000\.ts/);
  t.match((await b.get(`/api/recordings/${id}/anonymised-copy`)).json(), { yours: "original" });
  const c = await school.as["teacher-c"].get(playlist);
  t.equal(c.status, 409, "an ordinary share waits for the copy with faces blurred");

  // the school no longer allows unblurred shares: teacher B's falls back to the blurred copy
  await setPolicy(school, { ownerMayShareUnblurred: false });
  const after = await b.get(playlist);
  t.equal(after.status, 409, "teacher B now waits for the copy with faces blurred");
  t.match(after.json(), { message: /copy with every face blurred is being prepared for you/ });
  t.match((await b.get(`/api/recordings/${id}/anonymised-copy`)).json(), {
    yours: "anonymised",
  });
});
