// Pupils' anonymity (issue 19): a colleague the footage is shared with gets
// only the copy with every face blurred (checked on the pixels of a served
// segment against the ground truth), never the original while it is made; the
// owner gets the original; a copy being made when the controller stops is
// made on from where it was after the restart; a corrupt or missing face
// model is a clear error at start and such footage is then shown to no one
// but its owner.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import type { FastifyInstance } from "fastify";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { checkModel } from "../../controller/src/anonymise/detector.js";
import { eventually, startController, tempDir } from "../helpers/controller.js";
import { listSegments } from "../helpers/media.js";
import { Caller, PASSWORD, startSchool, type School } from "../helpers/school.js";
import { issueUploadToken, recordingOnBox, UPLOAD_START } from "../helpers/upload-rig.js";
import { makeClip, type Box, type ClipSpec } from "../fixtures/anonymise/evaluation-set.js";
import { firstFrameOf } from "../helpers/blurred-copies.js";

const WIDTH = 640;
const HEIGHT = 360;
/** Two still faces, large enough that the detector finds them every time. */
const CLIP: ClipSpec = {
  seconds: 8,
  fps: 5,
  width: WIDTH,
  height: HEIGHT,
  segmentSeconds: 2,
  faces: [
    { face: "collins", pose: "front", height: 90, x: 120, y: 120 },
    { face: "hopper", pose: "front", height: 100, x: 420, y: 100 },
  ],
};

const work = tempDir("classcam-anonymise-test-");
t.teardown(work.remove);
const clipDir = join(work.path, "clip");
const truth = await makeClip(clipDir, CLIP);
const segments = listSegments(clipDir, "source.m3u8");
const footage = {
  dir: clipDir,
  segments,
  total: segments.reduce((sum, s) => sum + s.bytes, 0),
  fileOf: () => Buffer.alloc(0),
};

/** A school with the clip recorded by teacher A, uploaded, and shared with teacher B. */
async function sharedRecording(school: School): Promise<string> {
  const id = await recordingOnBox(school, footage);
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

/** A segment's bytes as `caller` receives it. */
async function segmentBytes(app: FastifyInstance, caller: Caller, id: string, name: string) {
  const response = await app.inject({
    method: "GET",
    url: `/api/recordings/${id}/footage/${name}`,
    headers: caller.cookie === null ? {} : { cookie: caller.cookie },
  });
  return { status: response.statusCode, bytes: response.rawPayload, body: response.body };
}

/** The first picture of an MPEG-TS segment, as RGB. */
function firstFrame(segment: Buffer): Buffer {
  const file = join(work.path, `probe-${process.hrtime.bigint()}.ts`);
  writeFileSync(file, segment);
  return execFileSync("ffmpeg", [
    ...["-v", "error", "-i", file, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24"],
    "pipe:1",
  ]);
}

/** How much fine detail a region holds: the mean difference between neighbouring pixels. */
function detail(frame: Buffer, box: Box): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.ceil(box.y); y < Math.floor(box.y + box.height); y++) {
    for (let x = Math.ceil(box.x); x < Math.floor(box.x + box.width) - 1; x++) {
      const i = (y * WIDTH + x) * 3;
      for (let k = 0; k < 3; k++) sum += Math.abs((frame[i + k] ?? 0) - (frame[i + 3 + k] ?? 0));
      n += 3;
    }
  }
  return sum / n;
}

/** Mean difference of two frames over a region. */
function difference(a: Buffer, b: Buffer, box: Box): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.ceil(box.y); y < Math.floor(box.y + box.height); y++) {
    for (let x = Math.ceil(box.x); x < Math.floor(box.x + box.width); x++) {
      const i = (y * WIDTH + x) * 3;
      for (let k = 0; k < 3; k++) sum += Math.abs((a[i + k] ?? 0) - (b[i + k] ?? 0));
      n += 3;
    }
  }
  return sum / n;
}

/** The playlist's segment names. */
const namesIn = (playlist: string) => playlist.split("\n").filter((l) => l.endsWith(".ts"));

/** Waits for the copy with faces blurred to be served to `caller`; answers its playlist. */
async function blurredPlaylist(caller: Caller, id: string): Promise<string> {
  return eventually(
    async () => {
      const reply = await caller.get(`/api/recordings/${id}/footage/index.m3u8`);
      if (reply.status === 200) return String(reply.body);
      if (reply.status !== 409)
        throw new Error(`unexpected ${reply.status}: ${String(reply.body)}`);
      return null;
    },
    240_000,
    "the copy with faces blurred",
  );
}

/** Every segment of the copy `caller` is served: the labelled faces carry no detail. */
async function checkBlurred(
  t: Test,
  app: FastifyInstance,
  caller: Caller,
  id: string,
  playlist: string,
) {
  const names = namesIn(playlist);
  t.ok(names.length >= 4, `the copy is all there (${names.length} segments)`);
  const original = firstFrame(readSegment(0));
  for (const [i, name] of names.entries()) {
    // the copy is encrypted at rest with its own key: decoded as a player does, through the key route
    const base = `/api/recordings/${id}/footage/`;
    const frame = await firstFrameOf(app, caller, playlist, base, i, work.path);
    t.pass(`${name} is served`);
    // each copy's segment starts on a keyframe every two seconds
    const faces = truth[i * 2 * CLIP.fps] ?? [];
    for (const [f, face] of faces.entries()) {
      t.ok(
        detail(frame, face) < 4,
        `${name}: face ${f} carries no detail (${detail(frame, face).toFixed(1)})`,
      );
    }
    if (i === 0) {
      for (const face of faces) {
        t.ok(difference(frame, original, face) > 10, "and differs from the original there");
        t.ok(detail(original, face) > 8, "where the original has a face's detail");
      }
    }
  }
}

