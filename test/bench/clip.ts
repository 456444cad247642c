/**
 * bench:clip — time and bytes to cut a 5-minute clip from minute 20 of a
 * 50-minute 720p recording, through the controller's cutter (`openFootage()`
 * then `cutOnKeyframes()`: the playlist of the segments that hold the part,
 * ffmpeg's stream copy of them, the lengths from the playlist ffmpeg wrote, as `Clips.cut`
 * runs them) against `ffmpeg` alone doing the same stream-copy cut of the
 * same input (seeking with -ss, -t), in the same run, taking turns. Target:
 * ratio ≤ 1.2 (issue 17). The load average is printed beside each figure, and
 * the CPU each took (with its ffmpeg and ffprobe), which a busy machine
 * disturbs less than the time.
 *
 * The recording is made once with ffmpeg (testsrc2 at 1280×720, 25 fps,
 * x264 ultrafast at 2 Mb/s, a keyframe every 4 s, 4-s HLS segments: as the
 * box makes them) and cached under the system's temporary folder, keyed by
 * its parameters.
 *
 *   npm run bench:clip [-- --rounds 5]
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cutOnKeyframes } from "../../controller/src/domain/clip-cutter.js";
import { openFootage } from "../../controller/src/domain/footage-source.js";
import { writeKeyInfo } from "../../controller/src/domain/copy-keys.js";
import { newContentKey } from "@classcam/protocol";

const MINUTES = 50;
const SEGMENT_SECONDS = 4;
const FPS = 25;
const SIZE = "1280x720";
const KBPS = 2000;
const CUT_FROM = 20 * 60;
const CUT_SECONDS = 5 * 60;
/** The recording's id: its folder's name, as on the controller. */
const RECORDING_ID = "00000000-0000-4000-8000-00000000c11b";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const rounds = Math.max(1, Number(values.rounds));

