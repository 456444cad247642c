/**
 * The device daemon's settings: one JSON file (the provisioning bundle writes
 * it), overlaid on defaults, checked against one schema with every problem
 * reported at once. The hardware backend is always named explicitly: the
 * simulated lamp, button and camera never switch on by themselves.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import {
  compile,
  deviceIdProblem,
  HARDWARE_BACKENDS,
  MAX_RECORDED_SEGMENT_SECONDS,
  SEALING_PUBLIC_KEY_PATTERN,
  type HardwareBackend,
} from "@classcam/protocol";

const strict = { additionalProperties: false } as const;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const Pin = Type.Integer({ minimum: 0, maximum: 1023 });

export const DeviceSettingsSchema = Type.Object(
  {
    deviceId: Type.String({ minLength: 1, maxLength: 64 }),
    /** The device's own secret, issued once at enrolment. */
    secret: Type.String({ minLength: 16, maxLength: 200 }),
    /** Where the buffer, index, outbox and cached config live. */
    dataDir: Type.String({ minLength: 1 }),
    controller: Type.Object(
      {
        /** e.g. mqtt://controller.school:1883 or mqtts://controller.school:8883 */
        mqttUrl: Type.String({ pattern: "^mqtts?://[^/]+" }),
        /** PEM file of the school's CA; the device then trusts only that CA. */
        caFile: Type.Optional(Type.String({ minLength: 1 })),
        /**
         * The controller's public sealing key (`x25519:…`, from the enrolment answer). With it,
         * every recording is encrypted on the card and its key sealed to the controller;
         * without it (a box enrolled before issue 20) footage is written in the clear.
         */
        sealingKey: Type.Optional(Type.String({ pattern: SEALING_PUBLIC_KEY_PATTERN })),
      },
      strict,
    ),
    /**
     * A RAM-backed folder (tmpfs) for a running recording's content key; never on the card.
     * Default `/run/classcam` (the unit's RuntimeDirectory).
     */
    runtimeDir: Type.Optional(Type.String({ minLength: 1 })),
    hardware: Type.Object(
      {
        /** `linux`: GPIO through onoff, ALSA, V4L2. `sim`: a virtual box for the demo and tests. */
        backend: Type.Unsafe<HardwareBackend>({ type: "string", enum: [...HARDWARE_BACKENDS] }),
        /**
         * The label of the GPIO chip the lamp and button lines are on. Default: the
         * Raspberry Pi's own pin controller (pinctrl-bcm…, pinctrl-rp1), in BCM numbering.
         */
        gpioChip: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        lamp: Type.Object(
          {
            /** The BCM line number on the Pi's GPIO header (the sysfs base is added at start). */
            pin: Pin,
            activeLow: Type.Boolean(),
            /**
             * An input wired to the lamp's current sense, read back after every change. Without it
             * the read-back is the output latch: a failed driver is caught, a blown bulb is not.
             */
            sensePin: Type.Optional(Pin),
          },
          strict,
        ),
        button: Type.Object(
          {
            pin: Pin,
            activeLow: Type.Boolean(),
            debounceMs: Type.Integer({ minimum: 0, maximum: 500 }),
            /** A press held this long asks to keep the last recording. */
            longPressMs: Type.Integer({ minimum: 500, maximum: 10_000 }),
          },
          strict,
        ),
        camera: Type.Object(
          {
            /**
             * Which camera, by identity (linux backend), so `/dev/videoN` order
             * does not matter: every field given must equal the camera's own
             * (`card` and `driver` as V4L2 reports them, `busInfo` e.g.
             * `usb-0000:01:00.0-1.2`). Without it, the one USB camera present.
             */
            match: Type.Optional(
              Type.Object(
                {
                  card: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
                  driver: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
                  busInfo: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
                },
                { ...strict, minProperties: 1 },
              ),
            ),
            /** A fixed device node instead of `match` (for a box with one camera that never moves). */
            device: Type.Optional(Type.String({ pattern: "^/dev/" })),
            /**
             * What the camera is asked for. `auto`: the best it offers at this size and
             * rate — its own H.264 (copied through), then MJPEG, then raw.
             */
            inputFormat: Type.Unsafe<"auto" | "h264" | "mjpeg" | "yuyv422">({
              type: "string",
              enum: ["auto", "h264", "mjpeg", "yuyv422"],
            }),
            width: Type.Integer({ minimum: 160, maximum: 3840 }),
            height: Type.Integer({ minimum: 120, maximum: 2160 }),
            fps: Type.Integer({ minimum: 1, maximum: 60 }),
            /**
             * The school's camera controls, by the key of the V4L2 control's name
             * (`power_line_frequency`, `focus_automatic_continuous`…): a number, or a
             * menu item's name (`"50 Hz"`). Applied before every recording; one the
             * camera does not have is skipped with a warning.
             */
            controls: Type.Record(
              Type.String({ pattern: "^[a-z0-9_]{1,64}$" }),
              Type.Union([Type.Integer(), Type.String({ minLength: 1, maxLength: 64 })]),
              { additionalProperties: false },
            ),
          },
          strict,
        ),
        microphone: Type.Object(
          {
            /** The ALSA device, e.g. `hw:1,0` or `plughw:CARD=Device`. */
            device: Type.String({ minLength: 1 }),
            sampleRate: Type.Integer({ minimum: 8000, maximum: 96_000 }),
            channels: Type.Integer({ minimum: 1, maximum: 2 }),
          },
          strict,
        ),
        /** The speaker that says the spoken notice: espeak-ng's speech played through ALSA. */
        speaker: Type.Object(
          {
            /** The ALSA device `aplay -D` plays on, e.g. `default` or `plughw:CARD=Headphones`. */
            device: Type.String({ minLength: 1, maxLength: 200 }),
            /** The espeak-ng voice, e.g. `en-gb`. */
            voice: Type.String({ pattern: "^[A-Za-z0-9_+-]{1,40}$" }),
          },
          strict,
        ),
      },
      strict,
    ),
    recorder: Type.Object(
      {
        segmentSeconds: Type.Integer({ minimum: 1, maximum: MAX_RECORDED_SEGMENT_SECONDS }),
        /** `auto` picks: camera H.264 copied, else h264_v4l2m2m when present, else libx264. */
        encoder: Type.Unsafe<"auto" | "copy" | "h264_v4l2m2m" | "libx264">({
          type: "string",
          enum: ["auto", "copy", "h264_v4l2m2m", "libx264"],
        }),
        x264Preset: Type.Unsafe<"ultrafast" | "superfast" | "veryfast" | "faster">({
          type: "string",
          enum: ["ultrafast", "superfast", "veryfast", "faster"],
        }),
        videoKbps: Type.Integer({ minimum: 100, maximum: 20_000 }),
        audioKbps: Type.Integer({ minimum: 32, maximum: 320 }),
        /** The ffmpeg and ffprobe programs. */
        ffmpeg: Type.String({ minLength: 1 }),
        ffprobe: Type.String({ minLength: 1 }),
      },
      strict,
    ),
    storage: Type.Object(
      {
        /** Free space kept for the next minutes of recording; below it the janitor overwrites. */
        reserveBytes: Type.Integer({ minimum: 0 }),
        /** How often the janitor runs when nothing else wakes it. */
        janitorSeconds: Type.Integer({ minimum: 1, maximum: 3600 }),
      },
      strict,
    ),
    /** A local HTTP endpoint for the demo's virtual button (sim backend only). */
    demo: Type.Optional(
      Type.Object(
        { host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 0, maximum: 65535 }) },
        strict,
      ),
    ),
    log: Type.Object(
      { level: Type.Unsafe<string>({ type: "string", enum: [...LOG_LEVELS] }) },
      strict,
    ),
  },
  strict,
);
export type DeviceSettings = Static<typeof DeviceSettingsSchema>;

