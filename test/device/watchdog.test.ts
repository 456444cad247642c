/**
 * Readiness and the watchdog (systemd `Type=notify`, `WatchdogSec=`).
 *
 * The real daemon runs as its own process (the `classcam-device run` command,
 * with the unit's Node flags) with `NOTIFY_SOCKET` pointing at a datagram
 * socket this test listens on (socat: Node has no AF_UNIX datagrams) and a
 * 2 s watchdog: READY=1 arrives once it has started, then WATCHDOG=1 pings.
 * Made to hang — (a) the whole daemon stopped (SIGSTOP), (b) the capture's
 * ffmpeg stopped in the middle of a recording while the daemon runs on — the
 * pings stop, and in (b) the STATUS line says why; let go, they resume.
 * SIGTERM gives STOPPING=1; SIGKILL leaves no forwarder behind.
 *
 * Around it, the parts alone: the address and watchdog variables, the
 * datagram format, the forwarder over an abstract socket, the watchdog's
 * decisions on a fake clock, and the daemon's health check.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { pino } from "pino";
import { DAEMON_ENVIRONMENT, DAEMON_NODE_FLAGS, devicePaths } from "@classcam/device";
import {
  DaemonHealth,
  NotifySocket,
  Watchdog,
  formatNotification,
  parseNotifySocket,
  recorderStallLimitMs,
  watchdogPingMs,
  type Examination,
  type Notification,
  type Notifier,
  type WatchedDaemon,
} from "../../device/src/systemd/index.js";
import { REPO, captureLogger, freePort, sleep } from "../helpers/controller.js";
import {
  boxDir,
  boxSettings,
  cacheBoxConfig,
  processesMentioning,
  until,
} from "../helpers/device.js";

/** What a listener heard: each line of each datagram, in order. */
interface Heard {
  lines: string[];
  pings: () => number;
  statuses: () => string[];
  stop: () => void;
}

/** Listens on a unix datagram socket (a path, or `@name` in the abstract namespace) with socat. */
async function listen(address: string): Promise<Heard> {
  const socat = address.startsWith("@")
    ? `ABSTRACT-RECV:${address.slice(1)}`
    : `UNIX-RECV:${address}`;
  const child = spawn("socat", ["-u", socat, "STDOUT"], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter((line) => line !== ""));
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const failed = new Promise<never>((_resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`socat ended (${code}): ${stderr}`)));
  });
  failed.catch(() => undefined);
  if (address.startsWith("@")) {
    const name = address.slice(1);
    await Promise.race([
      until(() => readFileSync("/proc/net/unix", "utf8").includes(`@${name}`), "the listener"),
      failed,
    ]);
  } else {
    await Promise.race([until(() => existsSync(address), "the listener's socket"), failed]);
  }
  return {
    lines,
    pings: () => lines.filter((line) => line === "WATCHDOG=1").length,
    statuses: () => lines.filter((line) => line.startsWith("STATUS=")).map((line) => line.slice(7)),
    stop: () => child.kill("SIGKILL"),
  };
}

/** The daemon as systemd would run it: `classcam-device run` with the unit's Node flags. */
function startDaemon(settingsFile: string, env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [
      ...DAEMON_NODE_FLAGS,
      "--conditions=classcam-source",
      "--import=tsx",
      join(REPO, "device/src/main.ts"),
      "run",
      "--settings",
      settingsFile,
    ],
    { cwd: REPO, env: { ...process.env, ...DAEMON_ENVIRONMENT, ...env }, stdio: "pipe" },
  );
  const log: Record<string, unknown>[] = [];
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const parts = (stdout + chunk.toString()).split("\n");
    stdout = parts.pop() ?? "";
    for (const line of parts) {
      try {
        log.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        log.push({ msg: line });
      }
    }
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal === null ? code : -1)),
  );
  return { child, log, exited, stderr: () => stderr };
}

/** The notification forwarders sending to `address` (a path, or an abstract name). */
function forwarders(address: string): number[] {
  return processesMentioning(`SENDTO:${address}`);
}

/** Pids of live processes mentioning `marker` whose program is `name`. */
function programsMentioning(marker: string, name: string): number[] {
  return processesMentioning(marker).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === name;
    } catch {
      return false;
    }
  });
}

