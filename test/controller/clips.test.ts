/**
 * Clips and the exemplar bank (issue 17): the owner cuts a clip on keyframes
 * from footage on the controller (stream copy, each point's move reported),
 * only the clip's footage is kept; the bank takes a clip only with every
 * member of staff's consent; colleagues find and watch it, each view audited;
 * withdrawing removes and deletes it.
 */
import t from "tap";
import { readdir } from "node:fs/promises";
import type { Role } from "../../controller/src/domain/access.js";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { probeKeyedPlaylist } from "../helpers/sealed.js";
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

/** The school turns face blurring off: colleagues see footage as recorded. */
async function blurringOff(school: School): Promise<void> {
  const off = await school.as.slt.patch("/api/policy", { anonymity: { blurFaces: false } });
  if (off.status !== 200) throw new Error(`policy: ${JSON.stringify(off.json())}`);
}

void t.test(
  "a clip is cut on keyframes, says how far each point moved, and keeps only its part",
  async (t) => {
    const { school, id } = await schoolWithFootage(t);
    const clip = await school.app.clips.cut(teacherA, id, {
      inSeconds: 5.4,
      outSeconds: 6.5,
      title: "Cold calling",
    });
    // the clip is the segment holding both points (4–8 s): it starts and ends on keyframes
    t.equal(clip.startSeconds, 4, "the start moved back to the keyframe at 4 s");
    t.equal(clip.inMovedSeconds, 1.4);
    t.ok(
      Math.abs(clip.endSeconds - 8) < 0.15,
      `the end moved on to the end of its segment, a keyframe at 8 s (${clip.endSeconds})`,
    );
    t.ok(Math.abs(clip.outMovedSeconds - 1.5) < 0.15, `the end moved ${clip.outMovedSeconds} s`);
    const folder = school.app.clips.folder(clip.clipId);
    const files = (await readdir(folder)).sort();
    t.ok(files.includes("index.m3u8"));
    // the clip is encrypted at rest with its own key: opened as the controller's tools open it
    const opened = await school.app.clips.open(clip.clipId);
    const probed = await probeKeyedPlaylist(opened.input).finally(() => opened.close());
    t.ok(
      Math.abs(probed.durationSeconds - 4) < 0.15,
      `only the clip's 4 s are kept (${probed.durationSeconds})`,
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

const person = (id: string, ...roles: Role[]) => ({ id, roles });
const plays = async (school: School, clipId: string) =>
  school.app.db.all<{ actor: string; detail_json: string }>(
    "SELECT actor, detail_json FROM audit_log WHERE action = 'clip.play' AND subject = ? ORDER BY seq",
    [clipId],
  );

void t.test(
  "the bank takes a clip when every member of staff agrees; colleagues find and watch it; withdrawing deletes it",
  async (t) => {
    const { school, id } = await schoolWithFootage(t);
    await school.app.db.transaction((tx) =>
      tx.run(`UPDATE recordings SET staff_json = '["teacher-a","teacher-b"]' WHERE id = ?`, [id]),
    );
    // this test is about the bank, not faces: colleagues see clips as recorded (the copy with
    // faces blurred they otherwise get is clip-blurring.test.ts's)
    await blurringOff(school);
    const { clips } = school.app;
    const clip = await clips.cut(teacherA, id, {
      inSeconds: 1,
      outSeconds: 3,
      title: "Cold calling",
    });
    const colleague = person("teacher-c", "teacher");
    const offered = await clips.bank.offer(teacherA, clip.clipId, {
      subject: "Maths",
      yearGroup: "Year 7",
      strands: [1],
    });
    t.equal(offered.bankState, "awaiting-consent", "waiting for teacher B");
    t.same(await clips.bank.search(colleague, { strand: 1 }), [], "not in the bank yet");
    await t.rejects(clips.playlist(colleague, clip.clipId), { code: "forbidden" });
    t.same(
      (await clips.bank.awaitingMyConsent(person("teacher-b", "teacher"))).map((c) => c.clipId),
      [clip.clipId],
      "teacher B is asked",
    );

    const agreed = await clips.bank.consent(person("teacher-b", "teacher"), clip.clipId, "agree");
    t.equal(agreed.bankState, "in-bank");
    t.same(
      (await clips.bank.search(colleague, { strand: 1 })).map((c) => c.clipId),
      [clip.clipId],
    );
    t.same(await clips.bank.search(colleague, { strand: 2 }), [], "another strand finds nothing");
    t.same(
      (await clips.bank.search(colleague, { subject: "maths", yearGroup: "year 7", q: "COLD" }))
        .length,
      1,
    );
    t.match(await clips.playlist(colleague, clip.clipId), /#EXTM3U/);
    const segment = (await clips.playlist(colleague, clip.clipId))
      .split("\n")
      .find((l) => l.endsWith(".ts"));
    if (segment === undefined) throw new Error("the clip's playlist names no segment");
    t.match(await clips.segment(colleague, clip.clipId, segment), /seg-\d+\.ts$/);
    const played = await plays(school, clip.clipId);
    t.equal(played.length, 2, "each viewing audited");
    t.match(JSON.parse(played[0]?.detail_json ?? "{}"), { basis: "bank", title: "Cold calling" });

    for (const refused of [person("bursar", "bursar"), person("it", "it"), person("dpo", "dpo")]) {
      await t.rejects(clips.playlist(refused, clip.clipId), {
        code: "forbidden",
        message: /never see footage/,
      });
      await t.rejects(clips.bank.search(refused, {}), { code: "forbidden" });
    }
    await t.rejects(clips.bank.withdraw(colleague, clip.clipId), { code: "forbidden" });

    const folder = clips.folder(clip.clipId);
    t.same(await clips.bank.withdraw(person("slt", "slt", "teacher"), clip.clipId), {
      deleted: true,
      keptBecause: null,
    });
    t.same(await clips.bank.search(colleague, {}), [], "gone from the bank");
    await t.rejects(readdir(folder), { code: "ENOENT" }, "its footage deleted");
    const why = await school.app.db.get<{ detail_json: string }>(
      "SELECT detail_json FROM audit_log WHERE action = 'clip.delete' AND subject = ?",
      [clip.clipId],
    );
    t.match(JSON.parse(why?.detail_json ?? "{}"), { why: "withdrawn from the exemplar bank" });
  },
);

void t.test("one decline keeps a clip out of the bank", async (t) => {
  const { school, id } = await schoolWithFootage(t);
  await school.app.db.transaction((tx) =>
    tx.run(`UPDATE recordings SET staff_json = '["teacher-a","teacher-b"]' WHERE id = ?`, [id]),
  );
  const { clips } = school.app;
  const clip = await clips.cut(teacherA, id, { inSeconds: 1, outSeconds: 3, title: "Plenary" });
  await t.rejects(
    clips.bank.offer(person("teacher-b", "teacher"), clip.clipId, {
      subject: "Maths",
      yearGroup: "7",
      strands: [],
    }),
    { code: "forbidden", message: "only the clip's owner may offer it to the exemplar bank" },
  );
  await clips.bank.offer(teacherA, clip.clipId, {
    subject: "Maths",
    yearGroup: "Year 7",
    strands: [],
  });
  const declined = await clips.bank.consent(person("teacher-b", "teacher"), clip.clipId, "decline");
  t.equal(declined.bankState, "declined");
  t.same(await clips.bank.search(person("teacher-c", "teacher"), {}), []);
  await t.rejects(clips.playlist(person("teacher-c", "teacher"), clip.clipId), {
    code: "forbidden",
  });
});

void t.test(
  "through the API: cut, offer, consent, a colleague finds it by strand and watches; no download",
  async (t) => {
    const { school, id } = await schoolWithFootage(t);
    await school.app.db.transaction((tx) =>
      tx.run(`UPDATE recordings SET staff_json = '["teacher-a","teacher-b"]' WHERE id = ?`, [id]),
    );
    // this test is about the bank, not faces: colleagues see clips as recorded (the copy with
    // faces blurred they otherwise get is clip-blurring.test.ts's)
    await blurringOff(school);
    const { as } = school;
    const refused = await as["teacher-b"].post(`/api/recordings/${id}/clips`, {
      inSeconds: 1,
      outSeconds: 3,
      title: "Not mine",
    });
    t.equal(refused.status, 403);
    t.match(refused.json(), { message: "only the owner of a recording may cut a clip from it" });
    const bad = await as["teacher-a"].post(`/api/recordings/${id}/clips`, {
      inSeconds: 4,
      outSeconds: 2,
      title: "Backwards",
    });
    t.equal(bad.status, 400);
    t.match(bad.json(), { message: /at least 1 second after its start/ });
    const cut = await as["teacher-a"].post(`/api/recordings/${id}/clips`, {
      inSeconds: 5.4,
      outSeconds: 6.5,
      title: "Think, pair, share",
    });
    t.equal(cut.status, 201);
    const clip = cut.json<{ clipId: string; inMovedSeconds: number; startSeconds: number }>();
    t.match(clip, { startSeconds: 4, inMovedSeconds: 1.4 });
    t.same(
      (await as["teacher-a"].get("/api/clips")).json<{ clipId: string }[]>().map((c) => c.clipId),
      [clip.clipId],
    );

    const offer = await as["teacher-a"].post(`/api/clips/${clip.clipId}/offer`, {
      subject: "English",
      yearGroup: "Year 9",
      strands: [2],
    });
    t.equal(offer.status, 200);
    const asked = (await as["teacher-b"].get("/api/clips/consents")).json<{ clipId: string }[]>();
    t.same(
      asked.map((c) => c.clipId),
      [clip.clipId],
      "teacher B sees it among her consents",
    );
    t.equal(
      (await as["teacher-b"].get(`/api/clips/${clip.clipId}`)).status,
      200,
      "and its details",
    );
    const agreed = await as["teacher-b"].post(`/api/clips/${clip.clipId}/consent`, {
      decision: "agree",
    });
    t.match(agreed.json(), { bankState: "in-bank" });

    const found = await as.coach.get("/api/clips/bank?strand=2");
    t.equal(found.status, 200);
    const entries =
      found.json<{ clipId: string; strandNames: { id: number }[]; mitigation: string }[]>();
    t.same(
      entries.map((e) => e.clipId),
      [clip.clipId],
      "the coach finds it by its strand",
    );
    t.same(
      entries[0]?.strandNames.map((s) => s.id),
      [2],
    );
    const playlist = await as.coach.get(`/api/clips/${clip.clipId}/footage/index.m3u8`);
    t.equal(playlist.status, 200);
    t.equal(playlist.headers["cache-control"], "private, no-store");
    const segment =
      String(playlist.body)
        .split("\n")
        .find((l) => l.endsWith(".ts")) ?? "";
    const bytes = await as.coach.get(`/api/clips/${clip.clipId}/footage/${segment}`);
    t.equal(bytes.status, 200);
    t.equal(bytes.headers["content-type"], "video/mp2t");
    t.notOk(bytes.headers["content-disposition"], "never offered as a download");
    t.same(
      (await plays(school, clip.clipId)).map((p) => p.actor),
      ["coach"],
      "the viewing audited once",
    );
    for (const who of ["bursar", "it", "dpo", "admin"] as const) {
      t.equal((await as[who].get("/api/clips/bank")).status, 403, `${who}: no bank`);
      const footage = await as[who].get(`/api/clips/${clip.clipId}/footage/index.m3u8`);
      t.equal(footage.status, 403, `${who}: no footage`);
    }
  },
);

void t.test(
  "clips follow retention: one never offered goes with its recording, one in the bank stays",
  async (t) => {
    const { school, id } = await schoolWithFootage(t);
    const { clips } = school.app;
    const kept = await clips.cut(teacherA, id, { inSeconds: 1, outSeconds: 3, title: "Kept" });
    const goes = await clips.cut(teacherA, id, { inSeconds: 5, outSeconds: 7, title: "Goes" });
    await clips.bank.offer(teacherA, kept.clipId, {
      subject: "Art",
      yearGroup: "Year 8",
      strands: [],
    });
    t.same(await clips.sweep(), [], "nothing goes while the recording is kept");
    // each has a copy with faces blurred on record (made for a colleague, as issue 19 wants)
    await school.app.db.transaction(async (tx) => {
      for (const clipId of [kept.clipId, goes.clipId]) {
        await tx.run(
          "INSERT INTO renditions (copy_id, clip_id, state, queued_at) VALUES (?, ?, 'ready', ?)",
          [clipId, clipId, new Date().toISOString()],
        );
      }
    });
    await school.app.db.transaction((tx) =>
      tx.run("UPDATE recordings SET deleted_at = ? WHERE id = ?", [new Date().toISOString(), id]),
    );
    t.same(await clips.sweep(), [goes.clipId], "the clip never offered goes with its recording");
    await t.rejects(readdir(clips.folder(goes.clipId)), { code: "ENOENT" });
    t.same(
      await school.app.db.all("SELECT copy_id FROM renditions WHERE clip_id IS NOT NULL"),
      [{ copy_id: kept.clipId }],
      "the copy with faces blurred goes with its clip; the kept clip's stays",
    );
    t.ok(
      (await readdir(clips.folder(kept.clipId))).includes("index.m3u8"),
      "the bank's clip stays",
    );
    const why = await school.app.db.get<{ detail_json: string }>(
      "SELECT detail_json FROM audit_log WHERE action = 'clip.delete' AND subject = ?",
      [goes.clipId],
    );
    t.match(JSON.parse(why?.detail_json ?? "{}"), {
      why: "the recording it was cut from was deleted",
    });
  },
);
