// Copies the controller makes are encrypted at rest (issue 20 §1): a clip and
// a recording's copy with faces blurred each get a fresh AES-128 key sealed to
// the controller's sealing key; after both are made no segment anywhere in the
// controller's data folder decodes as it is stored, and no file holds a key's
// bytes; the owner and a colleague still play them through the copy's key
// route (audited); deleting the copy erases its key.
import t from "tap";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newContentKey, sealContentKey, openContentKey, type ContentKey } from "@classcam/protocol";
import { loadSealingKeys, SEALING_KEYS_DIR } from "../../controller/src/sealing-keys.js";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { eventually, startController, tempDir } from "../helpers/controller.js";
import {
  decodesAsIs,
  filesContaining,
  makeSealedFootage,
  probeKeyedPlaylist,
} from "../helpers/sealed.js";
import { issueUploadToken, schoolWithRecording, UPLOAD_START } from "../helpers/upload-rig.js";
import { Caller, PASSWORD, type School } from "../helpers/school.js";

const CONTENT = newContentKey();
const FOOTAGE = makeSealedFootage(t, CONTENT);
const teacherA = { id: "teacher-a", roles: ["teacher"] as const };

type Who = "teacher-a" | "teacher-b" | "teacher-c";

async function get(school: School, who: Who, url: string) {
  const cookie = school.as[who].cookie;
  return school.app.inject({ method: "GET", url, headers: cookie === null ? {} : { cookie } });
}

/** Teacher A's recording of the sealed footage, uploaded to the controller. */
async function sealedRecording(tt: Parameters<typeof schoolWithRecording>[0]) {
  const { school, id } = await schoolWithRecording(tt, FOOTAGE);
  const sealing = loadSealingKeys(join(school.controller.dataDir, SEALING_KEYS_DIR));
  await uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token: await issueUploadToken(school.app, id),
    recordingId: id,
    segments: FOOTAGE.segments,
    sealedKey: sealContentKey(CONTENT, sealing.current.publicKey, id),
    dir: FOOTAGE.dir,
  });
  return { school, id };
}

/** A copy's key as the controller keeps it, opened with its sealing key (null: none kept). */
async function keptKey(school: School, kind: string, copyId: string): Promise<ContentKey | null> {
  const row = await school.app.db.get<{ sealed_key: string; key_id: string }>(
    "SELECT sealed_key, key_id FROM copy_keys WHERE kind = ? AND copy_id = ?",
    [kind, copyId],
  );
  if (row === undefined) return null;
  const sealing = loadSealingKeys(join(school.controller.dataDir, SEALING_KEYS_DIR));
  const pair = sealing.byId(row.key_id);
  if (pair === undefined) throw new Error(`no sealing key ${row.key_id}`);
  return openContentKey(row.sealed_key, pair, `${kind}:${copyId}`);
}

/** Every MPEG-TS segment under `dir`. */
function segmentFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return segmentFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** The playlist, key and segments `who` is served under `base`, played as a player does. */
async function playServed(school: School, who: Who, base: string, playlist: string) {
  const served = tempDir("classcam-served-copy-");
  try {
    writeFileSync(join(served.path, "index.m3u8"), playlist);
    const key = await get(school, who, `${base}/key`);
    if (key.statusCode !== 200) throw new Error(`key: ${key.statusCode} ${key.body}`);
    writeFileSync(join(served.path, "key"), key.rawPayload);
    for (const name of playlist.split("\n").filter((line) => line.endsWith(".ts"))) {
      writeFileSync(
        join(served.path, name),
        (await get(school, who, `${base}/${name}`)).rawPayload,
      );
    }
    return await probeKeyedPlaylist(join(served.path, "index.m3u8"));
  } finally {
    served.remove();
  }
}