function readSegment(i: number): Buffer {
  const segment = segments[i];
  if (!segment) throw new Error(`no segment ${i}`);
  return execFileSync("cat", [join(clipDir, segment.name)]);
}

void t.test("a colleague gets only the blurred copy; the owner the original", async (t) => {
  const school = await startSchool({ start: UPLOAD_START });
  t.teardown(school.close);
  const id = await sharedRecording(school);
  const b = school.as["teacher-b"];

  const first = await b.get(`/api/recordings/${id}/footage/index.m3u8`);
  t.equal(first.status, 409, "not the original while the copy is made");
  t.match(first.json(), { message: /being prepared for you \(\d+ % done\)/ });
  const early = await segmentBytes(school.app, b, id, segments[0]?.name ?? "");
  t.equal(early.status, 409, "nor any segment of it");

  const copy = `/api/recordings/${id}/anonymised-copy`;
  t.match((await b.get(copy)).json(), { state: /^(queued|making)$/, yours: "anonymised" });

  const playlist = await blurredPlaylist(b, id);
  await checkBlurred(t, school.app, b, id, playlist);
  t.same((await b.get(copy)).json(), {
    state: "ready",
    progress: 1,
    error: null,
    yours: "anonymised",
  });
  t.match((await school.as["teacher-a"].get(copy)).json(), { state: "ready", yours: "original" });
  t.match((await school.as.bursar.get(copy)).json(), { yours: "none" }, "details, never footage");
  t.equal((await school.as["teacher-c"].get(copy)).status, 403, "not for someone outside it");

  const owner = await school.as["teacher-a"].get(`/api/recordings/${id}/footage/index.m3u8`);
  t.equal(owner.status, 200);
  const ownName = namesIn(String(owner.body))[0] ?? "";
  const own = await segmentBytes(school.app, school.as["teacher-a"], id, ownName);
  t.equal(own.status, 200);
  t.same(own.bytes, readSegment(0), "the owner gets the original segment, byte for byte");
  const face = truth[0]?.[0];
  if (face) t.ok(detail(firstFrame(own.bytes), face) > 8, "with the face's detail");
});

void t.test(
  "a copy being made when the controller stops is made on after the restart",
  async (t) => {
    const school = await startSchool({ start: UPLOAD_START });
    t.teardown(school.close);
    const id = await sharedRecording(school);
    const b = school.as["teacher-b"];
    t.equal((await b.get(`/api/recordings/${id}/footage/index.m3u8`)).status, 409);
    const folder = join(school.controller.dataDir, "renditions", id);
    // the first segment is finished once the muxer has begun the second
    await eventually(
      () => existsSync(join(folder, "seg-00001.ts")),
      240_000,
      "the copy's second segment",
    );
    await school.app.close();

    const again = await startController({
      dataDir: school.controller.dataDir,
      now: () => school.clock.now,
    });
    t.teardown(again.close);
    const b2 = new Caller(again.app, "teacher-b");
    t.equal((await b2.signIn(PASSWORD("teacher-b"))).status, 200);
    const playlist = await blurredPlaylist(b2, id);
    const parts = readdirSync(folder).filter((f) => /^part-\d+\.m3u8$/.test(f));
    t.ok(
      parts.some((p) => p !== "part-00000.m3u8"),
      `the second run started where the first stopped (${parts.join(", ")})`,
    );
    await checkBlurred(t, again.app, b2, id, playlist);
  },
);

void t.test(
  "a corrupt or missing face model: a clear error, and no unblurred footage",
  async (t) => {
    const models = tempDir("classcam-models-");
    t.teardown(models.remove);
    await t.rejects(
      checkModel({ kind: "tiny", inputSize: 416, minScore: 0.3, modelDir: models.path }),
      {
        name: "DetectorUnavailable",
        message: /tiny_face_detector_model-weights_manifest\.json is missing/,
      },
    );
    mkdirSync(models.path, { recursive: true });
    writeFileSync(
      join(models.path, "tiny_face_detector_model-weights_manifest.json"),
      "{ not json",
    );

    const school = await startSchool({
      start: UPLOAD_START,
      config: { anonymiser: { cores: 1, modelDir: models.path } },
    });
    t.teardown(school.close);
    t.ok(
      school.controller.lines.some(
        (line) =>
          line.part === "anonymiser" &&
          /corrupt/.test(String(line.reason)) &&
          /cannot start/.test(String(line.msg)),
      ),
      "the anonymiser's start-up error is logged, naming the file",
    );
    const id = await sharedRecording(school);
    const b = school.as["teacher-b"];
    const refused = await b.get(`/api/recordings/${id}/footage/index.m3u8`);
    t.equal(refused.status, 409);
    t.match(refused.json(), {
      message: /faces cannot be blurred on this controller \(the face model's file .* is corrupt/,
    });
    const segment = await segmentBytes(school.app, b, id, segments[0]?.name ?? "");
    t.equal(segment.status, 409, "no segment either");
    t.equal(
      (await school.as["teacher-a"].get(`/api/recordings/${id}/footage/index.m3u8`)).status,
      200,
      "the owner still watches the original",
    );

    // the school turns blurring off: colleagues then see footage as recorded
    const off = await school.as.slt.patch("/api/policy", { anonymity: { blurFaces: false } });
    t.equal(off.status, 200, JSON.stringify(off.body));
    t.equal((await b.get(`/api/recordings/${id}/footage/index.m3u8`)).status, 200);
    t.match((await b.get(`/api/recordings/${id}/anonymised-copy`)).json(), { yours: "original" });
  },
);
