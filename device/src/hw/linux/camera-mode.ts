/**
 * Which of the camera's modes the recorder asks for: the size and frame rate
 * the settings want, in the best format the camera offers for them — its own
 * H.264 (copied through untouched), then MJPEG, then raw YUYV. A pure
 * function of what the camera said it offers, so it is tested without one.
 */
import type { FrameInterval, FrameSize } from "v4l2-camera";

/** The formats the recorder can read, by ffmpeg's `-input_format` name. */
export type InputFormat = "h264" | "mjpeg" | "yuyv422";

export const FOURCC_OF: Record<InputFormat, string> = {
  h264: "H264",
  mjpeg: "MJPG",
  yuyv422: "YUYV",
};

/** Best first: no re-encoding, then cheap decoding, then the most bytes per frame. */
export const FORMAT_PREFERENCE: readonly InputFormat[] = ["h264", "mjpeg", "yuyv422"];

/** What the camera offers in one format: its frame sizes, and the frame rates of a size. */
export interface FormatOffer {
  format: InputFormat;
  sizes: FrameSize[];
  /** The frame rates at one size (asked only for sizes the mode chooser considers). */
  intervals(width: number, height: number): Promise<FrameInterval[]>;
}

export interface Wanted {
  inputFormat: InputFormat | "auto";
  width: number;
  height: number;
  fps: number;
}

export interface CameraMode {
  format: InputFormat;
  width: number;
  height: number;
  fps: number;
  /** How it differs from what the settings asked, in words for the log; empty when it does not. */
  compromise: string;
}

function offersSize(size: FrameSize, width: number, height: number): boolean {
  if (size.type === "discrete") return size.width === width && size.height === height;
  return (
    width >= size.minWidth &&
    width <= size.maxWidth &&
    height >= size.minHeight &&
    height <= size.maxHeight &&
    (width - size.minWidth) % Math.max(1, size.stepWidth) === 0 &&
    (height - size.minHeight) % Math.max(1, size.stepHeight) === 0
  );
}

/** The sizes a format offers as discrete candidates (stepwise ones clamped to the wanted size). */
function candidateSizes(
  sizes: FrameSize[],
  width: number,
  height: number,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const size of sizes) {
    if (size.type === "discrete") {
      out.push([size.width, size.height]);
      continue;
    }
    const clamp = (value: number, min: number, max: number, step: number) => {
      const within = Math.min(Math.max(value, min), max);
      return within - ((within - min) % Math.max(1, step));
    };
    out.push([
      clamp(width, size.minWidth, size.maxWidth, size.stepWidth),
      clamp(height, size.minHeight, size.maxHeight, size.stepHeight),
    ]);
  }
  return out;
}

/** The rates the camera can run at among `intervals`, for `fps` wanted: exact, or the nearest below, or the lowest above. */
function bestFps(intervals: FrameInterval[], fps: number): number | null {
  const rates: number[] = [];
  for (const interval of intervals) {
    if (interval.type === "discrete") {
      rates.push(interval.fps);
    } else if (fps >= interval.minFps - 1e-6 && fps <= interval.maxFps + 1e-6) {
      return fps;
    } else {
      rates.push(interval.minFps, interval.maxFps);
    }
  }
  if (rates.length === 0) return null;
  if (rates.some((rate) => Math.abs(rate - fps) < 0.01)) return fps;
  const below = rates.filter((rate) => rate < fps).sort((a, b) => b - a);
  const above = rates.filter((rate) => rate > fps).sort((a, b) => a - b);
  return below[0] ?? above[0] ?? null;
}

/**
 * Picks the mode: exact size and rate in the best format first; then the exact
 * size at the nearest rate; then the largest size that fits inside the wanted
 * one (or the smallest the camera has). Null when the camera offers none of
 * the formats allowed.
 */
export async function chooseCameraMode(
  offers: readonly FormatOffer[],
  wanted: Wanted,
): Promise<CameraMode | null> {
  const allowed = wanted.inputFormat === "auto" ? FORMAT_PREFERENCE : [wanted.inputFormat];
  const usable = allowed
    .map((format) => offers.find((offer) => offer.format === format))
    .filter((offer): offer is FormatOffer => offer !== undefined && offer.sizes.length > 0);
  if (usable.length === 0) return null;
  const { width, height, fps } = wanted;

  const exactSize = usable.filter((offer) => offer.sizes.some((s) => offersSize(s, width, height)));
  const rates = new Map<FormatOffer, number | null>();
  for (const offer of exactSize) {
    rates.set(offer, bestFps(await offer.intervals(width, height), fps));
  }
  const exact = exactSize.find((offer) => rates.get(offer) === fps);
  if (exact !== undefined) return { format: exact.format, width, height, fps, compromise: "" };
  const nearRate = exactSize.find((offer) => rates.get(offer) != null);
  if (nearRate !== undefined) {
    const rate = rates.get(nearRate) ?? fps;
    return {
      format: nearRate.format,
      width,
      height,
      fps: rate,
      compromise: `the camera cannot give ${fps} fps at ${width}x${height}; ${rate} fps instead`,
    };
  }

  for (const offer of usable) {
    const sizes = candidateSizes(offer.sizes, width, height);
    const inside = sizes
      .filter(([w, h]) => w <= width && h <= height)
      .sort((a, b) => b[0] * b[1] - a[0] * a[1]);
    const smallest = [...sizes].sort((a, b) => a[0] * a[1] - b[0] * b[1]);
    const size = inside[0] ?? smallest[0];
    if (size === undefined) continue;
    const [w, h] = size;
    const rate = bestFps(await offer.intervals(w, h), fps);
    if (rate === null) continue;
    return {
      format: offer.format,
      width: w,
      height: h,
      fps: rate,
      compromise: `the camera cannot give ${width}x${height} in ${allowed.join(", ")}; ${w}x${h} at ${rate} fps instead`,
    };
  }
  return null;
}
