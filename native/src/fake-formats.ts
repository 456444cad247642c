/**
 * What a fake camera offers, as vivid's webcam input does: its capabilities,
 * formats (discrete webcam sizes and a stepwise one), frame intervals, and the
 * nearest size or interval S_FMT / S_PARM settle on.
 */
import { fpsOf } from "./names.js";
import type {
  CapabilityName,
  Format,
  FormatInfo,
  Fraction,
  FrameInterval,
  FrameSize,
} from "./types.js";

export const CAP_BITS: Record<CapabilityName, number> = {
  "video-capture": 0x1,
  "video-output": 0x2,
  "video-overlay": 0x4,
  "vbi-capture": 0x10,
  "vbi-output": 0x20,
  "sliced-vbi-capture": 0x40,
  "sliced-vbi-output": 0x80,
  "rds-capture": 0x100,
  "video-output-overlay": 0x200,
  "hw-freq-seek": 0x400,
  "rds-output": 0x800,
  "video-capture-mplane": 0x1000,
  "video-output-mplane": 0x2000,
  "video-m2m-mplane": 0x4000,
  "video-m2m": 0x8000,
  tuner: 0x10000,
  audio: 0x20000,
  radio: 0x40000,
  modulator: 0x80000,
  "sdr-capture": 0x100000,
  "ext-pix-format": 0x200000,
  "sdr-output": 0x400000,
  "meta-capture": 0x800000,
  readwrite: 0x1000000,
  edid: 0x2000000,
  streaming: 0x4000000,
  "meta-output": 0x8000000,
  touch: 0x10000000,
  "io-mc": 0x20000000,
  "device-caps": 0x80000000,
};

export interface FakeFormat {
  info: FormatInfo;
  /** Bytes per pixel for raw formats; 0 for compressed. */
  bytesPerPixel: number;
  sizes: FrameSize;
}

export const WEBCAM_SIZES: Array<[number, number]> = [
  [320, 180],
  [640, 360],
  [640, 480],
  [1280, 720],
  [1920, 1080],
];

export const STEPWISE: FrameSize = {
  type: "stepwise",
  minWidth: 16,
  maxWidth: 1920,
  stepWidth: 2,
  minHeight: 16,
  maxHeight: 1080,
  stepHeight: 2,
};

/** Marks the discrete list; each format's real list is WEBCAM_SIZES. */
export const DISCRETE: FrameSize = { type: "discrete", width: 0, height: 0 };

export const FORMATS: FakeFormat[] = [
  {
    info: { fourcc: "YUYV", description: "YUYV 4:2:2", compressed: false, emulated: false },
    bytesPerPixel: 2,
    sizes: DISCRETE,
  },
  {
    info: { fourcc: "RGB3", description: "24-bit RGB 8-8-8", compressed: false, emulated: false },
    bytesPerPixel: 3,
    sizes: STEPWISE,
  },
  {
    info: { fourcc: "MJPG", description: "Motion-JPEG", compressed: true, emulated: false },
    bytesPerPixel: 0,
    sizes: DISCRETE,
  },
];

export function webcamIntervals(width: number, height: number): Fraction[] {
  const pixels = width * height;
  const rates = pixels <= 640 * 480 ? [30, 25, 15, 5] : pixels <= 1280 * 720 ? [30, 15] : [15, 5];
  return rates.map((fps) => ({ numerator: 1, denominator: fps }));
}

/** The format a fake camera is set to. */
export interface FakeSetting {
  fakeFormat: FakeFormat;
  width: number;
  height: number;
}

export function sizesOf(format: FakeFormat): FrameSize[] {
  if (format.sizes.type !== "discrete") return [{ ...format.sizes }];
  return WEBCAM_SIZES.map(([width, height]) => ({ type: "discrete", width, height }));
}

export function intervalsOf(format: FakeFormat, width: number, height: number): FrameInterval[] {
  if (format.sizes.type !== "discrete") {
    return [
      {
        type: "continuous",
        min: { numerator: 1, denominator: 60 },
        max: { numerator: 1, denominator: 1 },
        step: { numerator: 1, denominator: 1 },
        maxFps: 60,
        minFps: 1,
      },
    ];
  }
  return webcamIntervals(width, height).map((interval) => ({
    type: "discrete",
    ...interval,
    fps: fpsOf(interval),
  }));
}

export function formatOf(state: { format: FakeSetting }): Format {
  const { fakeFormat, width, height } = state.format;
  const bytesPerLine = width * fakeFormat.bytesPerPixel;
  return {
    width,
    height,
    fourcc: fakeFormat.info.fourcc,
    bytesPerLine,
    sizeImage:
      fakeFormat.bytesPerPixel === 0 ? Math.ceil((width * height) / 2) : bytesPerLine * height,
    field: "none",
    colorspace: fakeFormat.info.compressed ? 7 : 8,
  };
}

/** The discrete size nearest to the one asked for, as vivid's webcam input picks it. */
export function nearestSize(width: number, height: number): [number, number] {
  let best = WEBCAM_SIZES[0] ?? [640, 480];
  let bestDistance = Infinity;
  for (const size of WEBCAM_SIZES) {
    const distance = Math.abs(size[0] - width) + Math.abs(size[1] - height);
    if (distance < bestDistance) {
      best = size;
      bestDistance = distance;
    }
  }
  return best;
}

/** The interval nearest to `wanted` that the current size allows. */
export function nearestInterval(state: { format: FakeSetting }, wanted: Fraction): Fraction {
  const { fakeFormat, width, height } = state.format;
  const wantedFps = fpsOf(wanted);
  if (fakeFormat.sizes.type !== "discrete") {
    const fps = Math.min(60, Math.max(1, Math.round(wantedFps)));
    return { numerator: 1, denominator: fps };
  }
  const choices = webcamIntervals(width, height);
  let best = choices[0] ?? { numerator: 1, denominator: 30 };
  for (const choice of choices) {
    if (Math.abs(fpsOf(choice) - wantedFps) < Math.abs(fpsOf(best) - wantedFps)) best = choice;
  }
  return best;
}
