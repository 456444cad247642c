/**
 * Never secret: over 1,000 random start / stop / fault cycles on the sim box,
 * every capture process lives only while the lamp is ON, and the lamp was
 * driven ON (and read back) before the process existed. Checked two ways: an
 * ordered journal of lamp changes and capture starts/ends, and an independent
 * watcher that scans /proc for any process recording into the box's buffer
 * and looks at the lamp at that instant.
 *
 * A lamp fault (a write that fails, a lamp stuck dark) refuses the recording,
 * or stops the one in progress at the lamp monitor's first read-back after
 * the lamp goes dark (it reads back every 100 ms), with a `lamp.fault` event.
 * The test counts read-backs rather than milliseconds: a loaded machine
 * stretches the time, never the count.
 */
import t from "tap";
import { devicePaths } from "@classcam/device";
import {
  boxDir,
  boxSettings,
  cacheBoxConfig,
  processesMentioning,
  seeded,
  startBox,
  until,
  type TestBox,
} from "../helpers/device.js";
import { envInteger, testSeed } from "../helpers/env.js";

const CYCLES = envInteger("CLASSCAM_INTERLOCK_CYCLES", 1000, 1);
const SEED = testSeed();

type Entry =
  | { at: number; what: "lamp"; level: "on" | "off" }
  | { at: number; what: "capture-started" | "capture-ended"; pid: number; reads: number }
  | { at: number; what: "fault-injected" | "fault-cleared" };

