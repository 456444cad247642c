/**
 * The spoken notice (issue 20 §2) at the sim box's speaker: a recording start
 * says the school's sentence once, after the lamp is lit; a school that turned
 * it off hears nothing; a speaker that is missing or fails never stops the
 * recording and the box's state says why. Then the real speaker's programs
 * (espeak-ng | aplay) through stand-ins: argument lists, the sentence on stdin.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { DEFAULT_SPOKEN_NOTICE, type DeviceConfig } from "@classcam/protocol";
import { simHardware, type SimHardware } from "@classcam/device";
import { AlsaSpeaker } from "../../device/src/hw/linux/speaker.js";
import { HardwareMissing } from "../../device/src/hw/types.js";
import { captureLogger, tempDir } from "../helpers/controller.js";
import { NoticePart } from "../../device/src/session/notice.js";
import {
  boxDir,
  boxSettings,
  cacheBoxConfig,
  startBox,
  until,
  type TestBox,
} from "../helpers/device.js";

const OFFLINE = "mqtt://127.0.0.1:9";

async function box(
  t: Test,
  policy: DeviceConfig["policy"],
  fault?: (hw: SimHardware) => void,
): Promise<TestBox> {
  const dir = boxDir();
  cacheBoxConfig(dir.path, { policy });
  const settings = boxSettings("room-notice", "x".repeat(32), OFFLINE, dir.path);
  const hw = simHardware(settings.hardware);
  fault?.(hw);
  const started = await startBox(settings, { hw });
  t.teardown(async () => {
    await started.stop();
    dir.remove();
  });
  return started;
}

async function record(b: TestBox): Promise<string> {
  await b.hw.button.press(60);
  await until(() => b.daemon.session.phase === "recording", "the recording to start");
  return b.daemon.session.recording?.recordingId ?? "";
}

void t.test(
  "a recording start says the school's sentence once, after the lamp is lit",
  async (t) => {
    const text = "Year 9 science is being recorded so our teachers can learn from it.";
    const b = await box(t, {
      allowUnbookedRecording: false,
      spokenNotice: { enabled: true, text },
    });
    await record(b);
    await until(() => b.hw.speaker.said.length > 0, "the notice to be said");
    const said = b.hw.speaker.said;
    t.same(
      said.map((s) => s.text),
      [text],
      "said once, in the school's words",
    );
    t.equal(said[0]?.lamp, "on", "the lamp was lit as it spoke");
    const lit = b.hw.lamp.changes.find((c) => c.level === "on");
    t.ok(lit !== undefined && (said[0]?.at ?? 0) >= lit.at, "it spoke after the lamp came on");
    t.equal((await b.daemon.state()).speaker, "ok", "the state says the speaker works");
  },
);

void t.test("a config that does not say (an older controller): the default sentence", async (t) => {
  const b = await box(t, { allowUnbookedRecording: false });
  await record(b);
  await until(() => b.hw.speaker.said.length > 0, "the notice to be said");
  t.same(
    b.hw.speaker.said.map((s) => s.text),
    [DEFAULT_SPOKEN_NOTICE.text],
  );
});

void t.test("a school that turned the notice off: nothing is said", async (t) => {
  const b = await box(t, {
    allowUnbookedRecording: false,
    spokenNotice: { enabled: false, text: DEFAULT_SPOKEN_NOTICE.text },
  });
  await record(b);
  // the notice is decided before the capture starts: by now it would have been said
  t.same(b.hw.speaker.said, [], "the speaker said nothing");
  t.equal((await b.daemon.state()).speaker, "off");
});

void t.test("a failing speaker: the recording still happens, the state says why", async (t) => {
  const b = await box(t, { allowUnbookedRecording: false }, (hw) => {
    hw.speaker.fault.failSay = "no sound card answered";
  });
  const recordingId = await record(b);
  await until(async () => (await b.daemon.state()).speaker !== "ok", "the speaker's failure");
  t.equal(
    (await b.daemon.state()).speaker,
    "failed: simulated speaker: no sound card answered",
    "the state says why",
  );
  t.equal(b.daemon.session.phase, "recording", "still recording");
  await until(
    async () => (await b.daemon.index.segments(recordingId)).length > 0,
    "footage written",
  );
  t.ok(
    b.lines.some((l) => l.msg === "the spoken notice could not be said"),
    "the failure is logged",
  );
});

void t.test(
  "a missing speaker is reported from the start, and never blocks recording",
  async (t) => {
    const b = await box(t, { allowUnbookedRecording: false }, (hw) => {
      hw.speaker.fault.missing = true;
    });
    t.equal(
      (await b.daemon.state()).speaker,
      "missing: speaker missing: the simulated speaker is unplugged",
    );
    await record(b);
    t.equal(b.daemon.session.phase, "recording", "the recording started");
  },
);

/** A stand-in program: a shell script (the test's own file, not the sentence). */
function program(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

void t.test("the real speaker pipes espeak-ng into aplay, the sentence on stdin", async (t) => {
  const dir = tempDir("classcam-speaker-");
  t.teardown(dir.remove);
  const args = join(dir.path, "args");
  const played = join(dir.path, "played");
  // espeak-ng stand-in: notes its arguments, "speaks" by copying stdin to stdout
  const espeak = program(dir.path, "espeak", `printf '%s\\n' "$@" > '${args}'\ncat`);
  const aplay = program(dir.path, "aplay", `printf '%s\\n' "$@" >> '${args}'\ncat > '${played}'`);
  const speaker = new AlsaSpeaker(
    { device: "plughw:CARD=Headphones", voice: "en-gb" },
    { espeak, aplay },
  );
  const text = `Recording; now "quoted" $(touch ${join(dir.path, "pwned")}) -- and -v`;
  await speaker.check();
  await speaker.say(text);
  t.equal(readFileSync(played, "utf8"), text, "the sentence went through, byte for byte");
  t.same(
    readFileSync(args, "utf8").trim().split("\n"),
    ["-v", "en-gb", "--stdout", "-q", "-D", "plughw:CARD=Headphones"],
    "the sentence is never an argument",
  );
  t.throws(() => readFileSync(join(dir.path, "pwned")), "no shell ran the sentence");

  const failing = new AlsaSpeaker(
    { device: "hw:9,9", voice: "en-gb" },
    {
      espeak,
      aplay: program(dir.path, "aplay-bad", "cat > /dev/null\necho 'no such card' >&2\nexit 1"),
    },
  );
  await t.rejects(failing.say("Hello"), /aplay-bad exited with 1: no such card/);

  const missing = new AlsaSpeaker(
    { device: "default", voice: "en-gb" },
    { espeak: join(dir.path, "no-espeak-here"), aplay },
  );
  const error = await missing.check().then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(error instanceof HardwareMissing, "a missing program is a missing speaker");
  t.match((error as Error).message, /no-espeak-here is not installed/);

  // no sound card: the programs are there, the ALSA device cannot be opened
  const noCard = new AlsaSpeaker(
    { device: "default", voice: "en-gb" },
    {
      espeak,
      aplay: program(
        dir.path,
        "aplay-no-card",
        `case "$*" in *--version*) exit 0;; esac\necho 'aplay: main:831: audio open error: No such file or directory' >&2\nexit 1`,
      ),
    },
  );
  await t.rejects(
    noCard.check(),
    {
      name: "HardwareMissing",
      message:
        /^speaker missing: the ALSA device 'default' cannot be opened \(.*aplay-no-card exited with 1: aplay: main:831: audio open error: No such file or directory\)$/,
    },
    "a box with no sound card is known at start",
  );
});

void t.test("a speaker that hangs is stopped: by the time limit, and at shutdown", async (t) => {
  const dir = tempDir("classcam-speaker-hang-");
  t.teardown(dir.remove);
  const started = join(dir.path, "started");
  const espeak = program(dir.path, "espeak", "cat");
  // an aplay whose ALSA device never drains: it takes the speech and never ends
  const aplay = program(dir.path, "aplay", `cat > /dev/null &\n: > '${started}'\nexec sleep 600`);
  const speaker = new AlsaSpeaker({ device: "default", voice: "en-gb" }, { espeak, aplay });
  const cut = new AbortController();
  const saying = speaker.say("Hello", cut.signal);
  await until(() => existsSync(started), "the stand-in aplay to start");
  cut.abort(new Error("the box is stopping"));
  await t.rejects(saying, /aplay was stopped before it finished \(the box is stopping\)/);

  // the notice part: a time limit, so a hung speaker is reported, not waited on forever
  const { logger, lines } = captureLogger("info");
  const statuses: string[] = [];
  const part = new NoticePart({
    speaker,
    config: () => null,
    logger,
    changed: () => statuses.push(part.status),
    sayLimitMs: 200,
  });
  rmSync(started, { force: true });
  await part.announce();
  t.match(part.status, /^failed: .*was stopped before it finished \(it did not finish in time\)/);
  t.match(lines, [{ level: 50, msg: "the spoken notice could not be said" }]);

  // at shutdown a notice being said is cut off, and the box stops
  const stopping = new NoticePart({
    speaker,
    config: () => null,
    logger,
    changed: () => undefined,
  });
  rmSync(started, { force: true });
  const said = stopping.announce();
  await until(() => existsSync(started), "the stand-in aplay to start again");
  await stopping.stop();
  await said;
  t.equal(stopping.status, "ok", "a notice cut off by the shutdown is not a fault of the speaker");
  t.match(lines, [{}, { level: 30, msg: /cut off: the box is stopping/ }]);
});