void t.test(
  "a clip is encrypted at rest with its own key, plays through its key route, and its key goes with it",
  async (t) => {
    const { school, id } = await sealedRecording(t);
    const clip = await school.app.clips.cut(teacherA, id, {
      inSeconds: 2.5,
      outSeconds: 5.5,
      title: "Questioning",
    });
    const folder = school.app.clips.folder(clip.clipId);
    const segments = segmentFiles(folder);
    t.ok(segments.length > 0, `the clip has segments (${segments.length})`);
    for (const segment of segments) {
      t.notOk(await decodesAsIs(segment), `${segment} does not decode as stored`);
    }
    const key = await keptKey(school, "clip", clip.clipId);
    if (key === null) throw new Error("the clip's key is not kept");
    t.notOk(key.key.equals(CONTENT.key), "the clip has a key of its own");
    t.same(filesContaining(school.controller.dataDir, key.key), [], "its key is in no file");
    t.same(filesContaining(school.controller.dataDir, CONTENT.key), [], "nor the recording's");

    const base = `/api/clips/${clip.clipId}/footage`;
    const playlist = await get(school, "teacher-a", `${base}/index.m3u8`);
    t.equal(playlist.statusCode, 200);
    t.match(
      playlist.body,
      `#EXT-X-KEY:METHOD=AES-128,URI="key",IV=0x${String(key.iv?.toString("hex"))}`,
      "the clip's playlist names its key route and IV",
    );
    const served = await get(school, "teacher-a", `${base}/key`);
    t.equal(served.statusCode, 200, "the owner gets the clip's key");
    t.ok(served.rawPayload.equals(key.key), "its 16 bytes");
    t.match(served.headers["cache-control"], /no-store/, "never cached");
    const played = await playServed(school, "teacher-a", base, playlist.body);
    t.equal(played.errors, "", "what the owner is served decodes cleanly with the served key");
    t.ok(played.videoFrames >= 20, `${played.videoFrames} frames`);
    t.equal((await get(school, "teacher-c", `${base}/key`)).statusCode, 403, "not for teacher C");
    const audit = await school.app.db.all<{ actor: string; detail: string }>(
      "SELECT actor, detail_json AS detail FROM audit_log WHERE action = 'clip.key' AND subject = ?",
      [clip.clipId],
    );
    t.match(audit, [{ actor: "teacher-a" }], "opening the clip's key is audited");

    // as if its copy with faces blurred had been made: a key of its own
    await school.app.db.transaction((tx) =>
      tx.run(
        "INSERT INTO copy_keys (kind, copy_id, sealed_key, key_id, made_at) VALUES ('rendition', ?, 'v1.x', 'x', ?)",
        [clip.clipId, UPLOAD_START.toISOString()],
      ),
    );
    // the recording goes: the clip is deleted by retention, and its key with it
    await school.app.db.transaction((tx) =>
      tx.run("UPDATE recordings SET deleted_at = ? WHERE id = ?", [UPLOAD_START.toISOString(), id]),
    );
    t.same(await school.app.clips.sweep(), [clip.clipId], "the clip is deleted");
    t.equal(await keptKey(school, "clip", clip.clipId), null, "its key is erased");
    t.same(
      await school.app.db.all("SELECT kind FROM copy_keys WHERE copy_id = ?", [clip.clipId]),
      [],
      "and its blurred copy's",
    );
    const deleted = await school.app.db.get<{ detail: string }>(
      "SELECT detail_json AS detail FROM audit_log WHERE action = 'clip.delete' AND subject = ?",
      [clip.clipId],
    );
    t.match(JSON.parse(deleted?.detail ?? "{}"), { keyErased: true }, "and the audit says so");
  },
);

