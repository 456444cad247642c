// openFootage() (footage-source.ts), the one place a tool on the controller
// reads a recording's footage: sealed footage (issue 20 §1) is given to
// ffmpeg readable — a private copy of its playlist naming the opened key —
// and close() removes that copy and the key; footage in the clear is read as
// it is stored.
import t from "tap";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { newContentKey, sealContentKey } from "@classcam/protocol";
import { openFootage, type FootageSource } from "../../controller/src/domain/footage-source.js";
import { loadSealingKeys, SEALING_KEYS_DIR } from "../../controller/src/sealing-keys.js";
import { uploadRecording } from "../../device/src/link/uploader.js";
import { makeSealedFootage } from "../helpers/sealed.js";
import { issueUploadToken, schoolWithRecording } from "../helpers/upload-rig.js";

const CONTENT = newContentKey();
const FOOTAGE = makeSealedFootage(t, CONTENT);

/** Video frames ffmpeg decodes from the source, as a tool would read it. */
function framesOf(source: FootageSource): Promise<{ frames: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "ffmpeg",
      [
        ...["-v", "error", ...source.inputOptions, "-i", source.input],
        ...["-map", "0:v:0", "-f", "framemd5", "-"],
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (_error, stdout, stderr) =>
        resolve({ frames: stdout.split("\n").filter((l) => /^\d/.test(l)).length, stderr }),
    );
  });
}

void t.test("sealed footage opens for a tool, and close() takes the key away", async (t) => {
  const { school, id } = await schoolWithRecording(t, FOOTAGE);
  const dataDir = school.controller.dataDir;
  const publicKey = loadSealingKeys(join(dataDir, SEALING_KEYS_DIR)).current.publicKey;
  await uploadRecording({
    url: `${school.httpUrl}/api/uploads/${id}`,
    token: await issueUploadToken(school.app, id),
    recordingId: id,
    segments: FOOTAGE.segments,
    sealedKey: sealContentKey(CONTENT, publicKey, id),
    dir: FOOTAGE.dir,
    attempts: 1,
  });
  const recordingsDir = join(dataDir, "recordings");

  const source = await openFootage(recordingsDir, id);
  const opened = dirname(source.input);
  t.not(opened, join(recordingsDir, id), "a private copy, not the stored playlist");
  t.equal(statSync(opened).mode & 0o777, 0o700, "in a folder only the service user reads");
  t.equal(statSync(join(opened, "content.key")).mode & 0o777, 0o600);
  const { frames, stderr } = await framesOf(source);
  t.equal(stderr, "", "ffmpeg reads it without complaint");
  t.ok(frames >= 70, `${frames} frames decoded (8 s at 10 fps)`);
  await source.close();
  t.notOk(existsSync(opened), "close() removes the key and the copy");

  const stored = await framesOf({
    input: join(recordingsDir, id, "index.m3u8"),
    inputOptions: ["-f", "hls"],
    close: () => Promise.resolve(),
  });
  t.equal(stored.frames, 0, "the stored footage itself does not decode: it is kept encrypted");
  t.same(
    readdirSync(join(recordingsDir, id)).filter((name) => name.includes("key")),
    [],
    "no key is kept beside the footage",
  );
});
