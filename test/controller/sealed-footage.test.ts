// Footage sealed on the box (issue 20 §1), the controller's side: a box
// uploads ciphertext with its sealed key; the controller keeps it encrypted
// at rest, names the key route in the playlist, opens the key only for
// someone decide() lets view (audited every time), refuses a sealed key it
// cannot open and a tampered segment, and erases the key with the footage.
import t, { type Test } from "tap";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  newContentKey,
  newSealingKeyPair,
  sealContentKey,
  segmentIv,
  type ContentKey,
} from "@classcam/protocol";
import { loadSealingKeys, SEALING_KEYS_DIR } from "../../controller/src/sealing-keys.js";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { tempDir } from "../helpers/controller.js";
import {
  decodesAsIs,
  decryptSegment,
  firstSectionIntact,
  makeSealedFootage,
  probeKeyedPlaylist,
} from "../helpers/sealed.js";
import { issueUploadToken, schoolWithRecording, type Footage } from "../helpers/upload-rig.js";
import type { School } from "../helpers/school.js";

const CONTENT = newContentKey();
const FOOTAGE = makeSealedFootage(t, CONTENT);

/** The controller's public sealing key (the one boxes get at enrolment). */
function controllerKey(school: School): string {
  return loadSealingKeys(join(school.controller.dataDir, SEALING_KEYS_DIR)).current.publicKey;
}

async function upload(school: School, id: string, sealedKey: string) {
  return uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token: await issueUploadToken(school.app, id),
    recordingId: id,
    segments: FOOTAGE.segments,
    sealedKey,
    dir: FOOTAGE.dir,
    attempts: 1,
  });
}

async function get(school: School, who: "teacher-a" | "teacher-c" | "bursar", url: string) {
  const cookie = school.as[who].cookie;
  return school.app.inject({ method: "GET", url, headers: cookie === null ? {} : { cookie } });
}

/**
 * The playlist, key and segments served to the recording's owner, written as
 * a player keeps them; checks each segment decrypts with the IV its key line
 * names, and answers ffprobe's decoding of it all.
 */
async function servedToOwner(
  t: Test,
  school: School,
  id: string,
  footage: Footage,
  content: ContentKey,
  playlist: string,
  key: Buffer,
) {
  const served = tempDir("classcam-served-");
  t.teardown(served.remove);
  writeFileSync(join(served.path, "index.m3u8"), playlist);
  writeFileSync(join(served.path, "key"), key);
  for (const segment of footage.segments) {
    const reply = await get(school, "teacher-a", `/api/recordings/${id}/footage/${segment.name}`);
    writeFileSync(join(served.path, segment.name), reply.rawPayload);
    t.ok(
      firstSectionIntact(decryptSegment(reply.rawPayload, content, segment.name)),
      `${segment.name} decrypts with the IV its key line names`,
    );
  }
  return probeKeyedPlaylist(join(served.path, "index.m3u8"));
}

void t.test(
  "sealed footage plays to its owner through the key route, and to nobody else",
  async (t) => {
    const { school, id } = await schoolWithRecording(t, FOOTAGE);
    const sealedKey = sealContentKey(CONTENT, controllerKey(school), id);
    const result = await upload(school, id, sealedKey);
    t.equal(result.segments, FOOTAGE.segments.length, "the box's ciphertext is all uploaded");

    const folder = join(school.controller.dataDir, "recordings", id);
    for (const segment of FOOTAGE.segments) {
      t.ok(
        readFileSync(join(folder, segment.name)).equals(FOOTAGE.fileOf(segment.name)),
        `${segment.name} is kept as uploaded: encrypted at rest`,
      );
    }
    t.notOk(
      await decodesAsIs(join(folder, FOOTAGE.segments[0]?.name ?? "")),
      "it does not decode as stored",
    );

    const playlist = await get(school, "teacher-a", `/api/recordings/${id}/footage/index.m3u8`);
    t.equal(playlist.statusCode, 200);
    const ivs = FOOTAGE.segments.map((segment) => segmentIv(CONTENT, segment.name).toString("hex"));
    for (const [i, segment] of FOOTAGE.segments.entries()) {
      t.match(
        playlist.body,
        `#EXT-X-KEY:METHOD=AES-128,URI="key",IV=0x${ivs[i] ?? ""}\n#EXTINF:`,
        `the playlist names the key route and ${segment.name}'s own IV before it`,
      );
    }
    t.equal(new Set(ivs).size, ivs.length, "no two segments share an IV");
    const key = await get(school, "teacher-a", `/api/recordings/${id}/footage/key`);
    t.equal(key.statusCode, 200, "the owner gets the key");
    t.ok(key.rawPayload.equals(CONTENT.key), "the 16 bytes the box encrypted with");
    t.match(key.headers["cache-control"], /no-store/, "never cached");
    t.equal(key.headers["content-type"], "application/octet-stream");

    // what the owner was served plays to the end, as a player decrypts it
    const probed = await servedToOwner(
      t,
      school,
      id,
      FOOTAGE,
      CONTENT,
      playlist.body,
      key.rawPayload,
    );
    t.equal(probed.errors, "", "the served footage decodes cleanly with the served key");
    t.ok(probed.durationSeconds >= 7, `it lasts ${probed.durationSeconds} s`);
    t.ok(probed.videoFrames >= 70, `${probed.videoFrames} frames decoded`);

    for (const who of ["teacher-c", "bursar"] as const) {
      const refused = await get(school, who, `/api/recordings/${id}/footage/key`);
      t.equal(refused.statusCode, 403, `${who} may not open the key`);
    }

    const audit = (await school.as.dpo.get(`/api/audit?subject=${id}&limit=1000`)).json<{
      entries: { action: string; actor: string; detail: Record<string, unknown> }[];
    }>().entries;
    t.match(
      audit.filter((e) => e.action === "footage.key"),
      [{ action: "footage.key", actor: "teacher-a", detail: { basis: "owner" } }],
      "opening the key is audited, for the one who opened it",
    );
  },
);

