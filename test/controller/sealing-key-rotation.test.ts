// `classcam-controller keys rotate` on a running school (issue 20 §1): a new
// sealing key; every sealed key the controller holds (recordings', clips')
// re-wrapped to it, the old key file kept for boxes still sealing to it;
// audited. Then the owner still plays an old recording and its clip, a box
// enrolled now gets the new public key, and a recording sealed to it plays.
import t from "tap";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newContentKey, sealContentKey, sealingKeyId } from "@classcam/protocol";
import { run, type Io } from "../../controller/src/cli.js";
import { loadSealingKeys, SEALING_KEYS_DIR } from "../../controller/src/sealing-keys.js";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { tempDir } from "../helpers/controller.js";
import { makeSealedFootage } from "../helpers/sealed.js";
import { issueUploadToken, recordingOnBox, schoolWithRecording } from "../helpers/upload-rig.js";
import type { School } from "../helpers/school.js";

const OLD_CONTENT = newContentKey();
const OLD_FOOTAGE = makeSealedFootage(t, OLD_CONTENT);
const NEW_CONTENT = newContentKey();
const NEW_FOOTAGE = makeSealedFootage(t, NEW_CONTENT);

async function upload(school: School, id: string, footage: typeof OLD_FOOTAGE, sealed: string) {
  await uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token: await issueUploadToken(school.app, id),
    recordingId: id,
    segments: footage.segments,
    sealedKey: sealed,
    dir: footage.dir,
  });
}

async function keyOf(school: School, url: string): Promise<{ status: number; bytes: Buffer }> {
  const cookie = school.as["teacher-a"].cookie ?? "";
  const reply = await school.app.inject({ method: "GET", url, headers: { cookie } });
  return { status: reply.statusCode, bytes: reply.rawPayload };
}

void t.test("rotating the sealing key keeps every recording and clip playable", async (t) => {
  const { school, id: old } = await schoolWithRecording(t, OLD_FOOTAGE);
  const keysDir = join(school.controller.dataDir, SEALING_KEYS_DIR);
  const first = loadSealingKeys(keysDir).current;
  await upload(school, old, OLD_FOOTAGE, sealContentKey(OLD_CONTENT, first.publicKey, old));
  const clip = await school.app.clips.cut({ id: "teacher-a", roles: ["teacher"] }, old, {
    inSeconds: 2,
    outSeconds: 5,
    title: "Before the rotation",
  });

  const dir = tempDir();
  t.teardown(dir.remove);
  const config = join(dir.path, "c.json");
  writeFileSync(config, JSON.stringify({ dataDir: school.controller.dataDir }));
  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const sink: Io = { out: (line) => out.push(line), err: (line) => err.push(line) };
    const code = await run([...args, "--config", config], sink);
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  const help = await cli("--help");
  t.match(help.out, /keys rotate +make a new sealing key/, "the help names it");
  const wrong = await cli("keys", "turn");
  t.equal(wrong.code, 2);
  t.match(wrong.err, /unknown command 'turn'/);

  const rotated = await cli("keys", "rotate");
  t.equal(rotated.code, 0, rotated.err);
  const ring = loadSealingKeys(keysDir);
  const second = ring.current;
  t.not(second.keyId, first.keyId, "a new key pair");
  t.ok(ring.byId(first.keyId), "the old one is kept (boxes may still seal to it)");
  for (const name of ["sealing-1.pem", "sealing-2.pem"]) {
    t.equal(statSync(join(keysDir, name)).mode & 0o777, 0o600, `${name} is readable only by us`);
  }
  t.match(rotated.out, new RegExp(`new sealing key ${second.keyId}`));
  t.match(rotated.out, /re-wrapped 1 recording key and 1 copy key/);
  t.match(rotated.out, /x25519:/, "it prints the public key boxes get");
  const rows = await school.app.db.all<{ key_id: string }>(
    "SELECT key_id FROM recording_keys UNION ALL SELECT key_id FROM copy_keys",
  );
  t.same(
    rows.map((row) => row.key_id),
    [second.keyId, second.keyId],
    "every sealed key the controller holds is sealed to the new key",
  );
  const audited = await school.app.audit.page({ action: "sealing-key.rotate", limit: 10 });
  t.match(
    audited.entries,
    [{ actor: "system", detail: { keyId: second.keyId, previous: first.keyId, recordings: 1 } }],
    "audited",
  );

  // the running controller opens the re-wrapped keys
  const oldKey = await keyOf(school, `/api/recordings/${old}/footage/key`);
  t.equal(oldKey.status, 200, "the owner still opens the old recording's key");
  t.ok(oldKey.bytes.equals(OLD_CONTENT.key), "the same key as before");
  const clipKey = await keyOf(school, `/api/clips/${clip.clipId}/footage/key`);
  t.equal(clipKey.status, 200, "and the clip's");

  // a box enrolled now seals to the new key
  const enrolled = await school.as.it.post("/api/devices", { id: "room-9", room: "Room 9" });
  t.equal(enrolled.status, 201);
  const { sealingKey } = enrolled.json<{ sealingKey: string }>();
  t.equal(sealingKeyId(sealingKey), second.keyId, "the enrolment answer carries the new key");
  const fresh = await recordingOnBox(school, NEW_FOOTAGE);
  await upload(school, fresh, NEW_FOOTAGE, sealContentKey(NEW_CONTENT, sealingKey, fresh));
  const freshKey = await keyOf(school, `/api/recordings/${fresh}/footage/key`);
  t.equal(freshKey.status, 200, "a recording sealed to the new key plays");
  t.ok(freshKey.bytes.equals(NEW_CONTENT.key));
  const newClip = await school.app.clips.cut({ id: "teacher-a", roles: ["teacher"] }, fresh, {
    inSeconds: 2,
    outSeconds: 5,
    title: "After the rotation",
  });
  const copy = await school.app.db.get<{ key_id: string }>(
    "SELECT key_id FROM copy_keys WHERE copy_id = ?",
    [newClip.clipId],
  );
  t.equal(copy?.key_id, second.keyId, "a copy made now is sealed to the new key");
});
