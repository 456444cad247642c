/**
 * Benchmark: how soon footage that is only on the classroom box plays once
 * someone opens it (issue 21 §1), against the wait before it (the whole
 * upload, which the controller used to wait for before its playlist
 * answered), measured in the same run:
 *  - first segment playable: from opening the recording (its playlist asked
 *    for, which makes the custodian ask the box) until the playlist lists a
 *    segment and that segment is served;
 *  - seek to minute 40: from the viewer asking for that position (`?at=`)
 *    until the segment there is listed and served;
 *  - whole upload: from opening until the playlist ends (`#EXT-X-ENDLIST`).
 * Over loopback as fast as it goes, and through a proxy that paces the box's
 * bytes to a school network's rate (default 20 Mbit/s). The machine's load is
 * printed beside each figure.
 *
 * The controller runs compiled in its own process (as in bench:upload, whose
 * controller, teacher and device it uses); the box's own uploader runs in this
 * process. The footage is a minute of 720p30 made by ffmpeg, repeated under
 * new names up to the recording's length (the bytes of a real lesson, without
 * encoding fifty minutes first).
 *
 *   npm run bench:playback -- --minutes 50 --mbit 20
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { linkSync, mkdirSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { uploadRecording, type UploadSegment } from "../../device/src/link/uploader.js";
import { REPO, eventually, freePort, tempDir } from "../helpers/controller.js";
import {
  BenchDevice,
  Controller,
  DEVICE_ID,
  PASSWORD,
  Person,
  TEACHER,
  makeFootage,
} from "./device-upload.js";
import { positiveNumber, runBenchmark, sleep } from "./shared.js";

const HELP = `Usage: npm run bench:playback -- [options]

Time from opening a recording that is only on the (simulated) classroom box to
its first segment playable, and from a seek to minute 40 to that part
playable, against the whole upload's time, over loopback and paced.

Options:
  --minutes M   length of the recording (default 50)
  --mbit R      the paced link's rate in Mbit/s (default 20)
  --kbps K      video bit rate of the footage (default 2600: ~1,000 MB in 50 min)
  --help
`;

const TARGET_SECONDS = 3;
const SEEK_SECONDS = 40 * 60;
const MB = 1e6;
const cleanUps: (() => Promise<void> | void)[] = [];

const load = () => `load ${loadavg()[0]?.toFixed(2) ?? "?"}`;

/** A clip's segments hard-linked under new names until the recording lasts `seconds`. */
function lesson(clip: readonly UploadSegment[], clipDir: string, dir: string, seconds: number) {
  mkdirSync(dir, { recursive: true });
  const segments: UploadSegment[] = [];
  let length = 0;
  for (let seq = 0; length < seconds; seq += 1) {
    const source = clip[seq % clip.length];
    if (!source) throw new Error("an empty clip");
    const name = `seg-${String(seq).padStart(5, "0")}.ts`;
    linkSync(join(clipDir, source.name), join(dir, name));
    segments.push({ ...source, seq, name });
    length += source.durationSeconds;
  }
  return segments;
}

/**
 * A TCP proxy to the controller that paces the box's bytes to `bytesPerSecond`
 * (null: unpaced). The pace is the link's, shared by all the box's connections
 * (its uploader keeps several segments in flight), not each connection's own.
 */
