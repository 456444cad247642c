// Every copy of a clip that leaves its teacher follows the rendition rule
// (issue 19): staff asked to agree to it entering the bank, the mentor whose
// assignment it answers and every colleague watching it in the bank get the
// clip's copy with faces blurred — a 409 saying how far it is while it is
// made, never the original — the owner the original; and the clip's copy is
// kept with the clip, so the recording's own deletion leaves a bank clip
// playable.
import { rmSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { eventually, tempDir } from "../helpers/controller.js";
import { listSegments } from "../helpers/media.js";
import { startSchool, type Caller } from "../helpers/school.js";
import { issueUploadToken, recordingOnBox, UPLOAD_START } from "../helpers/upload-rig.js";
import { detail, fetchBytes, firstFrameOf, segmentNames } from "../helpers/blurred-copies.js";
import { makeClip, type ClipSpec } from "../fixtures/anonymise/evaluation-set.js";

const WIDTH = 640;
/** Two still faces, large enough that the detector finds them every time. */
const SPEC: ClipSpec = {
  seconds: 8,
  fps: 5,
  width: WIDTH,
  height: 360,
  segmentSeconds: 2,
  faces: [
    { face: "collins", pose: "front", height: 90, x: 120, y: 120 },
    { face: "hopper", pose: "front", height: 100, x: 420, y: 100 },
  ],
};

const work = tempDir("classcam-clip-blurring-test-");
t.teardown(work.remove);
const sourceDir = join(work.path, "source");
const truth = await makeClip(sourceDir, SPEC);
const segments = listSegments(sourceDir, "source.m3u8");
const footage = {
  dir: sourceDir,
  segments,
  total: segments.reduce((sum, s) => sum + s.bytes, 0),
  fileOf: () => Buffer.alloc(0),
};
const STILL_FACES = truth[0] ?? [];

void t.test(
  "a clip's colleagues get only its copy with faces blurred, the owner the original",
  async (t) => {
    const school = await startSchool({ start: UPLOAD_START });
    t.teardown(school.close);
    const { as, app } = school;
    const id = await recordingOnBox(school, footage);
    await uploadRecording({
      url: `${school.httpUrl}/api/uploads/${id}`,
      token: await issueUploadToken(app, id),
      recordingId: id,
      segments,
      dir: sourceDir,
    });
    // teacher B taught the lesson with teacher A: she is asked before the clip enters the bank
    await app.db.transaction((tx) =>
      tx.run(`UPDATE recordings SET staff_json = '["teacher-a","teacher-b"]' WHERE id = ?`, [id]),
    );
    const cut = await as["teacher-a"].post(`/api/recordings/${id}/clips`, {
      inSeconds: 0,
      outSeconds: 4,
      title: "Both faces",
    });
    t.equal(cut.status, 201, JSON.stringify(cut.json()));
    const { clipId } = cut.json<{ clipId: string }>();
    const base = `/api/clips/${clipId}/footage/`;
    const playlistOf = (caller: Caller) => caller.get(`${base}index.m3u8`);

    /** Refused while the copy is made: its progress, and no segment either. */
    const waits = async (who: string, caller: Caller) => {
      const reply = await playlistOf(caller);
      t.equal(reply.status, 409, `${who}: not the original while the copy is made`);
      t.match(reply.json(), { message: /being prepared for you \(\d+ % done\)/ }, who);
      const segment = await fetchBytes(app, caller, `${base}seg-00000.ts`);
      t.equal(segment.status, 409, `${who}: nor any segment of it`);
    };

    // the mentor whose assignment the clip answers
    const strands = (await as.coach.get("/api/strands")).json<{ strandId: number }[]>();
    const set = await as.coach.post("/api/assignments", {
      title: "Questioning",
      focus: "Who answers your questions?",
      strands: [strands[0]?.strandId ?? 0],
      dueOn: "2026-12-04",
      teachers: ["teacher-a"],
    });
    t.equal(set.status, 201, JSON.stringify(set.json()));
    const { assignmentId } = set.json<{ assignmentId: string }>();
    const answered = await as["teacher-a"].post(`/api/assignments/${assignmentId}/submission`, {
      clipId,
      reflection: "Two pupils answered everything.",
    });
    t.equal(answered.status, 201, JSON.stringify(answered.json()));
    await waits("the mentor", as.coach);

    // staff asked to agree to it entering the bank
    const offer = await as["teacher-a"].post(`/api/clips/${clipId}/offer`, {
      subject: "Maths",
      yearGroup: "Year 7",
      strands: [],
    });
    t.equal(offer.status, 200, JSON.stringify(offer.json()));
    await waits("teacher B, asked to agree", as["teacher-b"]);

    // every colleague once it is in the bank
    const agreed = await as["teacher-b"].post(`/api/clips/${clipId}/consent`, {
      decision: "agree",
    });
    t.match(agreed.json(), { bankState: "in-bank" });
    const c = as["teacher-c"];
    const playlist = await eventually(
      async () => {
        const reply = await playlistOf(c);
        if (reply.status === 200) return String(reply.body);
        if (reply.status !== 409) throw new Error(`${reply.status}: ${String(reply.body)}`);
        return null;
      },
      240_000,
      "the clip's copy with faces blurred",
    );
    const names = segmentNames(playlist);
    t.ok(names.length >= 2, `the copy is all there (${names.length} segments)`);
    for (const [i] of names.entries()) {
      const frame = await firstFrameOf(app, c, playlist, base, i, work.path);
      for (const [f, face] of STILL_FACES.entries()) {
        const left = detail(frame, WIDTH, face);
        t.ok(left < 4, `segment ${i}: face ${f} carries no detail (${left.toFixed(1)})`);
      }
    }
    for (const [who, caller] of [
      ["the mentor", as.coach],
      ["teacher B", as["teacher-b"]],
    ] as const) {
      const reply = await playlistOf(caller);
      t.equal(reply.status, 200, `${who}: the copy once it is made`);
      t.equal(String(reply.body), playlist, `${who}: the same copy with faces blurred`);
    }

    // the owner: the clip as cut, faces and all
    const own = await playlistOf(as["teacher-a"]);
    t.equal(own.status, 200);
    const ownFrame = await firstFrameOf(app, as["teacher-a"], String(own.body), base, 0, work.path);
    for (const face of STILL_FACES) {
      t.ok(detail(ownFrame, WIDTH, face) > 8, "the owner sees the face's detail");
    }

    // the recording's own deletion (its folder, its copy and the copy's record) leaves the clip's
    const { dataDir } = school.controller;
    rmSync(join(dataDir, "recordings", id), { recursive: true, force: true });
    rmSync(join(dataDir, "renditions", id), { recursive: true, force: true });
    await app.db.transaction(async (tx) => {
      await tx.run("DELETE FROM renditions WHERE recording_id = ?", [id]);
      await tx.run("UPDATE recordings SET on_controller = 0, deleted_at = ? WHERE id = ?", [
        new Date().toISOString(),
        id,
      ]);
    });
    t.same(await app.clips.sweep(), [], "the bank clip is kept");
    const after = await playlistOf(c);
    t.equal(after.status, 200, "the bank clip's copy still plays");
    t.equal(String(after.body), playlist);
    for (const name of names) {
      t.equal((await fetchBytes(app, c, `${base}${name}`)).status, 200, `${name} still served`);
    }
  },
);
