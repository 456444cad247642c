// Teacher zones in the copy with faces blurred (issue 19), on the pixels a
// colleague is served: a face in the room's zone is left sharp and one outside
// is blurred; a zone made smaller withdraws the copy made under the larger one
// at once (never served again) and the copy made again blurs the face; "blur
// the background" blurs what lies outside the zones too, faces or not.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { eventually, tempDir } from "../helpers/controller.js";
import {
  detail,
  difference,
  firstFrame,
  firstServedFrame,
  type Region,
} from "../helpers/frame-pixels.js";
import { listSegments } from "../helpers/media.js";
import { startSchool, type Caller, type School } from "../helpers/school.js";
import { issueUploadToken, recordingOnBox, UPLOAD_START } from "../helpers/upload-rig.js";
import { makeClip, type ClipSpec } from "../fixtures/anonymise/evaluation-set.js";

const WIDTH = 640;
const HEIGHT = 360;
/** The teacher at the front (Hopper, right) and a pupil (Collins, left), both still. */
const CLIP: ClipSpec = {
  seconds: 6,
  fps: 5,
  width: WIDTH,
  height: HEIGHT,
  segmentSeconds: 2,
  faces: [
    { face: "collins", pose: "front", height: 90, x: 120, y: 120 },
    { face: "hopper", pose: "front", height: 100, x: 420, y: 100 },
  ],
};
/** The front of the room: round the teacher's face (420–509 × 100–200 px). */
const FRONT = { x: 0.625, y: 0.222, width: 0.219, height: 0.389 };
/** A corner with no face in it. */
const CORNER = { x: 0, y: 0, width: 0.05, height: 0.05 };
/** The edge of the teacher's portrait just left of the zone: detail, no face, outside the zone. */
const BESIDE: Region = { x: 391, y: 62, width: 8, height: 150 };
/** A desk far from both faces and outside the zone: its edges are the detail. */
const DESK: Region = { x: 20, y: 280, width: 150, height: 60 };

const work = tempDir("classcam-zones-test-");
t.teardown(work.remove);
const clipDir = join(work.path, "clip");
const truth = await makeClip(clipDir, CLIP);
const segments = listSegments(clipDir, "source.m3u8");
const [pupil, teacher] = truth[0] ?? [];
if (!pupil || !teacher) throw new Error("the clip has no faces");
const original = firstFrame(readFileSync(join(clipDir, segments[0]?.name ?? "")), work.path);

/** Teacher A's recording of the clip, uploaded and shared with teacher B. */
async function sharedRecording(school: School): Promise<string> {
  const id = await recordingOnBox(school, {
    dir: clipDir,
    segments,
    total: segments.reduce((sum, s) => sum + s.bytes, 0),
    fileOf: () => Buffer.alloc(0),
  });
  const token = await issueUploadToken(school.app, id);
  await uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token,
    recordingId: id,
    segments,
    dir: clipDir,
  });
  const share = await school.as["teacher-a"].post(`/api/recordings/${id}/shares`, {
    withId: "teacher-b",
    expiresAt: new Date(UPLOAD_START.getTime() + 7 * 86_400_000).toISOString(),
  });
  if (share.status !== 201) throw new Error(`share: ${JSON.stringify(share.body)}`);
  return id;
}

/** The first picture of the copy `caller` is served, once it is made. */
async function servedFrame(school: School, caller: Caller, id: string): Promise<Buffer> {
  const playlist = await eventually(
    async () => {
      const reply = await caller.get(`/api/recordings/${id}/footage/index.m3u8`);
      if (reply.status === 200) return String(reply.body);
      if (reply.status !== 409) throw new Error(`${reply.status}: ${String(reply.body)}`);
      return null;
    },
    240_000,
    "the copy with faces blurred",
  );
  const fetch = async (name: string) => {
    const reply = await school.app.inject({
      method: "GET",
      url: `/api/recordings/${id}/footage/${name}`,
      headers: caller.cookie === null ? {} : { cookie: caller.cookie },
    });
    if (reply.statusCode !== 200) throw new Error(`${name}: ${reply.statusCode} ${reply.body}`);
    return reply.rawPayload;
  };
  return firstServedFrame(playlist, fetch, work.path);
}