function run(program: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${program} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join("/");

/** The cached recording: `<cache>/recordings/<id>/index.m3u8` and its segments. */
async function recording(): Promise<{ recordingsDir: string; bytes: number }> {
  const key = `classcam-bench-clip-${MINUTES}min-${SIZE}-${FPS}fps-${KBPS}k-${SEGMENT_SECONDS}s`;
  const recordingsDir = join(tmpdir(), key, "recordings");
  const folder = join(recordingsDir, RECORDING_ID);
  const done = join(recordingsDir, "done");
  if (!existsSync(done)) {
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    process.stdout.write(`making ${MINUTES} min of ${SIZE} footage in ${folder} (once)…\n`);
    const started = Date.now();
    await run("ffmpeg", [
      ...["-v", "error", "-nostdin", "-f", "lavfi", "-i", `testsrc2=size=${SIZE}:rate=${FPS}`],
      ...["-t", String(MINUTES * 60), "-c:v", "libx264", "-preset", "ultrafast"],
      ...["-b:v", `${KBPS}k`, "-maxrate", `${KBPS}k`, "-bufsize", `${KBPS * 2}k`],
      ...["-g", String(FPS * SEGMENT_SECONDS), "-pix_fmt", "yuv420p"],
      ...["-force_key_frames", `expr:gte(t,n_forced*${SEGMENT_SECONDS})`],
      ...["-f", "hls", "-hls_time", String(SEGMENT_SECONDS), "-hls_list_size", "0"],
      ...["-hls_playlist_type", "vod", "-start_number", "1"],
      ...["-hls_segment_filename", join(folder, "seg-%05d.ts"), join(folder, "index.m3u8")],
    ]);
    mkdirSync(done, { recursive: true });
    process.stdout.write(`  made in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
  return { recordingsDir, bytes: folderBytes(folder) };
}

function folderBytes(folder: string): number {
  return readdirSync(folder)
    .filter((name) => name.endsWith(".ts"))
    .reduce((sum, name) => sum + statSync(join(folder, name)).size, 0);
}

interface Measured {
  seconds: number;
  /** CPU of this process and of the children it waited for (ffmpeg, ffprobe), in seconds. */
  cpu: number;
  bytes: number;
  load: string;
}

const TICK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
/** CPU seconds of this process and its waited-for children so far (/proc/self/stat). */
function cpuSeconds(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  // after the name: state is field 3, so utime..cstime (14–17) are at 11–14 here
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / TICK;
}

async function main(): Promise<number> {
  const { recordingsDir, bytes } = await recording();
  const out = join(recordingsDir, "..", "out");
  const fresh = (name: string) => {
    const folder = join(out, name);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    return folder;
  };
  const methods = {
    cutter: async (folder: string) => {
      const source = await openFootage(recordingsDir, RECORDING_ID);
      // as the controller cuts: encrypted at rest with the clip's own key
      const key = await writeKeyInfo(newContentKey("one"));
      try {
        const cut = await cutOnKeyframes(
          source,
          folder,
          CUT_FROM,
          CUT_FROM + CUT_SECONDS,
          MINUTES * 60,
          key.infoFile,
        );
        return cut;
      } finally {
        await key.remove();
        await source.close();
      }
    },
    ffmpeg: async (folder: string) => {
      await run("ffmpeg", [
        ...["-v", "error", "-nostdin", "-f", "hls", "-ss", String(CUT_FROM)],
        ...["-i", join(recordingsDir, RECORDING_ID, "index.m3u8"), "-t", String(CUT_SECONDS)],
        ...["-map", "0:v:0", "-map", "0:a?", "-c", "copy"],
        ...["-f", "hls", "-hls_time", "2", "-hls_list_size", "0", "-hls_playlist_type", "vod"],
        ...["-hls_segment_filename", join(folder, "seg-%05d.ts"), join(folder, "index.m3u8")],
      ]);
      return null;
    },
  };
  type Method = keyof typeof methods;
  const runs: Record<Method, Measured[]> = { cutter: [], ffmpeg: [] };
  // one of each before timing: the files are in the page cache for both
  await methods.ffmpeg(fresh("warm-ffmpeg"));
  const warm = await methods.cutter(fresh("warm-cutter"));
  process.stdout.write(
    `the cutter's clip: ${warm.startSeconds.toFixed(2)}–${warm.endSeconds.toFixed(2)} s ` +
      `(asked ${CUT_FROM}–${CUT_FROM + CUT_SECONDS}), ${warm.segments} segments\n`,
  );
  for (let round = 0; round < rounds; round += 1) {
    const order: Method[] = round % 2 === 0 ? ["cutter", "ffmpeg"] : ["ffmpeg", "cutter"];
    for (const method of order) {
      const folder = fresh(`${method}-${round}`);
      const cpuBefore = cpuSeconds();
      const started = process.hrtime.bigint();
      await methods[method](folder);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = cpuSeconds() - cpuBefore;
      const measured = { seconds, cpu, bytes: folderBytes(folder), load: load() };
      runs[method].push(measured);
      process.stdout.write(
        `  round ${round + 1} ${method.padEnd(7)} ${seconds.toFixed(3)} s, CPU ${cpu.toFixed(2)} s, ` +
          `${(measured.bytes / 1e6).toFixed(1)} MB (load ${measured.load})\n`,
      );
    }
  }
  const median = (list: Measured[], of: "seconds" | "cpu" = "seconds") => {
    const sorted = list.map((m) => m[of]).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const cutter = median(runs.cutter);
  const alone = median(runs.ffmpeg);
  const ratio = cutter / alone;
  const cpuRatio = median(runs.cutter, "cpu") / median(runs.ffmpeg, "cpu");
  process.stdout.write(
    `\nrecording: ${MINUTES} min ${SIZE} ${FPS} fps, ${(bytes / 1e6).toFixed(0)} MB in ` +
      `${SEGMENT_SECONDS}-s segments; cut ${CUT_SECONDS / 60} min from minute ${CUT_FROM / 60}\n` +
      `median of ${rounds}: cutter ${cutter.toFixed(3)} s, ${(runs.cutter[0]?.bytes ?? 0) / 1e6} MB; ` +
      `ffmpeg alone ${alone.toFixed(3)} s, ${(runs.ffmpeg[0]?.bytes ?? 0) / 1e6} MB\n` +
      `CPU (with ffmpeg's): cutter ${median(runs.cutter, "cpu").toFixed(2)} s, ` +
      `ffmpeg alone ${median(runs.ffmpeg, "cpu").toFixed(2)} s, ratio ${cpuRatio.toFixed(3)}\n` +
      `time ratio ${ratio.toFixed(3)} (target ≤ 1.2) ${ratio <= 1.2 ? "MET" : "NOT MET"}; ` +
      `load average now ${load()} on ${cpus().length} cores\n`,
  );
  rmSync(out, { recursive: true, force: true });
  return ratio <= 1.2 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
