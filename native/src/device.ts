/**
 * One open camera. Every argument is checked here, before the binding sees
 * it; calls on one device run one after another (so a close never cuts an
 * ioctl short); every error the binding gives becomes a `V4l2Error`.
 */
import { loadBinding } from "./binding.js";
import {
  DEFAULT_BUFFERS,
  DEFAULT_FRAME_TIMEOUT_MS,
  DEFAULT_QUEUE,
  UINT32_MAX,
  checkControlName,
  checkCount,
  checkDimension,
  checkFourcc,
  checkKeys,
  checkObject,
  checkPath,
  checkStreamOptions,
  controlValueOf,
  valueForControl,
} from "./checks.js";
import { V4l2Error } from "./errors.js";
import { intervalForFps } from "./names.js";
import { CameraFrameStream, timestampClockOf } from "./stream.js";
import type {
  BindingDevice,
  CaptureOptions,
  ControlInfo,
  ControlName,
  ControlValue,
  DeviceInfo,
  Format,
  FormatChoice,
  FormatField,
  FormatInfo,
  FormatRequest,
  Fraction,
  Frame,
  FrameInterval,
  FrameRate,
  FrameSize,
  FrameStream,
  ListOptions,
  OpenOptions,
  StreamOptions,
} from "./types.js";

function rethrow(error: unknown): never {
  throw V4l2Error.from(error);
}

