/**
 * The public shapes of v4l2-camera: what a camera says about itself, its
 * formats, sizes, frame rates, controls and frames, and the binding seam
 * that the real addon (`build/Release/v4l2_camera.node`) and the fake
 * (`fake.ts`) both fill.
 *
 * Everything that touches a device is asynchronous: the native addon runs
 * each ioctl on the libuv thread pool, and frames arrive through a libuv
 * poll handle on the device's file descriptor.
 */

/** Capability names, from `V4L2_CAP_*` (lowercase, `_` → `-`). */
export type CapabilityName =
  | "video-capture"
  | "video-output"
  | "video-overlay"
  | "vbi-capture"
  | "vbi-output"
  | "sliced-vbi-capture"
  | "sliced-vbi-output"
  | "rds-capture"
  | "video-output-overlay"
  | "hw-freq-seek"
  | "rds-output"
  | "video-capture-mplane"
  | "video-output-mplane"
  | "video-m2m-mplane"
  | "video-m2m"
  | "tuner"
  | "audio"
  | "radio"
  | "modulator"
  | "sdr-capture"
  | "ext-pix-format"
  | "sdr-output"
  | "meta-capture"
  | "readwrite"
  | "edid"
  | "streaming"
  | "meta-output"
  | "touch"
  | "io-mc"
  | "device-caps";

/** Who a video node is, from VIDIOC_QUERYCAP. */
export interface DeviceInfo {
  /** The device node, e.g. `/dev/video0`. */
  path: string;
  /** Driver name, e.g. `vivid`, `uvcvideo`. */
  driver: string;
  /** The card (model) name, e.g. `HD Pro Webcam C920`. */
  card: string;
  /** Where it sits, e.g. `usb-0000:00:14.0-1`, `platform:vivid-000`: stable across reboots for a port. */
  busInfo: string;
  /** The kernel version the driver reports, e.g. `6.1.0`. */
  kernelVersion: string;
  /** What this node can do (device_caps when the driver gives them, otherwise capabilities). */
  capabilities: CapabilityName[];
  /** The same as a bit mask (`V4L2_CAP_*`). */
  deviceCaps: number;
  /** What the whole physical device can do, across all its nodes (`capabilities` field of QUERYCAP). */
  physicalCaps: number;
}

/**
 * A four-character code, e.g. `YUYV`, `MJPG`, `H264`. Always four printable
 * ASCII characters (some end in spaces, e.g. `Y16 `), followed by `-BE` for the
 * big-endian variants (V4L2_PIX_FMT_FLAG_BE).
 */
export type Fourcc = string;

/** One pixel format the device offers (VIDIOC_ENUM_FMT). */
export interface FormatInfo {
  fourcc: Fourcc;
  description: string;
  /** MJPG, H264 and friends. */
  compressed: boolean;
  /** Converted in software by libv4l, not by the hardware. */
  emulated: boolean;
}

/** One answer of VIDIOC_ENUM_FRAMESIZES. */
export type FrameSize =
  | { type: "discrete"; width: number; height: number }
  | {
      type: "stepwise" | "continuous";
      minWidth: number;
      maxWidth: number;
      stepWidth: number;
      minHeight: number;
      maxHeight: number;
      stepHeight: number;
    };

/** A time per frame: `numerator / denominator` seconds (1/30 is 30 fps). */
export interface Fraction {
  numerator: number;
  denominator: number;
}

/** One answer of VIDIOC_ENUM_FRAMEINTERVALS; `fps` is 1 / interval. */
export type FrameInterval =
  | ({ type: "discrete"; fps: number } & Fraction)
  | {
      type: "stepwise" | "continuous";
      min: Fraction;
      max: Fraction;
      step: Fraction;
      /** The highest frame rate (1 / min). */
      maxFps: number;
      /** The lowest frame rate (1 / max). */
      minFps: number;
    };

/** The capture format in force (VIDIOC_G_FMT / S_FMT, single-planar). */
export interface Format {
  width: number;
  height: number;
  fourcc: Fourcc;
  /** Bytes in one line of the image (0 for compressed formats). */
  bytesPerLine: number;
  /** Bytes a buffer must hold for one frame; for raw formats, exactly one frame. */
  sizeImage: number;
  /** `V4L2_FIELD_*`, e.g. `none`, `interlaced`. */
  field: string;
  /** `V4L2_COLORSPACE_*` number (0 = default). */
  colorspace: number;
}

/** What `setFormat` asks for. Omitted fields keep the current format's value. */
export interface FormatRequest {
  width?: number;
  height?: number;
  fourcc?: Fourcc;
}

/** A field of the format the driver may change from what was asked. */
export type FormatField = "width" | "height" | "fourcc";

