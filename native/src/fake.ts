/**
 * A FAKE binding: cameras that live in memory and behave like the kernel's
 * `vivid` test driver as far as v4l2-camera can tell — discrete and stepwise
 * sizes, frame intervals, controls of every scalar type with menus, S_FMT
 * that substitutes a format it lacks, integers clamped into range, streaming
 * with sequence numbers and monotonic timestamps. It can drop frames, mark
 * a buffer broken and be unplugged mid-stream. For tests and for the device
 * daemon's simulated box; never for a real classroom.
 */
import { V4l2Error } from "./errors.js";
import { controlKey, fpsOf } from "./names.js";
import type {
  BindingDevice,
  BindingFrame,
  BindingStreamSink,
  BindingStreamStart,
  CameraBinding,
  CapabilityName,
  ControlFlag,
  ControlInfo,
  ControlType,
  ControlValue,
  DeviceInfo,
  Format,
  FormatInfo,
  Fraction,
  FrameInterval,
  FrameRate,
  FrameSize,
  MenuItem,
} from "./types.js";

/** One fake camera. Only `path` is needed. */
export interface FakeCamera {
  path: string;
  driver?: string;
  card?: string;
  busInfo?: string;
  /** What the node can do (default: a capture node). */
  capabilities?: CapabilityName[];
  /** Milliseconds between frames while streaming (default: the frame rate's interval). */
  frameIntervalMs?: number;
  /** Sequence numbers the fake driver loses (they never arrive: a gap). */
  dropSequences?: number[];
  /** Sequence numbers that arrive marked broken (V4L2_BUF_FLAG_ERROR). */
  errorSequences?: number[];
  /** Unplug the camera once this many frames have been delivered. */
  unplugAfterFrames?: number;
}

export interface FakeBindingOptions {
  /** The cameras (default: one at `/dev/video0`). */
  devices?: FakeCamera[];
  /** Paths that open but are not V4L2 nodes: QUERYCAP fails with ENOTTY (default: `/dev/null`). */
  notV4l2?: string[];
}

export interface FakeBinding extends CameraBinding {
  /** Pulls the camera out: its node vanishes, open handles fail with ENODEV, a running stream errors. */
  unplug(path: string): void;
  /** Handles open now (to check that everything gets closed). */
  readonly openHandles: number;
}

