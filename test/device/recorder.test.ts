/**
 * The recorder with the real ffmpeg and ffprobe, on the simulated camera and
 * microphone at a small size: what lands on disk, what is reported, masks,
 * killing, and captures that must not outlive the daemon.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import t, { type Test } from "tap";
import type { PrivacyMask } from "@classcam/protocol";
import { DEFAULT_SETTINGS, type DeviceSettings } from "../../device/src/config.js";
import type { Camera } from "../../device/src/hw/types.js";
import { SimCamera, SimMicrophone } from "../../device/src/hw/sim/index.js";
import {
  Capture,
  chooseEncoder,
  killStrayCaptures,
  parsePlaylist,
  type CaptureEnd,
  type ClosedSegment,
  type EncoderChoice,
} from "../../device/src/recorder/index.js";
import { captureLogger, eventually, nodeArgs, REPO, tempDir } from "../helpers/controller.js";
import {
  commandLine,
  grayFrame,
  luma,
  probe,
  processRunning,
  sha256File,
} from "../helpers/media.js";

const WIDTH = 320;
const HEIGHT = 240;
const SEGMENT_SECONDS = 2;
/** HLS rounds EXTINF and the last audio frame may run over a little. */
const TOLERANCE = 0.15;

const settings: DeviceSettings["recorder"] = {
  ...DEFAULT_SETTINGS.recorder,
  segmentSeconds: SEGMENT_SECONDS,
  x264Preset: "ultrafast",
  videoKbps: 400,
  audioKbps: 64,
};
const camera = new SimCamera(WIDTH, HEIGHT, 15);
const microphone = new SimMicrophone(48_000, 1);
const x264: EncoderChoice = { name: "libx264", why: "the tests ask for it" };

interface Recording {
  dir: string;
  bufferDir: string;
  capture: Capture;
  segments: ClosedSegment[];
  lines: Record<string, unknown>[];
}

async function startRecording(
  t: Test,
  options: { audio: boolean; masks?: PrivacyMask[] },
): Promise<Recording> {
  const root = tempDir("classcam-recorder-");
  const bufferDir = join(root.path, "buffer");
  const dir = join(bufferDir, "recording-1");
  mkdirSync(dir, { recursive: true });
  const { logger, lines } = captureLogger("debug");
  const segments: ClosedSegment[] = [];
  const capture = await Capture.start({
    dir,
    camera,
    microphone: options.audio ? microphone : null,
    masks: options.masks ?? [],
    encoder: x264,
    settings,
    runDir: join(root.path, "run"),
    logger,
    onSegment: async (segment) => {
      // a slow index must not reorder or lose reports
      await new Promise((resolve) => setTimeout(resolve, 30));
      segments.push(segment);
    },
  });
  t.teardown(async () => {
    await capture.kill();
    root.remove();
  });
  return { dir, bufferDir, capture, segments, lines };
}

