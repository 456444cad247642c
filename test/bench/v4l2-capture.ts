/**
 * How the v4l2-camera addon reads a camera, next to ffmpeg's own V4L2 reader:
 * the same vivid device, 640×480 YUYV at the fastest rate it offers, the same
 * number of frames, one reader after the other (alternating, with --rounds).
 *
 *   node --conditions=classcam-source --import=tsx test/bench/v4l2-capture.ts [/dev/videoN] [options]
 *
 * Run it where a vivid device exists — inside the HIL rig:
 *   node --import=tsx test/hil/run.ts -- node --conditions=classcam-source --import=tsx test/bench/v4l2-capture.ts
 *
 * Three readers: the addon as the daemon uses it (each frame copied into a
 * Buffer), the addon lending the driver's buffers (`zeroCopy`), and ffmpeg.
 * Each reads --warmup frames, then the --frames that are measured:
 * frames per second (from the driver's timestamps), CPU time per frame and
 * frames dropped (sequence gaps for the addon; gaps in the packet timestamps
 * for ffmpeg, read from its -debug_ts lines). CPU time is the whole process,
 * every thread: process.cpuUsage() for the addon (frames go to a JS
 * listener, through the TypeScript layer), utime+stime from
 * /proc/<pid>/stat for ffmpeg, sampled when its stderr says the frame was
 * read. A second line gives the whole run, open to close, start-up included
 * (for ffmpeg: cutime+cstime once reaped).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { listDevices, openDevice } from "v4l2-camera";
import { processUsage } from "./proc-usage.mjs";

const HELP = `Usage: node --conditions=classcam-source --import=tsx test/bench/v4l2-capture.ts [device] [options]

Captures 640x480 YUYV from a vivid device through the v4l2-camera addon and
through ffmpeg's v4l2 input, and compares frames per second, CPU time per
frame and dropped frames. The device defaults to the first vivid device.

Options:
  --frames N   frames measured per run (default 600)
  --warmup N   frames read before measuring (default 50)
  --buffers N  driver buffers the addon asks for (default 4, as the daemon does)
  --rounds N   runs of each reader, alternating (default 1)
  --help       show this
`;

const TARGET_RATIO = 1.1;
const TICKS_PER_SECOND = 100; // USER_HZ, what /proc/<pid>/stat counts in on Linux

interface Figures {
  frames: number;
  /** Seconds between the first and the last measured frame's driver timestamp. */
  spanSeconds: number;
  cpuSeconds: number;
  dropped: number;
}

interface ReaderResult {
  steady: Figures;
  /** Open to close (the addon), spawn to reaped (ffmpeg); every frame read. */
  whole: { frames: number; cpuSeconds: number };
}

interface Settings {
  path: string;
  frames: number;
  warmup: number;
  fps: number;
  buffers: number;
}

function positiveInt(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new Error(`${name} wants a whole number of at least ${min}, not '${value}'`);
  }
  return number;
}

const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

async function readWithAddon(settings: Settings, zeroCopy: boolean): Promise<ReaderResult> {
  const { path, frames, warmup, fps, buffers } = settings;
  const wholeBefore = process.cpuUsage();
  const device = await openDevice(path);
  try {
    await device.setFormat({ fourcc: "YUYV", width: 640, height: 480 });
    await device.setFrameRate(fps);
    const stream = await device.stream({ buffers, zeroCopy });
    let count = 0;
    let steadyBefore = process.cpuUsage();
    let steadyCpu = 0;
    let droppedBefore = 0;
    let first = 0;
    let last = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on("error", reject);
      stream.on("frame", (frame) => {
        count += 1;
        if (count === warmup + 1) {
          steadyBefore = process.cpuUsage();
          droppedBefore = stream.stats.dropped;
          first = frame.timestampUs;
        }
        if (count === warmup + frames) {
          steadyCpu = cpuSeconds(process.cpuUsage(steadyBefore));
          last = frame.timestampUs;
          resolve();
        }
      });
    });
    const dropped = stream.stats.dropped - droppedBefore;
    await stream.stop();
    await device.close();
    return {
      steady: { frames, spanSeconds: (last - first) / 1e6, cpuSeconds: steadyCpu, dropped },
      whole: { frames: count, cpuSeconds: cpuSeconds(process.cpuUsage(wholeBefore)) },
    };
  } finally {
    await device.close();
  }
}

/** utime + stime of a running process, in ticks. */
function ticksOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .map(Number);
  return (fields[11] ?? 0) + (fields[12] ?? 0);
}

