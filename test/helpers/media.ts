/**
 * Looking at recorded footage with the real ffprobe and ffmpeg, and at
 * processes through /proc.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  /** Frames decoded (ffprobe -count_frames decodes the whole file). */
  nb_read_frames?: string;
}

export interface Probe {
  streams: ProbedStream[];
  durationSeconds: number;
  /** What ffprobe complained about while decoding; empty for a clean file. */
  errors: string;
}

function run(
  program: string,
  args: string[],
): Promise<{ stdout: Buffer; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { encoding: "buffer", maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        if (error !== null && typeof error.code !== "number") {
          reject(new Error(`${program} could not run: ${error.message}`));
          return;
        }
        resolve({ stdout, stderr: stderr.toString(), code });
      },
    );
  });
}

/**
 * Decodes every frame of every stream of `file` and says what is in it; read
 * as `format` when given (an ffmpeg demuxer name), else as ffprobe guesses.
 */
export async function probe(file: string, format?: string): Promise<Probe> {
  const { stdout, stderr, code } = await run("ffprobe", [
    "-v",
    "error",
    "-count_frames",
    "-show_entries",
    "stream=codec_type,codec_name,nb_read_frames:format=duration",
    "-of",
    "json",
    ...(format === undefined ? [] : ["-f", format]),
    file,
  ]);
  if (code !== 0) throw new Error(`ffprobe ${file} failed (${code}): ${stderr}`);
  const parsed = JSON.parse(stdout.toString()) as {
    streams?: ProbedStream[];
    format?: { duration?: string };
  };
  return {
    streams: parsed.streams ?? [],
    durationSeconds: Number(parsed.format?.duration ?? "NaN"),
    errors: stderr.trim(),
  };
}

/** The first video frame of `file` as 8-bit luma, one byte per pixel, row by row. */
export async function grayFrame(file: string): Promise<Buffer> {
  const { stdout, stderr, code } = await run("ffmpeg", [
    "-v",
    "error",
    "-i",
    file,
    "-frames:v",
    "1",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "gray",
    "-",
  ]);
  if (code !== 0) throw new Error(`ffmpeg could not decode a frame of ${file}: ${stderr}`);
  return stdout;
}

export interface Rectangle {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Brightest and mean luma of the pixels inside (`inside: true`) or outside a rectangle. */
export function luma(
  frame: Buffer,
  width: number,
  rectangle: Rectangle,
  inside: boolean,
): { max: number; mean: number; count: number } {
  let max = 0;
  let sum = 0;
  let count = 0;
  const height = Math.floor(frame.length / width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const within =
        x >= rectangle.left && x < rectangle.right && y >= rectangle.top && y < rectangle.bottom;
      if (within !== inside) continue;
      const value = frame[y * width + x] ?? 0;
      max = Math.max(max, value);
      sum += value;
      count += 1;
    }
  }
  return { max, mean: count === 0 ? 0 : sum / count, count };
}

export async function sha256File(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

/** Whether the process is still running (a zombie counts as gone). */
export async function processRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The process's arguments, from /proc (empty when it is gone). */
export async function commandLine(pid: number): Promise<string[]> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`);
    return raw
      .toString()
      .split("\0")
      .filter((arg) => arg !== "");
  } catch {
    return [];
  }
}

/** A segment as a device's buffer index lists it (and as an upload manifest names it). */
export interface ListedSegment {
  seq: number;
  name: string;
  durationSeconds: number;
  bytes: number;
  sha256: string;
}

/** The segments an HLS playlist in `dir` lists, with their sizes and SHA-256. */
export function listSegments(dir: string, playlist = "index.m3u8"): ListedSegment[] {
  const lines = readFileSync(join(dir, playlist), "utf8").split("\n");
  const segments: ListedSegment[] = [];
  for (const [i, line] of lines.entries()) {
    const duration = /^#EXTINF:([\d.]+),/.exec(line)?.[1];
    const name = lines[i + 1]?.trim();
    if (duration === undefined || name === undefined) continue;
    const bytes = readFileSync(join(dir, name));
    segments.push({
      seq: Number(/(\d+)\.ts$/.exec(name)?.[1]),
      name,
      durationSeconds: Number(duration),
      bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  return segments;
}
