/**
 * One capture: a single ffmpeg process that reads the camera (and the
 * microphone, when audio is on), burns in the privacy masks, encodes H.264 +
 * AAC and writes an HLS recording straight into the recording's folder:
 * `seg-00001.ts`, `seg-00002.ts`, … and `index.m3u8`. Nothing is copied or
 * remuxed afterwards: every byte of footage is written once.
 *
 * Durability: ffmpeg keeps the open segment in memory and writes it, when it
 * closes, to `seg-N.ts.tmp` which it renames to `seg-N.ts` (`temp_file`), then
 * rewrites the playlist the same way. So a power cut loses at most the open
 * segment. Each closed segment is fsynced (file and folder), hashed, and
 * handed to `onSegment`, in order, exactly once.
 *
 * The process dies with the daemon: ffmpeg is started through a small script
 * in `runDir` that execs `setpriv --pdeathsig KILL -- ffmpeg …`, and the
 * recording folder is on its command line so `killStrayCaptures` finds any
 * capture a dead daemon left behind.
 */
import { execFile, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { watch, type FSWatcher, constants as fsConstants } from "node:fs";
import {
  access,
  chmod,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  writeFile,
} from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import ffmpeg from "fluent-ffmpeg";
import type { Logger } from "pino";
import { MAX_RECORDED_SEGMENT_SECONDS, type PrivacyMask } from "@classcam/protocol";
import type { DeviceSettings } from "../config.js";
import type { Camera, Microphone } from "../hw/types.js";
import type { EncoderChoice } from "./encoder.js";
import { PLAYLIST_NAME, parseHlsPlaylist } from "./playlist.js";

export interface ClosedSegment {
  /** 1 for `seg-00001.ts`, and so on. */
  seq: number;
  /** The file name inside the recording's folder. */
  name: string;
  durationSeconds: number;
  bytes: number;
  /** Hex SHA-256 of the file as it is on disk. */
  sha256: string;
}

export interface CaptureEnd {
  code: number | null;
  signal: string | null;
  /** `stop()` or `kill()` asked for the end (otherwise ffmpeg ended by itself: a fault). */
  requested: boolean;
  /** The last lines ffmpeg wrote to stderr. */
  stderrTail: string;
}

export interface CaptureOptions {
  /** The recording's folder (exists, empty). */
  dir: string;
  camera: Camera;
  /** `null`: audio off; the microphone is never opened and there is no audio stream. */
  microphone: Microphone | null;
  /** Fractions of the picture, burned in (filled black) before encoding. */
  masks: readonly PrivacyMask[];
  encoder: EncoderChoice;
  settings: DeviceSettings["recorder"];
  /** A folder for the daemon's runtime files (the ffmpeg launcher script); must allow exec. */
  runDir: string;
  logger: Logger;
  /** Called in order, once per closed segment, after it is fsynced. A rejection is logged. */
  onSegment: (segment: ClosedSegment) => Promise<void>;
}

const SEGMENT_PATTERN = /^seg-(\d{5,})\.ts$/;
const STDERR_TAIL_CHARS = 4000;
/** How often the playlist is read even when no change was noticed (a safety net for fs.watch). */
const POLL_MS = 1000;

/** The file name of segment `seq`. */
export function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(5, "0")}.ts`;
}

export class Capture {
  private stopTimers: NodeJS.Timeout[] = [];
  private exited = false;

  private constructor(
    readonly pid: number,
    readonly ended: Promise<CaptureEnd>,
    private readonly child: ChildProcess,
    private readonly state: { requested: boolean },
    private readonly log: Logger,
  ) {
    void ended.then(() => {
      this.exited = true;
      for (const timer of this.stopTimers) clearTimeout(timer);
    });
    child.once("exit", () => {
      this.exited = true;
      for (const timer of this.stopTimers) clearTimeout(timer);
    });
  }

  /** Starts ffmpeg; resolves once the process is running (its pid known). */
  static async start(options: CaptureOptions): Promise<Capture> {
    const log = options.logger.child({ part: "recorder" });
    const dir = resolve(options.dir);
    checkOptions(options);
    await checkEmptyFolder(dir);
    const program = await captureProgram(resolve(options.runDir), options.settings.ffmpeg);

    const command = ffmpeg({ stdoutLines: 20 });
    command.setFfmpegPath(program); // fluent-ffmpeg keeps this per process, not per command
    const camera = options.camera.input();
    command.input(camera.input);
    addInputOptions(command, camera.options);
    if (options.microphone !== null) {
      const microphone = options.microphone.input();
      command.input(microphone.input);
      addInputOptions(command, microphone.options);
    }
    command.outputOptions(...outputArguments({ ...options, dir }));
    command.output(join(dir, PLAYLIST_NAME));

    const segments = new SegmentWatcher(dir, options.settings, options.onSegment, log);
    segments.start();
    const state = { requested: false };

    let child: ChildProcess;
    try {
      child = await new Promise<ChildProcess>((resolveStart, rejectStart) => {
        let started = false;
        command.on("start", (commandLine) => {
          const spawned = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
          if (spawned?.pid === undefined) return; // a spawn failure: 'error' follows
          started = true;
          log.debug({ pid: spawned.pid, commandLine }, "ffmpeg started");
          resolveStart(spawned);
        });
        command.on("error", (error) => {
          if (!started) {
            rejectStart(new Error(`cannot start the capture: ${error.message}`));
          }
          // after the start, the process's own exit is what counts (below)
        });
        command.run();
      });
    } catch (error) {
      await segments.finish();
      throw error;
    }
    const pid = child.pid ?? -1;

    let stderrTail = "";
    child.stderr?.on("data", (chunk: string | Buffer) => {
      const text = chunk.toString();
      for (const line of text.split("\n")) {
        if (line.trim() !== "") log.debug({ pid, ffmpeg: line.trimEnd() }, "ffmpeg said");
      }
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    child.stdin?.on("error", () => undefined); // 'q' to a process that already left

    const ended = new Promise<CaptureEnd>((resolveEnd) => {
      child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
        const finished = segments.finish().catch((error: unknown) => {
          log.error({ error, dir }, "cannot finish reporting the segments");
          return 0;
        });
        void finished.then((count) => {
          const end: CaptureEnd = {
            code,
            signal,
            requested: state.requested,
            stderrTail: tidyTail(stderrTail),
          };
          const fields = { pid, code, signal, requested: state.requested, segments: count };
          if (state.requested) log.info(fields, "capture ended");
          else log.error({ ...fields, stderrTail: end.stderrTail }, "capture ended by itself");
          resolveEnd(end);
        });
      });
    });

    log.info(
      {
        pid,
        dir,
        encoder: options.encoder.name,
        audio: options.microphone !== null,
        masks: options.masks.length,
        camera: options.camera.description,
      },
      "capture started",
    );
    return new Capture(pid, ended, child, state, log);
  }

  /**
   * Asks ffmpeg to finish ('q' on its stdin; SIGINT after half the grace):
   * the open segment is closed and reported. SIGKILL after `graceMs`.
   */
  stop(graceMs = 5000): Promise<CaptureEnd> {
    if (!this.exited && this.stopTimers.length === 0) {
      this.state.requested = true;
      this.log.info({ pid: this.pid }, "stopping the capture");
      const stdin = this.child.stdin;
      if (stdin !== null && stdin.writable) stdin.end("q");
      this.stopTimers.push(
        setTimeout(() => this.signal("SIGINT"), Math.max(1, Math.floor(graceMs / 2))),
        setTimeout(() => {
          this.log.warn({ pid: this.pid, graceMs }, "ffmpeg did not finish in time: killing it");
          this.signal("SIGKILL");
        }, graceMs),
      );
    }
    return this.ended;
  }

  /** SIGKILL now: the open segment is lost, the closed ones stay (and are reported). */
  kill(): Promise<CaptureEnd> {
    if (!this.exited) {
      this.state.requested = true;
      this.signal("SIGKILL");
    }
    return this.ended;
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      this.child.kill(signal);
    } catch (error) {
      this.log.warn({ pid: this.pid, signal, error }, "could not signal ffmpeg");
    }
  }
}

// ------------------------------------------------------------------ command line

function checkOptions(options: CaptureOptions): void {
  const { settings, encoder, masks } = options;
  if (
    !Number.isInteger(settings.segmentSeconds) ||
    settings.segmentSeconds < 1 ||
    settings.segmentSeconds > MAX_RECORDED_SEGMENT_SECONDS
  ) {
    throw new Error(
      `recorder.segmentSeconds must be a whole number from 1 to ${MAX_RECORDED_SEGMENT_SECONDS} (got ${settings.segmentSeconds})`,
    );
  }
  if (encoder.name === "copy" && masks.length > 0) {
    throw new Error(
      "privacy masks cannot be burned into a copied camera stream: the encoder must re-encode (not 'copy') when there are masks",
    );
  }
  if (encoder.name === "copy" && !options.camera.nativeH264) {
    throw new Error(
      `encoder 'copy' needs a camera that gives H.264; ${options.camera.description} does not`,
    );
  }
  masks.forEach((mask, index) => {
    const problem = maskProblem(mask);
    if (problem !== null) throw new Error(`privacy mask ${index + 1}: ${problem}`);
  });
}

function maskProblem(mask: PrivacyMask): string | null {
  const { x, y, width, height } = mask;
  for (const [name, value] of Object.entries({ x, y, width, height })) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
      return `${name} must be a fraction of the picture from 0 to 1 (got ${String(value)})`;
    }
  }
  if (width === 0 || height === 0) return "width and height must be more than 0";
  return null;
}

async function checkEmptyFolder(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new Error(`the recording folder ${dir} cannot be read: ${(error as Error).message}`);
  }
  if (names.length > 0) {
    throw new Error(
      `the recording folder ${dir} is not empty (${names.slice(0, 3).join(", ")}…): a capture never writes over footage`,
    );
  }
}

/** A fraction as ffmpeg's expression parser reads it (never in exponent notation). */
function fraction(value: number): string {
  return value.toFixed(6);
}

/**
 * The privacy masks as drawbox filters. Edges are rounded outwards to whole
 * pixels, so a mask never covers less than it was drawn as.
 */
export function maskFilters(masks: readonly PrivacyMask[]): string[] {
  return masks.map((mask) => {
    const x = fraction(mask.x);
    const y = fraction(mask.y);
    const right = fraction(Math.min(1, mask.x + mask.width));
    const bottom = fraction(Math.min(1, mask.y + mask.height));
    return (
      `drawbox=x=floor(iw*${x}):y=floor(ih*${y})` +
      `:w=ceil(iw*${right})-floor(iw*${x}):h=ceil(ih*${bottom})-floor(ih*${y})` +
      `:color=black:t=fill`
    );
  });
}

/** Everything after the inputs: mapping, filters, encoders, and the HLS muxer. */
export function outputArguments(options: CaptureOptions): string[] {
  const { settings, encoder, camera, masks, dir } = options;
  const seconds = settings.segmentSeconds;
  const args = ["-hide_banner", "-nostats", "-loglevel", "warning", "-map", "0:v:0"];
  if (options.microphone !== null) args.push("-map", "1:a:0");
  else args.push("-an");

  switch (encoder.name) {
    case "copy":
      // Keyframes are the camera's: segments stay within segmentSeconds only when
      // the camera's keyframe interval does (the linux camera sets it).
      args.push("-c:v", "copy");
      break;
    case "libx264":
    case "h264_v4l2m2m": {
      const filters = ["format=yuv420p", ...maskFilters(masks)];
      args.push("-vf", filters.join(","), "-pix_fmt", "yuv420p");
      const kbps = settings.videoKbps;
      if (encoder.name === "libx264") {
        args.push(
          "-c:v",
          "libx264",
          "-preset",
          settings.x264Preset,
          "-profile:v",
          "high",
          "-b:v",
          `${kbps}k`,
          "-maxrate",
          `${kbps}k`,
          "-bufsize",
          `${kbps * 2}k`,
        );
      } else {
        // The hardware encoder may put SPS/PPS only in its extradata: repeat them
        // at every keyframe so each segment decodes on its own.
        args.push(
          "-c:v",
          "h264_v4l2m2m",
          "-b:v",
          `${kbps}k`,
          "-g",
          String(camera.fps * seconds),
          "-bsf:v",
          "dump_extra=freq=keyframe",
        );
      }
      args.push("-force_key_frames", `expr:gte(t,n_forced*${seconds})`);
      break;
    }
  }
  if (options.microphone !== null) {
    args.push("-c:a", "aac", "-b:a", `${settings.audioKbps}k`);
  }
  args.push(
    "-f",
    "hls",
    "-hls_time",
    String(seconds),
    "-hls_list_size",
    "0",
    "-hls_playlist_type",
    "event",
    "-hls_segment_type",
    "mpegts",
    "-hls_flags",
    // a copied camera stream starts segments wherever the camera put its keyframes
    encoder.name === "copy" ? "temp_file" : "temp_file+independent_segments",
    "-start_number",
    "1",
    "-hls_segment_filename",
    join(dir, "seg-%05d.ts"),
  );
  return args;
}

/**
 * fluent-ffmpeg splits a lone option at its one space; several options given
 * as separate arguments are passed as they are.
 */
function addInputOptions(command: ffmpeg.FfmpegCommand, options: string[]): void {
  if (options.length === 0) return;
  if (options.length === 1 && options[0]?.includes(" ")) {
    throw new Error(`an ffmpeg input option must not hold a space: '${options[0]}'`);
  }
  command.inputOptions(...options);
}

function tidyTail(tail: string): string {
  const cut = tail.length >= STDERR_TAIL_CHARS ? tail.slice(tail.indexOf("\n") + 1) : tail;
  return cut.trim();
}

// ------------------------------------------------------------------ launcher

let setprivPath: Promise<string> | null = null;

async function findSetpriv(): Promise<string> {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((part) => part !== "");
  for (const dir of [...dirs, "/usr/bin", "/bin"]) {
    const candidate = join(dir, "setpriv");
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    "setpriv (util-linux) was not found: it is needed so the capture dies with the daemon",
  );
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script fluent-ffmpeg runs as "ffmpeg": it execs setpriv, which sets the
 * parent-death signal to SIGKILL and execs the real ffmpeg (same pid all the
 * way, so the pid fluent-ffmpeg reports is ffmpeg's).
 */
export async function captureProgram(runDir: string, ffmpegProgram: string): Promise<string> {
  setprivPath ??= findSetpriv();
  setprivPath.catch(() => (setprivPath = null));
  const setpriv = await setprivPath;
  const script =
    "#!/bin/sh\n" +
    "# Written by the classcam recorder: ffmpeg is killed when the daemon that started it dies.\n" +
    `exec ${shellQuote(setpriv)} --pdeathsig KILL -- ${shellQuote(ffmpegProgram)} "$@"\n`;
  const digest = createHash("sha256").update(script).digest("hex").slice(0, 12);
  const path = join(runDir, `capture-ffmpeg-${digest}.sh`);
  await mkdir(runDir, { recursive: true });
  const existing = await readFile(path, "utf8").catch(() => null);
  if (existing !== script) {
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(temporary, script, { mode: 0o755 });
    await chmod(temporary, 0o755);
    await rename(temporary, path);
  }
  try {
    await access(path, fsConstants.X_OK);
  } catch {
    throw new Error(
      `the capture launcher ${path} cannot be executed: is ${runDir} mounted noexec? (runDir must allow running programs)`,
    );
  }
  return path;
}

// ------------------------------------------------------------------ segments

interface ListedSegment {
  seq: number;
  name: string;
  durationSeconds: number | null;
}

/** The capture's segments a playlist lists, in its order. Entries cut short by a crash are ignored. */
export function parsePlaylist(text: string): ListedSegment[] {
  const listed: ListedSegment[] = [];
  for (const { uri, durationSeconds } of parseHlsPlaylist(text).entries) {
    const match = SEGMENT_PATTERN.exec(uri);
    if (match?.[1] !== undefined && durationSeconds !== null) {
      listed.push({ seq: Number(match[1]), name: uri, durationSeconds });
    }
  }
  return listed;
}

/**
 * Notices closed segments (the playlist lists a segment only once it is
 * closed and renamed into place), seals each one (fsync file and folder,
 * hash) and reports it, one at a time, in order.
 */
class SegmentWatcher {
  private reportedThrough = 0;
  private reportedCount = 0;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private scanAgain = false;
  private reports: Promise<void> = Promise.resolve();
  private finished: Promise<number> | null = null;

  constructor(
    private readonly dir: string,
    private readonly settings: DeviceSettings["recorder"],
    private readonly onSegment: (segment: ClosedSegment) => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.dir, (_event, name) => {
        if (name === PLAYLIST_NAME) this.kick();
      });
      this.watcher.on("error", (error) => {
        this.log.warn({ error, dir: this.dir }, "cannot watch the recording folder; polling");
        this.watcher?.close();
        this.watcher = null;
      });
    } catch (error) {
      this.log.warn({ error, dir: this.dir }, "cannot watch the recording folder; polling");
    }
    this.poll = setInterval(() => this.kick(), POLL_MS);
  }

  /** After ffmpeg exited: the last look, leftovers removed, every report done. */
  finish(): Promise<number> {
    this.finished ??= this.finishOnce();
    return this.finished;
  }

  private async finishOnce(): Promise<number> {
    this.watcher?.close();
    this.watcher = null;
    if (this.poll !== null) clearInterval(this.poll);
    this.poll = null;
    await this.scanning;
    await this.scanPlaylist();
    await this.scanFolder();
    await this.reports;
    return this.reportedCount;
  }

  private kick(): void {
    if (this.scanning !== null) {
      this.scanAgain = true;
      return;
    }
    this.scanAgain = false;
    this.scanning = (async () => {
      do {
        await this.scanPlaylist();
      } while (this.takeScanAgain());
      this.scanning = null;
    })();
  }

  /** Whether a change was noticed during the last scan (and forgets it). */
  private takeScanAgain(): boolean {
    const again = this.scanAgain;
    this.scanAgain = false;
    return again;
  }

  private async scanPlaylist(): Promise<void> {
    let text: string;
    try {
      text = await readFile(join(this.dir, PLAYLIST_NAME), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.log.warn({ error, dir: this.dir }, "cannot read the playlist");
      }
      return;
    }
    for (const listed of parsePlaylist(text)) this.enqueue(listed);
  }

  /**
   * Segments renamed into place that the playlist does not list yet (ffmpeg
   * died between the two), and the `.tmp` of a segment that was being written.
   */
  private async scanFolder(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      this.log.warn({ error, dir: this.dir }, "cannot list the recording folder");
      return;
    }
    const unlisted = names
      .map((name) => ({ name, match: SEGMENT_PATTERN.exec(name) }))
      .filter(({ match }) => match?.[1] !== undefined)
      .map(({ name, match }) => ({ name, seq: Number(match?.[1]) }))
      .filter(({ seq }) => seq > this.reportedThrough)
      .sort((a, b) => a.seq - b.seq);
    for (const segment of unlisted) this.enqueue({ ...segment, durationSeconds: null });
    for (const name of names.filter((name) => name.endsWith(".tmp"))) {
      this.log.warn({ dir: this.dir, name }, "removing a segment that was never finished");
      await unlink(join(this.dir, name)).catch((error: unknown) =>
        this.log.warn({ error, name }, "cannot remove an unfinished segment"),
      );
    }
  }

  private enqueue(listed: ListedSegment): void {
    if (listed.seq <= this.reportedThrough) return;
    this.reportedThrough = listed.seq;
    this.reports = this.reports.then(() => this.report(listed));
  }

  private async report(listed: ListedSegment): Promise<void> {
    let segment: ClosedSegment;
    try {
      const sealed = await sealSegment(this.dir, listed.name);
      const durationSeconds =
        listed.durationSeconds ?? (await this.probeDuration(join(this.dir, listed.name)));
      segment = { seq: listed.seq, name: listed.name, durationSeconds, ...sealed };
    } catch (error) {
      this.log.error({ error, dir: this.dir, name: listed.name }, "cannot seal a closed segment");
      return;
    }
    try {
      this.log.debug({ dir: this.dir, ...segment }, "segment closed");
      await this.onSegment(segment);
      this.reportedCount += 1;
    } catch (error) {
      this.log.error(
        { error, dir: this.dir, name: segment.name },
        "the closed segment could not be recorded in the index",
      );
    }
  }

  /** The duration of a segment the playlist never listed (ffmpeg died in between). */
  private probeDuration(path: string): Promise<number> {
    return new Promise((resolveDuration) => {
      execFile(
        this.settings.ffprobe,
        ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        { timeout: 15_000, killSignal: "SIGKILL" },
        (error, stdout) => {
          const seconds = Number.parseFloat(stdout.trim());
          if (error === null && Number.isFinite(seconds) && seconds >= 0) {
            resolveDuration(seconds);
          } else {
            this.log.warn(
              { path, error },
              "cannot measure an unlisted segment; taking the segment length",
            );
            resolveDuration(this.settings.segmentSeconds);
          }
        },
      );
    });
  }
}

/** fsyncs the segment and its folder, then hashes it reading in chunks. */
async function sealSegment(dir: string, name: string): Promise<{ bytes: number; sha256: string }> {
  const file = await open(join(dir, name), "r");
  try {
    await file.sync();
    const folder = await open(dir, "r");
    try {
      await folder.sync(); // the rename that put the segment in place
    } finally {
      await folder.close();
    }
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    const size = (await stat(join(dir, name))).size;
    if (size !== bytes) throw new Error(`${name} changed while it was hashed`);
    return { bytes, sha256: hash.digest("hex") };
  } finally {
    await file.close();
  }
}