/** What the driver chose on `setFormat`, and which asked-for fields it changed. */
export interface FormatChoice extends Format {
  /** Empty when the driver gave exactly what was asked. */
  adjusted: FormatField[];
}

/** The frame rate in force (VIDIOC_G_PARM / S_PARM). */
export interface FrameRate extends Fraction {
  /** Frames per second, 1 / (numerator / denominator); 0 when the driver does not say. */
  fps: number;
  /** The driver lets the frame rate be set (V4L2_CAP_TIMEPERFRAME). */
  settable: boolean;
}

export type ControlType =
  | "integer"
  | "boolean"
  | "menu"
  | "integer-menu"
  | "button"
  | "integer64"
  | "string"
  | "bitmask"
  | "u8"
  | "u16"
  | "u32"
  | "area"
  | "compound";

export type ControlFlag =
  | "disabled"
  | "grabbed"
  | "read-only"
  | "update"
  | "inactive"
  | "slider"
  | "write-only"
  | "volatile"
  | "has-payload"
  | "execute-on-write"
  | "modify-layout"
  | "dynamic-array";

/** A menu entry: `name` for menus, `value` for integer menus. */
export type MenuItem = { index: number; name: string } | { index: number; value: number };

/**
 * A control's value: a number for integer, boolean (0/1), menu and
 * integer-menu (the index), bitmask; a bigint for integer64; a string for
 * string controls. Buttons have none.
 */
export type ControlValue = number | bigint | string;

/** One control (VIDIOC_QUERY_EXT_CTRL). */
export interface ControlInfo {
  /** The V4L2 control id (`V4L2_CID_*`). */
  id: number;
  /** The driver's name, e.g. `Power Line Frequency`. */
  name: string;
  /** The stable key made from the name: `power_line_frequency` (see `controlKey`). */
  key: string;
  type: ControlType;
  /** The raw `V4L2_CTRL_TYPE_*` number (tells compound types apart). */
  typeCode: number;
  /** Range; for integer64 controls the 64-bit range as the nearest numbers. */
  min: number;
  max: number;
  step: number;
  default: number;
  flags: ControlFlag[];
  /** The current value, for readable scalar controls (not buttons, write-only or compound ones). */
  value?: ControlValue;
  /** Menu and integer-menu entries (VIDIOC_QUERYMENU); indexes the driver skips are absent. */
  menu?: MenuItem[];
}

/** A control is named by its id or by its key (`controlKey(name)`). */
export type ControlName = number | string;

/** One captured frame. */
export interface Frame {
  /** The picture, `bytesUsed` bytes, copied out of the driver's buffer (yours to keep). */
  data: Buffer;
  bytesUsed: number;
  /** The driver's timestamp in microseconds (CLOCK_MONOTONIC for most drivers, see `FrameStream.timestampClock`). */
  timestampUs: number;
  /** The driver's frame counter; a gap means frames were dropped. */
  sequence: number;
  /** The driver marks this as a key frame (compressed formats). */
  keyframe: boolean;
}

export interface StreamStats {
  /** Frames delivered. */
  frames: number;
  /** Frames lost: gaps in `sequence`, and buffers the driver marked as broken (V4L2_BUF_FLAG_ERROR). */
  dropped: number;
}

export interface StreamOptions {
  /** Driver buffers to request (1–32, default 4); the driver may grant more or fewer. */
  buffers?: number;
  /**
   * Frames held for a slow consumer (async iteration, or no `frame` listener yet)
   * before capture pauses (1–1000, default 8). While paused the driver drops
   * frames, and they count in `stats.dropped`.
   */
  queue?: number;
  /**
   * Lend the driver's buffer instead of copying it (default false). Faster, but
   * `frame.data` is valid only until the `frame` listener returns, or until the
   * iterator's next step; after that it reads as empty (detached) — never as
   * another frame, never as freed memory. Copy what you keep.
   */
  zeroCopy?: boolean;
}

export interface CaptureOptions extends Omit<StreamOptions, "zeroCopy"> {
  /** Frames to throw away first, e.g. while a webcam's exposure settles (default 0). */
  skip?: number;
  /** Give up (ETIMEDOUT) when no frame comes for this long (default 10000 ms). */
  timeoutMs?: number;
}

/** Where a frame's `timestampUs` comes from (V4L2_BUF_FLAG_TIMESTAMP_*). */
export type TimestampClock = "monotonic" | "copy" | "unknown";

/**
 * Live capture. An EventEmitter (`frame`, `error`, `end`) and an async
 * iterable of frames; `stop()` ends it. Use one of the two styles.
 */
