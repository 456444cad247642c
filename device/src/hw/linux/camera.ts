/**
 * The classroom camera through our V4L2 addon (`v4l2-camera`): found by who it
 * is (card, driver, bus) rather than by `/dev/videoN` order, asked for the
 * best format it offers at the wanted size and rate, given the school's
 * controls (50 Hz mains…), watched for unplugging and replugging, and able to
 * take one self-test frame. ffmpeg then records from the node it was found at.
 *
 * Opening the node to read or set its format and controls captures nothing;
 * the one call that does (`selfTest`) is made only by the session, with the
 * lamp lit and read back.
 */
import { watch, type FSWatcher } from "node:fs";
import {
  listDevices,
  openDevice,
  V4l2Error,
  type CameraBinding,
  type ControlInfo,
  type DeviceInfo,
  type V4l2Device,
} from "v4l2-camera";
import type { Logger } from "pino";
import type { DeviceSettings } from "../../config.js";
import { HardwareMissing, type Camera, type CameraShot, type FfmpegInput } from "../types.js";
import {
  chooseCameraMode,
  FOURCC_OF,
  FORMAT_PREFERENCE,
  type CameraMode,
  type FormatOffer,
  type InputFormat,
} from "./camera-mode.js";

type CameraSettings = DeviceSettings["hardware"]["camera"];

export interface V4l2CameraOptions {
  /** The addon's binding; the real one when omitted (tests pass the fake). */
  binding?: CameraBinding;
  logger?: Logger;
  /** How often the camera's presence is re-checked besides `/dev` changes (default 5 s). */
  pollMs?: number;
  /** Where device nodes appear (watched for changes; default `/dev`). */
  devDir?: string;
}

/** The camera as found: where, who, and the mode set on it. */
interface Found {
  info: DeviceInfo;
  mode: CameraMode;
}

/** In words: which camera the settings ask for. */
export function describeWanted(settings: CameraSettings): string {
  if (settings.device !== undefined) return `the camera at ${settings.device}`;
  const match = settings.match;
  if (match === undefined) return "the USB camera";
  const parts = Object.entries(match).map(([key, value]) => `${key} "${value}"`);
  return `the camera with ${parts.join(", ")}`;
}

function who(info: DeviceInfo): string {
  return `${info.card} (${info.driver}, ${info.busInfo}) at ${info.path}`;
}

/** Picks the settings' camera among those present, or says what is wrong. */
export function pickCamera(
  settings: CameraSettings,
  present: readonly DeviceInfo[],
): { info: DeviceInfo } | { problem: string } {
  const seen = present.length === 0 ? "no cameras at all" : present.map(who).join("; ");
  let candidates: DeviceInfo[];
  if (settings.device !== undefined) {
    candidates = present.filter((info) => info.path === settings.device);
  } else if (settings.match !== undefined) {
    const match = settings.match;
    candidates = present.filter(
      (info) =>
        (match.card === undefined || info.card === match.card) &&
        (match.driver === undefined || info.driver === match.driver) &&
        (match.busInfo === undefined || info.busInfo === match.busInfo),
    );
  } else {
    candidates = present.filter((info) => info.busInfo.startsWith("usb-"));
  }
  const [first, second] = candidates;
  if (first === undefined) {
    return {
      problem: `${describeWanted(settings)} is not there (is it plugged in?); seen: ${seen}`,
    };
  }
  if (second !== undefined) {
    return {
      problem: `${candidates.length} cameras fit ${describeWanted(settings)}: ${candidates
        .map(who)
        .join("; ")}; name one in hardware.camera.match (busInfo tells ports apart)`,
    };
  }
  return { info: first };
}

export class V4l2Camera implements Camera {
  private found: Found | null = null;
  private readonly log: Logger | undefined;
  /** Controls already warned about, so a missing one is said once, not at every recording. */
  private readonly warned = new Set<string>();

  constructor(
    private readonly settings: CameraSettings,
    private readonly options: V4l2CameraOptions = {},
  ) {
    this.log = options.logger?.child({ part: "camera" });
  }

  get nativeH264(): boolean {
    return this.found?.mode.format === "h264";
  }
  get width(): number {
    return this.found?.mode.width ?? this.settings.width;
  }
  get height(): number {
    return this.found?.mode.height ?? this.settings.height;
  }
  get fps(): number {
    return this.found?.mode.fps ?? this.settings.fps;
  }

  get description(): string {
    const found = this.found;
    if (found === null) return `V4L2 camera: ${describeWanted(this.settings)} (not yet found)`;
    const { mode } = found;
    return `V4L2 camera ${who(found.info)}, ${mode.format} ${mode.width}x${mode.height}@${mode.fps}`;
  }

