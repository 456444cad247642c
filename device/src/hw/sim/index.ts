/**
 * The simulated box: a virtual lamp and button that the demo and the tests
 * drive and read, a test-pattern camera and a tone microphone (ffmpeg's lavfi
 * sources). Named `sim` everywhere and chosen only by `hardware.backend: "sim"`.
 * Faults can be injected: a lamp whose writes fail or that reads back wrong,
 * a camera or a microphone that is unplugged, a speaker missing or failing.
 * The simulated speaker keeps what it "said" (and what the lamp showed then).
 */
import type { DeviceSettings } from "../../config.js";
import {
  HardwareMissing,
  type ButtonInput,
  type Camera,
  type CameraShot,
  type FfmpegInput,
  type Hardware,
  type LampLevel,
  type LampOutput,
  type Microphone,
  type Speaker,
} from "../types.js";

export interface LampChange {
  level: LampLevel;
  /** `performance.now()` when the level changed. */
  at: number;
}

export class SimLamp implements LampOutput {
  readonly description = "simulated lamp";
  /** What the lamp physically shows now. */
  level: LampLevel = "off";
  /** Every change, oldest first (the tests check the interlock against it). */
  readonly changes: LampChange[] = [];
  /** Injected faults: writes throw, or the lamp reads back stuck at a level. */
  fault: { failWrites: boolean; stuckAt: LampLevel | null } = { failWrites: false, stuckAt: null };
  /** How long a write takes to show, like a relay or a GPIO write through sysfs (0: at once). */
  latencyMs: () => number = () => 0;
  private readonly listeners = new Set<(level: LampLevel) => void>();

  async write(level: LampLevel): Promise<void> {
    const latency = this.latencyMs();
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (this.fault.failWrites) {
      throw new Error("simulated lamp: write failed (injected fault)");
    }
    const shown = this.fault.stuckAt ?? level;
    if (shown !== this.level) {
      this.level = shown;
      this.changes.push({ level: shown, at: performance.now() });
      for (const listener of this.listeners) listener(shown);
    }
  }

  read(): Promise<LampLevel> {
    return Promise.resolve(this.level);
  }

  /** Calls back on every change of what the lamp shows. */
  onChange(listener: (level: LampLevel) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }
}

export class SimButton implements ButtonInput {
  readonly description = "simulated record button";
  private readonly listeners = new Set<(pressed: boolean) => void>();
  private pressed = false;

  watch(onEdge: (pressed: boolean) => void): () => void {
    this.listeners.add(onEdge);
    return () => this.listeners.delete(onEdge);
  }

  /** Pushes the button down (true) or lets it go (false). */
  set(pressed: boolean): void {
    if (pressed === this.pressed) return;
    this.pressed = pressed;
    for (const listener of this.listeners) listener(pressed);
  }

  /** A whole press: down, held for `holdMs`, up. */
  async press(holdMs = 80): Promise<void> {
    this.set(true);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    this.set(false);
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }
}

/** A YUYV picture growing brighter from left (dark grey) to right (near white). */
function testPattern(width: number, height: number): Buffer {
  const frame = Buffer.alloc(width * height * 2);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const at = (y * width + x) * 2;
      frame[at] = 64 + Math.floor((x * 160) / width); // luma
      frame[at + 1] = 128; // chroma: grey
    }
  }
  return frame;
}

export class SimCamera implements Camera {
  readonly nativeH264 = false;
  private present = true;
  private readonly watchers = new Set<(present: boolean, detail: string) => void>();
  /** Self-test frames taken, each with the lamp's level at that moment. */
  readonly selfTests: LampLevel[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
    readonly fps: number,
    /** The simulated lamp, looked at when a frame is taken (as a camera's own LED would be). */
    private readonly lamp: { readonly level: LampLevel } | null = null,
  ) {}

  get description(): string {
    return `simulated camera (test pattern ${this.width}x${this.height} at ${this.fps} fps)`;
  }

  check(): Promise<void> {
    return this.present
      ? Promise.resolve()
      : Promise.reject(new HardwareMissing("camera", "the simulated camera is unplugged"));
  }

  input(): FfmpegInput {
    return {
      input: `testsrc2=size=${this.width}x${this.height}:rate=${this.fps}`,
      options: ["-re", "-f", "lavfi"],
    };
  }

  watch(onChange: (present: boolean, detail: string) => void): () => void {
    this.watchers.add(onChange);
    return () => this.watchers.delete(onChange);
  }

