/**
 * Benchmark: N classroom devices against the controller's embedded broker and
 * ingest, with Mosquitto as a pass-through baseline under the same load.
 *
 * Three kinds of process, so each one's CPU and memory are its own:
 *  - the controller (`classcam-controller serve`, via ControllerProcess), on a
 *    temporary data folder with N devices enrolled beforehand;
 *  - the devices (`load-devices.ts`): N real mqtt clients on loopback;
 *  - for the baseline, Debian's mosquitto, plus `passthrough-consumer.ts`
 *    which acks every event at once (no validation, no database).
 *
 * Prints each figure for both, their ratio, and the targets; writes the same
 * as JSON to test/bench/results/broker-ingest.json. It is a benchmark, not a
 * test: a missed target is reported, and the exit code is 0 unless the bench
 * itself broke.
 *
 *   npm run bench -- --devices 1000 --seconds 30
 *   BENCH_DEVICES=200 BENCH_SECONDS=10 npm run bench
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  DATABASE_FILE,
  DEVICE_KEY_FILE,
  Database,
  DeviceRegistry,
  loadDeviceKey,
  migrate,
} from "@classcam/controller";
import { ControllerProcess, REPO, freePort, nodeArgs, tempDir } from "../helpers/controller.js";
import {
  deviceIds,
  errorText,
  positiveInt,
  positiveNumber,
  type ConsumerMessage,
  type LoadMessage,
  type LoadResult,
  pool,
  runBenchmark,
  sleep,
} from "./shared.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const MOSQUITTO = "/usr/sbin/mosquitto";
/** Issue 21 §4, at 1,000 boxes. */
const TARGETS = { p99Ms: 50, rssMb: 120 } as const;
/** Issue 21 §4: the controller's CPU in the window within this many times Mosquitto's. */
const CPU_TARGET_RATIO = 5;
/** Issue 21: all devices connected within this many times Mosquitto's time in the same run. */
const CONNECT_TARGET_RATIO = 2;

const HELP = `Usage: npm run bench -- [options]
       node --conditions=classcam-source --import=tsx test/bench/broker-ingest.ts [options]

Simulated classroom devices (a separate process of real mqtt clients) against
the controller (its own process), then the same load through Mosquitto with a
pass-through consumer as the baseline. Prints the figures, their ratio
(controller / mosquitto) and the targets; writes test/bench/results/broker-ingest.json.

Options:
  --devices N          simulated devices (env BENCH_DEVICES; default 1000)
  --seconds S          measurement window in seconds (env BENCH_SECONDS; default 30)
  --warmup S           seconds between the last connect and the window (default 5)
  --concurrency N      connects in flight at once (default 50)
  --event-interval S   mean seconds between one device's events (default 10)
  --only WHICH         run only 'controller' or only 'mosquitto'
  --help               this text
`;

// ------------------------------------------------------------------ clean-up

const cleanups: (() => Promise<void> | void)[] = [];

let cleaning: Promise<void> | null = null;

/** Runs every clean-up step once, newest first; callers at the same time share the one run. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(`bench: clean-up step failed: ${errorText(error)}\n`);
      }
    }
    cleaning = null;
  })();
  return cleaning;
}

function alive(pid: number): boolean {
  return (
    existsSync(`/proc/${pid}/stat`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")
  );
}

/** Ends a child we started: SIGTERM, then SIGKILL after `ms`. */
async function stopChild(child: ChildProcess, ms = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  child.kill("SIGTERM");
  const timer = setTimeout(() => {
    child.kill("SIGKILL");
  }, ms);
  await exited;
  clearTimeout(timer);
}

// ------------------------------------------------------------------ /proc