/** Whether process `pid` is stopped (state T). */
function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
  } catch {
    return false;
  }
}

/** A box's settings written to a file, with its config cached (a booking now). */
function writeBox(name: string, demoPort?: number) {
  const dir = boxDir();
  cacheBoxConfig(dir.path);
  const settings = boxSettings(name, "w".repeat(32), "mqtt://127.0.0.1:9", dir.path, {
    segmentSeconds: 1,
  });
  const file = join(dir.path, "..", "settings.json");
  const withDemo =
    demoPort === undefined
      ? settings
      : { ...settings, demo: { host: "127.0.0.1", port: demoPort } };
  writeFileSync(file, JSON.stringify({ ...withDemo, log: { level: "info" } }));
  return { dir, settings, file };
}

const WATCHDOG_USEC = "2000000"; // pings every second

void t.test(
  "the daemon, SIGSTOPped: READY=1, pings, no pings while stopped, pings again",
  async (t) => {
    const box = writeBox("room-watchdog-a");
    t.teardown(box.dir.remove);
    const socket = join(box.dir.path, "..", "notify.sock");
    const heard = await listen(socket);
    t.teardown(heard.stop);
    const daemon = startDaemon(box.file, { NOTIFY_SOCKET: socket, WATCHDOG_USEC });
    t.teardown(() => {
      daemon.child.kill("SIGCONT");
      daemon.child.kill("SIGKILL");
    });

    await until(() => heard.lines.includes("READY=1"), "READY=1", 60_000);
    const readyAt = Date.now();
    // the log comes through a pipe and may be read after the datagram: compare when it was written
    await until(
      () => daemon.log.some((line) => line.msg === "classroom daemon started"),
      "the daemon's start in its log",
      10_000,
    );
    const started = daemon.log.find((line) => line.msg === "classroom daemon started");
    t.ok(
      typeof started?.time === "number" && started.time <= readyAt,
      "READY=1 came once the daemon had started",
    );
    t.equal(heard.lines.filter((line) => line === "READY=1").length, 1, "READY=1 once");
    t.ok(heard.statuses().length > 0, `a STATUS line: ${heard.statuses().join(" | ")}`);
    await until(() => heard.pings() >= 3, "three watchdog pings", 20_000);
    t.pass(`pings arrive: ${heard.pings()}`);
    t.match(
      heard.statuses().at(-1) ?? "",
      /^Idle: lamp off; controller offline; \d+ events? waiting$/,
    );
    t.same(
      forwarders(socket).length,
      1,
      "one forwarder (socat) in the daemon's group, with the socket on its command line",
    );

    // the main loop can no longer run: nothing pings, the forwarder only forwards
    daemon.child.kill("SIGSTOP");
    await until(() => isStopped(daemon.child.pid ?? -1), "the daemon to stop");
    // a ping written just before the stop may still be on its way through socat to this test:
    // wait for a quiet spell longer than a ping period before counting
    let beforeStop = heard.pings();
    for (;;) {
      await sleep(1500);
      if (heard.pings() === beforeStop) break;
      beforeStop = heard.pings();
    }
    await sleep(4000); // four ping periods, two watchdog timeouts
    t.equal(heard.pings(), beforeStop, "no pings while the daemon is stopped");
    t.equal(forwarders(socket).length, 1, "the forwarder is still there, silent");

    daemon.child.kill("SIGCONT");
    await until(() => heard.pings() >= beforeStop + 2, "pings to resume", 20_000);
    t.pass("pings resume once the daemon runs again");
    await until(
      () =>
        daemon.log.some(
          (line) => line.msg === "the main loop was blocked: no watchdog pings meanwhile",
        ),
      "the daemon to say its loop was blocked",
    );
    t.pass("the daemon noticed its loop had been held up");

    // killed outright: the forwarder sees the end of its pipe (or its parent-death signal) and goes
    daemon.child.kill("SIGKILL");
    await daemon.exited;
    await until(() => forwarders(socket).length === 0, "the forwarder to go", 5000);
    t.pass("no forwarder outlives the daemon");
  },
);