async function readWithFfmpeg(settings: Settings): Promise<ReaderResult> {
  const { path, frames, warmup, fps } = settings;
  const wholeBefore = processUsage().childTicks;
  // a few frames past the measured ones, so ffmpeg still runs when the last is sampled
  const total = warmup + frames + 5;
  const args = [
    ...["-nostdin", "-hide_banner", "-debug_ts"],
    ...["-f", "v4l2", "-input_format", "yuyv422", "-video_size", "640x480"],
    ...["-framerate", String(fps), "-i", path, "-frames:v", String(total), "-f", "null", "-"],
  ];
  const child = spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "pipe"] });
  const pid = child.pid;
  if (pid === undefined) throw new Error("ffmpeg did not start");
  const times: number[] = [];
  let steadyBefore = 0;
  let steadyTicks = 0;
  let pending = "";
  let tail = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      // "demuxer -> ist_index:0 type:video … pkt_pts_time:12.345678 …", one per packet read
      const match = /demuxer -> ist_index:\S+ type:video .*?pkt_pts_time:([\d.]+)/.exec(line);
      if (match === null) continue;
      times.push(Number(match[1]));
      if (times.length === warmup + 1) steadyBefore = ticksOf(pid);
      if (times.length === warmup + frames) steadyTicks = ticksOf(pid) - steadyBefore;
    }
  });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (status !== 0) throw new Error(`ffmpeg exited ${String(status)}:\n${tail}`);
  if (times.length < warmup + frames) {
    throw new Error(
      `ffmpeg read ${times.length} frames, not ${warmup + frames}; is -debug_ts output as expected?\n${tail}`,
    );
  }
  const measured = times.slice(warmup, warmup + frames);
  const interval = 1 / fps;
  let dropped = 0;
  for (let at = 1; at < measured.length; at++) {
    const step = (measured[at] ?? 0) - (measured[at - 1] ?? 0);
    if (step > 1.5 * interval) dropped += Math.round(step / interval) - 1;
  }
  return {
    steady: {
      frames,
      spanSeconds: (measured.at(-1) ?? 0) - (measured[0] ?? 0),
      cpuSeconds: steadyTicks / TICKS_PER_SECOND,
      dropped,
    },
    whole: {
      frames: times.length,
      cpuSeconds: (processUsage().childTicks - wholeBefore) / TICKS_PER_SECOND,
    },
  };
}

function emptyResult(): ReaderResult {
  return {
    steady: { frames: 0, spanSeconds: 0, cpuSeconds: 0, dropped: 0 },
    whole: { frames: 0, cpuSeconds: 0 },
  };
}