void t.test(
  "the copy with faces blurred is encrypted at rest, plays to a colleague through the key route, and its key goes with it",
  async (t) => {
    const { school, id } = await sealedRecording(t);
    const share = await school.as["teacher-a"].post(`/api/recordings/${id}/shares`, {
      withId: "teacher-b",
      expiresAt: new Date(UPLOAD_START.getTime() + 7 * 86_400_000).toISOString(),
    });
    t.equal(share.status, 201);
    const base = `/api/recordings/${id}/footage`;
    const playlist = await eventually(
      async () => {
        const reply = await get(school, "teacher-b", `${base}/index.m3u8`);
        if (reply.statusCode === 200) return reply.body;
        if (reply.statusCode !== 409) throw new Error(`${reply.statusCode}: ${reply.body}`);
        return null;
      },
      240_000,
      "the copy with faces blurred",
    );
    const folder = join(school.controller.dataDir, "renditions", id);
    const segments = segmentFiles(folder);
    t.ok(segments.length >= 4, `the copy has its segments (${segments.length})`);
    for (const segment of segments) {
      t.notOk(await decodesAsIs(segment), `${segment} does not decode as stored`);
    }
    t.same(
      segmentFiles(school.controller.dataDir).filter((path) => !path.startsWith(folder)).length,
      FOOTAGE.segments.length,
      "the only other segments are the recording's own (sealed on the box)",
    );
    const key = await keptKey(school, "rendition", id);
    if (key === null) throw new Error("the copy's key is not kept");
    t.notOk(key.key.equals(CONTENT.key), "the copy has a key of its own");
    t.same(filesContaining(school.controller.dataDir, key.key), [], "its key is in no file");
    t.match(
      playlist,
      `#EXT-X-KEY:METHOD=AES-128,URI="key",IV=0x${String(key.iv?.toString("hex"))}`,
      "the copy's playlist names the key route and its IV",
    );
    const served = await get(school, "teacher-b", `${base}/key`);
    t.equal(served.statusCode, 200);
    t.ok(
      served.rawPayload.equals(key.key),
      "the colleague gets the copy's key, not the original's",
    );
    const played = await playServed(school, "teacher-b", base, playlist);
    t.equal(played.errors, "", "what the colleague is served decodes cleanly");
    t.ok(played.videoFrames >= 60, `${played.videoFrames} frames`);
    const own = await get(school, "teacher-a", `${base}/key`);
    t.ok(own.rawPayload.equals(CONTENT.key), "the owner still gets the original's key");
    const audit = await school.app.db.all<{ actor: string; detail: string }>(
      "SELECT actor, detail_json AS detail FROM audit_log WHERE action = 'footage.key' AND subject = ? ORDER BY seq",
      [id],
    );
    t.match(
      audit.map((entry) => ({ actor: entry.actor, detail: JSON.parse(entry.detail) as unknown })),
      [
        { actor: "teacher-b", detail: { basis: "share", copy: "anonymised" } },
        { actor: "teacher-b", detail: { basis: "share", copy: "anonymised" } },
        { actor: "teacher-a", detail: { basis: "owner" } },
      ],
      "each opening is audited, saying which copy's key",
    );

    // the copy is stale (made again later): its key is erased with it
    await school.app.anonymiser.remove(id);
    t.equal(await keptKey(school, "rendition", id), null, "the copy's key is erased");
  },
);

void t.test(
  "a copy with faces blurred made in the clear before copies were encrypted is made again, encrypted",
  async (t) => {
    const { school, id } = await sealedRecording(t);
    const share = await school.as["teacher-a"].post(`/api/recordings/${id}/shares`, {
      withId: "teacher-b",
      expiresAt: new Date(UPLOAD_START.getTime() + 7 * 86_400_000).toISOString(),
    });
    t.equal(share.status, 201);
    const waitFor = (caller: Caller) =>
      eventually(
        async () => {
          const reply = await caller.get(`/api/recordings/${id}/footage/index.m3u8`);
          if (reply.status === 200) return String(reply.body);
          if (reply.status !== 409) throw new Error(`${reply.status}: ${String(reply.body)}`);
          return null;
        },
        240_000,
        "the copy with faces blurred",
      );
    await waitFor(school.as["teacher-b"]);
    // as an older controller left it: no key kept, a playlist with no key line
    const folder = join(school.controller.dataDir, "renditions", id);
    await school.app.db.transaction((tx) =>
      tx.run("DELETE FROM copy_keys WHERE kind = 'rendition' AND copy_id = ?", [id]),
    );
    writeFileSync(join(folder, "index.m3u8"), "#EXTM3U\n#EXT-X-ENDLIST\n");
    await school.app.close();

    const again = await startController({
      dataDir: school.controller.dataDir,
      now: () => school.clock.now,
    });
    t.teardown(again.close);
    const b = new Caller(again.app, "teacher-b");
    t.equal((await b.signIn(PASSWORD("teacher-b"))).status, 200);
    const playlist = await waitFor(b);
    const key = await keptKey({ ...school, app: again.app }, "rendition", id);
    if (key === null) throw new Error("no key kept for the copy made again");
    t.match(
      playlist,
      `#EXT-X-KEY:METHOD=AES-128,URI="key",IV=0x${String(key.iv?.toString("hex"))}`,
      "made again, with a key of its own",
    );
    const segments = segmentFiles(folder);
    t.ok(segments.length >= 4, `all its segments (${segments.length})`);
    for (const segment of segments) {
      t.notOk(await decodesAsIs(segment), `${segment} does not decode as stored`);
    }
  },
);