/** Lists the capture devices (`/dev/video*` answering QUERYCAP with video-capture). */
export async function listDevices(options: ListOptions = {}): Promise<DeviceInfo[]> {
  const binding = options.binding ?? loadBinding();
  const devices: DeviceInfo[] = [];
  for (const path of await binding.devicePaths()) {
    let handle: BindingDevice | undefined;
    try {
      handle = await binding.open(path);
      const info = await handle.queryCapabilities();
      if (info.capabilities.includes("video-capture")) devices.push(info);
    } catch (error) {
      options.onSkip?.(path, V4l2Error.from(error) as Error);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
  return devices;
}

/** Opens a capture device; rejects with a V4l2Error (`open`, `VIDIOC_QUERYCAP`) when it cannot. */
export async function openDevice(path: string, options: OpenOptions = {}): Promise<V4l2Device> {
  return V4l2Device.open(path, options);
}

export class V4l2Device {
  readonly path: string;
  /** Who the device is (from QUERYCAP at open). */
  readonly info: DeviceInfo;
  readonly #handle: BindingDevice;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The calls in flight, one after another. */
  #tail: Promise<unknown> = Promise.resolve();
  #stream: CameraFrameStream | undefined;
  #controls: ControlInfo[] | undefined;

  private constructor(path: string, info: DeviceInfo, handle: BindingDevice) {
    this.path = path;
    this.info = info;
    this.#handle = handle;
  }

  /** Opens `path`; it must be a V4L2 node that captures video. */
  static async open(path: string, options: OpenOptions = {}): Promise<V4l2Device> {
    checkPath(path);
    if (options.binding !== undefined) checkObject(options.binding, "binding");
    const binding = options.binding ?? loadBinding();
    const handle = await binding.open(path).catch(rethrow);
    try {
      const info = await handle.queryCapabilities();
      if (!info.capabilities.includes("video-capture")) {
        throw V4l2Error.of(
          "ENOTSUP",
          "VIDIOC_QUERYCAP",
          path,
          `not a video capture device (${info.driver} "${info.card}": ${info.capabilities.join(", ")})`,
        );
      }
      return new V4l2Device(path, info, handle);
    } catch (error) {
      await handle.close().catch(() => undefined);
      rethrow(error);
    }
  }

  /** True once `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The running stream, if any. */
  get activeStream(): FrameStream | undefined {
    return this.#stream;
  }

  listFormats(): Promise<FormatInfo[]> {
    return this.#run("VIDIOC_ENUM_FMT", (handle) => handle.listFormats());
  }

  /** The sizes a format comes in; rejects with EINVAL when the device lacks the format. */
  listFrameSizes(fourcc: string): Promise<FrameSize[]> {
    return this.#checked(
      () => checkFourcc(fourcc),
      "VIDIOC_ENUM_FRAMESIZES",
      async (handle) => {
        const sizes = await handle.listFrameSizes(fourcc);
        if (sizes.length === 0) await this.#requireFormat(handle, fourcc, "VIDIOC_ENUM_FRAMESIZES");
        return sizes;
      },
    );
  }

  listFrameIntervals(fourcc: string, width: number, height: number): Promise<FrameInterval[]> {
    return this.#checked(
      () => {
        checkFourcc(fourcc);
        checkDimension(width, "width");
        checkDimension(height, "height");
      },
      "VIDIOC_ENUM_FRAMEINTERVALS",
      async (handle) => {
        const intervals = await handle.listFrameIntervals(fourcc, width, height);
        if (intervals.length === 0) {
          await this.#requireFormat(handle, fourcc, "VIDIOC_ENUM_FRAMEINTERVALS");
        }
        return intervals;
      },
    );
  }

  /** An empty enumeration means either "not enumerable" or "no such format": tell them apart. */
  async #requireFormat(handle: BindingDevice, fourcc: string, syscall: string): Promise<void> {
    const formats = await handle.listFormats();
    if (!formats.some((format) => format.fourcc === fourcc)) {
      throw V4l2Error.of(
        "EINVAL",
        syscall,
        this.path,
        `the device has no format ${JSON.stringify(fourcc)} (it has: ${formats.map((format) => format.fourcc).join(", ")})`,
      );
    }
  }

  getFormat(): Promise<Format> {
    return this.#run("VIDIOC_G_FMT", (handle) => handle.getFormat());
  }

  /**
   * Asks for a format; resolves with what the driver chose and which asked-for
   * fields it changed (a driver substitutes a format it lacks rather than failing).
   */
  setFormat(request: FormatRequest): Promise<FormatChoice> {
    return this.#checked(
      () => {
        checkObject(request, "format");
        checkKeys(request, ["width", "height", "fourcc"], "format");
        if (request.fourcc !== undefined) checkFourcc(request.fourcc);
        if (request.width !== undefined) checkDimension(request.width, "width");
        if (request.height !== undefined) checkDimension(request.height, "height");
      },
      "VIDIOC_S_FMT",
      async (handle) => {
        const current = await handle.getFormat();
        const wanted = {
          width: request.width ?? current.width,
          height: request.height ?? current.height,
          fourcc: request.fourcc ?? current.fourcc,
        };
        const chosen = await handle.setFormat(wanted.width, wanted.height, wanted.fourcc);
        const adjusted = (["width", "height", "fourcc"] as const).filter(
          (field: FormatField) => request[field] !== undefined && chosen[field] !== wanted[field],
        );
        return { ...chosen, adjusted };
      },
    );
  }

  getFrameRate(): Promise<FrameRate> {
    return this.#run("VIDIOC_G_PARM", (handle) => handle.getFrameRate());
  }

  /** Asks for a frame rate, as frames per second or as a time per frame; resolves with the driver's choice. */
  setFrameRate(rate: number | Fraction): Promise<FrameRate> {
    let interval: Fraction = { numerator: 0, denominator: 0 };
    return this.#checked(
      () => {
        if (typeof rate === "number") {
          if (!Number.isFinite(rate))
            throw new TypeError(`fps must be a finite number, got ${rate}`);
          if (rate <= 0 || rate > 10_000) {
            throw new RangeError(`fps must be above 0 and at most 10000, got ${rate}`);
          }
          interval = intervalForFps(rate);
        } else {
          checkObject(rate, "frame interval");
          checkKeys(rate, ["numerator", "denominator"], "frame interval");
          checkCount(rate.numerator, "numerator", 1, UINT32_MAX);
          checkCount(rate.denominator, "denominator", 1, UINT32_MAX);
          interval = { numerator: rate.numerator, denominator: rate.denominator };
        }
      },
      "VIDIOC_S_PARM",
      (handle) => handle.setFrameRate(interval.numerator, interval.denominator),
    );
  }

  /** Every enabled control, with its range, flags, current value and menu. */
  listControls(): Promise<ControlInfo[]> {
    return this.#run("VIDIOC_QUERY_EXT_CTRL", async (handle) => {
      const controls = await handle.listControls();
      this.#controls = controls;
      return controls;
    });
  }

  /** A control's current value, by id or key (`brightness`, `power_line_frequency`). */
  getControl(name: ControlName): Promise<ControlValue> {
    return this.#checked(
      () => checkControlName(name),
      "VIDIOC_G_EXT_CTRLS",
      async (handle) => {
        const control = await this.#resolve(handle, name);
        return handle.getControl(control.id);
      },
    );
  }

  /**
   * Sets a control; resolves with the value the driver kept (drivers clamp
   * integers into range), or undefined for buttons and write-only controls.
   */
  setControl(name: ControlName, value: ControlValue | boolean): Promise<ControlValue | undefined> {
    let plain: ControlValue = 0;
    return this.#checked(
      () => {
        checkControlName(name);
        plain = controlValueOf(value);
      },
      "VIDIOC_S_EXT_CTRLS",
      async (handle) => {
        const control = await this.#resolve(handle, name);
        await handle.setControl(control.id, valueForControl(control, plain));
        if (control.type === "button" || control.flags.includes("write-only")) return undefined;
        return handle.getControl(control.id);
      },
    );
  }

  /** Starts capture in the current format. */
  stream(options?: StreamOptions): Promise<FrameStream> {
    let settings = { buffers: DEFAULT_BUFFERS, queue: DEFAULT_QUEUE, zeroCopy: false };
    return this.#checked(
      () => {
        settings = checkStreamOptions(options);
      },
      "VIDIOC_STREAMON",
      async (handle) => {
        if (this.#stream !== undefined) {
          throw V4l2Error.of(
            "EBUSY",
            "VIDIOC_STREAMON",
            this.path,
            "this device is already streaming",
          );
        }
        const format = await handle.getFormat();
        const stream = new CameraFrameStream(
          {
            pause: () => handle.pauseStreaming(),
            resume: () => handle.resumeStreaming(),
            release: (index) => handle.releaseFrame?.(index),
            stop: () => this.#enqueue(() => handle.stopStreaming().catch(rethrow)),
          },
          format,
          settings.queue,
        );
        const start = await handle.startStreaming(
          settings.buffers,
          {
            frame: (frame) => stream.deliver(frame),
            error: (error) => stream.fail(V4l2Error.from(error) as Error),
          },
          { zeroCopy: settings.zeroCopy },
        );
        stream.started(start.buffers, timestampClockOf(start.timestampFlags), settings.zeroCopy);
        this.#stream = stream;
        stream.once("end", () => {
          if (this.#stream === stream) this.#stream = undefined;
        });
        return stream;
      },
    );
  }

  /** Streams until `count` frames have come (after `skip`), then stops. */
  captureFrames(count: number, options?: CaptureOptions): Promise<Frame[]> {
    let skip = 0;
    let timeoutMs = DEFAULT_FRAME_TIMEOUT_MS;
    try {
      checkCount(count, "count", 1, 100_000);
      if (options !== undefined) {
        checkStreamOptions(options, ["buffers", "queue", "skip", "timeoutMs"]);
        if (options.skip !== undefined) skip = checkCount(options.skip, "skip", 0, 100_000);
        if (options.timeoutMs !== undefined) {
          timeoutMs = checkCount(options.timeoutMs, "timeoutMs", 1, 3_600_000);
        }
      }
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const streamOptions: StreamOptions = {};
    if (options?.buffers !== undefined) streamOptions.buffers = options.buffers;
    if (options?.queue !== undefined) streamOptions.queue = options.queue;
    return this.#collect(count, skip, timeoutMs, streamOptions);
  }

  /** One frame, e.g. for a self-test. */
  async grabFrame(options?: CaptureOptions): Promise<Frame> {
    const [frame] = await this.captureFrames(1, options);
    if (frame === undefined) throw new Error(`${this.path}: no frame`);
    return frame;
  }

  /** Stops any stream and closes the device; idempotent. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    const stream = this.#stream;
    this.#closing = (async () => {
      if (stream !== undefined) await stream.stop().catch(() => undefined);
      await this.#enqueue(() => this.#handle.close()).catch(rethrow);
    })();
    return this.#closing;
  }

  async #collect(
    count: number,
    skip: number,
    timeoutMs: number,
    options: StreamOptions,
  ): Promise<Frame[]> {
    const stream = await this.stream(options);
    const frames: Frame[] = [];
    let skipped = 0;
    let timer: NodeJS.Timeout | undefined;
    const watch = { timedOut: false };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        watch.timedOut = true;
        void stream.stop();
      }, timeoutMs);
    };
    try {
      arm();
      for await (const frame of stream) {
        arm();
        if (skipped < skip) {
          skipped += 1;
          continue;
        }
        frames.push(frame);
        if (frames.length === count) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.stop();
    }
    if (watch.timedOut) {
      throw V4l2Error.of(
        "ETIMEDOUT",
        "VIDIOC_DQBUF",
        this.path,
        `no frame for ${timeoutMs} ms (got ${frames.length} of ${count})`,
      );
    }
    if (frames.length < count) {
      throw V4l2Error.of(
        "ECANCELED",
        "VIDIOC_DQBUF",
        this.path,
        `the stream ended after ${frames.length} of ${count} frames`,
      );
    }
    return frames;
  }

  async #resolve(handle: BindingDevice, name: ControlName): Promise<ControlInfo> {
    const find = (controls: ControlInfo[] | undefined): ControlInfo | undefined =>
      controls?.find((control) =>
        typeof name === "number" ? control.id === name : control.key === name,
      );
    let control = find(this.#controls);
    if (control === undefined) {
      this.#controls = await handle.listControls();
      control = find(this.#controls);
    }
    if (control === undefined) {
      const known = (this.#controls ?? []).map((each) => each.key).join(", ");
      throw V4l2Error.of(
        "EINVAL",
        "VIDIOC_QUERY_EXT_CTRL",
        this.path,
        `no control ${typeof name === "number" ? `with id 0x${name.toString(16)}` : `"${name}"`} (it has: ${known})`,
      );
    }
    return control;
  }

  /** Validates synchronously, then runs the call in turn. Validation errors reject without touching the device. */
  #checked<T>(
    validate: () => void,
    syscall: string,
    call: (handle: BindingDevice) => Promise<T>,
  ): Promise<T> {
    try {
      validate();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.#run(syscall, call);
  }

  #run<T>(syscall: string, call: (handle: BindingDevice) => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(V4l2Error.of("EBADF", syscall, this.path, "the device is closed"));
    }
    return this.#enqueue(() => call(this.#handle)).catch(rethrow);
  }

  #enqueue<T>(call: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(call, call);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