  private async find(): Promise<{ info: DeviceInfo } | { problem: string }> {
    let present: DeviceInfo[];
    try {
      present = await listDevices({ binding: this.options.binding });
    } catch (error) {
      return { problem: (error as Error).message };
    }
    return pickCamera(this.settings, present);
  }

  /**
   * Finds the camera, chooses and sets its mode, applies the school's controls.
   * Rejects with `HardwareMissing` saying what is wrong.
   */
  async check(): Promise<void> {
    const picked = await this.find();
    if ("problem" in picked) {
      this.found = null;
      throw new HardwareMissing("camera", picked.problem);
    }
    let device: V4l2Device;
    try {
      device = await openDevice(picked.info.path, { binding: this.options.binding });
    } catch (error) {
      this.found = null;
      throw new HardwareMissing("camera", `${who(picked.info)} cannot be opened: ${reason(error)}`);
    }
    try {
      const mode = await this.chooseMode(device);
      await device.setFormat({
        fourcc: FOURCC_OF[mode.format],
        width: mode.width,
        height: mode.height,
      });
      const rate = await device.getFrameRate();
      if (rate.settable) await device.setFrameRate(mode.fps);
      await this.applyControls(device);
      const before = this.found;
      this.found = { info: picked.info, mode };
      if (
        before === null ||
        before.info.path !== picked.info.path ||
        JSON.stringify(before.mode) !== JSON.stringify(mode)
      ) {
        this.log?.info(
          { camera: who(picked.info), mode, compromise: mode.compromise || undefined },
          "camera found",
        );
      }
    } catch (error) {
      this.found = null;
      if (error instanceof HardwareMissing) throw error;
      throw new HardwareMissing("camera", `${who(picked.info)}: ${reason(error)}`);
    } finally {
      await device.close().catch(() => undefined);
    }
  }

  private async chooseMode(device: V4l2Device): Promise<CameraMode> {
    const formats = await device.listFormats();
    const offers: FormatOffer[] = [];
    for (const format of FORMAT_PREFERENCE) {
      const fourcc = FOURCC_OF[format];
      if (!formats.some((offered) => offered.fourcc === fourcc && !offered.emulated)) continue;
      offers.push({
        format,
        sizes: await device.listFrameSizes(fourcc),
        intervals: (width, height) => device.listFrameIntervals(fourcc, width, height),
      });
    }
    const mode = await chooseCameraMode(offers, {
      inputFormat: this.settings.inputFormat,
      width: this.settings.width,
      height: this.settings.height,
      fps: this.settings.fps,
    });
    if (mode === null) {
      const wanted: readonly InputFormat[] =
        this.settings.inputFormat === "auto" ? FORMAT_PREFERENCE : [this.settings.inputFormat];
      throw new HardwareMissing(
        "camera",
        `${device.info.card} offers none of ${wanted.join(", ")} (it offers ${
          formats.map((format) => format.fourcc.trim()).join(", ") || "nothing"
        })`,
      );
    }
    return mode;
  }

  /** Sets each of the school's controls the camera has; one it lacks or refuses is warned about once. */
  private async applyControls(device: V4l2Device): Promise<void> {
    const wanted = Object.entries(this.settings.controls);
    if (wanted.length === 0) return;
    const controls = await device.listControls();
    for (const [key, value] of wanted) {
      const control = controls.find((each) => each.key === key);
      const problem =
        control === undefined
          ? `the camera has no control '${key}'`
          : await setControl(device, control, value);
      if (problem === null) continue;
      if (!this.warned.has(`${device.info.busInfo} ${key}`)) {
        this.warned.add(`${device.info.busInfo} ${key}`);
        this.log?.warn(
          { control: key, value, camera: who(device.info) },
          `camera control not applied: ${problem}`,
        );
      }
    }
  }

  input(): FfmpegInput {
    const found = this.found;
    if (found === null) {
      throw new Error("the camera has not been found yet: check() comes before input()");
    }
    const { mode } = found;
    return {
      input: found.info.path,
      options: [
        "-f",
        "v4l2",
        "-input_format",
        mode.format,
        "-video_size",
        `${mode.width}x${mode.height}`,
        "-framerate",
        String(mode.fps),
        "-thread_queue_size",
        "512",
      ],
    };
  }

