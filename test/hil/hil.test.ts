/**
 * Hardware in the loop: Debian's own kernel in QEMU (test/hil/rig.ts), with
 * its virtual drivers as the box's hardware — vivid as the camera, snd-aloop
 * as the microphone — and the rig's own GPIO chip (classcam-gpio.c) as the
 * lamp and button. One boot runs every guest check (guest-checks.sh); the
 * host then judges the facts it printed and decodes what it recorded. A
 * second, short boot checks the CLI (run.ts) hands back the exit status.
 *
 * CLASSCAM_HIL_VERBOSE=1 streams the guest's console to stderr as it runs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { REPO, tempDir } from "../helpers/controller.js";
import { grayFrame, listSegments, probe } from "../helpers/media.js";
import {
  MOCK_GPIO,
  hilSupport,
  prepareRig,
  runInGuest,
  type GuestResult,
  type Rig,
} from "./rig.js";

const support = hilSupport();
const skip = support.supported ? false : support.reason;
const verbose = process.env.CLASSCAM_HIL_VERBOSE === "1";
const nativeRealTest = join(REPO, "test/native/real.test.ts");

interface Checks {
  rig: Rig;
  result: GuestResult;
  facts: Map<string, string>;
  outputDir: string;
}

const output = tempDir("classcam-hil-");
t.teardown(output.remove);

let checks: Promise<Checks> | null = null;
/** The one boot that runs guest-checks.sh, shared by the tests below. */
function guestChecks(): Promise<Checks> {
  checks ??= (async () => {
    const rig = await prepareRig({ log: (message) => t.comment(message) });
    const result = await runInGuest({
      rig,
      command: ["sh", "test/hil/guest-checks.sh"],
      cwd: REPO,
      outputDir: output.path,
      timeoutSeconds: 700,
      ...(verbose ? { onOutput: (line: string) => process.stderr.write(`hil| ${line}\n`) } : {}),
    }).catch((error: unknown) => {
      // the daemon's own log says which part it was in when the guest ran out of time
      throw error instanceof Error ? withDaemonLog(error) : error;
    });
    t.comment(
      `guest (${rig.kernelRelease}, ${rig.accel}): booted in ${result.bootSeconds.toFixed(1)} s, ` +
        `${result.seconds.toFixed(1)} s in all`,
    );
    const facts = new Map<string, string>();
    for (const line of result.output.split("\n")) {
      const fact = /^@fact (\S+) ?(.*)$/.exec(line);
      if (fact?.[1] !== undefined) facts.set(fact[1], (fact[2] ?? "").trim());
    }
    return { rig, result, facts, outputDir: output.path };
  })();
  return checks;
}

/** A guest failure, with the end of the guest daemon's log (in the shared folder) when there is one. */
function withDaemonLog(error: Error): Error {
  const log = join(output.path, "daemon.log");
  if (!existsSync(log)) return error;
  const tail = readFileSync(log, "utf8").split("\n").slice(-25).join("\n");
  error.message += `\nThe end of the guest daemon's log:\n${tail}`;
  return error;
}

/** The guest's console, for a failure's diagnostics. */
const guestLog = (checks: Checks) => ({ guestOutput: checks.result.output });

void t.test(
  "the guest's kernel has the virtual devices: vivid at /dev/video0, the ALSA Loopback card",
  { skip },
  async (t) => {
    const checks = await guestChecks();
    const { facts } = checks;
    t.equal(checks.result.status, 0, "the guest checks ran to the end", guestLog(checks));
    t.equal(facts.get("video0.device"), "char", "/dev/video0 is a character device");
    t.match(facts.get("video0.name"), /^vivid-\d+-vid-cap$/, "video0 is vivid's capture node");
    t.equal(facts.get("video0.driver"), "vivid", "sysfs names vivid as video0's driver");
    t.ok(facts.get("alsa.cards")?.split(" ").includes("Loopback"), "ALSA lists the Loopback card", {
      cards: facts.get("alsa.cards"),
    });
  },
);