void t.test("a stuck capture: pings stop while the loop runs, STATUS says why", async (t) => {
  const port = await freePort();
  const box = writeBox("room-watchdog-b", port);
  t.teardown(box.dir.remove);
  const buffer = devicePaths(box.dir.path).buffer;
  const socket = join(box.dir.path, "..", "notify.sock");
  const heard = await listen(socket);
  t.teardown(heard.stop);
  const daemon = startDaemon(box.file, { NOTIFY_SOCKET: socket, WATCHDOG_USEC });
  t.teardown(() => {
    for (const pid of processesMentioning(buffer)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    daemon.child.kill("SIGKILL");
  });
  await until(() => heard.lines.includes("READY=1"), "READY=1", 60_000);

  const pressed = await fetch(`http://127.0.0.1:${port}/button`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ press: "short" }),
  });
  t.equal(pressed.status, 200, "record pressed");
  await until(
    () =>
      heard
        .statuses()
        .some((status) => /^Recording \S+: [1-9]\d* segments?; lamp recording/.test(status)),
    "the status to show a recording with a closed segment",
    30_000,
  );
  t.pass(`recording: ${heard.statuses().at(-1)}`);
  const [ffmpeg, ...others] = programsMentioning(buffer, "ffmpeg");
  t.ok(ffmpeg !== undefined && others.length === 0, "one capture process");
  if (ffmpeg === undefined) return;
  const pingsWhileRecording = heard.pings();
  await until(() => heard.pings() > pingsWhileRecording, "a ping while recording");

  process.kill(ffmpeg, "SIGSTOP");
  const stuck =
    /^Unhealthy: the recorder is stuck: no segment of recording \S+ has closed for \d+ s/;
  const limitSeconds = recorderStallLimitMs(1) / 1000;
  await until(
    () => heard.statuses().some((status) => stuck.test(status)),
    "STATUS to say the recorder is stuck",
    (limitSeconds + 20) * 1000,
  );
  t.pass(`STATUS says why: ${heard.statuses().find((status) => stuck.test(status))}`);
  const pingsWhenStuck = heard.pings();
  const statusesWhenStuck = heard.statuses().length;
  await sleep(4000);
  t.equal(heard.pings(), pingsWhenStuck, "no pings while the capture is stuck");
  t.ok(
    heard.statuses().length > statusesWhenStuck,
    "the main loop still runs (the STATUS line counts the seconds on)",
  );
  t.equal(
    daemon.log.filter((line) => String(line.msg).startsWith("the daemon is unhealthy")).length,
    1,
    "the daemon logged why once",
  );

  process.kill(ffmpeg, "SIGCONT");
  await until(() => heard.pings() > pingsWhenStuck + 1, "pings to resume", 30_000);
  t.match(heard.statuses().at(-1) ?? "", /^Recording /, "the STATUS line is back to the recording");

  daemon.child.kill("SIGTERM");
  t.equal(await daemon.exited, 0, `the daemon stopped cleanly ${daemon.stderr()}`);
  // sent before the daemon exited; the listener's pipe to this test may lag behind it
  await until(() => heard.lines.includes("STOPPING=1"), "STOPPING=1 on the way out", 5000);
  t.pass("STOPPING=1 on the way out");
  await until(() => forwarders(socket).length === 0, "the forwarder to go", 5000);
  t.same(processesMentioning(buffer), [], "no capture left");
});

