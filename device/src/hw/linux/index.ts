/**
 * The real box: lamp and button on GPIO through `onoff`, the microphone
 * through ALSA and the camera through V4L2 (read by ffmpeg until the
 * v4l2-camera addon lands). A part that is not there is a clear start-up
 * error naming it — never a fall back to `sim`.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import type { Gpio as GpioType } from "onoff";
import type { DeviceSettings } from "../../config.js";
import {
  HardwareMissing,
  type ButtonInput,
  type Camera,
  type FfmpegInput,
  type Hardware,
  type LampLevel,
  type LampOutput,
  type Microphone,
} from "../types.js";
import { gpioNumber } from "./gpio.js";

type GpioClass = typeof GpioType;

async function loadGpio(): Promise<GpioClass> {
  const { Gpio } = await import("onoff");
  if (!Gpio.accessible) {
    throw new HardwareMissing(
      "lamp",
      "sysfs GPIO is not accessible (no /sys/class/gpio, or this user is not in the gpio group)",
    );
  }
  return Gpio;
}

class GpioLamp implements LampOutput {
  readonly description: string;
  constructor(
    private readonly out: GpioType,
    private readonly sense: GpioType | null,
    pin: number,
  ) {
    this.description = `lamp on GPIO ${pin}${sense === null ? "" : " (with current sense)"}`;
  }
  write(level: LampLevel): Promise<void> {
    return this.out.write(level === "on" ? 1 : 0);
  }
  async read(): Promise<LampLevel> {
    const value = await (this.sense ?? this.out).read();
    return value === 1 ? "on" : "off";
  }
  close(): Promise<void> {
    try {
      this.out.writeSync(0);
    } finally {
      this.out.unexport();
      this.sense?.unexport();
    }
    return Promise.resolve();
  }
}

class GpioButton implements ButtonInput {
  readonly description: string;
  constructor(
    private readonly input: GpioType,
    pin: number,
  ) {
    this.description = `record button on GPIO ${pin}`;
  }
  watch(onEdge: (pressed: boolean) => void): () => void {
    const callback = (error: Error | null | undefined, value: 0 | 1) => {
      if (!error) onEdge(value === 1);
    };
    this.input.watch(callback);
    return () => this.input.unwatch(callback);
  }
  close(): Promise<void> {
    this.input.unexport();
    return Promise.resolve();
  }
}

/** A V4L2 camera read by ffmpeg's own v4l2 input. */
export class V4l2Camera implements Camera {
  readonly nativeH264: boolean;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  constructor(
    private readonly settings: DeviceSettings["hardware"]["camera"],
    private readonly pollMs = 1000,
  ) {
    this.nativeH264 = settings.inputFormat === "h264";
    this.width = settings.width;
    this.height = settings.height;
    this.fps = settings.fps;
  }
  get description(): string {
    return `V4L2 camera ${this.settings.device} (${this.settings.inputFormat} ${this.width}x${this.height}@${this.fps})`;
  }
  check(): Promise<void> {
    const problem = cameraProblem(this.settings.device);
    return problem === null
      ? Promise.resolve()
      : Promise.reject(new HardwareMissing("camera", problem));
  }
  input(): FfmpegInput {
    return {
      input: this.settings.device,
      options: [
        "-f",
        "v4l2",
        "-input_format",
        this.settings.inputFormat,
        "-video_size",
        `${this.width}x${this.height}`,
        "-framerate",
        String(this.fps),
        "-thread_queue_size",
        "512",
      ],
    };
  }
  watch(onChange: (present: boolean, detail: string) => void): () => void {
    let present = cameraProblem(this.settings.device) === null;
    const timer = setInterval(() => {
      const problem = cameraProblem(this.settings.device);
      if ((problem === null) !== present) {
        present = problem === null;
        onChange(present, problem ?? `${this.settings.device} is back`);
      }
    }, this.pollMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

function cameraProblem(device: string): string | null {
  if (!existsSync(device)) return `${device} does not exist (is the camera plugged in?)`;
  if (!statSync(device).isCharacterDevice()) return `${device} is not a device node`;
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch {
    return `${device} cannot be opened by this user (add it to the video group)`;
  }
  return null;
}

/** An ALSA capture device read by ffmpeg. */
export class AlsaMicrophone implements Microphone {
  constructor(
    private readonly settings: DeviceSettings["hardware"]["microphone"],
    private readonly procAsound = "/proc/asound",
  ) {}
  get description(): string {
    return `ALSA microphone ${this.settings.device}`;
  }
  check(): Promise<void> {
    const problem = alsaProblem(this.settings.device, this.procAsound);
    return problem === null
      ? Promise.resolve()
      : Promise.reject(new HardwareMissing("microphone", problem));
  }
  input(): FfmpegInput {
    return {
      input: this.settings.device,
      options: [
        "-f",
        "alsa",
        "-ar",
        String(this.settings.sampleRate),
        "-ac",
        String(this.settings.channels),
        "-thread_queue_size",
        "1024",
      ],
    };
  }
}

/** Whether the ALSA card the device string names exists (`hw:1,0`, `plughw:CARD=USB,DEV=0`, `default`). */
export function alsaProblem(device: string, procAsound = "/proc/asound"): string | null {
  let cards: string;
  try {
    cards = readFileSync(`${procAsound}/cards`, "utf8");
  } catch {
    return `no ALSA (${procAsound}/cards cannot be read)`;
  }
  const present = [...cards.matchAll(/^\s*(\d+)\s+\[(\S+)\s*\]/gm)].map((m) => ({
    index: m[1] ?? "",
    id: m[2] ?? "",
  }));
  if (present.length === 0) return "no sound cards are present";
  const byName = /CARD=([^,]+)/.exec(device);
  const byIndex = /^(?:plug)?hw:(\d+)/.exec(device);
  const wanted = byName?.[1] ?? byIndex?.[1];
  if (wanted === undefined) return null; // `default` or a PCM name: ALSA resolves it
  if (present.some((card) => card.index === wanted || card.id === wanted)) return null;
  return `ALSA card '${wanted}' (from '${device}') is not present; cards: ${present
    .map((card) => `${card.index} ${card.id}`)
    .join(", ")}`;
}

export async function linuxHardware(
  settings: DeviceSettings["hardware"],
  sysfs = "/sys/class/gpio",
): Promise<Hardware> {
  const Gpio = await loadGpio();
  const lampLine = gpioNumber(settings.lamp.pin, sysfs);
  const out = new Gpio(lampLine, "low", "none", { activeLow: settings.lamp.activeLow });
  const sense =
    settings.lamp.sensePin === undefined
      ? null
      : new Gpio(gpioNumber(settings.lamp.sensePin, sysfs), "in", "none", {
          activeLow: settings.lamp.activeLow,
        });
  const buttonLine = gpioNumber(settings.button.pin, sysfs);
  const input = new Gpio(buttonLine, "in", "both", {
    activeLow: settings.button.activeLow,
    debounceTimeout: settings.button.debounceMs,
  });
  const lamp = new GpioLamp(out, sense, settings.lamp.pin);
  const button = new GpioButton(input, settings.button.pin);
  return {
    backend: "linux",
    lamp,
    button,
    camera: new V4l2Camera(settings.camera),
    microphone: new AlsaMicrophone(settings.microphone),
    async close() {
      await Promise.all([lamp.close(), button.close()]);
    },
  };
}