type Defaults = Omit<DeviceSettings, "deviceId" | "secret" | "dataDir" | "controller">;

/** Where a running recording's content key is kept when `runtimeDir` is not set (tmpfs). */
export const DEFAULT_RUNTIME_DIR = "/run/classcam";

export const DEFAULT_SETTINGS: Defaults = {
  hardware: {
    backend: "linux",
    lamp: { pin: 17, activeLow: false },
    button: { pin: 27, activeLow: true, debounceMs: 30, longPressMs: 2000 },
    camera: {
      inputFormat: "auto",
      width: 1280,
      height: 720,
      fps: 30,
      // UK mains: at 60 Hz (the usual default) the picture flickers under lights
      controls: { power_line_frequency: "50 Hz" },
    },
    microphone: { device: "default", sampleRate: 48_000, channels: 1 },
    speaker: { device: "default", voice: "en-gb" },
  },
  recorder: {
    segmentSeconds: 2,
    encoder: "auto",
    x264Preset: "superfast",
    videoKbps: 2500,
    audioKbps: 96,
    ffmpeg: "ffmpeg",
    ffprobe: "ffprobe",
  },
  storage: { reserveBytes: 512 * 1024 * 1024, janitorSeconds: 60 },
  log: { level: "info" },
};

const check = compile(DeviceSettingsSchema);