void t.test("NOTIFY_SOCKET, WATCHDOG_USEC and the datagram", async (t) => {
  t.same(parseNotifySocket("/run/systemd/notify"), { kind: "path", path: "/run/systemd/notify" });
  t.same(parseNotifySocket("@/org/freedesktop/systemd1/notify/42"), {
    kind: "abstract",
    name: "/org/freedesktop/systemd1/notify/42",
  });
  t.throws(() => parseNotifySocket("run/notify"), /neither an absolute path nor an abstract name/);
  t.throws(() => parseNotifySocket("@"), /names no abstract socket/);
  t.throws(() => parseNotifySocket("/tmp/a,b:c"), /characters the forwarder cannot pass on/);

  t.equal(watchdogPingMs({}), null, "no watchdog");
  t.equal(watchdogPingMs({ WATCHDOG_USEC: "30000000" }), 15_000, "half the timeout");
  t.equal(watchdogPingMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "77" }, 77), 15_000);
  t.equal(watchdogPingMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "78" }, 77), null, "not ours");
  t.throws(() => watchdogPingMs({ WATCHDOG_USEC: "soon" }), /WATCHDOG_USEC 'soon'/);
  t.throws(() => watchdogPingMs({ WATCHDOG_USEC: "0" }), /positive/);

  t.equal(formatNotification({ ready: true, status: "Started" }), "READY=1\nSTATUS=Started\n");
  t.equal(formatNotification({ watchdog: true }), "WATCHDOG=1\n");
  t.equal(
    formatNotification({ stopping: true, status: "two\nlines\r\n" }),
    "STOPPING=1\nSTATUS=two lines\n",
    "a status is one line",
  );
  t.equal(formatNotification({ status: "x".repeat(5000) }).length, "STATUS=".length + 1000 + 1);
  t.equal(formatNotification({}), "");

  const env: NodeJS.ProcessEnv = { PATH: "/usr/bin" };
  t.equal(NotifySocket.fromEnvironment(env, pino({ level: "silent" })), null, "no socket, no-op");
  const bad = captureLogger("error");
  const badEnv: NodeJS.ProcessEnv = { NOTIFY_SOCKET: "relative/path" };
  t.equal(NotifySocket.fromEnvironment(badEnv, bad.logger, { unset: true }), null);
  t.equal(bad.lines.length, 1, "a bad NOTIFY_SOCKET is logged");
  t.equal(badEnv.NOTIFY_SOCKET, undefined, "and taken out of the environment");
});

void t.test("the forwarder sends to an abstract socket and ends with its pipe", async (t) => {
  const name = `classcam-test-${randomUUID()}`;
  const heard = await listen(`@${name}`);
  t.teardown(heard.stop);
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: `@${name}` };
  const notifier = NotifySocket.fromEnvironment(env, pino({ level: "silent" }), { unset: true });
  t.ok(notifier, "a notifier");
  t.equal(env.NOTIFY_SOCKET, undefined, "NOTIFY_SOCKET taken out for the children");
  if (notifier === null) return;
  notifier.send({ ready: true, status: "Started" });
  notifier.send({ watchdog: true });
  await until(() => heard.lines.includes("WATCHDOG=1"), "the datagrams");
  t.same(heard.lines, ["READY=1", "STATUS=Started", "WATCHDOG=1"]);
  t.equal(forwarders(name).length, 1, "one forwarder");
  notifier.send({ stopping: true });
  await notifier.close();
  t.same(forwarders(name), [], "the forwarder ended with its pipe");
  // the datagram left before the forwarder ended; the listener's own pipe to us may lag behind it
  await until(() => heard.lines.length > 3, "the queued datagram to reach the listener", 5000);
  t.same(heard.lines.slice(3), ["STOPPING=1"], "what was queued was sent first");
  notifier.send({ watchdog: true });
  t.same(forwarders(name), [], "nothing is sent after close");
});

/** A notifier that keeps what it was given. */
function keptNotifier(): Notifier & { sent: Notification[] } {
  const sent: Notification[] = [];
  return { sent, send: (notification) => sent.push(notification), close: () => Promise.resolve() };
}