/** Each reported segment is the file on disk, whole, decodable to the end. */
async function checkSegments(
  t: Test,
  recording: Recording,
  expected: { audio: boolean },
): Promise<void> {
  const { dir, segments } = recording;
  t.same(
    segments.map((segment) => segment.seq),
    segments.map((_, index) => index + 1),
    "segments reported once each, in order, from 1",
  );
  for (const segment of segments) {
    const file = join(dir, segment.name);
    t.equal(segment.name, `seg-${String(segment.seq).padStart(5, "0")}.ts`, "named by its number");
    t.equal(segment.bytes, statSync(file).size, `${segment.name}: bytes match the file`);
    t.equal(segment.sha256, await sha256File(file), `${segment.name}: sha256 matches the file`);
    t.ok(
      segment.durationSeconds > 0 && segment.durationSeconds <= SEGMENT_SECONDS + TOLERANCE,
      `${segment.name}: lasts ${segment.durationSeconds} s, at most ${SEGMENT_SECONDS} s`,
    );
    const probed = await probe(file);
    t.equal(probed.errors, "", `${segment.name}: decodes without errors`);
    const video = probed.streams.filter((stream) => stream.codec_type === "video");
    const audio = probed.streams.filter((stream) => stream.codec_type === "audio");
    t.same(
      video.map((stream) => stream.codec_name),
      ["h264"],
      `${segment.name}: one h264 video stream`,
    );
    t.ok(Number(video[0]?.nb_read_frames) > 0, `${segment.name}: video frames decode`);
    if (expected.audio) {
      t.same(
        audio.map((stream) => stream.codec_name),
        ["aac"],
        `${segment.name}: one aac audio stream`,
      );
      t.ok(Number(audio[0]?.nb_read_frames) > 0, `${segment.name}: audio frames decode`);
    } else {
      t.same(audio, [], `${segment.name}: no audio stream`);
    }
  }
  const playlist = readFileSync(join(dir, "index.m3u8"), "utf8");
  t.same(
    parsePlaylist(playlist).map((listed) => listed.name),
    segments.map((segment) => segment.name),
    "the playlist lists exactly the reported segments",
  );
  t.same(
    readdirSync(dir).filter((name) => name.endsWith(".tmp")),
    [],
    "no unfinished file is left in the folder",
  );
}