const CAP_BITS: Record<CapabilityName, number> = {
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

interface FakeFormat {
  info: FormatInfo;
  /** Bytes per pixel for raw formats; 0 for compressed. */
  bytesPerPixel: number;
  sizes: FrameSize;
}

const WEBCAM_SIZES: Array<[number, number]> = [
  [320, 180],
  [640, 360],
  [640, 480],
  [1280, 720],
  [1920, 1080],
];

const STEPWISE: FrameSize = {
  type: "stepwise",
  minWidth: 16,
  maxWidth: 1920,
  stepWidth: 2,
  minHeight: 16,
  maxHeight: 1080,
  stepHeight: 2,
};

/** Marks the discrete list; each format's real list is WEBCAM_SIZES. */
const DISCRETE: FrameSize = { type: "discrete", width: 0, height: 0 };

const FORMATS: FakeFormat[] = [
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

function webcamIntervals(width: number, height: number): Fraction[] {
  const pixels = width * height;
  const rates = pixels <= 640 * 480 ? [30, 25, 15, 5] : pixels <= 1280 * 720 ? [30, 15] : [15, 5];
  return rates.map((fps) => ({ numerator: 1, denominator: fps }));
}

interface FakeControl {
  id: number;
  name: string;
  type: ControlType;
  typeCode: number;
  min: number;
  max: number;
  step: number;
  default: ControlValue;
  flags: ControlFlag[];
  menu?: MenuItem[];
}

const TYPE_CODES: Partial<Record<ControlType, number>> = {
  integer: 1,
  boolean: 2,
  menu: 3,
  button: 4,
  integer64: 5,
  string: 7,
  bitmask: 8,
  "integer-menu": 9,
};

function control(
  id: number,
  name: string,
  type: ControlType,
  range: { min: number; max: number; step?: number; default: ControlValue },
  flags: ControlFlag[] = [],
  menu?: MenuItem[],
): FakeControl {
  const made: FakeControl = {
    id,
    name,
    type,
    typeCode: TYPE_CODES[type] ?? 0,
    min: range.min,
    max: range.max,
    step: range.step ?? 1,
    default: range.default,
    flags,
  };
  if (menu !== undefined) made.menu = menu;
  return made;
}

/** A class header (skipped by listings) — kept to show the fake skips it too. */
const CLASS_HEADERS = new Set([0x00980001, 0x009a0001]);
const AUTO_WHITE_BALANCE = 0x0098090c;
const WHITE_BALANCE_TEMPERATURE = 0x0098091a;

function vividControls(): FakeControl[] {
  return [
    control(0x00980900, "Brightness", "integer", { min: 0, max: 255, default: 128 }, ["slider"]),
    control(0x00980901, "Contrast", "integer", { min: 0, max: 255, default: 128 }, ["slider"]),
    control(0x00980902, "Saturation", "integer", { min: 0, max: 255, default: 128 }, ["slider"]),
    control(0x00980903, "Hue", "integer", { min: -128, max: 127, default: 0 }, ["slider"]),
    control(
      AUTO_WHITE_BALANCE,
      "White Balance, Automatic",
      "boolean",
      { min: 0, max: 1, default: 1 },
      ["update"],
    ),
    control(0x00980913, "Gain", "integer", { min: 0, max: 255, default: 100 }, ["volatile"]),
    control(
      0x00980918,
      "Power Line Frequency",
      "menu",
      { min: 0, max: 3, default: 1 },
      [],
      [
        { index: 0, name: "Disabled" },
        { index: 1, name: "50 Hz" },
        { index: 2, name: "60 Hz" },
        { index: 3, name: "Auto" },
      ],
    ),
    control(
      WHITE_BALANCE_TEMPERATURE,
      "White Balance Temperature",
      "integer",
      { min: 2800, max: 6500, step: 10, default: 4600 },
      ["inactive"],
    ),
    control(0x0098f000, "Button", "button", { min: 0, max: 0, step: 0, default: 0 }, [
      "write-only",
      "execute-on-write",
    ]),
    control(0x0098f001, "Boolean", "boolean", { min: 0, max: 1, default: 1 }),
    control(0x0098f002, "Integer 32 Bits", "integer", {
      min: -0x80000000,
      max: 0x7fffffff,
      default: 0,
    }),
    control(0x0098f003, "Integer 64 Bits", "integer64", {
      min: -(2 ** 63),
      max: 2 ** 63,
      default: 0n,
    }),
    control(
      0x0098f004,
      "Menu",
      "menu",
      { min: 1, max: 4, default: 3 },
      [],
      [
        { index: 1, name: "Menu Item 1" },
        { index: 3, name: "Menu Item 3" },
        { index: 4, name: "Menu Item 4" },
      ],
    ),
    control(0x0098f005, "String", "string", { min: 2, max: 4, default: "  " }, ["has-payload"]),
    control(0x0098f006, "Bitmask", "bitmask", {
      min: 0,
      max: 0x8000250f,
      step: 0,
      default: 0x80002000,
    }),
    control(
      0x0098f007,
      "Integer Menu",
      "integer-menu",
      { min: 1, max: 8, default: 4 },
      [],
      [1, 2, 3, 5, 8, 13, 21, 42]
        .map((value, at) => ({ index: at + 1, value }))
        .filter((item) => item.index !== 2),
    ),
    control(0x0098f008, "Read-Only Integer 32 Bits", "integer", { min: 0, max: 255, default: 0 }, [
      "read-only",
      "volatile",
    ]),
    control(0x0098f009, "Disabled Integer", "integer", { min: 0, max: 1, default: 0 }, [
      "disabled",
    ]),
  ];
}

interface CameraState {
  spec: FakeCamera;
  present: boolean;
  format: { fakeFormat: FakeFormat; width: number; height: number };
  interval: Fraction;
  controls: FakeControl[];
  values: Map<number, ControlValue>;
  /** The handle streaming, if any: one streamer per camera, as with vb2. */
  streamer: FakeHandle | undefined;
  sequence: number;
}

function sizesOf(format: FakeFormat): FrameSize[] {
  if (format.sizes.type !== "discrete") return [{ ...format.sizes }];
  return WEBCAM_SIZES.map(([width, height]) => ({ type: "discrete", width, height }));
}

function intervalsOf(format: FakeFormat, width: number, height: number): FrameInterval[] {
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

function formatOf(state: CameraState): Format {
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
function nearestSize(width: number, height: number): [number, number] {
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

function clampStep(value: number, min: number, max: number, step: number): number {
  const clamped = Math.min(max, Math.max(min, value));
  if (step <= 1) return clamped;
  return min + Math.floor((clamped - min + step / 2) / step) * step;
}

/** The interval nearest to `wanted` that the current size allows. */
function nearestInterval(state: CameraState, wanted: Fraction): Fraction {
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

const BUF_FLAG_ERROR = 0x40;
const BUF_FLAG_TIMESTAMP_MONOTONIC = 0x2000;

class FakeHandle implements BindingDevice {
  readonly #state: CameraState;
  readonly #path: string;
  readonly #onClose: () => void;
  #closed = false;
  #sink: BindingStreamSink | undefined;
  #timer: NodeJS.Timeout | undefined;
  #buffers = 0;
  #paused = false;
  /** Frames the driver filled while nobody took them (at most one per buffer). */
  #held: BindingFrame[] = [];
  #delivered = 0;

  constructor(state: CameraState, onClose: () => void) {
    this.#state = state;
    this.#path = state.spec.path;
    this.#onClose = onClose;
  }

  get streaming(): boolean {
    return this.#sink !== undefined;
  }

  #check(syscall: string): void {
    if (this.#closed) throw V4l2Error.of("EBADF", syscall, this.#path, "bad file descriptor");
    if (!this.#state.present) throw V4l2Error.of("ENODEV", syscall, this.#path, "no such device");
  }

  /** Runs a call as the addon would: asynchronously, failing with the driver's error. */
  #call<T>(syscall: string, work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      setImmediate(() => {
        try {
          this.#check(syscall);
          resolve(work());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  queryCapabilities(): Promise<DeviceInfo> {
    return this.#call("VIDIOC_QUERYCAP", () => {
      const spec = this.#state.spec;
      const names = (
        spec.capabilities ?? ["video-capture", "ext-pix-format", "readwrite", "streaming"]
      )
        .filter((name) => name !== "device-caps")
        .sort((a, b) => CAP_BITS[a] - CAP_BITS[b]);
      const deviceCaps = names.reduce((bits, name) => (bits | CAP_BITS[name]) >>> 0, 0);
      return {
        path: this.#path,
        driver: spec.driver ?? "fake",
        card: spec.card ?? "Fake Camera (vivid-like)",
        busInfo: spec.busInfo ?? `platform:fake-${this.#path.replace(/\D/g, "") || "0"}`,
        kernelVersion: "6.1.0",
        capabilities: names,
        deviceCaps,
        physicalCaps: (deviceCaps | CAP_BITS["video-output"] | CAP_BITS["device-caps"]) >>> 0,
      };
    });
  }

  listFormats(): Promise<FormatInfo[]> {
    return this.#call("VIDIOC_ENUM_FMT", () => FORMATS.map((format) => ({ ...format.info })));
  }

  listFrameSizes(fourcc: string): Promise<FrameSize[]> {
    return this.#call("VIDIOC_ENUM_FRAMESIZES", () => {
      // Like the addon: the kernel's EINVAL at index 0 becomes an empty list.
      const format = FORMATS.find((each) => each.info.fourcc === fourcc);
      return format === undefined ? [] : sizesOf(format);
    });
  }

  listFrameIntervals(fourcc: string, width: number, height: number): Promise<FrameInterval[]> {
    return this.#call("VIDIOC_ENUM_FRAMEINTERVALS", () => {
      const format = FORMATS.find((each) => each.info.fourcc === fourcc);
      const fits =
        format !== undefined &&
        (format.sizes.type === "discrete"
          ? WEBCAM_SIZES.some(([w, h]) => w === width && h === height)
          : width >= format.sizes.minWidth &&
            width <= format.sizes.maxWidth &&
            height >= format.sizes.minHeight &&
            height <= format.sizes.maxHeight);
      return format === undefined || !fits ? [] : intervalsOf(format, width, height);
    });
  }

  getFormat(): Promise<Format> {
    return this.#call("VIDIOC_G_FMT", () => formatOf(this.#state));
  }

  setFormat(width: number, height: number, fourcc: string): Promise<Format> {
    return this.#call("VIDIOC_S_FMT", () => {
      if (this.#state.streamer !== undefined) {
        throw V4l2Error.of("EBUSY", "VIDIOC_S_FMT", this.#path, "device or resource busy");
      }
      // Like vivid: a format it lacks becomes YUYV; sizes snap to what the format offers.
      const fakeFormat = FORMATS.find((each) => each.info.fourcc === fourcc) ?? FORMATS[0];
      if (fakeFormat === undefined) throw new Error("fake has no formats");
      let size: [number, number];
      if (fakeFormat.sizes.type === "discrete") {
        size = nearestSize(width, height);
      } else {
        const sizes = fakeFormat.sizes;
        size = [
          clampStep(width, sizes.minWidth, sizes.maxWidth, sizes.stepWidth),
          clampStep(height, sizes.minHeight, sizes.maxHeight, sizes.stepHeight),
        ];
      }
      this.#state.format = { fakeFormat, width: size[0], height: size[1] };
      this.#state.interval = nearestInterval(this.#state, this.#state.interval);
      return formatOf(this.#state);
    });
  }

  getFrameRate(): Promise<FrameRate> {
    return this.#call("VIDIOC_G_PARM", () => ({
      ...this.#state.interval,
      fps: fpsOf(this.#state.interval),
      settable: true,
    }));
  }

  setFrameRate(numerator: number, denominator: number): Promise<FrameRate> {
    return this.#call("VIDIOC_S_PARM", () => {
      if (this.#state.streamer !== undefined) {
        throw V4l2Error.of("EBUSY", "VIDIOC_S_PARM", this.#path, "device or resource busy");
      }
      this.#state.interval = nearestInterval(this.#state, { numerator, denominator });
      return { ...this.#state.interval, fps: fpsOf(this.#state.interval), settable: true };
    });
  }

  listControls(): Promise<ControlInfo[]> {
    return this.#call("VIDIOC_QUERY_EXT_CTRL", () =>
      this.#state.controls
        .filter((each) => !each.flags.includes("disabled") && !CLASS_HEADERS.has(each.id))
        .map((each) => this.#describe(each)),
    );
  }

  #describe(each: FakeControl): ControlInfo {
    const flags = [...each.flags];
    if (each.id === WHITE_BALANCE_TEMPERATURE && this.#state.values.get(AUTO_WHITE_BALANCE) === 0) {
      flags.splice(flags.indexOf("inactive"), 1);
    }
    const info: ControlInfo = {
      id: each.id,
      name: each.name,
      key: controlKey(each.name),
      type: each.type,
      typeCode: each.typeCode,
      min: each.min,
      max: each.max,
      step: each.step,
      default: typeof each.default === "string" ? 0 : Number(each.default),
      flags,
    };
    if (each.type !== "button" && !flags.includes("write-only")) {
      info.value = this.#state.values.get(each.id) ?? each.default;
    }
    if (each.menu !== undefined) info.menu = each.menu.map((item) => ({ ...item }));
    return info;
  }

  #control(id: number, syscall: string): FakeControl {
    const found = this.#state.controls.find(
      (each) => each.id === id && !each.flags.includes("disabled"),
    );
    if (found === undefined) {
      throw V4l2Error.of("EINVAL", syscall, this.#path, `no control 0x${id.toString(16)}`);
    }
    return found;
  }

  getControl(id: number): Promise<ControlValue> {
    const syscall = "VIDIOC_G_EXT_CTRLS";
    return this.#call(syscall, () => {
      const found = this.#control(id, syscall);
      if (found.type === "button" || found.flags.includes("write-only")) {
        throw V4l2Error.of("EACCES", syscall, this.#path, `${found.name} is write-only`);
      }
      if (found.id === 0x0098f008) return this.#state.sequence & 0xff;
      return this.#state.values.get(found.id) ?? found.default;
    });
  }

  setControl(id: number, value: ControlValue): Promise<void> {
    const syscall = "VIDIOC_S_EXT_CTRLS";
    return this.#call(syscall, () => {
      const found = this.#control(id, syscall);
      const fail = (code: string, detail: string): never => {
        throw V4l2Error.of(code, syscall, this.#path, `${found.name}: ${detail}`);
      };
      if (found.flags.includes("read-only")) fail("EACCES", "read-only");
      const number = (): number =>
        typeof value === "number" ? value : fail("EINVAL", `wants a number, got ${typeof value}`);
      let kept: ControlValue;
      switch (found.type) {
        case "integer":
          kept = clampStep(number(), found.min, found.max, found.step);
          break;
        case "boolean":
          kept = number() === 0 ? 0 : 1;
          break;
        case "menu":
        case "integer-menu": {
          const index = number();
          if (index < found.min || index > found.max) fail("ERANGE", `${index} is out of range`);
          if (!(found.menu ?? []).some((item) => item.index === index)) {
            fail("EINVAL", `menu index ${index} is skipped`);
          }
          kept = index;
          break;
        }
        case "bitmask":
          kept = (number() & found.max) >>> 0;
          break;
        case "button":
          return;
        case "integer64":
          kept = typeof value === "bigint" ? value : fail("EINVAL", "wants a bigint");
          break;
        case "string": {
          const text = typeof value === "string" ? value : fail("EINVAL", "wants a string");
          if (text.length < found.min || text.length > found.max) {
            fail("ERANGE", `length ${text.length} is outside ${found.min}..${found.max}`);
          }
          kept = text;
          break;
        }
        case "u8":
        case "u16":
        case "u32":
        case "area":
        case "compound":
          return fail("EINVAL", "compound");
      }
      this.#state.values.set(found.id, kept);
    });
  }

  startStreaming(buffers: number, sink: BindingStreamSink): Promise<BindingStreamStart> {
    return this.#call("VIDIOC_REQBUFS", () => {
      if (this.#state.streamer !== undefined) {
        throw V4l2Error.of("EBUSY", "VIDIOC_REQBUFS", this.#path, "device or resource busy");
      }
      this.#state.streamer = this;
      this.#sink = sink;
      this.#buffers = Math.max(2, buffers);
      this.#paused = false;
      this.#held = [];
      const spec = this.#state.spec;
      const periodMs = spec.frameIntervalMs ?? 1000 / fpsOf(this.#state.interval);
      this.#timer = setInterval(() => this.#tick(), periodMs);
      return { buffers: this.#buffers, timestampFlags: BUF_FLAG_TIMESTAMP_MONOTONIC };
    });
  }

  #tick(): void {
    const sequence = this.#state.sequence;
    this.#state.sequence += 1;
    const spec = this.#state.spec;
    if (spec.dropSequences?.includes(sequence) === true) return;
    const format = formatOf(this.#state);
    const broken = spec.errorSequences?.includes(sequence) === true;
    let data: Buffer;
    if (broken) {
      data = Buffer.alloc(0);
    } else if (this.#state.format.fakeFormat.bytesPerPixel === 0) {
      data = Buffer.alloc(Math.min(format.sizeImage, 4096), sequence & 0xff);
      data.writeUInt16BE(0xffd8, 0);
      data.writeUInt16BE(0xffd9, data.length - 2);
    } else {
      data = Buffer.alloc(format.sizeImage, sequence & 0xff);
    }
    const frame: BindingFrame = {
      data,
      bytesUsed: data.length,
      timestampUs: Number(process.hrtime.bigint() / 1000n),
      sequence,
      flags: BUF_FLAG_TIMESTAMP_MONOTONIC | (broken ? BUF_FLAG_ERROR : 0),
    };
    if (this.#paused) {
      // The driver fills its free buffers, then drops frames until someone dequeues.
      if (this.#held.length < this.#buffers) this.#held.push(frame);
      return;
    }
    this.#deliver(frame);
  }

  #deliver(frame: BindingFrame): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    sink.frame(frame);
    if ((frame.flags & BUF_FLAG_ERROR) === 0) this.#delivered += 1;
    const limit = this.#state.spec.unplugAfterFrames;
    if (limit !== undefined && this.#delivered >= limit && this.#state.present) {
      unplugState(this.#state);
    }
  }

  /** The fake copies every frame, so there is nothing lent to give back. */
  releaseFrame(_index: number): void {
    // nothing lent
  }

  pauseStreaming(): void {
    if (this.#sink !== undefined) this.#paused = true;
  }

  resumeStreaming(): void {
    if (this.#sink === undefined || !this.#paused) return;
    this.#paused = false;
    setImmediate(() => {
      while (!this.#paused && this.#sink !== undefined) {
        const frame = this.#held.shift();
        if (frame === undefined) break;
        this.#deliver(frame);
      }
    });
  }

  /** The camera went away under a running stream. */
  lost(): void {
    const sink = this.#sink;
    this.#halt();
    sink?.error(V4l2Error.of("ENODEV", "VIDIOC_DQBUF", this.#path, "no such device"));
  }

  #halt(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sink = undefined;
    this.#held = [];
    this.#paused = false;
    if (this.#state.streamer === this) this.#state.streamer = undefined;
  }

  stopStreaming(): Promise<void> {
    return new Promise((resolve) => {
      setImmediate(() => {
        // STREAMOFF on an unplugged camera fails, but the addon still unmaps and frees: no error.
        this.#halt();
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      setImmediate(() => {
        if (!this.#closed) {
          this.#halt();
          this.#closed = true;
          this.#onClose();
        }
        resolve();
      });
    });
  }
}

function unplugState(state: CameraState): void {
  state.present = false;
  state.streamer?.lost();
}

/** A fake binding with vivid-like cameras (by default one, at `/dev/video0`). */
export function createFakeBinding(options: FakeBindingOptions = {}): FakeBinding {
  const cameras = new Map<string, CameraState>();
  for (const spec of options.devices ?? [{ path: "/dev/video0" }]) {
    const controls = vividControls();
    const first = FORMATS[0];
    if (first === undefined) throw new Error("fake has no formats");
    cameras.set(spec.path, {
      spec,
      present: true,
      format: { fakeFormat: first, width: 640, height: 480 },
      interval: { numerator: 1, denominator: 30 },
      controls,
      values: new Map(controls.map((each) => [each.id, each.default])),
      streamer: undefined,
      sequence: 0,
    });
  }
  const notV4l2 = new Set(options.notV4l2 ?? ["/dev/null"]);
  let openHandles = 0;

  return {
    name: "fake",
    get openHandles() {
      return openHandles;
    },
    devicePaths: () =>
      Promise.resolve(
        [...cameras.values()]
          .filter((state) => state.present)
          .map((state) => state.spec.path)
          .sort((a, b) => Number(a.replace(/\D/g, "")) - Number(b.replace(/\D/g, ""))),
      ),
    open: (path) =>
      new Promise<BindingDevice>((resolve, reject) => {
        setImmediate(() => {
          const state = cameras.get(path);
          if (notV4l2.has(path)) {
            reject(
              V4l2Error.of("ENOTTY", "VIDIOC_QUERYCAP", path, "inappropriate ioctl for device"),
            );
          } else if (state === undefined || !state.present) {
            reject(V4l2Error.of("ENOENT", "open", path, "no such file or directory"));
          } else {
            openHandles += 1;
            resolve(new FakeHandle(state, () => (openHandles -= 1)));
          }
        });
      }),
    unplug(path) {
      const state = cameras.get(path);
      if (state === undefined) throw new Error(`fake binding: no camera at ${path}`);
      unplugState(state);
    },
  };
}
