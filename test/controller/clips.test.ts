/**
 * Clips and the exemplar bank (issue 17): the owner cuts a clip on keyframes
 * from footage on the controller (stream copy, each point's move reported),
 * only the clip's footage is kept; the bank takes a clip only with every
 * member of staff's consent; colleagues find and watch it, each view audited;
 * withdrawing removes and deletes it.
 */
import t from "tap";
import { readdir } from "node:fs/promises";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { probe } from "../helpers/media.js";
import type { School } from "../helpers/school.js";
import {
  issueUploadToken,
  makeFootage,
  schoolWithRecording,
  type Footage,
} from "../helpers/upload-rig.js";

/** Twelve seconds, a keyframe every second, in four-second segments: keyframes inside segments. */
const FOOTAGE = makeFootage(t, {
  prefix: "classcam-clips-",
  video: "size=64x48:rate=10",
  encode: ["-g", "10", "-keyint_min", "10", "-sc_threshold", "0"],
  segmentSeconds: 4,
  seconds: 12,
});

/** A school whose recording (teacher A's, 12 s, on room-1) is uploaded to the controller. */
async function schoolWithFootage(
  tt: Parameters<typeof schoolWithRecording>[0],
  footage: Footage = FOOTAGE,
): Promise<{ school: School; id: string }> {
  const { school, id } = await schoolWithRecording(tt, footage);
  await school.app.db.transaction((tx) =>
    tx.run("UPDATE recordings SET duration_seconds = 12 WHERE id = ?", [id]),
  );
  await uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token: await issueUploadToken(school.app, id),
    recordingId: id,
    segments: footage.segments,
    dir: footage.dir,
  });
  return { school, id };
}

const teacherA = { id: "teacher-a", roles: ["teacher"] as const };

void t.test(
  "a clip is cut on keyframes, says how far each point moved, and keeps only its part",
  async (t) => {
    const { school, id } = await schoolWithFootage(t);
    const clip = await school.app.clips.cut(teacherA, id, {
      inSeconds: 5.4,
      outSeconds: 6.5,
      title: "Cold calling",
    });
    // seeking lands on the segment holding the start (4–8 s), which starts on a keyframe
    t.equal(clip.startSeconds, 4, "the start moved back to the keyframe at 4 s");
    t.equal(clip.inMovedSeconds, 1.4);
    t.ok(
      Math.abs(clip.endSeconds - 7) < 0.15,
      `the end moved on to the keyframe at 7 s (${clip.endSeconds})`,
    );
    t.ok(Math.abs(clip.outMovedSeconds - 0.5) < 0.15, `the end moved ${clip.outMovedSeconds} s`);
    const folder = school.app.clips.folder(clip.clipId);
    const files = (await readdir(folder)).sort();
    t.ok(files.includes("index.m3u8"));
    const probed = await probe(`${folder}/index.m3u8`);
    t.ok(
      Math.abs(probed.durationSeconds - 3) < 0.15,
      `only the clip's 3 s are kept (${probed.durationSeconds})`,
    );
    t.equal(probed.errors, "", "the clip decodes cleanly");
    t.ok(clip.bytes < FOOTAGE.total / 2, "fewer bytes than the recording");
  },
);

void t.test(
  "only the recording's owner cuts, only from footage on the controller, within its length",
  async (t) => {
    const onBox = await schoolWithRecording(t, FOOTAGE);
    await t.rejects(
      onBox.school.app.clips.cut(teacherA, onBox.id, { inSeconds: 1, outSeconds: 3, title: "x" }),
      { code: "conflict", message: /not on the school's server yet: ask for it to be uploaded/ },
    );
    const { school, id } = await schoolWithFootage(t);
    await t.rejects(
      school.app.clips.cut({ id: "teacher-b", roles: ["teacher"] }, id, {
        inSeconds: 1,
        outSeconds: 3,
        title: "x",
      }),
      { code: "forbidden", message: "only the owner of a recording may cut a clip from it" },
    );
    await t.rejects(
      school.app.clips.cut(teacherA, id, { inSeconds: 2, outSeconds: 13, title: "x" }),
      { code: "invalid", message: /within the recording, which is 12 seconds long/ },
    );
    await t.rejects(
      school.app.clips.cut(teacherA, id, { inSeconds: 5, outSeconds: 5.5, title: "x" }),
      { code: "invalid", message: /at least 1 second after its start/ },
    );
    t.same(await readdir(school.app.clips.clipsDir).catch(() => []), [], "no clip folder left");
  },
);
