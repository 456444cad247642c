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
import {
  CLASS_HEADERS,
  clampStep,
  describeControl,
  keptValue,
  vividControls,
  type FakeControl,
} from "./fake-controls.js";
import {
  CAP_BITS,
  FORMATS,
  WEBCAM_SIZES,
  formatOf,
  intervalsOf,
  nearestInterval,
  nearestSize,
  sizesOf,
  type FakeFormat,
} from "./fake-formats.js";
import { fpsOf } from "./names.js";
import type {
  BindingDevice,
  BindingFrame,
  BindingStreamSink,
  BindingStreamStart,
  CameraBinding,
  CapabilityName,
  ControlInfo,
  ControlValue,
  DeviceInfo,
  Format,
  FormatInfo,
  Fraction,
  FrameInterval,
  FrameRate,
  FrameSize,
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
        .map((each) => describeControl(each, this.#state.values)),
    );
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
      const kept = keptValue(found, value, fail);
      if (kept === undefined) return;
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