/** Defaults under `value` (one level of sections deep, as the file is written). */
function overlay(value: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(DEFAULT_SETTINGS as Record<string, unknown>) };
  for (const [key, given] of Object.entries(value)) {
    const base = merged[key];
    if (isPlainObject(base) && isPlainObject(given)) {
      const section: Record<string, unknown> = { ...base };
      for (const [inner, innerGiven] of Object.entries(given)) {
        const innerBase = section[inner];
        section[inner] =
          isPlainObject(innerBase) && isPlainObject(innerGiven)
            ? { ...innerBase, ...innerGiven }
            : innerGiven;
      }
      merged[key] = section;
    } else {
      merged[key] = given;
    }
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export type SettingsResult = { ok: true; settings: DeviceSettings } | { ok: false; error: string };

/** Checks settings given as a value (file contents already parsed), defaults filled in. */
export function checkSettings(value: unknown, source = "settings"): SettingsResult {
  if (!isPlainObject(value)) return { ok: false, error: `${source}: must be a JSON object` };
  const result = check(overlay(value));
  if (!result.ok) return { ok: false, error: `${source}: ${result.error}` };
  const settings = result.value;
  const problems: string[] = [];
  const idProblem = deviceIdProblem(settings.deviceId);
  if (idProblem !== null) problems.push(`deviceId: ${idProblem}`);
  const { camera } = settings.hardware;
  if (
    settings.recorder.encoder === "copy" &&
    camera.inputFormat !== "h264" &&
    camera.inputFormat !== "auto"
  ) {
    problems.push(
      `recorder.encoder: 'copy' needs a camera that gives H.264 (hardware.camera.inputFormat is '${camera.inputFormat}')`,
    );
  }
  if (camera.width % 2 !== 0 || camera.height % 2 !== 0) {
    problems.push("hardware.camera: width and height must be even numbers");
  }
  if (camera.match !== undefined && camera.device !== undefined) {
    problems.push(
      "hardware.camera: give either match (which camera) or device (a fixed node), not both",
    );
  }
  if (settings.demo !== undefined && settings.hardware.backend !== "sim") {
    problems.push("demo: the virtual button endpoint exists only with hardware.backend 'sim'");
  }
  if (problems.length > 0) return { ok: false, error: `${source}: ${problems.join("; ")}` };
  return { ok: true, settings };
}

/** Reads and checks the settings file; relative paths in it are relative to the file. */
export function loadSettings(file: string): DeviceSettings {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read the settings file ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: is not valid JSON (${(error as Error).message})`);
  }
  const result = checkSettings(value, file);
  if (!result.ok) throw new Error(result.error);
  const settings = result.settings;
  const base = dirname(resolve(file));
  settings.dataDir = resolve(base, settings.dataDir);
  if (settings.controller.caFile !== undefined) {
    settings.controller.caFile = resolve(base, settings.controller.caFile);
  }
  return settings;
}