void t.test(`the lamp interlock over ${CYCLES} random cycles (seed ${SEED})`, async (t) => {
  const dir = boxDir();
  t.teardown(dir.remove);
  const deviceId = "room-interlock";
  cacheBoxConfig(dir.path);
  // no controller: the link keeps trying in the background, the rules hold offline
  const settings = boxSettings(deviceId, "s".repeat(32), "mqtt://127.0.0.1:9", dir.path);
  const journal: Entry[] = [];
  /** How many times the lamp has been read back. */
  let reads = 0;
  const box: TestBox = await startBox(settings, {
    onCaptureStarted: (pid) =>
      journal.push({ at: performance.now(), what: "capture-started", pid, reads }),
    onCaptureEnded: (pid) =>
      journal.push({ at: performance.now(), what: "capture-ended", pid, reads }),
  });
  const { hw, daemon } = box;
  const readBack = hw.lamp.read.bind(hw.lamp);
  /** The number of the first read-back since the lamp was made to fail that saw it dark. */
  let firstDarkRead: number | null = null;
  let watchingForDark = false;
  hw.lamp.read = async () => {
    reads += 1;
    const number = reads;
    const level = await readBack();
    if (watchingForDark && level === "off" && firstDarkRead === null) firstDarkRead = number;
    return level;
  };
  const rnd = seeded(SEED);
  // a lamp that takes its time, as a relay does: capture must wait for the read-back
  hw.lamp.latencyMs = () => {
    const roll = rnd();
    return roll < 0.6 ? 0 : roll < 0.9 ? Math.floor(rnd() * 10) : 50 + Math.floor(rnd() * 100);
  };
  hw.lamp.onChange((level) => journal.push({ at: performance.now(), what: "lamp", level }));
  const buffer = devicePaths(dir.path).buffer;

  // the independent watcher
  const fault = { active: false };
  const violations: string[] = [];
  let sightings = 0;
  const watch = { on: true };
  const watcher = (async () => {
    while (watch.on) {
      const pids = processesMentioning(buffer);
      if (pids.length > 0) {
        sightings += 1;
        if (hw.lamp.level !== "on" && !fault.active) {
          violations.push(`capture ${pids.join(",")} alive while the lamp was off`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();

  const events = { started: 0, refused: 0, faultStops: 0, faultRefusals: 0 };
  /** Milliseconds from each injected fault to the capture's end: reported, not asserted. */
  const stopLatencies: number[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle += 1) {
    const roll = rnd();
    if (roll < 0.08) {
      // a lamp that cannot be driven: the press is refused, nothing records
      fault.active = true;
      journal.push({ at: performance.now(), what: "fault-injected" });
      hw.lamp.fault =
        rnd() < 0.5 ? { failWrites: true, stuckAt: null } : { failWrites: false, stuckAt: "off" };
      const before = daemon.session.stats.refused;
      await daemon.press("short");
      t.equal(daemon.session.phase, "idle", `cycle ${cycle}: a faulty lamp refuses the recording`);
      if (daemon.session.stats.refused > before) events.faultRefusals += 1;
      hw.lamp.fault = { failWrites: false, stuckAt: null };
      fault.active = false;
      journal.push({ at: performance.now(), what: "fault-cleared" });
      continue;
    }
    await daemon.press("short");
    if (daemon.session.phase !== "recording") {
      events.refused += 1;
      continue;
    }
    events.started += 1;
    if (roll < 0.2) {
      // the lamp goes dark mid-recording: the first read-back that sees it ends the capture
      await new Promise((resolve) => setTimeout(resolve, rnd() * 150));
      fault.active = true;
      const at = performance.now();
      journal.push({ at, what: "fault-injected" });
      // from here any write shows the lamp dark, the daemon's own (a wink's end) as well as
      // this one, whichever completes first: the read-back that counts is the first to see it
      firstDarkRead = null;
      watchingForDark = true;
      hw.lamp.fault = { failWrites: false, stuckAt: "off" };
      await hw.lamp.write("off"); // what a blown lamp looks like from the read-back
      await until(
        () => daemon.session.phase === "idle",
        "the recording to stop after the fault",
        20_000,
        5,
      );
      const ended = journal.findLast((e) => e.what === "capture-ended");
      t.ok(
        ended !== undefined && ended.at > at,
        `cycle ${cycle}: the capture ended after the fault`,
      );
      if (ended?.what === "capture-ended") {
        stopLatencies.push(ended.at - at);
        t.equal(
          ended.reads,
          firstDarkRead,
          `cycle ${cycle}: the capture ended at the first read-back that saw the lamp dark`,
        );
      }
      watchingForDark = false;
      events.faultStops += 1;
      hw.lamp.fault = { failWrites: false, stuckAt: null };
      fault.active = false;
      journal.push({ at: performance.now(), what: "fault-cleared" });
      continue;
    }
    if (roll < 0.3) {
      // the camera is unplugged mid-recording
      hw.camera.setPresent(false);
      await until(
        () => daemon.session.phase === "idle",
        "the recording to stop on camera loss",
        5000,
        5,
      );
      hw.camera.setPresent(true);
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, rnd() * 100));
    await daemon.press("short");
    t.equal(daemon.session.phase, "idle", `cycle ${cycle}: the second press stops`);
  }
  watch.on = false;
  await watcher;

  // the journal: each capture's life lies inside a lamp-ON stretch (faults aside)
  let level: "on" | "off" = "off";
  let faulty = false;
  const alive = new Set<number>();
  const journalViolations: string[] = [];
  for (const entry of journal) {
    switch (entry.what) {
      case "lamp":
        level = entry.level;
        if (level === "off" && alive.size > 0 && !faulty) {
          journalViolations.push(`lamp went off while capture ${[...alive].join(",")} was alive`);
        }
        break;
      case "capture-started":
        if (level !== "on")
          journalViolations.push(`capture ${entry.pid} started with the lamp off`);
        alive.add(entry.pid);
        break;
      case "capture-ended":
        alive.delete(entry.pid);
        break;
      case "fault-injected":
        faulty = true;
        break;
      case "fault-cleared":
        faulty = false;
        break;
    }
  }
  t.same(journalViolations, [], "the journal shows the lamp ON for every capture's whole life");
  t.same(
    violations,
    [],
    `the /proc watcher saw no capture with the lamp off (${sightings} sightings)`,
  );
  t.ok(sightings > 0, "the watcher did see the captures (it can fail)");
  t.equal(processesMentioning(buffer).length, 0, "no capture process is left");
  t.ok(events.started > CYCLES / 2, `recordings started: ${events.started}`);
  t.ok(events.faultStops > 0 && events.faultRefusals > 0, "faults were exercised both ways");
  const faultEvents = await daemon.db.get<{ n: number }>(
    "SELECT count(*) AS n FROM outbox WHERE kind = 'lamp.fault'",
  );
  t.ok(
    (faultEvents?.n ?? 0) >= events.faultStops + events.faultRefusals,
    "each fault raised lamp.fault",
  );
  const slowest = Math.round(Math.max(0, ...stopLatencies));
  t.comment(JSON.stringify({ seed: SEED, ...events, slowestFaultStopMs: slowest }));
  t.comment(JSON.stringify({ stats: daemon.session.stats }));
  await box.stop();
});
