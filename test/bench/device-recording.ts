/**
 * Benchmark: the classroom daemon recording the sim source at 720p30 against
 * the bare `ffmpeg` command doing the same capture, encode and segmenting, in
 * the same run. Prints:
 *  - CPU-seconds, daemon + its ffmpeg / bare ffmpeg (target ≤ 1.05: the daemon
 *    itself costs next to nothing);
 *  - the daemon's peak RSS, ffmpeg excluded (target < 80 MB);
 *  - button-to-lamp latency p50/p99 (target p99 < 5 ms) and button-to-first-
 *    segment time, over repeated presses;
 *  - bytes written to disk per byte of footage, for both (target ≤ 1.05: each
 *    byte written once);
 *  - the daemon sealing its footage (issue 20 §1: HLS AES-128, key sealed to
 *    the controller) against the daemon recording in the clear, in the same
 *    rounds: the box's CPU per second of footage and bytes written, with the
 *    ratio (target ≤ 1.03) and the load average.
 * The box runs the built JavaScript with the Node flags its systemd unit uses
 * (DAEMON_NODE_FLAGS, DAEMON_ENVIRONMENT). Upload throughput against curl is
 * measured by test/bench/device-upload.ts.
 *
 *   npm run bench:device -- --seconds 60 --presses 100
 */
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DAEMON_ENVIRONMENT,
  DAEMON_NODE_FLAGS,
  checkSettings,
  SimCamera,
  type DeviceSettings,
} from "@classcam/device";
import { newSealingKeyPair } from "@classcam/protocol";
import { outputArguments } from "../../device/src/recorder/capture.js";
import { REPO, profilingArgs, tempDir } from "../helpers/controller.js";
import { cacheBoxConfig } from "../helpers/device.js";
import { latencyOf, positiveInt, runBenchmark, sleep } from "./shared.js";
import { processUsage } from "./proc-usage.mjs";
import { listSegments } from "../helpers/media.js";

const HELP = `Usage: npm run bench:device -- [options]

The daemon on the sim box recording 720p30 against bare ffmpeg doing the same
capture, encode and segmenting; button-to-lamp and button-to-first-segment
latency over repeated presses. Prints figures, ratios and targets.

Options:
  --seconds S   length of each recording (default 60)
  --presses N   presses for the latency figures (default 100)
  --rounds N    bare ffmpeg and the daemon take turns N times each (default 2)
  --help
`;

const TARGETS = { cpuRatio: 1.05, rssMb: 80, lampP99Ms: 5, writeRatio: 1.05, sealedRatio: 1.03 };
const TICK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
const scratch = tempDir("classcam-bench-device-");

/** Bytes and seconds of the footage the playlist in `dir` lists. */
function footage(dir: string): { bytes: number; seconds: number } {
  const segments = listSegments(dir);
  return {
    bytes: segments.reduce((sum, s) => sum + s.bytes, 0),
    seconds: segments.reduce((sum, s) => sum + s.durationSeconds, 0),
  };
}

/** The bare ffmpeg: the recorder's own inputs and output arguments, no daemon around it. */
async function bareFfmpeg(settings: DeviceSettings, seconds: number, round: number) {
  const dir = join(scratch.path, `bare-${round}`);
  mkdirSync(dir, { recursive: true });
  const { camera: cam, microphone: mic } = settings.hardware;
  const camera = new SimCamera(cam.width, cam.height, cam.fps).input();
  const micInput = {
    input: `sine=frequency=440:sample_rate=${mic.sampleRate},aformat=channel_layouts=mono`,
    options: ["-re", "-f", "lavfi"],
  };
  const args = [
    ...camera.options,
    "-i",
    camera.input,
    ...micInput.options,
    "-i",
    micInput.input,
    ...outputArguments({
      dir,
      camera: new SimCamera(cam.width, cam.height, cam.fps),
      microphone: {
        description: "tone",
        check: () => Promise.resolve(),
        input: () => micInput,
        watch: () => () => undefined,
      },
      masks: [],
      encoder: { name: "libx264", why: "bench" },
      settings: settings.recorder,
      runDir: dir,
      logger: undefined as never,
      onSegment: () => Promise.resolve(),
    }),
    join(dir, "index.m3u8"),
  ];
  const before = processUsage();
  const child = spawn("ffmpeg", args, { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await sleep(seconds * 1000);
  child.stdin.end("q");
  const code = await exited;
  if (code !== 0) throw new Error(`bare ffmpeg failed (${code}): ${stderr}`);
  const after = processUsage();
  return {
    cpuSeconds: (after.childTicks - before.childTicks) / TICK,
    writeBytes: after.writeBytes - before.writeBytes,
    footageBytes: footage(dir).bytes,
    footageSeconds: footage(dir).seconds,
  };
}

function runBox(settingsFile: string, mode: string, value: number): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      ...DAEMON_NODE_FLAGS,
      ...profilingArgs(),
      join(REPO, "test/bench/device-box.mjs"),
      settingsFile,
      mode,
      String(value),
    ],
    {
      cwd: REPO,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...DAEMON_ENVIRONMENT },
    },
  );
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`the box failed (${String(code)})`)),
    ),
  );
}

