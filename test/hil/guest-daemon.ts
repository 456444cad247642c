/**
 * Runs inside the HIL guest (from guest-checks.sh): the device daemon on its
 * `linux` backend, on real drivers — the camera is the kernel's vivid, found
 * by identity through the v4l2-camera addon; the microphone is the ALSA
 * loopback, fed with a tone; the lamp and button are lines of the rig's GPIO
 * chip, driven through sysfs by onoff, the button pressed by writing to the
 * chip's debugfs file (which raises the line's interrupt, as a real button
 * would). Prints `@fact daemon.* <value>` lines for hil.test.ts to judge and
 * copies the recording to $CLASSCAM_HIL_OUTPUT/recording for the host's
 * ffprobe. It judges nothing itself.
 */
import { spawn } from "node:child_process";
import { cpSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { checkSettings, Daemon } from "@classcam/device";
import { cacheBoxConfig, until } from "../helpers/device.js";

const LAMP = 17;
const BUTTON = 27;
const DEBUGFS = "/sys/kernel/debug/classcam-gpio";
const out = process.env.CLASSCAM_HIL_OUTPUT ?? "";
if (out === "") throw new Error("CLASSCAM_HIL_OUTPUT is not set: run me in the rig");

const fact = (name: string, value: string | number | boolean) =>
  process.stdout.write(`@fact daemon.${name} ${String(value)}\n`);
const lampLine = () => readFileSync(join(DEBUGFS, String(LAMP)), "utf8").trim();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A short press on the button's line, held until the daemon's own button has
 * seen it and then released until it has seen that: onoff reads the line's
 * level when it gets to the interrupt, which the emulated CPUs may delay while
 * they encode, so a press held for a fixed time could be missed. Held a little
 * longer than the debounce after it is seen, so the release is not taken for
 * bounce.
 */
async function press(button: Daemon["hardware"]["button"]): Promise<void> {
  const seen: boolean[] = [];
  const stop = button.watch((pressed) => seen.push(pressed));
  try {
    writeFileSync(join(DEBUGFS, String(BUTTON)), "1");
    await until(() => seen.includes(true), "the press to reach the daemon", 60_000, 20);
    await sleep(300);
    writeFileSync(join(DEBUGFS, String(BUTTON)), "0");
    await until(() => seen.at(-1) === false, "the release to reach the daemon", 60_000, 20);
  } finally {
    stop();
  }
}

// the tone plays into the loopback; the daemon records the other side
const tone = spawn(
  "ffmpeg",
  [
    ...["-nostdin", "-hide_banner", "-loglevel", "error", "-re"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
    ...["-ac", "2", "-f", "alsa", "hw:Loopback,0,0"],
  ],
  { stdio: "inherit" },
);
await until(
  () => {
    try {
      return readFileSync("/proc/asound/Loopback/pcm0p/sub0/status", "utf8").includes("RUNNING");
    } catch {
      return false;
    }
  },
  "the tone to play into the loopback",
  60_000,
  100,
);

// the box's speaker plays into the loopback's second substream; what it says is
// captured from the other side, for the host to judge (issue 20 §2). Started
// before the daemon, so the capture fixes the stream's format and the speaker's
// plughw converts to it.
const SPEAKER_SUBSTREAM = "/proc/asound/Loopback/pcm0p/sub1/status";
// arecord, not ffmpeg: ffmpeg's muxer logs every out-of-order timestamp of an idle
// loopback, and a flood on the guest's serial console stalls the whole guest
const notice = spawn(
  "arecord",
  ["-q", "-D", "hw:Loopback,1,1", "-f", "S16_LE", "-c", "1", "-r", "16000", "-t", "raw"],
  { stdio: ["ignore", openSync(join(out, "notice.raw"), "w"), "inherit"] },
);
const speakerPlaying = () => {
  try {
    return readFileSync(SPEAKER_SUBSTREAM, "utf8").includes("RUNNING");
  } catch {
    return false;
  }
};

// the box's data on the guest's own tmpfs (SQLite's WAL wants shared memory, which
// the 9p share cannot give); the recording is copied out for the host afterwards
const dataDir = "/run/classcam-hil-box";
const checked = checkSettings({
  deviceId: "hil-room",
  secret: "hil-secret-0123456789abcdef",
  dataDir,
  // no controller in the guest: the box records on its cached schedule, as offline
  controller: { mqttUrl: "mqtt://127.0.0.1:9" },
  hardware: {
    backend: "linux",
    lamp: { pin: LAMP, activeLow: false },
    button: { pin: BUTTON, activeLow: false, debounceMs: 30, longPressMs: 8000 },
    camera: {
      match: { driver: "vivid" },
      inputFormat: "auto",
      width: 640,
      height: 360,
      fps: 15,
      controls: { power_line_frequency: "50 Hz", brightness: 128 },
    },
    microphone: { device: "hw:Loopback,1,0", sampleRate: 48_000, channels: 2 },
    speaker: { device: "plughw:Loopback,0,1", voice: "en-gb" },
  },
  recorder: { x264Preset: "ultrafast", videoKbps: 600, segmentSeconds: 2 },
  storage: { reserveBytes: 16 * 1024 * 1024, janitorSeconds: 3600 },
  log: { level: "info" },
});
if (!checked.ok) throw new Error(checked.error);
const settings = checked.settings;
cacheBoxConfig(settings.dataDir); // a booking around now, with audio

const logger = pino({ level: "info" }, pino.destination(join(out, "daemon.log")));
const daemon = await Daemon.start({ settings, logger });
try {
  fact("backend", daemon.hardware.backend);
  fact("lamp.idle", lampLine());

  // the camera as the addon found it, and a self-test frame, taken with the lamp lit
  await until(
    () => daemon.hardware.camera.description.includes("/dev/video"),
    "the camera",
    60_000,
  );
  fact("camera", JSON.stringify(daemon.hardware.camera.description));
  const test = await daemon.selfTest();
  fact("selftest.ok", test.ok);
  fact("selftest.detail", JSON.stringify(test.detail));
  fact("lamp.after-selftest", lampLine());

  // the notice is said once the lamp is lit, perhaps before the capture is under way:
  // watched from the press on, noting the lamp's line when its stream begins
  const heard = { began: false, lamp: "", ended: false };
  const listening = setInterval(() => {
    const playing = speakerPlaying();
    if (playing && !heard.began) Object.assign(heard, { began: true, lamp: lampLine() });
    if (!playing && heard.began) heard.ended = true;
  }, 20);

  // a press on the button's GPIO line starts the recording: the lamp lights first
  await press(daemon.hardware.button);
  await until(() => daemon.session.phase === "recording", "the recording to start", 60_000, 50);
  const recordingId = daemon.session.recording?.recordingId ?? "";
  fact("recording", recordingId);
  fact("lamp.recording", lampLine());
  fact("lamp.mode", daemon.lamp.mode);
  await until(() => heard.ended, "the spoken notice to be said", 120_000, 50).catch(
    (error: unknown) => process.stdout.write(`${String(error)}\n`),
  );
  clearInterval(listening);
  fact("speaker.lamp", heard.began ? heard.lamp : "never played");
  fact("speaker.status", daemon.notice.status);
  await until(
    async () => ((await daemon.index.get(recordingId))?.segments ?? 0) >= 3,
    "three segments",
    120_000,
    200,
  );
  fact("lamp.during", lampLine());

  await press(daemon.hardware.button);
  // the lamp goes dark after the capture has ended, a moment after the session is idle
  await until(
    () => daemon.session.phase === "idle" && daemon.lamp.mode === "off",
    "the recording to stop and the lamp to go dark",
    60_000,
    50,
  );
  fact("lamp.stopped", lampLine());
  const recording = await daemon.index.get(recordingId);
  fact("stop", recording?.stopReason ?? "none");
  fact("segments", recording?.segments ?? 0);
  if (recording !== undefined) {
    const copy = join(out, "recording");
    cpSync(recording.dir, copy, { recursive: true });
    fact("dir", copy);
  }
} finally {
  await daemon.stop();
  fact("lamp.shutdown", lampLine());
  tone.kill();
  // raw samples have no header to finish: arecord just stops
  const ended = new Promise((resolve) => notice.once("exit", resolve));
  notice.kill("SIGINT");
  await ended;
}