const CLOCK_TICKS = (() => {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // field 2 (comm) is in parentheses and may hold spaces; fields from 3 on follow it
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** user + system CPU seconds of the whole process (all its threads). */
function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime: fields 14, 15
}

/** Peak (VmHWM) and current (VmRSS) resident memory in MB. */
function memoryMb(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { peak: kb("VmHWM") / 1024, current: kb("VmRSS") / 1024 };
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

// ------------------------------------------------------------------ one run

interface CpuWindow {
  seconds: number;
  cpuSeconds: number;
  percentOfCore: number;
}

interface RunResult {
  load: LoadResult;
  /** The broker process (controller or mosquitto). */
  ramp: CpuWindow;
  window: CpuWindow;
  peakRssMb: number;
  /** Before any device connected. */
  rssBeforeLoadMb: number;
  rssAtWindowEndMb: number;
  /** The pass-through consumer (baseline only). */
  consumer: CpuWindow | null;
  /** CPU used by every process on the machine during the window, in % of one core. */
  machinePercentOfCore: number;
}

class MachineSampler {
  private start_ = machineTicks();
  start(): void {
    this.start_ = machineTicks();
  }
  /** % of one core (so up to cores × 100). */
  stop(): number {
    const now = machineTicks();
    const total = now.total - this.start_.total;
    return total > 0 ? ((now.busy - this.start_.busy) / total) * cpus().length * 100 : NaN;
  }
}

class Sampler {
  private cpu = 0;
  private at = 0;
  constructor(private readonly pid: number) {}
  start(): void {
    this.cpu = cpuSeconds(this.pid);
    this.at = performance.now();
  }
  stop(): CpuWindow {
    const cpu = cpuSeconds(this.pid) - this.cpu;
    const seconds = (performance.now() - this.at) / 1000;
    return { seconds, cpuSeconds: cpu, percentOfCore: (cpu / seconds) * 100 };
  }
}

interface Options {
  devices: number;
  seconds: number;
  warmup: number;
  concurrency: number;
  eventInterval: number;
}

/** Runs the load process against a broker whose process is `pid`, sampling it. */
async function drive(
  label: string,
  pid: number,
  loadArgs: string[],
  options: Options,
  consumerPid: number | null = null,
): Promise<RunResult> {
  const rssBeforeLoadMb = memoryMb(pid).current;
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs(),
      join(HERE, "load-devices.ts"),
      ...loadArgs,
      "--concurrency",
      String(options.concurrency),
      "--warmup",
      String(options.warmup),
      "--seconds",
      String(options.seconds),
      "--event-interval",
      String(options.eventInterval),
    ],
    { cwd: REPO, stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  cleanups.push(() => stopChild(child));
  const broker = new Sampler(pid);
  const consumer = consumerPid === null ? null : new Sampler(consumerPid);
  const machine = new MachineSampler();
  // filled in by the load process's messages
  const phases: {
    ramp: CpuWindow | null;
    window: CpuWindow | null;
    consumer: CpuWindow | null;
    machine: number;
    rssAtWindowEndMb: number;
  } = { ramp: null, window: null, consumer: null, machine: NaN, rssAtWindowEndMb: NaN };
  const log = (text: string) => process.stdout.write(`[${label}] ${text}\n`);
  const budgetMs = 600_000 + (options.warmup + options.seconds) * 1000;

  const load = await new Promise<LoadResult>((resolve, reject) => {
    const fail = (error: Error) => {
      clearInterval(watchdog);
      clearTimeout(deadline);
      reject(error);
    };
    const watchdog = setInterval(() => {
      if (!alive(pid)) fail(new Error(`${label}: the broker process (${pid}) died during the run`));
    }, 500);
    const deadline = setTimeout(() => {
      fail(new Error(`${label}: the run took longer than ${budgetMs / 1000} s`));
    }, budgetMs);
    child.on("message", (raw) => {
      const message = raw as LoadMessage;
      try {
        switch (message.type) {
          case "ramp-start":
            broker.start();
            log(`connecting ${options.devices} devices, ${options.concurrency} at a time…`);
            break;
          case "connected":
            phases.ramp = broker.stop();
            log(
              `${message.connected}/${options.devices} connected in ${message.seconds.toFixed(2)} s` +
                (message.failed > 0 ? ` (${message.failed} failed)` : "") +
                `; warm-up ${options.warmup} s`,
            );
            break;
          case "window-start":
            broker.start();
            consumer?.start();
            machine.start();
            log(`measuring for ${options.seconds} s…`);
            break;
          case "window-end":
            phases.window = broker.stop();
            phases.consumer = consumer?.stop() ?? null;
            phases.machine = machine.stop();
            phases.rssAtWindowEndMb = memoryMb(pid).current;
            log("window over; waiting for outstanding acks");
            break;
          case "result":
            clearInterval(watchdog);
            clearTimeout(deadline);
            resolve(message.result);
            break;
          case "fatal":
            fail(new Error(`${label}: the load process failed: ${message.error}`));
            break;
        }
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.once("exit", (code, signal) => {
      fail(
        new Error(
          `${label}: the load process exited (${String(code ?? signal)}) before its result`,
        ),
      );
    });
  });
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else
      child.once("exit", () => {
        resolve();
      });
  });
  if (!phases.ramp || !phases.window) throw new Error(`${label}: the load process skipped a phase`);
  return {
    load,
    ramp: phases.ramp,
    window: phases.window,
    peakRssMb: memoryMb(pid).peak,
    rssBeforeLoadMb,
    rssAtWindowEndMb: phases.rssAtWindowEndMb,
    consumer: phases.consumer,
    machinePercentOfCore: phases.machine,
  };
}

// ------------------------------------------------------------------ the controller

interface DatabaseCheck {
  events: number;
  rejectedMessages: number;
  devicesWithState: number;
  devicesOnline: number;
}

async function runController(
  options: Options,
): Promise<{ run: RunResult; database: DatabaseCheck }> {
  const dir = tempDir("classcam-bench-controller-");
  cleanups.push(() => {
    dir.remove();
  });
  const file = join(dir.path, DATABASE_FILE);

  const ids = deviceIds(options.devices);
  process.stdout.write(`[controller] enrolling ${ids.length} devices (set-up, not measured)…\n`);
  const enrolStarted = performance.now();
  const credentials: { id: string; secret: string }[] = [];
  const db = await Database.open(file);
  try {
    await migrate(db);
    // under the key the controller will find in its data folder, as the CLI enrols
    const key = loadDeviceKey(join(dir.path, DEVICE_KEY_FILE));
    const registry = new DeviceRegistry(db, undefined, key);
    await pool(ids, 8, async (id) => {
      const { secret } = await registry.enrol({ id, room: `Room ${id.slice("bench-".length)}` });
      credentials.push({ id, secret });
    });
  } finally {
    await db.close();
  }
  process.stdout.write(
    `[controller] enrolled in ${((performance.now() - enrolStarted) / 1000).toFixed(1)} s\n`,
  );
  const credentialsFile = join(dir.path, "bench-credentials.json");
  writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });

  const port = await freePort();
  // measured as it runs in production: compiled JavaScript, not the tsx loader
  execFileSync(join(REPO, "node_modules/.bin/tsc"), ["-b"], { cwd: REPO, stdio: "inherit" });
  const controller = new ControllerProcess(dir.path, port, "built");
  let pid: number | null = null;
  const stop = async () => {
    const stopped = controller.kill("SIGTERM");
    const gone = await Promise.race([stopped.then(() => true), sleep(20_000).then(() => false)]);
    if (!gone && pid !== null && alive(pid)) {
      process.stderr.write("bench: the controller did not stop on SIGTERM; killing it\n");
      process.kill(pid, "SIGKILL");
    }
  };
  cleanups.push(stop);
  await controller.start();
  pid = controller.pid ?? null;
  if (pid === null) throw new Error("the controller process has no pid");
  process.stdout.write(`[controller] pid ${pid}, MQTT on 127.0.0.1:${port}\n`);

  const run = await drive(
    "controller",
    pid,
    ["--url", `mqtt://127.0.0.1:${port}`, "--credentials", credentialsFile],
    options,
  );
  await stop();

  // what ended up in the database (read after the controller has stopped)
  const after = await Database.open(file);
  try {
    const count = async (sql: string) => (await after.get<{ n: number }>(sql))?.n ?? 0;
    const database: DatabaseCheck = {
      events: await count("SELECT COUNT(*) AS n FROM events"),
      rejectedMessages: await count("SELECT COUNT(*) AS n FROM rejected_messages"),
      devicesWithState: await count(
        "SELECT COUNT(*) AS n FROM devices WHERE state_json IS NOT NULL",
      ),
      devicesOnline: await count("SELECT COUNT(*) AS n FROM devices WHERE availability = 'online'"),
    };
    return { run, database };
  } finally {
    await after.close();
  }
}

// ------------------------------------------------------------------ the baseline

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => {
        resolve(false);
      });
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listening on 127.0.0.1:${port} after ${ms} ms`);
    await sleep(50);
  }
}

async function runMosquitto(options: Options): Promise<RunResult> {
  const dir = tempDir("classcam-bench-mosquitto-");
  cleanups.push(() => {
    dir.remove();
  });
  const port = await freePort();
  const config = join(dir.path, "mosquitto.conf");
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence false",
      // the controller sets TCP_NODELAY on every device socket; without it here, Nagle and
      // delayed ACKs put 40 ms steps into the baseline's latencies
      "set_tcp_nodelay true",
      "max_queued_messages 1000000",
      "log_dest stderr",
      "log_type error",
      "connection_messages false",
      "",
    ].join("\n"),
  );
  const mosquitto = spawn(MOSQUITTO, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  cleanups.push(() => stopChild(mosquitto));
  let errors = "";
  mosquitto.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<never>((_, reject) => {
    mosquitto.once("exit", (code) => {
      reject(new Error(`mosquitto exited (${String(code)}):\n${errors}`));
    });
  });
  exited.catch(() => undefined); // only raced below
  await Promise.race([waitForPort(port, 10_000), exited]);
  const pid = mosquitto.pid;
  if (pid === undefined) throw new Error("mosquitto has no pid");
  process.stdout.write(`[mosquitto] pid ${pid}, MQTT on 127.0.0.1:${port}\n`);

  const consumer = spawn(
    process.execPath,
    [...nodeArgs(), join(HERE, "passthrough-consumer.ts"), "--url", `mqtt://127.0.0.1:${port}`],
    { cwd: REPO, stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  cleanups.push(() => stopChild(consumer));
  await new Promise<void>((resolve, reject) => {
    consumer.on("message", (raw) => {
      const message = raw as ConsumerMessage;
      if (message.type === "ready") resolve();
      else reject(new Error(`pass-through consumer failed: ${message.error}`));
    });
    consumer.once("exit", (code) => {
      reject(new Error(`pass-through consumer exited (${String(code)}) before it was ready`));
    });
  });
  const consumerPid = consumer.pid ?? null;

  const run = await drive(
    "mosquitto",
    pid,
    ["--url", `mqtt://127.0.0.1:${port}`, "--devices", String(options.devices)],
    options,
    consumerPid,
  );
  if (errors.trim() !== "") process.stderr.write(`[mosquitto] logged errors:\n${errors}\n`);
  await stopChild(consumer);
  await stopChild(mosquitto);
  return run;
}