export interface FrameStream extends AsyncIterable<Frame> {
  /** The format frames come in. */
  readonly format: Format;
  /** Driver buffers granted. */
  readonly buffers: number;
  readonly timestampClock: TimestampClock;
  /** A snapshot of the counters. */
  readonly stats: StreamStats;
  /** True once the stream has ended (stopped, failed or device closed). */
  readonly ended: boolean;
  /** Stops capture (STREAMOFF, unmap, free buffers); idempotent. Resolves after `end`. */
  stop(): Promise<void>;
  on(event: "frame", listener: (frame: Frame) => void): this;
  on(event: "error", listener: (error: Error) => void): this;
  on(event: "end", listener: () => void): this;
  once(event: "frame", listener: (frame: Frame) => void): this;
  once(event: "error", listener: (error: Error) => void): this;
  once(event: "end", listener: () => void): this;
  off(event: "frame", listener: (frame: Frame) => void): this;
  off(event: "error", listener: (error: Error) => void): this;
  off(event: "end", listener: () => void): this;
}

// ---------------------------------------------------------------------------
// The binding seam. The real addon and the fake both implement it; the
// TypeScript layer validates everything before calling it.
// ---------------------------------------------------------------------------

/** A buffer the driver filled, as the binding hands it over. */
export interface BindingFrame {
  /** A copy; or, when `lent`, the driver's mapped buffer itself until `releaseFrame(index)`. */
  data: Buffer | ArrayBuffer;
  bytesUsed: number;
  timestampUs: number;
  sequence: number;
  /** `V4L2_BUF_FLAG_*` bits of the dequeued buffer. */
  flags: number;
  /** Zero-copy: the buffer is lent and goes back to the driver on `releaseFrame(index)`. */
  lent?: boolean;
  index?: number;
}

/** Where the binding delivers a running stream's buffers and its end. */
export interface BindingStreamSink {
  frame(frame: BindingFrame): void;
  /** The stream broke (unplug, driver error); the binding has already stopped it. */
  error(error: Error): void;
}

export interface BindingStreamStart {
  /** Buffers the driver granted. */
  buffers: number;
  /** `V4L2_BUF_FLAG_TIMESTAMP_MASK` bits from QUERYBUF. */
  timestampFlags: number;
}

/** One open device node in the binding. Errors carry errno, code, syscall and path. */
export interface BindingDevice {
  queryCapabilities(): Promise<DeviceInfo>;
  listFormats(): Promise<FormatInfo[]>;
  listFrameSizes(fourcc: Fourcc): Promise<FrameSize[]>;
  listFrameIntervals(fourcc: Fourcc, width: number, height: number): Promise<FrameInterval[]>;
  getFormat(): Promise<Format>;
  /** S_FMT with every field given; returns what the driver chose. */
  setFormat(width: number, height: number, fourcc: Fourcc): Promise<Format>;
  getFrameRate(): Promise<FrameRate>;
  /** S_PARM with the time per frame; returns what the driver chose. */
  setFrameRate(numerator: number, denominator: number): Promise<FrameRate>;
  listControls(): Promise<ControlInfo[]>;
  getControl(id: number): Promise<ControlValue>;
  setControl(id: number, value: ControlValue): Promise<void>;
  /** REQBUFS, QUERYBUF, mmap, QBUF, STREAMON; then delivers buffers to the sink until stopped. */
  startStreaming(
    buffers: number,
    sink: BindingStreamSink,
    options?: { zeroCopy?: boolean },
  ): Promise<BindingStreamStart>;
  /** Gives a lent buffer back to the driver (zero-copy); its view reads as empty afterwards. */
  releaseFrame?(index: number): void;
  /** Stops watching for buffers (the driver drops frames meanwhile); no-op when not streaming. */
  pauseStreaming(): void;
  resumeStreaming(): void;
  /** STREAMOFF, unmap, REQBUFS 0; no-op when not streaming. */
  stopStreaming(): Promise<void>;
  /** Stops streaming and closes the file descriptor; idempotent. */
  close(): Promise<void>;
}

export interface CameraBinding {
  /** `v4l2-camera` for the real addon, `fake` for the fake. */
  readonly name: string;
  /** Candidate nodes, `/dev/video*` in number order. */
  devicePaths(): Promise<string[]>;
  /** Opens the node (O_RDWR | O_NONBLOCK) and checks it answers VIDIOC_QUERYCAP. */
  open(path: string): Promise<BindingDevice>;
}

/** What `openDevice` and `listDevices` take. */
export interface OpenOptions {
  /** The binding to use; the real addon when omitted (tests pass a fake). */
  binding?: CameraBinding;
}

export interface ListOptions extends OpenOptions {
  /** Told about each node that could not be opened or queried (it is left out of the list). */
  onSkip?: (path: string, error: Error) => void;
}
