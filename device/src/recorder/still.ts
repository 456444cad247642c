/**
 * A picture of the room from one self-test frame, for whoever draws the
 * room's privacy masks: the masks already set are burned in as they are into
 * recordings, and the JPEG is made small enough for the self-test's answer
 * (`MAX_PICTURE_BYTES`), smaller and coarser until it fits. Made in memory
 * through ffmpeg's pipes: nothing is written to the box's disk.
 */
import { spawn } from "node:child_process";
import { MAX_PICTURE_BYTES, type PrivacyMask } from "@classcam/protocol";
import type { CameraFrame } from "../hw/types.js";
import { maskFilters } from "./command-line.js";

export interface RoomPictureOptions {
  masks: readonly PrivacyMask[];
  /** The ffmpeg program. */
  ffmpeg: string;
  /** The largest JPEG to give (default `MAX_PICTURE_BYTES`). */
  maxBytes?: number;
}

/** Tried in turn until the picture fits: widest and finest first (JPEG quality 2 best … 31). */
const ATTEMPTS = [
  { width: 960, quality: 5 },
  { width: 960, quality: 10 },
  { width: 640, quality: 12 },
  { width: 640, quality: 20 },
  { width: 480, quality: 31 },
] as const;

const TIMEOUT_MS = 20_000;

function inputArguments(frame: CameraFrame): string[] {
  switch (frame.format) {
    case "yuyv422":
      return [
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuyv422",
        "-video_size",
        `${frame.width}x${frame.height}`,
      ];
    case "mjpeg":
      return ["-f", "mjpeg"];
    case "h264":
      return ["-f", "h264"];
  }
}

function encode(
  frame: CameraFrame,
  options: RoomPictureOptions,
  attempt: (typeof ATTEMPTS)[number],
): Promise<Buffer> {
  const filters = [
    // H.264 comes from the stream's start: its last frame is the one the self-test took
    ...(frame.format === "h264" ? ["reverse"] : []),
    "format=yuv420p",
    ...maskFilters(options.masks),
    `scale='min(${attempt.width},iw)':-2`,
  ];
  const args = [
    ...["-hide_banner", "-v", "error", "-nostdin"],
    ...inputArguments(frame),
    ...["-i", "pipe:0", "-frames:v", "1", "-vf", filters.join(",")],
    ...["-f", "image2pipe", "-c:v", "mjpeg", "-q:v", String(attempt.quality), "pipe:1"],
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpeg, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const errors: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => errors.push(chunk));
    // ffmpeg may stop reading once it has its one frame
    child.stdin.on("error", () => undefined);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ffmpeg '${options.ffmpeg}': ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const picture = Buffer.concat(out);
      if (code === 0 && picture.length > 0) {
        resolve(picture);
        return;
      }
      const why =
        Buffer.concat(errors).toString().trim().split("\n").at(-1)?.slice(0, 200) ||
        (signal !== null ? `ffmpeg was stopped (${signal})` : `ffmpeg exited with ${code}`);
      reject(new Error(`the camera's frame could not be made into a picture: ${why}`));
    });
    child.stdin.end(frame.data);
  });
}

/** The JPEG of `frame`, masks burned in, at most `maxBytes`; rejects in words when it cannot. */
export async function roomPicture(
  frame: CameraFrame,
  options: RoomPictureOptions,
): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? MAX_PICTURE_BYTES;
  let smallest = Infinity;
  for (const attempt of ATTEMPTS) {
    const picture = await encode(frame, options, attempt);
    if (picture.length <= maxBytes) return picture;
    smallest = Math.min(smallest, picture.length);
  }
  throw new Error(
    `the picture of the room is too detailed to send: ${smallest} bytes at its smallest, ` +
      `more than the ${maxBytes} an answer may carry`,
  );
}