// ------------------------------------------------------------------ report

interface Figures {
  connected: number;
  connectSeconds: number;
  eventsPerSecond: number;
  offeredPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuSeconds: number;
  cpuPercent: number;
  peakRssMb: number;
}

function figuresOf(run: RunResult): Figures {
  const { load } = run;
  return {
    connected: load.connected,
    connectSeconds: load.connectSeconds,
    eventsPerSecond: load.eventsAckedInWindow / load.windowSeconds,
    offeredPerSecond: load.eventsPublished / load.windowSeconds,
    p50Ms: load.ackLatency.p50,
    p99Ms: load.ackLatency.p99,
    cpuSeconds: run.window.cpuSeconds,
    cpuPercent: run.window.percentOfCore,
    peakRssMb: run.peakRssMb,
  };
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return a / b;
}

function fixed(value: number | null | undefined, digits: number, unit = ""): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "n/a";
  return `${value.toFixed(digits)}${unit}`;
}

function ratioText(value: number | null): string {
  if (value === null) return "n/a";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function latencyText(latency: LoadResult["ackLatency"]): string {
  return (
    `p50 ${fixed(latency.p50, 1)} / p90 ${fixed(latency.p90, 1)} / p99 ${fixed(latency.p99, 1)} / ` +
    `max ${fixed(latency.max, 1)} ms (n=${latency.count})`
  );
}

// ------------------------------------------------------------------ main

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      devices: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      concurrency: { type: "string" },
      "event-interval": { type: "string" },
      only: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const options: Options = {
    devices: positiveInt(
      values.devices ?? process.env.BENCH_DEVICES,
      "--devices / BENCH_DEVICES",
      1000,
    ),
    seconds: positiveNumber(
      values.seconds ?? process.env.BENCH_SECONDS,
      "--seconds / BENCH_SECONDS",
      30,
    ),
    warmup: positiveNumber(values.warmup, "--warmup", 5),
    concurrency: positiveInt(values.concurrency, "--concurrency", 50),
    eventInterval: positiveNumber(values["event-interval"], "--event-interval", 10),
  };
  const only = values.only;
  if (only !== undefined && only !== "controller" && only !== "mosquitto") {
    throw new Error(`--only must be 'controller' or 'mosquitto' (got '${only}')`);
  }
  const withMosquitto = only !== "controller";
  if (withMosquitto && !existsSync(MOSQUITTO)) {
    throw new Error(
      `${MOSQUITTO} not found: install it (apt-get install -y mosquitto) or run with --only controller`,
    );
  }
  const mosquittoVersion = withMosquitto
    ? (/mosquitto version (\S+)/.exec(
        (() => {
          try {
            return execFileSync(MOSQUITTO, ["-h"], { encoding: "utf8" });
          } catch (error) {
            // `mosquitto -h` exits with status 3 after printing its usage
            const { stdout } = error as { stdout?: unknown };
            return typeof stdout === "string" ? stdout : "";
          }
        })(),
      )?.[1] ?? "unknown")
    : null;

  const n = options.devices;
  const loadBefore = loadavg()[0] ?? 0;
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? "unknown"}), node ${process.version}`;
  process.stdout.write(
    `broker-ingest bench: ${n} devices, ${options.seconds} s window after ${options.warmup} s warm-up\n` +
      `machine: ${machine}; clock ticks ${CLOCK_TICKS}/s; load average ${loadBefore.toFixed(2)}\n` +
      `load per device: retained state every 1 s (QoS 1), one event per ${options.eventInterval} s ` +
      `on average (exponential gaps, QoS 1) → ~${fixed(n / options.eventInterval, 0)} events/s, ${n} states/s\n\n`,
  );

  let controller: { run: RunResult; database: DatabaseCheck } | null = null;
  let mosquitto: RunResult | null = null;
  if (only !== "mosquitto") controller = await runController(options);
  if (withMosquitto) mosquitto = await runMosquitto(options);

  const c = controller ? figuresOf(controller.run) : null;
  const m = mosquitto ? figuresOf(mosquitto) : null;
  const verdict = (ok: boolean | null) => (ok === null ? "n/a" : ok ? "PASS" : "MISS");
  const targets = {
    connected: c ? c.connected === n : null,
    connectTime: c && m ? c.connectSeconds <= CONNECT_TARGET_RATIO * m.connectSeconds : null,
    p99: c
      ? c.p99Ms !== null &&
        c.p99Ms < TARGETS.p99Ms &&
        (controller?.run.load.eventsUnacked ?? 0) === 0
      : null,
    cpu: c && m ? c.cpuPercent <= CPU_TARGET_RATIO * m.cpuPercent : null,
    rss: c ? c.peakRssMb <= TARGETS.rssMb : null,
  };

  type Row = { label: string; c: string; m: string; ratio: number | null; target?: string };
  /** One figure of both brokers, with its ratio (and target, if it has one). */
  const figure = (
    label: string,
    key: "p50Ms" | "p99Ms" | "cpuSeconds" | "cpuPercent" | "peakRssMb",
    digits: number,
    unit: string,
    target?: string,
  ): Row => ({
    label,
    c: fixed(c?.[key], digits, unit),
    m: fixed(m?.[key], digits, unit),
    ratio: ratio(c?.[key], m?.[key]),
    ...(target !== undefined && { target }),
  });
  const rows: Row[] = [
    {
      label: `connect all ${n} devices`,
      c: c ? `${fixed(c.connectSeconds, 2, " s")} (${c.connected}/${n})` : "n/a",
      m: m ? `${fixed(m.connectSeconds, 2, " s")} (${m.connected}/${n})` : "n/a",
      ratio: ratio(c?.connectSeconds, m?.connectSeconds),
      target:
        `all ${n} connected: ${verdict(targets.connected)}; ` +
        `≤ ${CONNECT_TARGET_RATIO} × Mosquitto: ${verdict(targets.connectTime)}`,
    },
    {
      label: "events/s ingested",
      c: c ? `${fixed(c.eventsPerSecond, 1)} (offered ${fixed(c.offeredPerSecond, 1)})` : "n/a",
      m: m ? `${fixed(m.eventsPerSecond, 1)} (offered ${fixed(m.offeredPerSecond, 1)})` : "n/a",
      ratio: ratio(c?.eventsPerSecond, m?.eventsPerSecond),
    },
    figure("publish→commit p50", "p50Ms", 1, " ms"),
    figure(
      "publish→commit p99",
      "p99Ms",
      1,
      " ms",
      `< ${TARGETS.p99Ms} ms, nothing unacked: ${verdict(targets.p99)}`,
    ),
    figure(`CPU in the ${options.seconds} s window (user+sys)`, "cpuSeconds", 2, " s"),
    figure(
      "CPU as % of one core",
      "cpuPercent",
      1,
      " %",
      `≤ ${CPU_TARGET_RATIO} × Mosquitto: ${verdict(targets.cpu)}`,
    ),
    figure(
      "peak RSS (VmHWM)",
      "peakRssMb",
      1,
      " MB",
      `≤ ${TARGETS.rssMb} MB: ${verdict(targets.rss)}`,
    ),
  ];
  const labelWidth = Math.max(...rows.map((row) => row.label.length));
  const cWidth = Math.max(...rows.map((row) => row.c.length));
  const mWidth = Math.max(...rows.map((row) => row.m.length));
  const lines = rows.map(
    (row) =>
      `${`${row.label}:`.padEnd(labelWidth + 1)}  controller ${row.c.padEnd(cWidth)} | ` +
      `mosquitto ${row.m.padEnd(mWidth)} | ratio ${ratioText(row.ratio).padEnd(5)}` +
      (row.target === undefined ? "" : ` | target ${row.target}`),
  );

  /** CPU that neither the broker, the devices nor the consumer used: other work on the machine. */
  const othersOf = (run: RunResult) =>
    run.machinePercentOfCore -
    run.window.percentOfCore -
    run.load.loadCpuPercent -
    (run.consumer?.percentOfCore ?? 0);
  const noisy = (
    [
      ["controller", controller?.run ?? null],
      ["mosquitto", mosquitto],
    ] as const
  )
    .filter(([, run]) => run !== null && othersOf(run) > 15)
    .map(
      ([label, run]) =>
        `WARNING: other processes used ~${fixed(run && othersOf(run), 0)} % of a core during the ${label} ` +
        "window: its figures are disturbed; run the bench again on a quiet machine.",
    );

  const detail = (label: string, run: RunResult | null, extra: string[] = []): string[] =>
    run === null
      ? []
      : [
          `${label}:`,
          `  publish→ack        ${latencyText(run.load.ackLatency)}`,
          `  publish→ack p99 by when in the window the event was published: ` +
            run.load.ackLatencyBySlice
              .map((slice) => `${slice.fromSecond}–${slice.toSecond} s ${fixed(slice.p99, 0)}`)
              .join(", ") +
            " ms",
          `  publish→PUBACK     ${latencyText(run.load.pubackLatency)}`,
          `  per-device connect ${latencyText(run.load.connectLatency)}`,
          `  broker CPU during the connect ramp: ${fixed(run.ramp.cpuSeconds, 2)} s over ` +
            `${fixed(run.ramp.seconds, 1)} s = ${fixed(run.ramp.percentOfCore, 0)} % of one core`,
          `  RSS before any device connected ${fixed(run.rssBeforeLoadMb, 1)} MB, ` +
            `at the end of the window ${fixed(run.rssAtWindowEndMb, 1)} MB, peak ${fixed(run.peakRssMb, 1)} MB`,
          `  in the window: ${run.load.eventsPublished} events and ${run.load.statesPublished} states ` +
            `published, ${run.load.eventsAckedInWindow} event acks received; ` +
            `${run.load.eventsUnacked} unacked after ${fixed(run.load.drainSeconds, 1)} s of drain; ` +
            `${run.load.eventsRejected} rejected`,
          `  whole run: ${run.load.totalEventsPublished} events published, ${run.load.totalEventsAccepted} accepted; ` +
            `${run.load.connectFailures} failed connect attempts, ${run.load.connectionsLost} connections lost, ` +
            `${run.load.publishErrors} client errors`,
          `  load process: ${fixed(run.load.loadCpuPercent, 0)} % of one core, event-loop delay p99 ` +
            `${fixed(run.load.loadEventLoopDelayP99Ms, 1)} ms (adds to every latency above)`,
          `  whole machine in the window: ${fixed(run.machinePercentOfCore, 0)} % of one core ` +
            `(of ${cpus().length * 100} %), of which other processes ~${fixed(othersOf(run), 0)} %`,
          ...extra,
        ];

  const report = [
    "",
    `==== broker-ingest: ${n} devices, ${options.seconds} s window ====`,
    "publish→commit is measured at the device, by the application ack (the controller acks after its",
    "database commit); through mosquitto the ack comes from a pass-through consumer with no database.",
    "events/s ingested = event ids acked during the window / window length. CPU and RSS are the",
    "broker process's own (controller: everything incl. sqlite; mosquitto: the broker alone).",
    "",
    ...lines,
    ...(noisy.length > 0 ? ["", ...noisy] : []),
    "",
    ...detail(
      "controller",
      controller?.run ?? null,
      controller
        ? [
            `  database after the run: ${controller.database.events} events (devices had ${controller.run.load.totalEventsAccepted} acked), ` +
              `${controller.database.rejectedMessages} rejected messages, ${controller.database.devicesWithState}/${n} devices with state`,
          ]
        : [],
    ),
    ...detail(
      "mosquitto",
      mosquitto,
      mosquitto?.consumer
        ? [
            `  pass-through consumer (not in the figures above): ${fixed(mosquitto.consumer.cpuSeconds, 2)} s CPU ` +
              `in the window = ${fixed(mosquitto.consumer.percentOfCore, 1)} % of one core`,
          ]
        : [],
    ),
    "",
    `targets: ${n} connected ${verdict(targets.connected)}; ` +
      `connect ≤ ${CONNECT_TARGET_RATIO} × Mosquitto ${verdict(targets.connectTime)}; p99 < ${TARGETS.p99Ms} ms ${verdict(targets.p99)}; ` +
      `CPU ≤ ${CPU_TARGET_RATIO} × Mosquitto ${verdict(targets.cpu)}; peak RSS ≤ ${TARGETS.rssMb} MB ${verdict(targets.rss)}`,
  ];
  process.stdout.write(`${report.join("\n")}\n`);

  const resultsDir = join(HERE, "results");
  mkdirSync(resultsDir, { recursive: true });
  const output = join(resultsDir, "broker-ingest.json");
  writeFileSync(
    output,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        options,
        machine: {
          loadAverageBefore: loadBefore,
          cores: cpus().length,
          cpu: cpus()[0]?.model.trim() ?? null,
          node: process.version,
          mosquitto: mosquittoVersion,
        },
        latencyMeasuredAs:
          "publish → application ack at the device (controller: after its DB commit)",
        targets: {
          devices: n,
          p99Ms: TARGETS.p99Ms,
          rssMb: TARGETS.rssMb,
          connectRatio: CONNECT_TARGET_RATIO,
          cpuRatio: CPU_TARGET_RATIO,
        },
        verdicts: targets,
        figures: {
          controller: c,
          mosquitto: m,
          ratio: {
            connectSeconds: ratio(c?.connectSeconds, m?.connectSeconds),
            eventsPerSecond: ratio(c?.eventsPerSecond, m?.eventsPerSecond),
            p50Ms: ratio(c?.p50Ms, m?.p50Ms),
            p99Ms: ratio(c?.p99Ms, m?.p99Ms),
            cpuSeconds: ratio(c?.cpuSeconds, m?.cpuSeconds),
            cpuPercent: ratio(c?.cpuPercent, m?.cpuPercent),
            peakRssMb: ratio(c?.peakRssMb, m?.peakRssMb),
          },
        },
        runs: { controller, mosquitto },
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`results written to ${output}\n`);
  return 0;
}

runBenchmark(main, cleanUp);
