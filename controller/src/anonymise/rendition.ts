/**
 * Making one anonymised rendition: ffmpeg decodes the footage (opened only
 * through `openFootage()`), the detector looks at a frame every `detectSeconds`
 * (shrunk or enlarged to the model's input size), `FaceTracks` carries the
 * boxes across the frames between, each box is widened by `margin` and
 * pixelated then blurred in the raw frame (`blur.ts`), and a second ffmpeg
 * encodes HLS into the rendition's own folder, cut every `SEGMENT_SECONDS`.
 *
 * Resumable: segments the muxer finished stay; a new run starts from the
 * last segment on disk (which may be half-written) and makes it again.
 * `index.m3u8` is written last: its presence means the rendition is whole.
 * Encrypted at rest (HLS AES-128) with the copy's own key, which every run
 * gets in `keyInfoFile` (`domain/copy-keys.ts`): a copy the controller makes
 * is never kept in the clear.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FootageSource } from "../domain/footage-source.js";
import { backgroundToBlur, facesToBlur, NO_ZONES, type TeacherZones } from "../domain/zone-rule.js";
import { blurBackground, expand, pixelateBlur, type Box } from "./blur.js";
import type { FaceDetector } from "./detector.js";
import { FaceTracks } from "./tracker.js";

/** Each rendition segment's length (keyframes are forced on it, so every segment has it). */
export const SEGMENT_SECONDS = 2;
export const RENDITION_PLAYLIST = "index.m3u8";
const SEGMENT_FILE = /^seg-(\d{5})\.ts$/;

export interface RenditionSettings {
  /** Detect on one frame in this many seconds; the tracker fills the frames between. */
  detectSeconds: number;
  /** How far a face may move in a second, in its own sizes, and still be tracked as one. */
  faceSpeed: number;
  /** Each box widened by this share of its size on every side. */
  margin: number;
  /** Detections a face is held for after it was last found. */
  holdDetections: number;
  /** x264's preset for the rendition. */
  preset: string;
}

export const DEFAULT_RENDITION: RenditionSettings = {
  detectSeconds: 1,
  faceSpeed: 8,
  margin: 0.25,
  holdDetections: 2,
  preset: "veryfast",
};

export interface FootageFormat {
  width: number;
  height: number;
  fps: number;
  durationSeconds: number;
  audio: boolean;
}

function run(program: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { encoding: "utf8", maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const last = stderr.trim().split("\n").slice(-3).join(" / ");
          reject(new Error(`${program} failed: ${last || error.message}`));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/** The footage's picture size, frame rate, length and whether it has sound. */
export async function probeFootage(source: FootageSource): Promise<FootageFormat> {
  const out = await run("ffprobe", [
    ...["-v", "error", ...source.inputOptions],
    ...["-show_entries", "stream=codec_type,width,height,r_frame_rate:format=duration"],
    ...["-of", "json", source.input],
  ]);
  const parsed = JSON.parse(out) as {
    streams?: { codec_type?: string; width?: number; height?: number; r_frame_rate?: string }[];
    format?: { duration?: string };
  };
  const video = parsed.streams?.find((s) => s.codec_type === "video");
  if (!video?.width || !video.height) throw new Error("the footage has no video stream");
  const [num, den] = (video.r_frame_rate ?? "25/1").split("/").map(Number);
  const fps = num && den ? num / den : 25;
  return {
    width: video.width,
    height: video.height,
    fps: fps > 0 && fps <= 120 ? fps : 25,
    durationSeconds: Number(parsed.format?.duration ?? 0) || 0,
    audio: parsed.streams?.some((s) => s.codec_type === "audio") ?? false,
  };
}

/** Where a new run starts: the last segment on disk is made again (it may be half-written). */
export async function resumePoint(dir: string): Promise<number> {
  const names = new Set(await readdir(dir).catch(() => [] as string[]));
  let done = 0;
  while (names.has(segmentName(done))) done++;
  return Math.max(0, done - 1);
}

/**
 * ffmpeg's `-ss` for a run starting `seconds` in; none from the start: on HLS
 * input `-ss 0` skips the first segment (a 4-s clip of 1-s segments decoded
 * 75 frames of 100), and the copy lacked the footage's first seconds.
 */
const seekTo = (seconds: number) => (seconds > 0 ? ["-ss", seconds.toFixed(3)] : []);

const segmentName = (index: number) => `seg-${String(index).padStart(5, "0")}.ts`;

function exited(child: ChildProcess, what: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else
        reject(new Error(`${what} stopped (${signal ?? `exit ${code}`}): ${stderr().slice(-300)}`));
    });
  });
}

