// The footage in a subject access export (issue 19): the copy the rendition
// rule gives a subject-access export, every face blurred — the DPO is told how
// far the copy is (409) until it is made, never given the original — and the
// package says so.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { eventually, tempDir } from "../helpers/controller.js";
import { detail, fetchBytes } from "../helpers/blurred-copies.js";
import { listSegments } from "../helpers/media.js";
import { startSchool } from "../helpers/school.js";
import { issueUploadToken, recordingOnBox, UPLOAD_START } from "../helpers/upload-rig.js";
import { makeClip, type ClipSpec } from "../fixtures/anonymise/evaluation-set.js";

const WIDTH = 640;
/** Two still faces, large enough that the detector finds them every time. */
const SPEC: ClipSpec = {
  seconds: 6,
  fps: 5,
  width: WIDTH,
  height: 360,
  segmentSeconds: 2,
  faces: [
    { face: "collins", pose: "front", height: 90, x: 120, y: 120 },
    { face: "hopper", pose: "front", height: 100, x: 420, y: 100 },
  ],
};

const work = tempDir("classcam-dpo-export-blurred-");
t.teardown(work.remove);
const sourceDir = join(work.path, "source");
const truth = await makeClip(sourceDir, SPEC);
const segments = listSegments(sourceDir, "source.m3u8");

void t.test("a subject access export's footage has every face blurred", async (t) => {
  const school = await startSchool({ start: UPLOAD_START });
  t.teardown(school.close);
  const { app, as } = school;
  const id = await recordingOnBox(school, {
    dir: sourceDir,
    segments,
    total: segments.reduce((sum, s) => sum + s.bytes, 0),
    fileOf: () => Buffer.alloc(0),
  });
  await uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token: await issueUploadToken(app, id),
    recordingId: id,
    segments,
    dir: sourceDir,
  });
  const request = { reference: "SAR-19", recordingIds: [id], footage: [id] };

  const first = await as.dpo.post("/api/dpo/exports", request);
  t.equal(first.status, 409, "not the original while the copy is made");
  t.match(first.json(), {
    message: /every face blurred, and the copies are being prepared: room .* is \d+ % done/i,
  });
  const made = await eventually(
    async () => {
      const reply = await as.dpo.post("/api/dpo/exports", request);
      if (reply.status === 201) return reply.json<{ exportId: string; facesBlurred: boolean }>();
      if (reply.status !== 409) throw new Error(`${reply.status}: ${JSON.stringify(reply.json())}`);
      return null;
    },
    240_000,
    "the export, once the copy is made",
  );
  t.equal(made.facesBlurred, true);

  const taken = await fetchBytes(app, as.dpo, `/api/dpo/exports/${made.exportId}`);
  t.equal(taken.status, 200);
  const dir = join(work.path, "export");
  execFileSync("mkdir", ["-p", dir]);
  writeFileSync(join(dir, "export.tar"), taken.bytes);
  execFileSync("tar", ["-xf", join(dir, "export.tar"), "-C", dir]);
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    facesBlurred: boolean;
  };
  t.equal(manifest.facesBlurred, true, "the package says faces are blurred");
  t.match(readFileSync(join(dir, "README.txt"), "utf8"), /Every face in the footage is blurred/);
  const frame = execFileSync("ffmpeg", [
    ...["-v", "error", "-i", join(dir, "footage", `${id}.ts`), "-frames:v", "1"],
    ...["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
  ]);
  for (const [f, face] of (truth[0] ?? []).entries()) {
    const left = detail(frame, WIDTH, face);
    t.ok(left < 4, `face ${f} carries no detail in the export (${left.toFixed(1)})`);
  }
});
