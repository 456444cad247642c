/**
 * The capture's command line: the checks a capture's options must pass before
 * ffmpeg is started, the privacy masks as drawbox filters, and every ffmpeg
 * argument after the inputs (mapping, filters, encoders, the HLS muxer).
 * Pure functions, apart from the look into the recording folder.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type ffmpeg from "fluent-ffmpeg";
import type { Logger } from "pino";
import {
  MAX_RECORDED_SEGMENT_SECONDS,
  privacyMaskProblem,
  type ContentKey,
  type PrivacyMask,
} from "@classcam/protocol";
import type { DeviceSettings } from "../config.js";
import type { Camera, Microphone } from "../hw/types.js";
import type { EncoderChoice } from "./encoder.js";
import type { ClosedSegment } from "./segments.js";

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
  /**
   * Encrypt the segments (HLS AES-128) with this key; its files go in a folder under
   * `runtimeDir` (RAM, outside `dataDir`) while the capture runs. Absent: in the clear.
   */
  encryption?: { content: ContentKey; runtimeDir: string; dataDir: string };
  /** Called in order, once per closed segment, after it is fsynced. A rejection is logged. */
  onSegment: (segment: ClosedSegment) => Promise<void>;
}

export function checkOptions(options: CaptureOptions): void {
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
    const problem = privacyMaskProblem(mask);
    if (problem !== null) throw new Error(`privacy mask ${index + 1}: ${problem}`);
  });
}

export async function checkEmptyFolder(dir: string): Promise<void> {
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

/**
 * Everything after the inputs: mapping, filters, encoders, and the HLS muxer
 * (encrypting each segment with AES-128 when `keyInfoFile` is given).
 */
export function outputArguments(options: CaptureOptions, keyInfoFile?: string): string[] {
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
    [
      "temp_file",
      // a copied camera stream starts segments wherever the camera put its keyframes
      ...(encoder.name === "copy" ? [] : ["independent_segments"]),
      // the key info is read again at each segment, which gives each its own IV (segment-iv.ts)
      ...(keyInfoFile === undefined ? [] : ["periodic_rekey"]),
    ].join("+"),
    "-start_number",
    "1",
    "-hls_segment_filename",
    join(dir, "seg-%05d.ts"),
  );
  if (keyInfoFile !== undefined) args.push("-hls_key_info_file", keyInfoFile);
  return args;
}

/**
 * fluent-ffmpeg splits a lone option at its one space; several options given
 * as separate arguments are passed as they are.
 */
export function addInputOptions(command: ffmpeg.FfmpegCommand, options: string[]): void {
  if (options.length === 0) return;
  if (options.length === 1 && options[0]?.includes(" ")) {
    throw new Error(`an ffmpeg input option must not hold a space: '${options[0]}'`);
  }
  command.inputOptions(...options);
}