void t.test(
  "the watchdog pings only on a good look, logs a problem once, and resumes",
  async (t) => {
    let now = 0;
    let found: Examination = { problem: null, status: "Idle" };
    let answer: Promise<Examination> | null = null;
    const notifier = keptNotifier();
    const log = captureLogger("info");
    const watchdog = new Watchdog({
      notifier,
      pingMs: 1000,
      examine: () => answer ?? Promise.resolve(found),
      answerWithinMs: 5000,
      logger: log.logger,
      clock: () => now,
      schedule: () => () => undefined, // the test ticks
    });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const step = async () => {
      now += 1000;
      watchdog.tick();
      await settle();
    };
    watchdog.start("Started");
    t.teardown(() => watchdog.stopping());
    await settle();
    t.same(notifier.sent, [{ ready: true, status: "Started" }], "READY=1 first");
    await step();
    t.same(notifier.sent.at(-1), { watchdog: true, status: "Idle" }, "a ping, with the new status");
    await step();
    t.same(notifier.sent.at(-1), { watchdog: true }, "a ping; the status did not change");

    found = { problem: "the recorder is stuck", status: "Recording" };
    await step(); // this look finds the problem; the tick before used the previous answer
    await step();
    t.same(notifier.sent.at(-1), { status: "Unhealthy: the recorder is stuck" }, "no ping, why");
    const sentWhenUnhealthy = notifier.sent.length;
    await step();
    await step();
    t.equal(notifier.sent.length, sentWhenUnhealthy, "nothing more while nothing changes");
    t.equal(
      log.lines.filter((line) => String(line.msg).startsWith("the daemon is unhealthy")).length,
      1,
      "logged once",
    );

    found = { problem: null, status: "Recording" };
    await step();
    await step();
    t.same(notifier.sent.at(-1), { watchdog: true, status: "Recording" }, "pings resume");
    t.ok(log.lines.some((line) => String(line.msg).startsWith("the daemon is healthy again")));

    // a look that never answers (the database hangs)
    answer = new Promise<Examination>(() => undefined);
    await step(); // starts the look that hangs
    const pings = watchdog.pings;
    for (let i = 0; i < 6; i += 1) await step();
    t.equal(watchdog.pings, pings + 5, "pings until the look is overdue");
    t.match(
      notifier.sent.at(-1)?.status ?? "",
      /^Unhealthy: the database has not answered for \d+ s$/,
    );
    const before = watchdog.pings;
    await step();
    t.equal(watchdog.pings, before, "no pings while it does not answer");

    // the loop was blocked: a fresh allowance for the look, and a word in the log
    answer = null;
    now += 60_000;
    watchdog.tick();
    t.ok(
      log.lines.some(
        (line) => line.msg === "the main loop was blocked: no watchdog pings meanwhile",
      ),
    );

    watchdog.stopping();
    t.same(notifier.sent.at(-1), { stopping: true, status: "Stopping" }, "STOPPING=1");
    const count = notifier.sent.length;
    await step();
    t.equal(notifier.sent.length, count, "nothing after STOPPING=1");
  },
);

void t.test(
  "the daemon's health: the database answers, the recording makes segments",
  async (t) => {
    let now = 0;
    let segments = 0;
    let recording: { recordingId: string } | null = null;
    let depthFails = false;
    const lamp = { mode: "off" };
    const daemon = {
      settings: { recorder: { segmentSeconds: 2 } },
      logger: pino({ level: "silent" }),
      session: {
        get phase() {
          return recording === null ? "idle" : "recording";
        },
        get recording() {
          return recording === null
            ? null
            : { ...recording, bookingId: null, startedAt: new Date(0).toISOString(), audio: true };
        },
      },
      index: { get: () => Promise.resolve(recording === null ? undefined : { segments }) },
      outbox: {
        depth: () =>
          depthFails ? Promise.reject(new Error("disk I/O error")) : Promise.resolve(2),
      },
      lamp,
      link: { connected: false },
    } as unknown as WatchedDaemon;
    const health = new DaemonHealth(daemon, () => now);

    t.same(await health.examine(), {
      problem: null,
      status: "Idle: lamp off; controller offline; 2 events waiting",
    });
    lamp.mode = "recording";
    t.equal(
      (await health.examine()).status,
      "Starting or stopping a recording: lamp recording; controller offline; 2 events waiting",
      "the lamp is lit around a capture",
    );
    lamp.mode = "off";
    recording = { recordingId: "rec-1" };
    const limit = recorderStallLimitMs(2);
    t.equal(limit, 16_000, "three segments and ten seconds");
    t.equal((await health.examine()).problem, null, "a recording just started");
    for (let i = 0; i < 5; i += 1) {
      now += 2000;
      segments += 1;
      t.equal((await health.examine()).problem, null, `segment ${segments} closed`);
    }
    t.match((await health.examine()).status, /^Recording rec-1: 5 segments; lamp off/);
    now += limit;
    t.equal((await health.examine()).problem, null, "quiet for the limit: not yet");
    now += 1;
    t.match(
      (await health.examine()).problem ?? "",
      /^the recorder is stuck: no segment of recording rec-1 has closed for 16 s \(limit 16 s\)$/,
    );
    segments += 1;
    t.equal((await health.examine()).problem, null, "a new segment: healthy again");
    recording = { recordingId: "rec-2" };
    now += limit + 1;
    t.equal((await health.examine()).problem, null, "a new recording starts its own count");
    depthFails = true;
    await t.rejects(health.examine(), /disk I\/O error/, "a failing database is a failed look");
  },
);