void t.test("records H.264 + AAC segments and reports each closed one, in order", async (t) => {
  const recording = await startRecording(t, { audio: true });
  t.ok(await processRunning(recording.capture.pid), "ffmpeg runs under the reported pid");
  const args = await commandLine(recording.capture.pid);
  t.match(args[0] ?? "", /ffmpeg$/, "the pid is ffmpeg itself (setpriv exec'd it)");
  t.ok(
    args.some((arg) => arg.startsWith(recording.bufferDir + "/")),
    "the buffer folder is on ffmpeg's command line",
  );
  await eventually(() => recording.segments.length >= 3, 30_000, "three closed segments");
  t.same(
    recording.segments.slice(0, 3).map((segment) => segment.seq),
    [1, 2, 3],
    "segments are reported while recording, in order (a fourth may have closed meanwhile)",
  );

  const end = await recording.capture.stop();
  t.same(
    { code: end.code, signal: end.signal, requested: end.requested },
    { code: 0, signal: null, requested: true },
    "ffmpeg finished cleanly when asked",
  );
  t.ok(recording.segments.length >= 4, "the segment open at stop() was closed and reported");
  await checkSegments(t, recording, { audio: true });
  const playlist = readFileSync(join(recording.dir, "index.m3u8"), "utf8");
  t.match(playlist, /#EXT-X-ENDLIST/, "the playlist is finished");
  t.match(playlist, /#EXT-X-TARGETDURATION:2\n/, "the playlist promises 2 s segments");
  t.same(await recording.capture.stop(), end, "stop() again gives the same end");
  t.notOk(await processRunning(recording.capture.pid), "ffmpeg is gone");
  t.ok(
    recording.lines.some((line) => line.part === "recorder" && line.msg === "capture started"),
    "logs as the recorder part",
  );
});

/** The frame of an unmasked recording, kept for the mask test to compare against. */
let unmaskedFrame: Buffer | null = null;

void t.test("audio off: no audio stream at all", async (t) => {
  const recording = await startRecording(t, { audio: false });
  t.notOk(
    (await commandLine(recording.capture.pid)).some((arg) => arg.includes("sine=")),
    "the microphone is never opened",
  );
  await eventually(() => recording.segments.length >= 1, 30_000, "a closed segment");
  const end = await recording.capture.stop();
  t.equal(end.code, 0, "ffmpeg finished cleanly");
  await checkSegments(t, recording, { audio: false });
  unmaskedFrame = await grayFrame(join(recording.dir, "seg-00001.ts"));
});

void t.test("a privacy mask is burned in black before encoding", async (t) => {
  const mask: PrivacyMask = { x: 0.25, y: 0.25, width: 0.5, height: 0.5 };
  const recording = await startRecording(t, { audio: false, masks: [mask] });
  await eventually(() => recording.segments.length >= 1, 30_000, "a closed segment");
  await recording.capture.stop();
  await checkSegments(t, recording, { audio: false });

  // the mask covers x 80..239, y 60..179; stay 2 px clear of its edges (compression blurs them)
  const inside = { left: 82, top: 62, right: 238, bottom: 178 };
  const around = { left: 78, top: 58, right: 242, bottom: 182 };
  for (const segment of recording.segments) {
    const frame = await grayFrame(join(recording.dir, segment.name));
    t.equal(frame.length, WIDTH * HEIGHT, `${segment.name}: a whole frame decoded`);
    const masked = luma(frame, WIDTH, inside, true);
    t.ok(masked.max <= 24, `${segment.name}: inside the mask is black (brightest ${masked.max})`);
    const outside = luma(frame, WIDTH, around, false);
    t.ok(outside.mean > 40, `${segment.name}: outside the mask is picture (mean ${outside.mean})`);
  }
  t.ok(unmaskedFrame, "an unmasked frame was kept");
  if (unmaskedFrame !== null) {
    const there = luma(unmaskedFrame, WIDTH, inside, true);
    t.ok(there.max > 100, `without the mask the same place is not black (brightest ${there.max})`);
  }
});

void t.test("kill(): ffmpeg is gone at once, closed segments stay intact", async (t) => {
  const recording = await startRecording(t, { audio: true });
  await eventually(() => recording.segments.length >= 2, 30_000, "two closed segments");
  const end = await recording.capture.kill();
  t.equal(end.signal, "SIGKILL", "killed");
  t.ok(end.requested, "the end was asked for");
  t.notOk(await processRunning(recording.capture.pid), "the process is gone");
  t.ok(recording.segments.length >= 2, "the closed segments were reported");
  await checkSegments(t, recording, { audio: true });
  const ts = readdirSync(recording.dir).filter((name) => name.endsWith(".ts"));
  t.equal(ts.length, recording.segments.length, "every segment file on disk was reported");
});

void t.test("a capture that fails by itself ends unasked, with ffmpeg's words", async (t) => {
  const root = tempDir("classcam-recorder-");
  t.teardown(root.remove);
  const dir = join(root.path, "recording");
  mkdirSync(dir);
  const missing: Camera = {
    ...fakeCamera(false),
    input: () => ({ input: join(root.path, "no-such-camera"), options: ["-f", "v4l2"] }),
  };
  const { logger, lines } = captureLogger();
  const capture = await Capture.start({
    dir,
    camera: missing,
    microphone: null,
    masks: [],
    encoder: x264,
    settings,
    runDir: join(root.path, "run"),
    logger,
    onSegment: () => Promise.resolve(),
  });
  const end: CaptureEnd = await capture.ended;
  t.equal(end.requested, false, "nobody asked for this end");
  t.not(end.code, 0, "ffmpeg failed");
  t.match(end.stderrTail, /no-such-camera/, "the stderr tail says what was wrong");
  t.ok(
    lines.some((line) => line.msg === "capture ended by itself" && line.level === 50),
    "logged as an error",
  );
});

void t.test("refuses what it must not do", async (t) => {
  const root = tempDir("classcam-recorder-");
  t.teardown(root.remove);
  const dir = join(root.path, "recording");
  mkdirSync(dir);
  const { logger } = captureLogger();
  const base = {
    dir,
    camera: fakeCamera(true),
    microphone: null,
    masks: [] as PrivacyMask[],
    encoder: { name: "copy", why: "test" } as EncoderChoice,
    settings,
    runDir: join(root.path, "run"),
    logger,
    onSegment: () => Promise.resolve(),
  };
  await t.rejects(
    Capture.start({ ...base, masks: [{ x: 0, y: 0, width: 0.1, height: 0.1 }] }),
    /privacy masks cannot be burned into a copied camera stream/,
    "copy with masks",
  );
  await t.rejects(
    Capture.start({ ...base, camera, encoder: x264, masks: [{ x: 0, y: 0, width: 2, height: 1 }] }),
    /privacy mask 1: width must be a fraction/,
    "a mask outside the picture",
  );
  writeFileSync(join(dir, "seg-00001.ts"), "earlier footage");
  await t.rejects(
    Capture.start({ ...base, camera, encoder: x264 }),
    /is not empty/,
    "a folder that already holds footage",
  );
  t.equal(readFileSync(join(dir, "seg-00001.ts"), "utf8"), "earlier footage", "left untouched");
});

void t.test("a capture dies with the daemon that started it", async (t) => {
  const root = tempDir("classcam-recorder-");
  const bufferDir = join(root.path, "buffer");
  const dir = join(bufferDir, "recording-1");
  mkdirSync(dir, { recursive: true });
  const module = (path: string) => JSON.stringify(pathToFileURL(join(REPO, path)).href);
  const script = join(root.path, "daemon.mjs");
  writeFileSync(
    script,
    [
      `import { createRequire } from "node:module";`,
      `const { pino } = createRequire(${module("device/package.json")})("pino");`,
      `import { Capture } from ${module("device/src/recorder/index.ts")};`,
      `import { SimCamera, SimMicrophone } from ${module("device/src/hw/sim/index.ts")};`,
      `const capture = await Capture.start({`,
      `  dir: ${JSON.stringify(dir)},`,
      `  camera: new SimCamera(${WIDTH}, ${HEIGHT}, 15),`,
      `  microphone: new SimMicrophone(48000, 1),`,
      `  masks: [],`,
      `  encoder: { name: "libx264", why: "test" },`,
      `  settings: ${JSON.stringify(settings)},`,
      `  runDir: ${JSON.stringify(join(root.path, "run"))},`,
      `  logger: pino({ level: "silent" }),`,
      `  onSegment: async () => {},`,
      `});`,
      `process.stdout.write(JSON.stringify({ pid: capture.pid }) + "\\n");`,
      `setInterval(() => {}, 60_000);`,
    ].join("\n"),
  );
  const daemon = spawn(process.execPath, [...nodeArgs(), script], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let ffmpegPid = 0;
  t.teardown(async () => {
    daemon.kill("SIGKILL");
    if (ffmpegPid > 0 && (await processRunning(ffmpegPid))) process.kill(ffmpegPid, "SIGKILL");
    root.remove();
  });
  let output = "";
  daemon.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  ffmpegPid = await new Promise<number>((resolve, reject) => {
    daemon.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /\{"pid":(\d+)\}/.exec(output);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    });
    daemon.once("exit", (code) => reject(new Error(`the daemon exited (${code}): ${output}`)));
  });
  t.ok(await processRunning(ffmpegPid), "the daemon's ffmpeg runs");
  await eventually(() => existsSync(join(dir, "seg-00001.ts")), 30_000, "footage on disk");

  const exited = new Promise((resolve) => daemon.once("exit", resolve));
  daemon.kill("SIGKILL");
  await exited;
  await eventually(async () => !(await processRunning(ffmpegPid)), 10_000, "ffmpeg to die");
  t.notOk(await processRunning(ffmpegPid), "ffmpeg died with its daemon");
});

void t.test("killStrayCaptures kills a capture left in the buffer, and nothing else", async (t) => {
  const root = tempDir("classcam-recorder-");
  const bufferDir = join(root.path, "buffer");
  const dir = join(bufferDir, "recording-7");
  mkdirSync(dir, { recursive: true });
  const children: ChildProcess[] = [];
  const started = (child: ChildProcess) => {
    children.push(child);
    return child;
  };
  t.teardown(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    root.remove();
  });
  const exited = (child: ChildProcess) =>
    new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("exit", (_code, signal) => resolve(signal)),
    );

  // a capture started without the parent-death signal, as an old daemon might have left it
  const stray = started(
    spawn(
      "ffmpeg",
      [
        "-nostdin",
        "-loglevel",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        `testsrc2=size=${WIDTH}x${HEIGHT}:rate=15`,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-f",
        "hls",
        "-hls_segment_filename",
        join(dir, "seg-%05d.ts"),
        join(dir, "index.m3u8"),
      ],
      { stdio: "ignore" },
    ),
  );
  const strayExit = exited(stray);
  // bystanders: one naming a folder whose name merely starts like the buffer's, one naming nothing
  const keep = "setInterval(() => {}, 1000)";
  const neighbour = started(
    spawn(process.execPath, ["-e", keep, join(`${bufferDir}-old`, "index.m3u8")], {
      stdio: "ignore",
    }),
  );
  const bystander = started(spawn("sleep", ["60"], { stdio: "ignore" }));
  const pids = [stray.pid, neighbour.pid, bystander.pid];
  await eventually(
    async () => (await Promise.all(pids.map((pid) => processRunning(pid ?? 0)))).every(Boolean),
    10_000,
    "all three running",
  );
  await eventually(
    async () => (await commandLine(neighbour.pid ?? 0)).some((arg) => arg.endsWith(".m3u8")),
    10_000,
    "the neighbour's command line",
  );

  const { logger, lines } = captureLogger();
  const killed = await killStrayCaptures(bufferDir, logger);
  t.same(killed, [stray.pid], "only the capture in the buffer is killed");
  t.equal(await strayExit, "SIGKILL", "with SIGKILL");
  t.notOk(await processRunning(stray.pid ?? 0), "and it is gone when the call returns");
  t.ok(await processRunning(neighbour.pid ?? 0), "a process naming a look-alike folder lives");
  t.ok(await processRunning(bystander.pid ?? 0), "an unrelated process lives");
  t.ok(
    lines.some((line) => line.part === "recorder" && line.pid === stray.pid),
    "the kill is logged with the pid",
  );
  t.same(await killStrayCaptures(bufferDir, logger), [], "nothing left to kill");
});

