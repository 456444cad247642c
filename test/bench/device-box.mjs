/**
 * The device benchmark's box: the daemon on the sim hardware in a process of
 * its own, so its CPU, memory and disk writes are its own (ffmpeg, its child,
 * is measured apart). Driven by one command on the command line:
 *
 *   device-box.mjs SETTINGS latency N    N presses: release → lamp ON, press → first segment
 *   device-box.mjs SETTINGS record S     one recording of S seconds
 *
 * Prints one JSON line with the figures on stdout. Plain JavaScript on the
 * built packages (npm run build), so the daemon's memory is what a box's
 * would be, not tsx's.
 */
import { pino } from "pino";
import { Daemon, loadSettings } from "@classcam/device";
import { processUsage } from "./proc-usage.mjs";

const [file, mode, count] = process.argv.slice(2);
if (file === undefined || (mode !== "latency" && mode !== "record") || count === undefined) {
  throw new Error("usage: device-box.mjs SETTINGS latency N | record SECONDS");
}
const settings = loadSettings(file);
const daemon = await Daemon.start({
  settings,
  logger: pino({ level: settings.log.level }, pino.destination(2)),
});
const hw = daemon.hardware;
if (!("level" in hw.lamp)) throw new Error("the bench needs the sim hardware");
const lamp = hw.lamp;
const button = hw.button;

async function press() {
  button.set(true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  button.set(false);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until the session is in `phase` (read afresh each time: it changes behind our back). */
async function until(phase) {
  const current = () => daemon.session.phase;
  while (current() !== phase) await sleep(5);
}
const debounce = settings.hardware.button.debounceMs * 2;
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);

if (mode === "latency") {
  const lampMs = [];
  const firstSegmentMs = [];
  for (let i = 0; i < Number(count); i += 1) {
    let litAt = 0;
    const lit = new Promise((resolve) =>
      lamp.onChange((level) => {
        if (level === "on" && litAt === 0) {
          litAt = performance.now();
          resolve();
        }
      }),
    );
    button.set(true);
    await sleep(50);
    const releasedAt = performance.now(); // a short press is acted on at release
    button.set(false);
    await lit;
    lampMs.push(litAt - releasedAt);
    await until("recording"); // the lamp lights first, then the capture starts
    const id = daemon.session.recording?.recordingId ?? "";
    while (((await daemon.index.get(id))?.segments ?? 0) === 0) await sleep(5);
    firstSegmentMs.push(performance.now() - releasedAt);
    await sleep(debounce);
    await press();
    await until("idle");
    await sleep(debounce);
  }
  process.stdout.write(`${JSON.stringify({ lampMs, firstSegmentMs })}\n`);
} else {
  const before = processUsage();
  await press();
  await until("recording");
  const id = daemon.session.recording?.recordingId ?? "";
  await sleep(Number(count) * 1000);
  await sleep(debounce);
  await press();
  await until("idle");
  const after = processUsage();
  const row = await daemon.index.get(id);
  process.stdout.write(
    `${JSON.stringify({
      recordingId: id,
      footageBytes: row?.bytes ?? 0,
      segments: row?.segments ?? 0,
      writeBytes: after.writeBytes - before.writeBytes,
      daemonCpuTicks: after.ownTicks - before.ownTicks,
      captureCpuTicks: after.childTicks - before.childTicks,
      daemonPeakRssBytes: peakRss,
      dir: row?.dir ?? "",
    })}\n`,
  );
}
clearInterval(sampler);
await daemon.stop();
process.exit(0);
