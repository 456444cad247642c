/**
 * Cutting a clip out of a recording's footage with ffmpeg's stream copy (no
 * re-encode): the clip starts on the last keyframe at or before the asked
 * start and ends on the first keyframe at or after the asked end (or the end
 * of the recording), so it holds whole groups of pictures that play on their
 * own. The footage is read only through `openFootage()` (footage-source.ts);
 * the clip is written as its own HLS in its own folder, and ffprobe then says
 * how long it really is, so the points can be reported as they came out.
 */
import { execFile } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { DomainError } from "./errors.js";
import { PLAYLIST } from "./footage-facts.js";
import type { FootageSource } from "./footage-source.js";

/** Where the clip came out, in seconds from the start of the recording. */
export interface CutClip {
  startSeconds: number;
  endSeconds: number;
  /** The clip's segments, in order, and their bytes in all. */
  segments: number;
  bytes: number;
}

/** How far after the asked end a keyframe is looked for; none within it, the clip ends where asked. */
const END_WINDOW_SECONDS = 10;

interface Run {
  stdout: string;
  stderr: string;
}

function run(program: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const last = stderr.trim().split("\n").slice(-3).join(" / ");
          reject(new Error(`${program} failed: ${last || error.message}`));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** The footage's first timestamp (ffmpeg's -ss counts from it; ffprobe's intervals do not). */
async function startTime(source: FootageSource): Promise<number> {
  const { stdout } = await run("ffprobe", [
    ...["-v", "error", ...source.inputOptions],
    ...["-show_entries", "format=start_time", "-of", "csv=p=0", source.input],
  ]);
  const start = Number(stdout.trim());
  return Number.isFinite(start) ? start : 0;
}

/**
 * Where the cut can start and end, from the footage's own clock `origin`:
 * seeking in HLS lands on the start of the segment holding the point (every
 * segment starts on a keyframe), so the clip starts there; it ends on the
 * first keyframe at or after the asked end, or where asked when none is
 * near (the recording's end, or a long group of pictures). One ffprobe
 * reads the first packet at the start and the packets near the end.
 */
async function keyframePoints(
  source: FootageSource,
  origin: number,
  inSeconds: number,
  outSeconds: number,
): Promise<{ start: number; end: number; stopAt: number }> {
  const at = (seconds: number) => (origin + seconds).toFixed(3);
  const { stdout } = await run("ffprobe", [
    ...["-v", "error", ...source.inputOptions],
    "-read_intervals",
    `${at(inSeconds)}%+#1,${at(outSeconds)}%${at(outSeconds + END_WINDOW_SECONDS)}`,
    ...[
      "-select_streams",
      "v:0",
      "-show_entries",
      "packet=pts_time,dts_time,flags",
      "-of",
      "csv=p=0",
    ],
    source.input,
  ]);
  const packets = stdout
    .split("\n")
    .map((line) => line.trim().split(","))
    .filter(([pts]) => pts !== undefined && pts !== "" && Number.isFinite(Number(pts)))
    .map(([pts, dts, flags]) => ({
      time: Number(pts) - origin,
      decodeTime: Number(dts) - origin,
      key: (flags ?? "").startsWith("K"),
    }));
  const [first, ...rest] = packets;
  const start = first === undefined ? 0 : Math.max(0, Math.min(first.time, inSeconds));
  const next = rest.find((p) => p.key && p.time >= outSeconds - 0.001);
  // copying stops at the first packet decoded at or after `stopAt`: the keyframe's own
  if (next === undefined || !Number.isFinite(next.decodeTime)) {
    return { start, end: outSeconds, stopAt: outSeconds };
  }
  return { start, end: next.time, stopAt: next.decodeTime - 0.001 };
}

/** Seconds of footage in an HLS playlist (its segments' durations). */
function playlistSeconds(text: string): { seconds: number; segments: string[] } {
  let seconds = 0;
  const segments: string[] = [];
  for (const line of text.split("\n")) {
    const extinf = /^#EXTINF:([0-9.]+)/.exec(line);
    if (extinf?.[1] !== undefined) seconds += Number(extinf[1]);
    else if (line.trim() !== "" && !line.startsWith("#")) segments.push(line.trim());
  }
  return { seconds, segments };
}

/**
 * Cuts `[inSeconds, outSeconds]` of the footage into `folder` (which must be
 * empty or absent) as HLS: `index.m3u8` and its segments. `lengthSeconds` is
 * the recording's length. Stream copy only: the video is never re-encoded.
 */
export async function cutOnKeyframes(
  source: FootageSource,
  folder: string,
  inSeconds: number,
  outSeconds: number,
  lengthSeconds: number,
): Promise<CutClip> {
  const origin = await startTime(source);
  const { start, stopAt } = await keyframePoints(source, origin, inSeconds, outSeconds);
  await run("ffmpeg", [
    ...["-v", "error", "-nostdin", ...source.inputOptions],
    ...["-ss", inSeconds.toFixed(3), "-i", source.input],
    ...["-t", (stopAt - inSeconds).toFixed(3)],
    ...["-map", "0:v:0", "-map", "0:a?", "-c", "copy"],
    ...["-f", "hls", "-hls_time", "2", "-hls_list_size", "0", "-hls_playlist_type", "vod"],
    ...["-hls_segment_filename", join(folder, "seg-%05d.ts"), join(folder, PLAYLIST)],
  ]);
  const playlist = playlistSeconds(await readFile(join(folder, PLAYLIST), "utf8"));
  if (playlist.segments.length === 0 || playlist.seconds <= 0) {
    throw new DomainError("invalid", "the clip came out empty: choose a longer part");
  }
  let bytes = 0;
  const names = new Set(await readdir(folder));
  for (const name of playlist.segments) {
    if (!names.has(name)) throw new Error(`ffmpeg listed '${name}' but did not write it`);
    bytes += (await stat(join(folder, name))).size;
  }
  const endSeconds = Math.min(
    lengthSeconds,
    start + (await probedSeconds(folder, playlist.seconds)),
  );
  return { startSeconds: start, endSeconds, segments: playlist.segments.length, bytes };
}

/** The clip's length as ffprobe reads it (the playlist's sum when ffprobe gives none). */
async function probedSeconds(folder: string, listed: number): Promise<number> {
  const { stdout } = await run("ffprobe", [
    ...["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"],
    join(folder, PLAYLIST),
  ]);
  const seconds = Number(stdout.trim());
  return Number.isFinite(seconds) && seconds > 0 ? seconds : listed;
}
