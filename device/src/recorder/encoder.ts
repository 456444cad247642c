/**
 * Which H.264 encoder the recorder uses. A camera that gives H.264 itself is
 * copied through untouched; otherwise the Pi's hardware encoder (V4L2
 * mem2mem, e.g. /dev/video11 on a Pi 4) when ffmpeg has it and a real encode
 * through it works; otherwise libx264 in software.
 *
 * Privacy masks are burned into the picture before encoding, so footage with
 * masks can never be copied: `chooseEncoder` takes the masks and never picks
 * `copy` when there are any (and refuses an explicit `copy`), and
 * `Capture.start` refuses `copy` with masks as a second line of defence.
 */
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import type { PrivacyMask } from "@classcam/protocol";
import type { DeviceSettings } from "../config.js";
import type { Camera } from "../hw/types.js";

export type EncoderName = "copy" | "h264_v4l2m2m" | "libx264";

export interface EncoderChoice {
  name: EncoderName;
  /** Why this encoder, in words for the log. */
  why: string;
}

export interface EncoderOptions {
  /** The device's privacy masks: with any, the picture must be re-encoded (never `copy`). */
  masks?: readonly PrivacyMask[];
}

type Probe = { ok: true } | { ok: false; reason: string };

/** Answers per ffmpeg program: the machine does not change while the daemon runs. */
const encoderLists = new Map<string, Promise<Set<string>>>();
const m2mProbes = new Map<string, Promise<Probe>>();

/**
 * Picks the encoder for `settings.encoder`: `auto` as described above, or the
 * named one after checking that this machine can do it (a clear error if not).
 */
export async function chooseEncoder(
  settings: DeviceSettings["recorder"],
  camera: Camera,
  options: EncoderOptions = {},
): Promise<EncoderChoice> {
  const masked = (options.masks?.length ?? 0) > 0;
  switch (settings.encoder) {
    case "copy": {
      if (!camera.nativeH264) {
        throw new Error(
          `recorder.encoder 'copy' needs a camera that gives H.264 itself; ${camera.description} does not`,
        );
      }
      if (masked) {
        throw new Error(
          "recorder.encoder 'copy' cannot burn in privacy masks: choose 'auto', 'h264_v4l2m2m' or 'libx264'",
        );
      }
      return { name: "copy", why: "recorder.encoder is 'copy': the camera's H.264 is copied" };
    }
    case "h264_v4l2m2m": {
      const probe = await probeM2m(settings.ffmpeg);
      if (!probe.ok) {
        throw new Error(`recorder.encoder 'h264_v4l2m2m' cannot be used here: ${probe.reason}`);
      }
      return { name: "h264_v4l2m2m", why: "recorder.encoder is 'h264_v4l2m2m' and it works" };
    }
    case "libx264":
      await requireLibx264(settings.ffmpeg);
      return {
        name: "libx264",
        why: `recorder.encoder is 'libx264' (preset ${settings.x264Preset})`,
      };
    case "auto": {
      if (camera.nativeH264 && !masked) {
        return { name: "copy", why: "the camera gives H.264: copied without re-encoding" };
      }
      const reasonNotCopy = camera.nativeH264
        ? "the camera gives H.264 but privacy masks must be burned in"
        : "the camera does not give H.264";
      const probe = await probeM2m(settings.ffmpeg);
      if (probe.ok) {
        return {
          name: "h264_v4l2m2m",
          why: `${reasonNotCopy}; the hardware encoder (V4L2 mem2mem) works`,
        };
      }
      await requireLibx264(settings.ffmpeg);
      return {
        name: "libx264",
        why: `${reasonNotCopy}; no hardware encoder (${probe.reason}); libx264 preset ${settings.x264Preset}`,
      };
    }
  }
}

/** Forgets cached probe answers (tests; or after hardware changed). */
export function forgetEncoderProbes(): void {
  encoderLists.clear();
  m2mProbes.clear();
}

function run(
  program: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; error: Error | null }> {
  return new Promise((resolve) => {
    execFile(
      program,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr, error });
      },
    );
  });
}

/** The encoder names this ffmpeg was built with. */
function ffmpegEncoders(ffmpeg: string): Promise<Set<string>> {
  let list = encoderLists.get(ffmpeg);
  if (list === undefined) {
    list = run(ffmpeg, ["-hide_banner", "-encoders"], 15_000).then(({ code, stdout, error }) => {
      if (code !== 0) {
        throw new Error(
          `cannot list the encoders of ffmpeg '${ffmpeg}': ${error?.message ?? "no output"}`,
        );
      }
      const names = new Set<string>();
      for (const line of stdout.split("\n")) {
        const match = /^\s*[VAS.][F.][S.][X.][B.][D.]\s+(\S+)/.exec(line);
        if (match?.[1] !== undefined) names.add(match[1]);
      }
      return names;
    });
    // A failed listing is not remembered: the next call asks again.
    list.catch(() => encoderLists.delete(ffmpeg));
    encoderLists.set(ffmpeg, list);
  }
  return list;
}

async function requireLibx264(ffmpeg: string): Promise<void> {
  const encoders = await ffmpegEncoders(ffmpeg);
  if (!encoders.has("libx264")) {
    throw new Error(`ffmpeg '${ffmpeg}' was built without libx264, and no other encoder fits`);
  }
}

/**
 * Whether the V4L2 mem2mem H.264 encoder really works: ffmpeg must have it,
 * some /dev/video* must exist, and a tiny encode through it must succeed
 * (a Pi 4 has the node even when the firmware's encoder is disabled).
 */
function probeM2m(ffmpeg: string): Promise<Probe> {
  let probe = m2mProbes.get(ffmpeg);
  if (probe === undefined) {
    probe = (async (): Promise<Probe> => {
      const encoders = await ffmpegEncoders(ffmpeg);
      if (!encoders.has("h264_v4l2m2m")) {
        return { ok: false, reason: `ffmpeg '${ffmpeg}' has no h264_v4l2m2m encoder` };
      }
      const nodes = (await readdir("/dev").catch(() => [])).filter((name) =>
        /^video\d+$/.test(name),
      );
      if (nodes.length === 0) return { ok: false, reason: "no /dev/video* device exists" };
      const trial = await run(
        ffmpeg,
        [
          "-hide_banner",
          "-nostdin",
          "-loglevel",
          "error",
          "-f",
          "lavfi",
          "-i",
          "testsrc2=size=320x240:rate=10",
          "-frames:v",
          "5",
          "-pix_fmt",
          "yuv420p",
          "-c:v",
          "h264_v4l2m2m",
          "-b:v",
          "500k",
          "-f",
          "null",
          "-",
        ],
        20_000,
      );
      if (trial.code === 0) return { ok: true };
      const said = trial.stderr.trim().split("\n").slice(-3).join(" | ");
      return {
        ok: false,
        reason: `a trial encode through the M2M encoder failed (${said || (trial.error?.message ?? "no reason given")}) with ${nodes.map((node) => `/dev/${node}`).join(", ")} present`,
      };
    })();
    probe.catch(() => m2mProbes.delete(ffmpeg));
    m2mProbes.set(ffmpeg, probe);
  }
  return probe;
}