const ratio = (a: number, b: number) => (b === 0 ? "n/a" : (a / b).toFixed(3));
const verdict = (ok: boolean) => (ok ? "met" : "NOT met");

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string" },
      presses: { type: "string" },
      rounds: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const seconds = positiveInt(values.seconds, "--seconds", 60);
  // the box runs the built JavaScript, as on a real box
  execFileSync(join(REPO, "node_modules/.bin/tsc"), ["-b"], { cwd: REPO, stdio: "inherit" });
  const presses = positiveInt(values.presses, "--presses", 100);
  const rounds = positiveInt(values.rounds, "--rounds", 2);
  const dataDir = join(scratch.path, "box");
  cacheBoxConfig(dataDir);
  const checked = checkSettings({
    deviceId: "room-bench",
    secret: "b".repeat(32),
    dataDir,
    controller: { mqttUrl: "mqtt://127.0.0.1:9" },
    hardware: { backend: "sim", camera: { width: 1280, height: 720, fps: 30 } },
    storage: { reserveBytes: 64 * 1024 * 1024 },
    log: { level: "warn" },
  });
  if (!checked.ok) throw new Error(checked.error);
  const settings = checked.settings;
  const settingsFile = join(scratch.path, "settings.json");
  writeFileSync(settingsFile, JSON.stringify(settings));
  // the same box sealing its footage to a controller's key, its key file in a folder of its own
  const sealedDataDir = join(scratch.path, "box-sealed");
  cacheBoxConfig(sealedDataDir);
  const runtimeDir = join(scratch.path, "ram");
  mkdirSync(runtimeDir, { recursive: true });
  const sealedSettingsFile = join(scratch.path, "settings-sealed.json");
  writeFileSync(
    sealedSettingsFile,
    JSON.stringify({
      ...settings,
      dataDir: sealedDataDir,
      runtimeDir,
      controller: { ...settings.controller, sealingKey: newSealingKeyPair().publicKey },
    }),
  );

  process.stdout.write(
    `recording 720p30 for ${seconds} s, ${rounds} rounds of bare ffmpeg then the daemon…\n`,
  );
  // alternate the two, so a slow patch of the machine weighs on both alike
  const bare = { cpuSeconds: 0, writeBytes: 0, footageBytes: 0, footageSeconds: 0 };
  const box = {
    footageBytes: 0,
    footageSeconds: 0,
    writeBytes: 0,
    daemonCpuTicks: 0,
    captureCpuTicks: 0,
    daemonPeakRssBytes: 0,
  };
  const sealed = { footageBytes: 0, footageSeconds: 0, writeBytes: 0, cpuTicks: 0 };
  const loads: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const b = await bareFfmpeg(settings, seconds, round);
    bare.cpuSeconds += b.cpuSeconds;
    bare.writeBytes += b.writeBytes;
    bare.footageBytes += b.footageBytes;
    bare.footageSeconds += b.footageSeconds;
    const d = JSON.parse(await runBox(settingsFile, "record", seconds)) as {
      footageBytes: number;
      writeBytes: number;
      daemonCpuTicks: number;
      captureCpuTicks: number;
      daemonPeakRssBytes: number;
      dir: string;
    };
    box.footageBytes += d.footageBytes;
    box.footageSeconds += footage(d.dir).seconds;
    box.writeBytes += d.writeBytes;
    box.daemonCpuTicks += d.daemonCpuTicks;
    box.captureCpuTicks += d.captureCpuTicks;
    box.daemonPeakRssBytes = Math.max(box.daemonPeakRssBytes, d.daemonPeakRssBytes);
    const s = JSON.parse(await runBox(sealedSettingsFile, "record", seconds)) as typeof d;
    sealed.footageBytes += s.footageBytes;
    sealed.footageSeconds += footage(s.dir).seconds;
    sealed.writeBytes += s.writeBytes;
    sealed.cpuTicks += s.daemonCpuTicks + s.captureCpuTicks;
    loads.push(loadavg()[0] ?? 0);
  }
  process.stdout.write(`${presses} presses for the latency figures…\n`);
  const latency = JSON.parse(await runBox(settingsFile, "latency", presses)) as {
    lampMs: number[];
    firstSegmentMs: number[];
  };

  const daemonCpu = box.daemonCpuTicks / TICK;
  const captureCpu = box.captureCpuTicks / TICK;
  // per second of footage: the two runs never last exactly as long
  const boxSeconds = box.footageSeconds;
  const cpuRatio = (daemonCpu + captureCpu) / boxSeconds / (bare.cpuSeconds / bare.footageSeconds);
  const rssMb = box.daemonPeakRssBytes / 1024 / 1024;
  const lamp = latencyOf(latency.lampMs);
  const first = latencyOf(latency.firstSegmentMs);
  const boxWrite = box.writeBytes / box.footageBytes;
  const bareWrite = bare.writeBytes / bare.footageBytes;
  const rows: [string, string, string, string, string][] = [
    ["figure", "daemon", "bare ffmpeg", "ratio", "target"],
    [
      "CPU seconds per footage second (daemon + its ffmpeg)",
      `${(daemonCpu / boxSeconds).toFixed(3)} + ${(captureCpu / boxSeconds).toFixed(3)}`,
      (bare.cpuSeconds / bare.footageSeconds).toFixed(3),
      cpuRatio.toFixed(3),
      `≤ ${TARGETS.cpuRatio}: ${verdict(cpuRatio <= TARGETS.cpuRatio)}`,
    ],
    [
      "peak RSS of the daemon (MB, ffmpeg excluded)",
      rssMb.toFixed(1),
      "-",
      "-",
      `< ${TARGETS.rssMb}: ${verdict(rssMb < TARGETS.rssMb)}`,
    ],
    [
      "button → lamp ON, p50 / p99 (ms)",
      `${lamp.p50?.toFixed(2) ?? "-"} / ${lamp.p99?.toFixed(2) ?? "-"}`,
      "-",
      "-",
      `p99 < ${TARGETS.lampP99Ms}: ${verdict((lamp.p99 ?? Infinity) < TARGETS.lampP99Ms)}`,
    ],
    [
      "button → first segment indexed, p50 / p99 (ms)",
      `${first.p50?.toFixed(0) ?? "-"} / ${first.p99?.toFixed(0) ?? "-"}`,
      "-",
      "-",
      `(segments are ${settings.recorder.segmentSeconds} s)`,
    ],
    [
      "bytes written per byte of footage",
      boxWrite.toFixed(3),
      bareWrite.toFixed(3),
      ratio(boxWrite, bareWrite),
      `≤ ${TARGETS.writeRatio}: ${verdict(boxWrite <= TARGETS.writeRatio)}`,
    ],
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  for (const row of rows) {
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}\n`);
  }
  const clearCpu = (daemonCpu + captureCpu) / boxSeconds;
  const sealedCpu = sealed.cpuTicks / TICK / sealed.footageSeconds;
  const clearBytes = box.writeBytes / boxSeconds;
  const sealedBytes = sealed.writeBytes / sealed.footageSeconds;
  const sealedRows: [string, string, string, string, string][] = [
    ["sealed footage (issue 20)", "sealed", "in the clear", "ratio", "target"],
    [
      "box CPU seconds per footage second (daemon + its ffmpeg)",
      sealedCpu.toFixed(3),
      clearCpu.toFixed(3),
      ratio(sealedCpu, clearCpu),
      `≤ ${TARGETS.sealedRatio}: ${verdict(sealedCpu / clearCpu <= TARGETS.sealedRatio)}`,
    ],
    [
      "bytes written per footage second",
      sealedBytes.toFixed(0),
      clearBytes.toFixed(0),
      ratio(sealedBytes, clearBytes),
      "-",
    ],
  ];
  const sealedWidths =
    sealedRows[0]?.map((_, i) => Math.max(...sealedRows.map((row) => row[i]?.length ?? 0))) ?? [];
  for (const row of sealedRows) {
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(sealedWidths[i] ?? 0)).join("  ")}\n`);
  }
  process.stdout.write(
    `load average (1 min) after each round: ${loads.map((l) => l.toFixed(2)).join(", ")}\n`,
  );
  process.stdout.write(
    `footage over all rounds: daemon ${(box.footageBytes / 1e6).toFixed(1)} MB in ${boxSeconds.toFixed(1)} s, bare ${(bare.footageBytes / 1e6).toFixed(1)} MB in ${bare.footageSeconds.toFixed(1)} s\n`,
  );
  return 0;
}

runBenchmark(main, () => {
  scratch.remove();
  return Promise.resolve();
});