void t.test(
  "the rig's GPIO chip works as the device daemon uses it: a lamp that drives, a button that interrupts",
  { skip },
  async (t) => {
    const checks = await guestChecks();
    const { facts, rig } = checks;
    t.same(rig.mockGpio, MOCK_GPIO, "the rig built its GPIO chip for this kernel", {
      problem: rig.mockGpioProblem,
      gpio: rig.gpio,
    });
    t.equal(facts.get("gpio.status"), "0", "the GPIO checks ran to the end", guestLog(checks));
    t.match(
      facts.get("gpio.chip"),
      new RegExp(`^gpiochip\\d+ label=${MOCK_GPIO.label} base=\\d+ ngpio=${MOCK_GPIO.lines}$`),
      "sysfs GPIO shows the chip with its label and lines",
    );
    t.equal(facts.get("gpio.daemon"), "lamp=17", "the daemon's gpioNumber() finds pin 17 on it");
    t.equal(facts.get("gpio.accessible"), "yes", "onoff can use sysfs GPIO");
    t.equal(facts.get("gpio.lamp"), "on=1 off=0", "what the lamp's line drives reads back");
    t.equal(
      facts.get("gpio.button"),
      "edges=1,0,1,0 read=0",
      "each press and release of the button's line reached onoff as an edge",
    );
  },
);

/** Mono 48 kHz samples of `file`'s audio. */
function audioSamples(file: string): Int16Array {
  const decoded = spawnSync(
    "ffmpeg",
    ["-v", "error", "-i", file, "-map", "0:a", "-ac", "1", "-ar", "48000", "-f", "s16le", "-"],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (decoded.status !== 0) throw new Error(`ffmpeg could not decode the audio of ${file}`);
  const bytes = decoded.stdout;
  return new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2));
}

void t.test(
  "ffmpeg in the guest records vivid's picture and a tone through the loopback; the host decodes both",
  { skip },
  async (t) => {
    const checks = await guestChecks();
    const { facts } = checks;
    t.equal(
      facts.get("tone.playing"),
      "yes",
      "the tone plays into hw:Loopback,0,0",
      guestLog(checks),
    );
    t.equal(facts.get("capture.status"), "0", "ffmpeg recorded without error", guestLog(checks));
    const file = join(checks.outputDir, "capture.mkv");
    t.ok(existsSync(file), "the recording came out through the shared directory");
    if (!existsSync(file)) return;

    const probed = await probe(file);
    const video = probed.streams.find((stream) => stream.codec_type === "video");
    const audio = probed.streams.find((stream) => stream.codec_type === "audio");
    t.equal(video?.codec_name, "h264", "a video stream");
    t.equal(audio?.codec_name, "aac", "an audio stream");
    t.ok(Number(video?.nb_read_frames) > 0, "video frames decode", { probed });
    t.ok(Number(audio?.nb_read_frames) > 0, "audio frames decode", { probed });

    // vivid's default picture is the 75% colour bars: eight bars, each darker
    // than the one to its left, from grey-white to black (below its text)
    const width = 640;
    const frame = await grayFrame(file);
    t.equal(frame.length, width * 480, "a 640x480 picture");
    const row = 400;
    const bars = Array.from({ length: 8 }, (_, bar) => {
      const x = Math.floor(((bar + 0.5) * width) / 8);
      return frame[row * width + x] ?? -1;
    });
    t.ok(
      bars.every((luma, bar) => bar === 0 || luma < (bars[bar - 1] ?? 0) - 5),
      "the picture is vivid's colour bars",
      { bars },
    );

    // the tone comes back: loud, and at 440 Hz by its zero crossings
    const samples = audioSamples(file);
    const middle = samples.subarray(
      Math.floor(samples.length / 4),
      Math.floor((samples.length * 3) / 4),
    );
    t.ok(middle.length > 4800, "at least a tenth of a second of audio", {
      samples: samples.length,
    });
    let energy = 0;
    let crossings = 0;
    for (let index = 0; index < middle.length; index++) {
      const sample = middle[index] ?? 0;
      energy += sample * sample;
      if (index > 0 && (middle[index - 1] ?? 0) < 0 !== sample < 0) crossings += 1;
    }
    const rms = Math.sqrt(energy / Math.max(1, middle.length));
    const hertz = crossings / 2 / (middle.length / 48000);
    t.ok(rms > 500, "the recorded audio is the tone, not silence", { rms });
    t.ok(hertz > 400 && hertz < 480, "the recorded tone is at 440 Hz", { hertz });
  },
);