  /**
   * Calls back when the camera goes away or comes back (perhaps at another
   * node): on every change under `/dev`, and every `pollMs` besides.
   */
  watch(onChange: (present: boolean, detail: string) => void): () => void {
    // what the last check found is the baseline: a camera gone before the first look is a change
    let present: boolean | null = this.found !== null ? true : null;
    let stopped = false;
    const isStopped = () => stopped;
    let running = false;
    /** Bumped by every reason to look; a look that started earlier looks again. */
    let asked = 0;
    const look = async () => {
      asked += 1;
      if (running) return;
      running = true;
      try {
        let seen = -1;
        while (seen !== asked && !stopped) {
          seen = asked;
          const picked = await this.find();
          if (isStopped()) return;
          const now = !("problem" in picked);
          if (present !== null && now !== present) {
            onChange(now, "problem" in picked ? picked.problem : `${who(picked.info)} is back`);
          }
          present = now;
        }
      } finally {
        running = false;
      }
    };
    void look();
    const timer = setInterval(() => void look(), this.options.pollMs ?? 5000);
    timer.unref();
    let watcher: FSWatcher | null = null;
    try {
      watcher = watch(this.options.devDir ?? "/dev", (_event, name) => {
        if (name === null || name.startsWith("video")) void look();
      });
      watcher.unref();
      watcher.on("error", (error) => {
        this.log?.warn({ err: error }, "cannot watch /dev for cameras; polling only");
        watcher?.close();
      });
    } catch (error) {
      this.log?.warn({ err: error }, "cannot watch /dev for cameras; polling only");
    }
    return () => {
      stopped = true;
      clearInterval(timer);
      watcher?.close();
    };
  }

  /** One frame in the recording mode; the caller has lit the lamp. */
  async selfTest(): Promise<CameraShot> {
    await this.check();
    const found = this.found;
    if (found === null) throw new HardwareMissing("camera", "the camera went away");
    const device = await openDevice(found.info.path, { binding: this.options.binding });
    try {
      const format = await device.setFormat({
        fourcc: FOURCC_OF[found.mode.format],
        width: found.mode.width,
        height: found.mode.height,
      });
      // a webcam's first frames are dark while its exposure settles; an H.264 frame is
      // decodable only with those before it, from the key frame the stream starts with
      const h264 = found.mode.format === "h264";
      const frames = await device.captureFrames(h264 ? 6 : 1, {
        skip: h264 ? 0 : 5,
        timeoutMs: 10_000,
      });
      const frame = frames.at(-1);
      if (frame === undefined) throw new Error(`${found.info.path}: no frame`);
      const meanLuma = format.fourcc === "YUYV" ? yuyvMeanLuma(frame.data) : null;
      const dark = meanLuma !== null && meanLuma < 16;
      return {
        ok: frame.bytesUsed > 0 && !dark,
        detail:
          frame.bytesUsed === 0
            ? "the camera gave an empty frame"
            : dark
              ? `the picture is black (mean brightness ${meanLuma.toFixed(1)}): is the lens covered?`
              : `a ${format.width}x${format.height} ${format.fourcc.trim()} frame of ${frame.bytesUsed} bytes`,
        camera: who(found.info),
        format: found.mode.format,
        width: format.width,
        height: format.height,
        bytes: frame.bytesUsed,
        meanLuma,
        frame:
          frame.bytesUsed === 0
            ? null
            : {
                data: Buffer.concat(frames.map((f) => f.data.subarray(0, f.bytesUsed))),
                format: found.mode.format,
                width: format.width,
                height: format.height,
              },
      };
    } finally {
      await device.close().catch(() => undefined);
    }
  }
}

/** The average of the Y bytes of a YUYV picture (0 black … 255 white). */
export function yuyvMeanLuma(data: Buffer): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < data.length; i += 2) {
    sum += data[i] ?? 0;
    count += 1;
  }
  return count === 0 ? 0 : sum / count;
}

/** Sets one control from the settings; a problem in words, or null when it took. */
async function setControl(
  device: V4l2Device,
  control: ControlInfo,
  value: number | string,
): Promise<string | null> {
  if (control.flags.includes("read-only") || control.flags.includes("disabled")) {
    return `'${control.key}' cannot be set on this camera`;
  }
  let wanted: number;
  if (typeof value === "number") {
    wanted = value;
  } else {
    const item = control.menu?.find(
      (entry) =>
        ("name" in entry ? entry.name : String(entry.value)).toLowerCase() === value.toLowerCase(),
    );
    if (item === undefined) {
      const names = (control.menu ?? []).map((entry) =>
        "name" in entry ? entry.name : String(entry.value),
      );
      return names.length === 0
        ? `'${control.key}' takes a number, not '${value}'`
        : `'${control.key}' has no choice '${value}' (choices: ${names.join(", ")})`;
    }
    wanted = item.index;
  }
  if (wanted < control.min || wanted > control.max) {
    return `${wanted} is outside '${control.key}' range ${control.min}..${control.max}`;
  }
  try {
    await device.setControl(control.id, wanted);
    return null;
  } catch (error) {
    return reason(error);
  }
}

function reason(error: unknown): string {
  if (error instanceof V4l2Error) return error.message;
  return error instanceof Error ? error.message : String(error);
}