const sharp = (t: Test, frame: Buffer, face: Region, words: string) => {
  const d = detail(frame, WIDTH, face);
  t.ok(d > 8, `${words}: sharp (detail ${d.toFixed(1)})`);
  const off = difference(frame, original, WIDTH, face);
  t.ok(off < 8, `${words}: as recorded (differs by ${off.toFixed(1)})`);
};
const blurred = (t: Test, frame: Buffer, face: Region, words: string) => {
  const d = detail(frame, WIDTH, face);
  t.ok(d < 4, `${words}: blurred (detail ${d.toFixed(1)})`);
};

void t.test("a face in the teacher zone stays sharp; zones made smaller or stricter", async (t) => {
  t.ok(detail(original, WIDTH, teacher) > 8 && detail(original, WIDTH, pupil) > 8, "two faces");
  const school = await startSchool({ start: UPLOAD_START });
  t.teardown(school.close);
  const zones = "/api/devices/room-1/zones";
  const set = await school.as.dpo.put(zones, { mode: "faces", zones: [FRONT] });
  t.equal(set.status, 200, JSON.stringify(set.body));
  const id = await sharedRecording(school);
  const b = school.as["teacher-b"];

  const inZone = await servedFrame(school, b, id);
  sharp(t, inZone, teacher, "the teacher's face in the zone");
  blurred(t, inZone, pupil, "the pupil's face outside it");
  const deskDetail = detail(original, WIDTH, DESK);
  t.ok(
    detail(inZone, WIDTH, DESK) > deskDetail / 2,
    `the room outside the zone is as recorded (${detail(inZone, WIDTH, DESK).toFixed(2)} of ${deskDetail.toFixed(2)})`,
  );

  const beside = detail(inZone, WIDTH, BESIDE);
  t.ok(
    beside > detail(original, WIDTH, BESIDE) / 2,
    `and beside the teacher too (${beside.toFixed(2)})`,
  );

  // the zone made smaller: the copy that left the teacher sharp is withdrawn at once
  const smaller = await school.as.dpo.put(zones, { mode: "faces", zones: [CORNER] });
  t.equal(smaller.status, 200);
  const state = await school.as["teacher-a"].get(`/api/recordings/${id}/anonymised-copy`);
  t.match(
    state.json(),
    { state: "none", progress: 0 },
    "the recording's page no longer says a copy is ready: the one made under the larger zone does not count",
  );
  const withdrawn = await b.get(`/api/recordings/${id}/footage/index.m3u8`);
  t.equal(withdrawn.status, 409, "the copy made under the larger zone is not served");
  t.match(withdrawn.json(), { message: /being prepared/ });
  const remade = await servedFrame(school, b, id);
  blurred(t, remade, teacher, "made again: the teacher's face, now outside every zone");
  blurred(t, remade, pupil, "made again: the pupil's face");

  // blur the background: everything outside the zone, faces or not
  const background = await school.as.dpo.put(zones, { mode: "background", zones: [FRONT] });
  t.equal(background.status, 200);
  t.equal(
    (await b.get(`/api/recordings/${id}/footage/index.m3u8`)).status,
    409,
    "a copy with the background sharp is not served once the background is to be blurred",
  );
  const outside = await servedFrame(school, b, id);
  sharp(t, outside, teacher, "background mode: the teacher's face in the zone");
  blurred(t, outside, pupil, "background mode: the pupil's face");
  // however a copy came to be made under other zones (a change while it was made), it is not served
  await school.app.db.transaction((tx) =>
    tx.run("UPDATE rendition_zones SET mode = 'faces' WHERE copy_id = ?", [id]),
  );
  t.equal(
    (await b.get(`/api/recordings/${id}/footage/index.m3u8`)).status,
    409,
    "a copy written down as made under other zones is not served",
  );
  const before = detail(original, WIDTH, BESIDE);
  const now = detail(outside, WIDTH, BESIDE);
  t.ok(
    before > 4 && now < before / 3,
    `background mode: beside the teacher, outside the zone, blurred (${now.toFixed(2)}, was ${before.toFixed(2)})`,
  );
});