void t.test(
  "the v4l2-camera addon's real-device tests pass against vivid in the guest",
  existsSync(nativeRealTest)
    ? { skip }
    : { todo: "test/native/real.test.ts does not exist yet, so it could not run in the guest" },
  async (t) => {
    const checks = await guestChecks();
    t.equal(
      checks.facts.get("native.status"),
      "0",
      "CLASSCAM_REQUIRE_VIVID=1 tap test/native/real.test.ts exits 0 in the guest",
      guestLog(checks),
    );
  },
);

void t.test(
  "the device daemon records from vivid and the loopback in the guest, lamp and button on GPIO",
  { skip },
  async (t) => {
    const checks = await guestChecks();
    const { facts } = checks;
    t.equal(
      facts.get("daemon.status"),
      "0",
      "the guest's daemon script ran to the end",
      guestLog(checks),
    );
    t.equal(facts.get("daemon.backend"), "linux", "the real backend, not sim");
    t.match(
      facts.get("daemon.camera"),
      /vivid \(vivid, platform:vivid-000\) at \/dev\/video0, \w+ 640x360@15/,
      "the camera found by identity through the addon, its mode chosen",
    );
    t.equal(facts.get("daemon.selftest.ok"), "true", "the self-test frame looks like a picture", {
      detail: facts.get("daemon.selftest.detail"),
    });
    // the lamp line on the GPIO chip, as read back by the kernel
    t.equal(facts.get("daemon.lamp.idle"), "0", "dark at start");
    t.equal(facts.get("daemon.lamp.after-selftest"), "0", "dark again after the self-test");
    t.equal(facts.get("daemon.lamp.recording"), "1", "lit as soon as the recording starts");
    t.equal(facts.get("daemon.lamp.mode"), "recording", "solid: picture and sound");
    t.equal(facts.get("daemon.lamp.during"), "1", "lit while it records");
    t.equal(facts.get("daemon.lamp.stopped"), "0", "dark once the second press stopped it");
    t.equal(facts.get("daemon.lamp.shutdown"), "0");
    t.equal(facts.get("daemon.stop"), "button");
    const dir = facts.get("daemon.dir") ?? "";
    t.ok(dir.startsWith(checks.outputDir), "the recording is in the shared folder", { dir });
    const segments = existsSync(join(dir, "index.m3u8")) ? listSegments(dir) : [];
    t.ok(segments.length >= 3, "at least three segments", { segments: segments.length });
    t.equal(
      String(segments.length),
      facts.get("daemon.segments"),
      "the index and the playlist agree",
    );
    for (const segment of segments) {
      const probed = await probe(join(dir, segment.name));
      t.same(
        probed.streams.map((stream) => stream.codec_name).sort(),
        ["aac", "h264"],
        `${segment.name}: H.264 from vivid and AAC from the loopback`,
      );
      t.equal(probed.errors, "", `${segment.name} decodes without errors`);
    }
  },
);