void t.test("a sealed key the controller cannot open is refused, saying why", async (t) => {
  const { school, id } = await schoolWithRecording(t, FOOTAGE);
  const foreign = sealContentKey(CONTENT, newSealingKeyPair().publicKey, id);
  await t.rejects(upload(school, id, foreign), /does not hold/, "sealed to another controller");
  const otherRecording = sealContentKey(CONTENT, controllerKey(school), "another-recording");
  await t.rejects(upload(school, id, otherRecording), /belongs to another recording/);
  const noKey = await get(school, "teacher-a", `/api/recordings/${id}/footage/key`);
  t.equal(noKey.statusCode, 404, "nothing was kept");
});

void t.test("a tampered encrypted segment is refused and nothing of it kept", async (t) => {
  const { school, id } = await schoolWithRecording(t, FOOTAGE);
  const token = await issueUploadToken(school.app, id);
  const auth = { authorization: `Bearer ${token}` };
  const manifest = await school.app.inject({
    method: "PUT",
    url: `/api/uploads/${id}/manifest`,
    headers: { ...auth, "content-type": "application/json" },
    payload: JSON.stringify({
      segments: FOOTAGE.segments,
      sealedKey: sealContentKey(CONTENT, controllerKey(school), id),
    }),
  });
  t.equal(manifest.statusCode, 200);
  const first = FOOTAGE.segments[0];
  if (first === undefined) throw new Error("no segments");
  const tampered = Buffer.from(FOOTAGE.fileOf(first.name));
  tampered[100] = (tampered[100] ?? 0) ^ 0x01;
  const reply = await school.app.inject({
    method: "PUT",
    url: `/api/uploads/${id}/segments/${first.name}`,
    headers: {
      ...auth,
      "content-type": "application/octet-stream",
      "x-content-sha256": first.sha256,
    },
    payload: tampered,
  });
  t.equal(reply.statusCode, 422, "the manifest's SHA-256 refuses it");
  t.match(reply.json<{ message: string }>().message, /do not match the manifest's SHA-256/);
});

void t.test(
  "deleting the recording erases its key: a copy left anywhere no longer opens",
  async (t) => {
    const { school, id } = await schoolWithRecording(t, FOOTAGE);
    await upload(school, id, sealContentKey(CONTENT, controllerKey(school), id));
    const backup = tempDir("classcam-backup-");
    t.teardown(backup.remove);
    const first = FOOTAGE.segments[0]?.name ?? "";
    copyFileSync(
      join(school.controller.dataDir, "recordings", id, first),
      join(backup.path, first),
    );

    t.equal((await school.as["teacher-a"].delete(`/api/recordings/${id}`)).status, 200);
    await school.app.custodian.sweep();
    const row = await school.app.db.get("SELECT 1 FROM recording_keys WHERE recording_id = ?", [
      id,
    ]);
    t.equal(row, undefined, "the sealed key is destroyed with the controller's copy");
    const audit = (await school.as.dpo.get(`/api/audit?subject=${id}&limit=1000`)).json<{
      entries: { action: string; detail: Record<string, unknown> }[];
    }>().entries;
    t.match(
      audit.filter((e) => e.action === "footage.delete" && e.detail.copy === "controller"),
      [{ detail: { keyErased: true } }],
      "the deletion record says the footage is cryptographically erased",
    );
    t.notOk(await decodesAsIs(join(backup.path, first)), "the backup's copy stays unreadable");
  },
);

void t.test(
  "a recording sealed with one IV for all its segments (version 1, boxes before per-segment IVs) still plays",
  async (t) => {
    const content = newContentKey("one");
    const footage = makeSealedFootage(t, content);
    const { school, id } = await schoolWithRecording(t, footage);
    const sealedKey = sealContentKey(content, controllerKey(school), id);
    t.match(sealedKey, /^v1\./);
    const result = await uploadRecording({
      url: `${school.httpUrl}/api/uploads/${id}`,
      token: await issueUploadToken(school.app, id),
      recordingId: id,
      segments: footage.segments,
      sealedKey,
      dir: footage.dir,
      attempts: 1,
    });
    t.equal(result.segments, footage.segments.length);
    const playlist = await get(school, "teacher-a", `/api/recordings/${id}/footage/index.m3u8`);
    t.equal(
      playlist.body.match(/#EXT-X-KEY:/g)?.length,
      1,
      "one key line, before the first segment",
    );
    t.match(playlist.body, `URI="key",IV=0x${content.iv?.toString("hex") ?? "?"}\n#EXTINF:`);
    const key = await get(school, "teacher-a", `/api/recordings/${id}/footage/key`);
    const probed = await servedToOwner(
      t,
      school,
      id,
      footage,
      content,
      playlist.body,
      key.rawPayload,
    );
    t.equal(probed.errors, "", "it decodes cleanly with the served key");
  },
);
