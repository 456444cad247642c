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
    readonly part: "camera" | "microphone" | "lamp" | "button" | "speaker",
    detail: string,
  ) {
    super(`${part} missing: ${detail}`);
    this.name = "HardwareMissing";
  }
}

/** What one self-test frame showed. */
export interface CameraSelfTest {
  ok: boolean;
  /** In words: what the frame was, or what is wrong with it. */
  detail: string;
  /** Which camera, in words. */
  camera: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  /** Mean brightness 0–255, where the format allows reading it. */
  meanLuma: number | null;
}

/** The frame a self-test took, as the camera gave it: to be made into a picture of the room. */
export interface CameraFrame {
  /** One YUYV or MJPEG frame, or H.264 from the start of the stream to the frame (decodable alone). */
  data: Buffer;
  format: "yuyv422" | "mjpeg" | "h264";
  width: number;
  height: number;
}

/** A self-test's answer, and the frame it took (null when the camera gave nothing to show). */
export interface CameraShot extends CameraSelfTest {
  frame: CameraFrame | null;
}

export interface Camera {
  readonly description: string;
  /** The camera gives H.264 itself, so it can be copied without re-encoding (known once checked). */
  readonly nativeH264: boolean;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /**
   * Resolves when the camera is there and set up for recording (its mode chosen);
   * rejects with `HardwareMissing` saying what is wrong.
   */
  check(): Promise<void>;
  /** The ffmpeg input that reads it, in the mode `check()` chose. */
  input(): FfmpegInput;
  /** Calls back when the camera goes away and when it comes back; returns a function that stops watching. */
  watch(onChange: (present: boolean, detail: string) => void): () => void;
  /**
   * Takes one frame and says whether it looks like a picture. Captures: the
   * caller (the session) calls it only with the lamp lit and read back.
   */
  selfTest(): Promise<CameraShot>;
}

export interface Microphone {
  readonly description: string;
  /** Resolves when the microphone is there; rejects with `HardwareMissing` saying what is wrong. */
  check(): Promise<void>;
  input(): FfmpegInput;
  /** Calls back when the microphone goes away and when it comes back; returns a function that stops watching. */
  watch(onChange: (present: boolean, detail: string) => void): () => void;
}

/** The speaker: says the spoken notice aloud when a recording starts. */
export interface Speaker {
  readonly description: string;
  /** Resolves when the speaker can speak; rejects with `HardwareMissing` saying what is missing. */
  check(): Promise<void>;
  /**
   * Says `text` aloud; resolves once it was said, rejects saying why it could
   * not be. Aborting `signal` cuts the speech off (a stopping box, or a
   * speaker that has hung) and rejects.
   */
  say(text: string, signal?: AbortSignal): Promise<void>;
}

/** The parts of the box, as one backend built them. */
export interface Hardware {
  readonly backend: "linux" | "sim";
  lamp: LampOutput;
  button: ButtonInput;
  camera: Camera;
  microphone: Microphone;
  speaker: Speaker;
  close(): Promise<void>;
}
