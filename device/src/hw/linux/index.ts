/**
 * The real box: lamp and button on GPIO through `onoff`, the microphone
 * through ALSA and the camera through V4L2 (found and set up by our
 * `v4l2-camera` addon, recorded by ffmpeg). A part that is not there is a clear start-up
 * error naming it — never a fall back to `sim`.
 */
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { Gpio as GpioType } from "onoff";
import type { DeviceSettings } from "../../config.js";
import {
  HardwareMissing,
  type ButtonInput,
  type FfmpegInput,
  type Hardware,
  type LampLevel,
  type LampOutput,
  type Microphone,
} from "../types.js";
import { V4l2Camera } from "./camera.js";
import { gpioNumber } from "./gpio.js";
import { AlsaSpeaker } from "./speaker.js";

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

/** An ALSA capture device read by ffmpeg. */
export class AlsaMicrophone implements Microphone {
  constructor(
    private readonly settings: DeviceSettings["hardware"]["microphone"],
    private readonly procAsound = "/proc/asound",
    /** How often `watch` looks at the ALSA cards. */
    private readonly pollMs = 2000,
  ) {}
  get description(): string {
    return `ALSA microphone ${this.settings.device}`;
  }
  /** Looks at /proc/asound every `pollMs`: a card that goes or comes back is a change. */
  watch(onChange: (present: boolean, detail: string) => void): () => void {
    let problem = alsaProblem(this.settings.device, this.procAsound);
    const timer = setInterval(() => {
      const now = alsaProblem(this.settings.device, this.procAsound);
      if ((now === null) !== (problem === null)) {
        onChange(now === null, now ?? `${this.description} is back`);
      }
      problem = now;
    }, this.pollMs);
    timer.unref();
    return () => clearInterval(timer);
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

export interface LinuxHardwareOptions {
  logger?: Logger | undefined;
  /** Where sysfs GPIO is (tests point it elsewhere). */
  sysfs?: string;
}

export async function linuxHardware(
  settings: DeviceSettings["hardware"],
  options: LinuxHardwareOptions = {},
): Promise<Hardware> {
  const sysfs = options.sysfs ?? "/sys/class/gpio";
  const Gpio = await loadGpio();
  const lampLine = gpioNumber(settings.lamp.pin, sysfs, settings.gpioChip);
  const out = new Gpio(lampLine, "low", "none", { activeLow: settings.lamp.activeLow });
  const sense =
    settings.lamp.sensePin === undefined
      ? null
      : new Gpio(gpioNumber(settings.lamp.sensePin, sysfs, settings.gpioChip), "in", "none", {
          activeLow: settings.lamp.activeLow,
        });
  const buttonLine = gpioNumber(settings.button.pin, sysfs, settings.gpioChip);
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
    camera: new V4l2Camera(settings.camera, { logger: options.logger }),
    microphone: new AlsaMicrophone(settings.microphone),
    speaker: new AlsaSpeaker(settings.speaker),
    async close() {
      await Promise.all([lamp.close(), button.close()]);
    },
  };
}