  /** A test-pattern frame; refuses, loudly, if the simulated lamp is dark. */
  selfTest(): Promise<CameraShot> {
    if (!this.present) {
      return Promise.reject(new HardwareMissing("camera", "the simulated camera is unplugged"));
    }
    const level = this.lamp?.level ?? "on";
    this.selfTests.push(level);
    if (level !== "on") {
      return Promise.reject(new Error("simulated camera: a frame was asked for with the lamp off"));
    }
    const frame = testPattern(this.width, this.height);
    return Promise.resolve({
      ok: true,
      detail: `a ${this.width}x${this.height} test-pattern frame (simulated camera)`,
      camera: this.description,
      format: "rawvideo",
      width: this.width,
      height: this.height,
      bytes: frame.length,
      meanLuma: null,
      frame: { data: frame, format: "yuyv422", width: this.width, height: this.height },
    });
  }

  /** Unplugs (false) or plugs back (true) the simulated camera. */
  setPresent(present: boolean): void {
    if (present === this.present) return;
    this.present = present;
    const detail = present ? "simulated camera plugged in" : "simulated camera unplugged";
    for (const watcher of this.watchers) watcher(present, detail);
  }
}

export class SimMicrophone implements Microphone {
  readonly description = "simulated microphone (440 Hz tone)";
  private present = true;
  private readonly watchers = new Set<(present: boolean, detail: string) => void>();

  constructor(
    private readonly sampleRate: number,
    private readonly channels: number,
  ) {}

  check(): Promise<void> {
    return this.present
      ? Promise.resolve()
      : Promise.reject(new HardwareMissing("microphone", "the simulated microphone is unplugged"));
  }

  watch(onChange: (present: boolean, detail: string) => void): () => void {
    this.watchers.add(onChange);
    return () => this.watchers.delete(onChange);
  }

  /** Unplugs (false) or plugs back (true) the simulated microphone. */
  setPresent(present: boolean): void {
    if (present === this.present) return;
    this.present = present;
    const detail = present ? "simulated microphone plugged in" : "simulated microphone unplugged";
    for (const watcher of this.watchers) watcher(present, detail);
  }

  input(): FfmpegInput {
    const layout = this.channels === 1 ? "mono" : "stereo";
    return {
      input: `sine=frequency=440:sample_rate=${this.sampleRate},aformat=channel_layouts=${layout}`,
      options: ["-re", "-f", "lavfi"],
    };
  }
}

/** What the simulated speaker said: the sentence, when, and what the lamp showed then. */
export interface SimSaid {
  text: string;
  /** `performance.now()` when it began to speak (compare with `SimLamp.changes`). */
  at: number;
  lamp: LampLevel;
}

export class SimSpeaker implements Speaker {
  readonly description = "simulated speaker";
  /** Everything said, oldest first. */
  readonly said: SimSaid[] = [];
  /** Injected faults: no speaker at all, or one whose playing fails with this reason. */
  fault: { missing: boolean; failSay: string | null } = { missing: false, failSay: null };

  constructor(private readonly lamp: { readonly level: LampLevel } | null = null) {}

  check(): Promise<void> {
    return this.fault.missing
      ? Promise.reject(new HardwareMissing("speaker", "the simulated speaker is unplugged"))
      : Promise.resolve();
  }

  say(text: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(new Error("simulated speaker: aborted"));
    if (this.fault.missing) {
      return Promise.reject(new HardwareMissing("speaker", "the simulated speaker is unplugged"));
    }
    if (this.fault.failSay !== null) {
      return Promise.reject(new Error(`simulated speaker: ${this.fault.failSay}`));
    }
    this.said.push({ text, at: performance.now(), lamp: this.lamp?.level ?? "off" });
    return Promise.resolve();
  }
}

export interface SimHardware extends Hardware {
  readonly backend: "sim";
  lamp: SimLamp;
  button: SimButton;
  camera: SimCamera;
  microphone: SimMicrophone;
  speaker: SimSpeaker;
}

export function simHardware(settings: DeviceSettings["hardware"]): SimHardware {
  const lamp = new SimLamp();
  const button = new SimButton();
  return {
    backend: "sim",
    lamp,
    button,
    camera: new SimCamera(settings.camera.width, settings.camera.height, settings.camera.fps, lamp),
    microphone: new SimMicrophone(settings.microphone.sampleRate, settings.microphone.channels),
    speaker: new SimSpeaker(lamp),
    async close() {
      await lamp.write("off").catch(() => undefined);
      await Promise.all([lamp.close(), button.close()]);
    },
  };
}