export interface MakeRendition {
  source: FootageSource;
  /** The rendition's own folder. */
  dir: string;
  detector: FaceDetector;
  settings: RenditionSettings;
  /** ffmpeg's `-hls_key_info_file`: the copy's key, URI and IV (`writeKeyInfo()`). */
  keyInfoFile: string;
  /** The room's teacher zones: faces mostly inside them left sharp (default: none, every face blurred). */
  zones?: TeacherZones;
  /** Called with the share done (0 to 1) now and then. */
  progress?: (done: number) => void;
  /** Called with each frame's boxes after widening (the benchmark compares them with the truth). */
  blurred?: (frame: number, boxes: readonly Box[]) => void;
}

/** Makes (or finishes) the rendition; resolves when `index.m3u8` is written. */
export async function makeRendition(job: MakeRendition): Promise<void> {
  const { source, dir, detector, settings } = job;
  await mkdir(dir, { recursive: true });
  const format = await probeFootage(source);
  const { width, height, fps } = format;
  const start = await resumePoint(dir);
  const startSeconds = start * SEGMENT_SECONDS;
  const frameBytes = width * height * 3;
  const totalFrames = Math.max(1, Math.round(format.durationSeconds * fps));
  let frameNo = Math.round(startSeconds * fps);

  let decodeErr = "";
  let encodeErr = "";
  const decoder = spawn(
    "ffmpeg",
    [
      ...["-v", "error", "-nostdin", ...source.inputOptions],
      ...seekTo(startSeconds),
      ...["-i", source.input],
      ...["-map", "0:v:0", "-vf", `fps=${fps}`, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  decoder.stderr.on("data", (d: Buffer) => (decodeErr += d.toString()));
  const audio = format.audio
    ? [...source.inputOptions, ...seekTo(startSeconds), "-i", source.input]
    : [];
  const encoder = spawn(
    "ffmpeg",
    [
      ...["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"],
      ...["-s", `${width}x${height}`, "-framerate", String(fps), "-i", "pipe:0", ...audio],
      ...["-map", "0:v:0", ...(format.audio ? ["-map", "1:a:0", "-c:a", "aac"] : [])],
      ...[
        "-c:v",
        "libx264",
        "-preset",
        settings.preset,
        "-pix_fmt",
        "yuv420p",
        "-sc_threshold",
        "0",
      ],
      ...["-force_key_frames", `expr:gte(t,n_forced*${SEGMENT_SECONDS})`],
      ...["-output_ts_offset", startSeconds.toFixed(3)],
      ...["-f", "hls", "-hls_time", String(SEGMENT_SECONDS), "-hls_playlist_type", "vod"],
      ...["-hls_key_info_file", job.keyInfoFile],
      ...["-start_number", String(start), "-hls_segment_filename", join(dir, "seg-%05d.ts")],
      join(dir, `part-${String(start).padStart(5, "0")}.m3u8`),
    ],
    { stdio: ["pipe", "ignore", "pipe"] },
  );
  encoder.stderr.on("data", (d: Buffer) => (encodeErr += d.toString()));
  const decoded = exited(decoder, "ffmpeg decoding the footage", () => decodeErr);
  const encoded = exited(encoder, "ffmpeg encoding the rendition", () => encodeErr);
  // a failure of either ends both
  decoded.catch(() => encoder.kill("SIGKILL"));
  encoded.catch(() => decoder.kill("SIGKILL"));

  const stride = Math.max(1, Math.round(fps * settings.detectSeconds));
  const tracks = new FaceTracks(
    settings.holdDetections,
    Math.max(1, settings.faceSpeed * (stride / fps)),
  );
  const zones = job.zones ?? NO_ZONES;
  // "blur the background": every pixel outside the zones, face or not
  const background = backgroundToBlur(zones, width, height);
  let waiting: Buffer[] = [];
  const write = async (frame: Buffer, boxes: readonly Box[]) => {
    blurBackground(frame, width, background);
    const widened = facesToBlur(boxes, zones, width, height).map((b) =>
      expand(b, settings.margin, width, height),
    );
    for (const box of widened) pixelateBlur(frame, width, box);
    job.blurred?.(frameNo, widened);
    frameNo++;
    // the frame's memory is used again once the pipe has taken it
    if (!encoder.stdin.write(frame, () => spare.push(frame))) {
      await new Promise<void>((resolve, reject) => {
        const stopped = () => reject(new Error("the encoder stopped"));
        encoder.once("close", stopped);
        encoder.stdin.once("drain", () => {
          encoder.off("close", stopped);
          resolve();
        });
      });
    }
  };
  /** Detects on `frame`, then writes the frames that waited for it and it. */
  const detectAndFlush = async (frame: Buffer) => {
    const found = await detector.detect(frame, width, height);
    const interval = tracks.advance(found);
    const n = waiting.length + 1;
    for (const [i, before] of waiting.entries()) await write(before, interval.boxesAt((i + 1) / n));
    waiting = [];
    await write(frame, tracks.current());
    job.progress?.(Math.min(1, frameNo / totalFrames));
  };

  // each frame is filled in place from the pipe's chunks (concatenating them costs more than the
  // blur), in memory a frame written to the encoder gave back (a new 2.7 MB buffer a frame cost
  // more in allocation and collection than the blur, bench:anonymise's profile)
  const spare: Buffer[] = [];
  const fresh = () => spare.pop() ?? Buffer.allocUnsafe(frameBytes);
  let frame = fresh();
  let filled = 0;
  let seen = 0;
  try {
    for await (const chunk of decoder.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = chunk.copy(frame, filled, offset, offset + frameBytes - filled);
        offset += n;
        filled += n;
        if (filled < frameBytes) break;
        const whole = frame;
        frame = fresh();
        filled = 0;
        if (seen % stride === 0) await detectAndFlush(whole);
        else waiting.push(whole);
        seen++;
      }
    }
    const last = waiting.pop();
    if (last) await detectAndFlush(last);
    encoder.stdin.end();
    await Promise.all([decoded, encoded]);
  } catch (error) {
    decoder.kill("SIGKILL");
    encoder.kill("SIGKILL");
    await Promise.allSettled([decoded, encoded]);
    throw error;
  }
  await writeFile(join(dir, RENDITION_PLAYLIST), await joinedPlaylist(dir));
  job.progress?.(1);
}

/** The rendition's playlist, from the parts each run's muxer wrote (a later part wins). */
async function joinedPlaylist(dir: string): Promise<string> {
  const files = (await readdir(dir)).sort();
  const durations = new Map<string, number>();
  // every run encrypts with the copy's one key and IV: the parts name the same key line
  let keyLine: string | undefined;
  for (const file of files.filter((f) => /^part-\d{5}\.m3u8$/.test(f))) {
    const lines = (await readFile(join(dir, file), "utf8")).split("\n");
    keyLine ??= lines.find((line) => line.startsWith("#EXT-X-KEY:"));
    for (const [i, line] of lines.entries()) {
      const match = /^#EXTINF:([\d.]+),/.exec(line);
      const name = lines[i + 1]?.trim();
      if (match && name && SEGMENT_FILE.test(name)) durations.set(name, Number(match[1]));
    }
  }
  const segments = files.filter((f) => SEGMENT_FILE.test(f));
  const out = [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    `#EXT-X-TARGETDURATION:${Math.ceil(Math.max(SEGMENT_SECONDS, ...durations.values()))}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    ...(keyLine === undefined ? [] : [keyLine]),
  ];
  for (const name of segments) {
    out.push(`#EXTINF:${(durations.get(name) ?? SEGMENT_SECONDS).toFixed(6)},`, name);
  }
  out.push("#EXT-X-ENDLIST", "");
  return out.join("\n");
}

/** Removes a rendition (its footage was deleted, or it is made again). */
export function removeRendition(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
