/**
 * The hardware seams. Everything above them (session, recorder) sees only
 * these interfaces; `linux/` drives the real box, `sim/` is the virtual box
 * used by the demo and the tests, chosen by name in the settings.
 */
import type { LAMP_MODES } from "@classcam/protocol";

export type LampLevel = "on" | "off";
export type LampMode = (typeof LAMP_MODES)[number];

/** The lamp's wire: drive it, read it back. One per backend. */
export interface LampOutput {
  readonly description: string;
  write(level: LampLevel): Promise<void>;
  read(): Promise<LampLevel>;
  close(): Promise<void>;
}

/** The record button's wire: raw level changes, before debouncing. */
export interface ButtonInput {
  readonly description: string;
  /** Calls back on every edge, `true` when pressed. Returns a function that stops watching. */
  watch(onEdge: (pressed: boolean) => void): () => void;
  close(): Promise<void>;
}

/** How ffmpeg opens a capture device: its input and the options before `-i`. */
export interface FfmpegInput {
  input: string;
  options: string[];
}

export class HardwareMissing extends Error {
  constructor(
    readonly part: "camera" | "microphone" | "lamp" | "button",
    detail: string,
  ) {
    super(`${part} missing: ${detail}`);
    this.name = "HardwareMissing";
  }
}

export interface Camera {
  readonly description: string;
  /** The camera gives H.264 itself, so it can be copied without re-encoding. */
  readonly nativeH264: boolean;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Resolves when the camera is there; rejects with `HardwareMissing` saying what is wrong. */
  check(): Promise<void>;
  /** The ffmpeg input that reads it. */
  input(): FfmpegInput;
  /** Calls back when the camera goes away and when it comes back; returns a function that stops watching. */
  watch(onChange: (present: boolean, detail: string) => void): () => void;
}

export interface Microphone {
  readonly description: string;
  check(): Promise<void>;
  input(): FfmpegInput;
}

/** The four parts of the box, as one backend built them. */
export interface Hardware {
  readonly backend: "linux" | "sim";
  lamp: LampOutput;
  button: ButtonInput;
  camera: Camera;
  microphone: Microphone;
  close(): Promise<void>;
}
