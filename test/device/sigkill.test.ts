/**
 * The daemon killed with SIGKILL in the middle of a recording, 50 times over:
 * no capture process survives it, the next start finds a consistent index
 * (every open recording closed, every indexed segment on disk with its
 * checksum, no leftovers), and every closed segment plays to the end
 * (`ffprobe` decodes it) once decrypted with the key the controller opens —
 * the box seals its footage (issue 20 §1): as it is on the card, no segment
 * decodes, no file holds the key, and no open key is left in the RAM folder.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { devicePaths } from "@classcam/device";
import { newSealingKeyPair } from "@classcam/protocol";
import { REPO, tempDir } from "../helpers/controller.js";
import {
  boxDir,
  boxSettings,
  cacheBoxConfig,
  processesMentioning,
  seeded,
  startBox,
  until,
} from "../helpers/device.js";
import {
  decodesAsIs,
  filesContaining,
  openedKey,
  probeDecrypted,
  sealedSettings,
} from "../helpers/sealed.js";
import { envInteger, testSeed } from "../helpers/env.js";

const KILLS = envInteger("CLASSCAM_SIGKILL_TIMES", 50, 1);
const SEED = testSeed();

/** How many segment files a recording's folder holds (0 before it exists). */
function segmentFiles(dir: string): number {
  try {
    return readdirSync(dir).filter((name) => name.endsWith(".ts")).length;
  } catch {
    return 0;
  }
}

/** Starts the box in a child process; resolves with it once it says it records. */
function startChild(settingsFile: string) {
  const child = spawn(
    process.execPath,
    [
      "--conditions=classcam-source",
      "--import=tsx",
      join(REPO, "test/device/fixtures/box-child.ts"),
      settingsFile,
    ],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const recording = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /recording (\S+)/.exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once("exit", (code) =>
      reject(new Error(`box exited (${code}) before recording: ${stderr}`)),
    );
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, recording, exited };
}

void t.test(`SIGKILL mid-recording ${KILLS} times (seed ${SEED})`, async (t) => {
  const dir = boxDir();
  t.teardown(dir.remove);
  cacheBoxConfig(dir.path);
  const scratch = tempDir("classcam-plain-");
  t.teardown(scratch.remove);
  const controller = newSealingKeyPair();
  const sealed = sealedSettings(
    boxSettings("room-crash", "c".repeat(32), "mqtt://127.0.0.1:9", dir.path, {
      segmentSeconds: 1,
    }),
    controller,
  );
  t.teardown(sealed.remove);
  const { settings } = sealed;
  const settingsFile = join(dir.path, "..", "settings.json");
  writeFileSync(settingsFile, JSON.stringify(settings));
  const buffer = devicePaths(dir.path).buffer;
  const rnd = seeded(SEED);

  let survivors = 0;
  for (let kill = 0; kill < KILLS; kill += 1) {
    const box = startChild(settingsFile);
    const recordingId = await box.recording;
    t.not(recordingId, "none", `run ${kill}: the box recorded`);
    // kill at a random moment: before the first segment closes, or a few segments in.
    // Every other run waits until segments have closed first, so that the kept
    // segments checked below do not depend on how busy the machine is.
    if (kill % 2 === 1) {
      await until(
        () => segmentFiles(join(buffer, recordingId)) >= 3,
        `run ${kill}: segments to close before the kill`,
        30_000,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, rnd() * (kill % 2 === 1 ? 1000 : 3000)));
    box.child.kill("SIGKILL");
    await box.exited;
    try {
      await until(
        () => processesMentioning(buffer).length === 0,
        "the capture to die with the daemon",
        5000,
      );
    } catch {
      survivors += 1;
      for (const pid of processesMentioning(buffer)) process.kill(pid, "SIGKILL");
    }
  }
  t.equal(survivors, 0, "no capture process outlived its daemon");

  // the next start recovers; then the index must agree with the disk
  const box = await startBox(settings);
  t.teardown(() => box.stop());
  const recordings = await box.daemon.index.recordings();
  t.equal(recordings.length, KILLS, "every run's recording is in the index");
  t.same(
    recordings.filter((r) => r.endedAt === null).map((r) => r.recordingId),
    [],
    "no recording is left open",
  );
  t.same(readdirSync(sealed.runtimeDir), [], "the open keys the killed runs left are gone");
  let segments = 0;
  const undecodable: string[] = [];
  const mismatched: string[] = [];
  const readableOnCard: string[] = [];
  const keyFound: string[] = [];
  for (const recording of recordings) {
    const content = openedKey(recording.sealedKey, controller, recording.recordingId);
    keyFound.push(...filesContaining(dir.path, content.key));
    const rows = await box.daemon.index.segments(recording.recordingId);
    const files = readdirSync(recording.dir).filter((name) => name.endsWith(".ts"));
    t.same(
      files.sort(),
      rows.map((row) => row.name).sort(),
      `recording ${recording.recordingId}: segment files and index rows agree`,
    );
    t.same(
      readdirSync(recording.dir).filter((name) => name.endsWith(".tmp")),
      [],
      "no half-written leftovers",
    );
    t.equal(
      recording.bytes,
      rows.reduce((sum, row) => sum + row.bytes, 0),
      "the recording's total matches its segments",
    );
    for (const row of rows) {
      segments += 1;
      const path = join(recording.dir, row.name);
      const bytes = readFileSync(path);
      if (createHash("sha256").update(bytes).digest("hex") !== row.sha256) mismatched.push(path);
      if (await decodesAsIs(path)) readableOnCard.push(path);
      const probed = await probeDecrypted(path, content, scratch.path).catch((error: unknown) => ({
        streams: [],
        durationSeconds: 0,
        errors: String(error),
      }));
      const video = probed.streams.find((stream) => stream.codec_type === "video");
      if (probed.errors !== "" || Number(video?.nb_read_frames ?? 0) === 0) {
        undecodable.push(`${path}: ${probed.errors || "no video frames"}`);
      }
    }
  }
  t.ok(segments >= KILLS / 2, `closed segments kept: ${segments}`);
  t.same(mismatched, [], "every segment matches its checksum");
  t.same(undecodable, [], "every closed segment decodes to the end, with the controller's key");
  t.same(readableOnCard, [], "no segment decodes as it is on the card");
  t.same(keyFound, [], "no file under the data folder holds a content key");
  const stopped = await box.daemon.db.get<{ n: number }>(
    "SELECT count(*) AS n FROM outbox WHERE kind = 'recording.stopped'",
  );
  t.equal(stopped?.n, KILLS, "each killed recording was reported stopped exactly once");
  await box.stop();
});