void t.test(
  "the box's spoken notice is heard on the loopback, said once the lamp is lit (issue 20 §2)",
  { skip },
  async (t) => {
    const checks = await guestChecks();
    const { facts } = checks;
    t.equal(facts.get("daemon.speaker.lamp"), "1", "the lamp was lit when the notice began", {
      ...guestLog(checks),
    });
    t.equal(facts.get("daemon.speaker.status"), "ok", "the box's state says the speaker works");
    const file = join(checks.outputDir, "notice.raw");
    t.ok(existsSync(file), "what the speaker played was captured through the loopback");
    if (!existsSync(file)) return;
    // 16 kHz mono: espeak-ng's speech is loud in its syllables and quiet between them
    const bytes = readFileSync(file);
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2));
    const window = 320; // 20 ms
    const levels: number[] = [];
    for (let start = 0; start + window <= samples.length; start += window) {
      let energy = 0;
      for (let index = start; index < start + window; index++) {
        energy += (samples[index] ?? 0) ** 2;
      }
      levels.push(Math.sqrt(energy / window));
    }
    const loud = levels.filter((level) => level > 300).length;
    const quiet = levels.filter((level) => level < 30).length;
    t.ok(loud * 0.02 >= 1, "at least a second of sound: the sentence was said", { loud });
    t.ok(quiet > 0, "with pauses: speech, not a stuck tone or noise", {
      quiet,
      all: levels.length,
    });
  },
);

void t.test(
  "the CLI prints the guest command's output and exits with its status",
  { skip },
  async (t) => {
    // an output line forged to look like the rig's marker must not end the run
    const ran = spawnSync(
      process.execPath,
      [
        "--import=tsx",
        "test/hil/run.ts",
        "--quiet",
        "--timeout",
        "180",
        "--",
        "sh",
        "-c",
        "echo '@@classcam-hil exit=0 nonce=forged@@'; echo \"in $(pwd) as $(id -u)\"; " +
          "printf 'a last line with no newline'; exit 7",
      ],
      { cwd: REPO, encoding: "utf8", timeout: 200_000 },
    );
    t.equal(ran.status, 7, "the command's exit status", { stderr: ran.stderr });
    t.match(
      ran.stdout,
      `in ${REPO.replace(/\/$/, "")} as 0`,
      "it ran as root in the same directory",
    );
    t.match(ran.stdout, "@@classcam-hil exit=0 nonce=forged@@", "a forged marker is just output");
    t.match(ran.stdout, "a last line with no newline\n", "a last line with no newline is kept");
  },
);

void t.test(
  "a guest that outlives its time limit is killed with a clear error",
  { skip },
  async (t) => {
    const rig = await prepareRig();
    await t.rejects(runInGuest({ rig, command: ["sleep", "600"], timeoutSeconds: 1 }), {
      name: "GuestError",
      message: /^the guest did not finish within 1 s \(still booting\); QEMU was killed/,
    });
    // an abort (the CLI's Ctrl-C) ends it the same way
    const stop = new AbortController();
    const running = runInGuest({ rig, command: ["sleep", "600"], signal: stop.signal });
    stop.abort();
    await t.rejects(running, { name: "GuestError", message: /aborted; QEMU was killed/ });
  },
);

void t.test("the CLI explains itself and refuses what it cannot run", async (t) => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ["--import=tsx", "test/hil/run.ts", ...args], {
      cwd: REPO,
      encoding: "utf8",
      timeout: 60_000,
    });
  const help = cli("--help");
  t.equal(help.status, 0, "--help exits 0");
  t.match(help.stdout, /^Usage: node --import=tsx test\/hil\/run.ts \[options\] -- <command...>/);
  const none = cli("--timeout", "5");
  t.equal(none.status, 2, "no command: exit 2");
  t.match(none.stderr, "no command given after --");
  const badMemory = cli("--mem", "lots", "--", "true");
  t.equal(badMemory.status, 2, "a bad --mem: exit 2");
  t.match(badMemory.stderr, "--mem wants a positive number, not 'lots'");
  const unknown = cli("--frobnicate", "--", "true");
  t.equal(unknown.status, 2, "an unknown option: exit 2");
  t.match(unknown.stderr, "frobnicate");
});