void t.test("chooseEncoder", async (t) => {
  const auto = { ...settings, encoder: "auto" as const };
  const picked = await chooseEncoder(auto, camera);
  t.equal(picked.name, "libx264", "auto on a machine without an M2M encoder: libx264");
  t.match(picked.why, /ultrafast/, "says the preset");
  t.equal(
    (await chooseEncoder(auto, fakeCamera(true))).name,
    "copy",
    "a camera that gives H.264 is copied",
  );
  const masked = await chooseEncoder(auto, fakeCamera(true), {
    masks: [{ x: 0, y: 0, width: 0.2, height: 0.2 }],
  });
  t.equal(masked.name, "libx264", "unless masks must be burned in");
  t.match(masked.why, /privacy masks/, "and says so");
  await t.rejects(
    chooseEncoder({ ...settings, encoder: "h264_v4l2m2m" }, camera),
    /recorder\.encoder 'h264_v4l2m2m' cannot be used here: .*\/dev\/video/,
    "asking for the hardware encoder here fails clearly",
  );
  await t.rejects(
    chooseEncoder({ ...settings, encoder: "copy" }, camera),
    /'copy' needs a camera that gives H\.264/,
    "copy from a camera without H.264 fails clearly",
  );
  await t.rejects(
    chooseEncoder({ ...settings, encoder: "copy" }, fakeCamera(true), {
      masks: [{ x: 0, y: 0, width: 0.2, height: 0.2 }],
    }),
    /cannot burn in privacy masks/,
    "copy with masks fails clearly",
  );
  t.equal(
    (await chooseEncoder({ ...settings, encoder: "libx264" }, camera)).name,
    "libx264",
    "libx264 when asked",
  );
});

function fakeCamera(nativeH264: boolean): Camera {
  return {
    description: nativeH264 ? "an H.264 camera" : "a raw camera",
    nativeH264,
    width: WIDTH,
    height: HEIGHT,
    fps: 15,
    check: () => Promise.resolve(),
    input: () => ({ input: "/dev/video0", options: ["-f", "v4l2"] }),
    watch: () => () => undefined,
    selfTest: () => Promise.reject(new Error("the encoder tests take no frames")),
  };
}