async function proxy(
  port: number,
  bytesPerSecond: number | null,
): Promise<{ port: number; server: Server }> {
  // when the link is next free, whichever connection the bytes come on
  let due = performance.now();
  const server = createServer((box: Socket) => {
    const controller = connect(port, "127.0.0.1");
    const end = () => {
      box.destroy();
      controller.destroy();
    };
    box.on("error", end).on("close", end);
    controller.on("error", end).on("close", end);
    controller.pipe(box);
    if (bytesPerSecond === null) {
      box.pipe(controller);
      return;
    }
    box.on("data", (chunk: Buffer) => {
      box.pause();
      const now = performance.now();
      due = Math.max(due, now) + (chunk.length / bytesPerSecond) * 1000;
      setTimeout(
        () => {
          controller.write(chunk);
          box.resume();
        },
        Math.max(0, due - now),
      );
    });
    box.on("end", () => controller.end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no proxy port");
  return { port: address.port, server };
}

/** The playlist's entries: name, start and end in seconds, and whether it is still a gap. */
function entries(playlist: string): { name: string; start: number; end: number; gap: boolean }[] {
  const out: { name: string; start: number; end: number; gap: boolean }[] = [];
  let start = 0;
  let gap = false;
  let duration = 0;
  for (const line of playlist.split("\n")) {
    if (line === "#EXT-X-GAP") gap = true;
    const inf = /^#EXTINF:([\d.]+),/.exec(line);
    if (inf) duration = Number(inf[1]);
    if (line.endsWith(".ts")) {
      out.push({ name: line, start, end: start + duration, gap });
      start += duration;
      gap = false;
    }
  }
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: "string" },
      mbit: { type: "string" },
      kbps: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const minutes = positiveNumber(values.minutes, "--minutes", 50);
  const mbit = positiveNumber(values.mbit, "--mbit", 20);
  const kbps = positiveNumber(values.kbps, "--kbps", 2600);
  const scratchDir = tempDir("classcam-bench-playback-");
  cleanUps.push(() => scratchDir.remove());
  const scratch = scratchDir.path;
  execFileSync(join(REPO, "node_modules/.bin/tsc"), ["-b"], { cwd: REPO, stdio: "inherit" });

  process.stdout.write(`making a minute of 720p30 footage at ${kbps} kbit/s with ffmpeg…\n`);
  const clipDir = join(scratch, "clip");
  const clip = makeFootage(clipDir, 60, kbps);
  const footageDir = join(scratch, "footage");
  const segments = lesson(clip, clipDir, footageDir, minutes * 60);
  const totalBytes = segments.reduce((sum, s) => sum + s.bytes, 0);
  process.stdout.write(
    `the recording: ${segments.length} segments, ${(totalBytes / MB).toFixed(0)} MB, ` +
      `${minutes} min\n`,
  );

  const controller = new Controller(
    join(scratch, "controller"),
    await freePort(),
    await freePort(),
  );
  const { secret } = controller.cli(["device", "enrol", DEVICE_ID, "--room", "Bench room"]) as {
    secret: string;
  };
  const { temporaryPassword } = controller.cli([
    "user",
    "add",
    TEACHER,
    "--name",
    "Ms Bench",
    "--roles",
    "teacher",
  ]) as { temporaryPassword: string };
  await controller.start();
  cleanUps.unshift(() => controller.stop());
  const teacher = new Person(controller.base, TEACHER);
  await teacher.signIn(temporaryPassword);
  await teacher.call("POST", "/api/session/password", {
    current: temporaryPassword,
    next: PASSWORD,
  });
  await teacher.signIn(PASSWORD);
  const day = new Date(Date.now() + 86_400_000);
  const bookingStart = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 9);
  const booked = await teacher.call("POST", "/api/bookings", {
    deviceId: DEVICE_ID,
    start: new Date(bookingStart).toISOString(),
    end: new Date(bookingStart + 3_600_000).toISOString(),
    purpose: "coaching",
    classCode: "7A1",
  });
  const { bookingId } = booked.body as { bookingId: string };
  const device = await BenchDevice.connect(`mqtt://127.0.0.1:${controller.mqttPort}`, secret, {
    segments: segments.length,
    bytes: totalBytes,
  });
  cleanUps.unshift(() => device.close());

  let made = 0;
  const newRecording = async (): Promise<string> => {
    const recordingId = randomUUID();
    const at = bookingStart + 60_000 + made * 60_000;
    made += 1;
    await device.event(
      "recording.started",
      { recordingId, bookingId, audio: true, encoder: "libx264" },
      new Date(at),
    );
    await device.event(
      "recording.stopped",
      {
        recordingId,
        reason: "button",
        durationSeconds: minutes * 60,
        segments: segments.length,
        bytes: totalBytes,
      },
      new Date(at + 30_000),
    );
    await eventually(
      async () => {
        const detail = await teacher.call("GET", `/api/recordings/${recordingId}`);
        return detail.status === 200 && (detail.body as { endedAt?: unknown }).endedAt != null;
      },
      10_000,
      `recording ${recordingId} ended on the controller`,
    );
    return recordingId;
  };

  const lines: string[] = [];
  let missed = 0;
  for (const [link, rate] of [
    ["loopback, unpaced", null],
    [`paced to ${mbit} Mbit/s`, (mbit * 1e6) / 8],
  ] as const) {
    const relay = await proxy(controller.httpPort, rate);
    cleanUps.unshift(() => {
      relay.server.close();
    });
    const recordingId = await newRecording();
    const uploaded = device.expect(recordingId, async (url, token) => {
      const paced = new URL(url);
      paced.port = String(relay.port);
      await uploadRecording({ url: paced.href, token, recordingId, segments, dir: footageDir });
      return { seconds: 0, clientCpuSeconds: 0, controllerCpuSeconds: 0 };
    });
    const footage = `/api/recordings/${recordingId}/footage`;
    const playable = async (at?: number): Promise<boolean> => {
      const list = await teacher.call(
        "GET",
        `${footage}/index.m3u8${at === undefined ? "" : `?at=${at}`}`,
      );
      if (list.status !== 200 || typeof list.body !== "string") return false;
      const all = entries(list.body);
      const wanted = at === undefined ? all[0] : all.find((e) => e.start <= at && at < e.end);
      if (wanted === undefined || wanted.gap) return false;
      const segment = await teacher.call("GET", `${footage}/${wanted.name}`);
      return segment.status === 200 && String(segment.body).length > 0;
    };
    const opened = performance.now();
    const seconds = () => (performance.now() - opened) / 1000;
    while (!(await playable())) await sleep(50);
    const first = seconds();
    lines.push(`${link}: first segment playable ${first.toFixed(2)} s (${load()})`);
    process.stdout.write(`${lines.at(-1)}\n`);
    if (first > TARGET_SECONDS) missed += 1;
    if (minutes * 60 > SEEK_SECONDS) {
      const asked = performance.now();
      while (!(await playable(SEEK_SECONDS))) await sleep(50);
      const seek = (performance.now() - asked) / 1000;
      lines.push(`${link}: seek to minute 40 playable ${seek.toFixed(2)} s (${load()})`);
      process.stdout.write(`${lines.at(-1)}\n`);
      if (seek > TARGET_SECONDS) missed += 1;
    }
    for (;;) {
      const list = await teacher.call("GET", `${footage}/index.m3u8`);
      if (typeof list.body === "string" && list.body.includes("#EXT-X-ENDLIST")) break;
      await sleep(200);
    }
    const whole = seconds();
    lines.push(
      `${link}: whole upload (the wait before, when the playlist answered only then) ` +
        `${whole.toFixed(2)} s, ${((totalBytes * 8) / whole / 1e6).toFixed(0)} Mbit/s (${load()})`,
    );
    process.stdout.write(`${lines.at(-1)}\n`);
    await uploaded;
  }
  process.stdout.write(
    `\n${minutes} min recording, ${(totalBytes / MB).toFixed(0)} MB, ${segments.length} segments; ` +
      `target ≤ ${TARGET_SECONDS} s for the first segment and for the seek\n` +
      lines.map((line) => `  ${line}`).join("\n") +
      `\n${missed === 0 ? "targets met" : `${missed} figure(s) over target`}\n`,
  );
  return missed === 0 ? 0 : 1;
}

runBenchmark(main, async () => {
  for (const cleanUp of cleanUps) {
    try {
      await cleanUp();
    } catch {
      /* the rest still go */
    }
  }
});