function add(total: ReaderResult, run: ReaderResult): void {
  total.steady.frames += run.steady.frames;
  total.steady.spanSeconds += run.steady.spanSeconds;
  total.steady.cpuSeconds += run.steady.cpuSeconds;
  total.steady.dropped += run.steady.dropped;
  total.whole.frames += run.whole.frames;
  total.whole.cpuSeconds += run.whole.cpuSeconds;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      frames: { type: "string" },
      warmup: { type: "string" },
      buffers: { type: "string" },
      rounds: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const frames = positiveInt(values.frames, "--frames", 600, 2);
  const warmup = positiveInt(values.warmup, "--warmup", 50, 0);
  const rounds = positiveInt(values.rounds, "--rounds", 1);
  const buffers = positiveInt(values.buffers, "--buffers", 4);
  let path = positionals[0];
  if (path === undefined) {
    const vivid = (await listDevices()).find((device) => device.driver === "vivid");
    if (vivid === undefined) {
      process.stderr.write(
        "v4l2-capture bench: no vivid device here (no /dev/video* with driver vivid). Load the vivid module, or run it in the HIL rig:\n" +
          "  node --import=tsx test/hil/run.ts -- node --conditions=classcam-source --import=tsx test/bench/v4l2-capture.ts\n",
      );
      return 1;
    }
    path = vivid.path;
  }
  const probe = await openDevice(path);
  let fps: number;
  try {
    await probe.setFormat({ fourcc: "YUYV", width: 640, height: 480 });
    const rates = (await probe.listFrameIntervals("YUYV", 640, 480)).map((interval) =>
      interval.type === "discrete" ? interval.fps : interval.maxFps,
    );
    fps = Math.max(...rates);
  } finally {
    await probe.close();
  }
  process.stdout.write(
    `${path} (${probe.info.driver} "${probe.info.card}"), 640x480 YUYV at ${fps} fps: ${warmup} + ${frames} frames, ` +
      `${rounds} round(s) of the addon copying, the addon lending (zeroCopy), then ffmpeg; ${buffers} buffers for the addon…\n`,
  );

  const settings: Settings = { path, frames, warmup, fps, buffers };
  const readers = {
    copy: emptyResult(),
    zeroCopy: emptyResult(),
    ffmpeg: emptyResult(),
  };
  const perRound: Array<{ copy: number; zeroCopy: number }> = [];
  for (let round = 0; round < rounds; round++) {
    // one reader after the other, so a slow patch of the machine weighs on all alike
    const copy = await readWithAddon(settings, false);
    const zeroCopy = await readWithAddon(settings, true);
    const ffmpeg = await readWithFfmpeg(settings);
    add(readers.copy, copy);
    add(readers.zeroCopy, zeroCopy);
    add(readers.ffmpeg, ffmpeg);
    perRound.push({
      copy: copy.steady.cpuSeconds / ffmpeg.steady.cpuSeconds,
      zeroCopy: zeroCopy.steady.cpuSeconds / ffmpeg.steady.cpuSeconds,
    });
  }
  const perSecond = (run: Figures) =>
    run.spanSeconds > 0 ? (run.frames - rounds) / run.spanSeconds : 0;
  const msPerFrame = (cpu: number, count: number) => (count > 0 ? (cpu * 1000) / count : 0);
  const steady = (result: ReaderResult) =>
    msPerFrame(result.steady.cpuSeconds, result.steady.frames);
  const whole = (result: ReaderResult) => msPerFrame(result.whole.cpuSeconds, result.whole.frames);
  const ratio = (a: number, b: number) => (b === 0 ? "n/a" : (a / b).toFixed(3));
  const { copy, zeroCopy, ffmpeg } = readers;
  const rows = [
    ["", "addon", "addon zeroCopy", "ffmpeg", "addon/ffmpeg", "zeroCopy/ffmpeg"],
    [
      "frames measured",
      String(copy.steady.frames),
      String(zeroCopy.steady.frames),
      String(ffmpeg.steady.frames),
      "",
      "",
    ],
    [
      "frames per second",
      perSecond(copy.steady).toFixed(2),
      perSecond(zeroCopy.steady).toFixed(2),
      perSecond(ffmpeg.steady).toFixed(2),
      ratio(perSecond(copy.steady), perSecond(ffmpeg.steady)),
      ratio(perSecond(zeroCopy.steady), perSecond(ffmpeg.steady)),
    ],
    [
      "CPU ms per frame",
      steady(copy).toFixed(3),
      steady(zeroCopy).toFixed(3),
      steady(ffmpeg).toFixed(3),
      ratio(steady(copy), steady(ffmpeg)),
      ratio(steady(zeroCopy), steady(ffmpeg)),
    ],
    [
      "dropped frames",
      String(copy.steady.dropped),
      String(zeroCopy.steady.dropped),
      String(ffmpeg.steady.dropped),
      "",
      "",
    ],
    [
      "CPU ms per frame, whole run",
      whole(copy).toFixed(3),
      whole(zeroCopy).toFixed(3),
      whole(ffmpeg).toFixed(3),
      ratio(whole(copy), whole(ffmpeg)),
      ratio(whole(zeroCopy), whole(ffmpeg)),
    ],
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  for (const row of rows) {
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}\n`);
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[middle] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  };
  if (rounds > 1) {
    for (const mode of ["copy", "zeroCopy"] as const) {
      const ratios = perRound.map((round) => round[mode]);
      process.stdout.write(
        `CPU ratio to ffmpeg by round, ${mode}: ${ratios.map((each) => each.toFixed(3)).join(", ")} (median ${median(ratios).toFixed(3)})\n`,
      );
    }
  }
  for (const [mode, result] of [
    ["copying", copy],
    ["zeroCopy", zeroCopy],
  ] as const) {
    const met = steady(result) <= TARGET_RATIO * steady(ffmpeg);
    process.stdout.write(
      `CPU per frame within ${Math.round((TARGET_RATIO - 1) * 100)} % of ffmpeg's reader, ${mode}: ${met ? "met" : "NOT met"}\n`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({ device: path, fps, frames, warmup, rounds, buffers, readers, perRound })}\n`,
  );
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(
      `v4l2-capture bench: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
