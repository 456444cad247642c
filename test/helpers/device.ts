/**
 * Test harness for the classroom daemon: a sim box (virtual lamp and button,
 * test-pattern camera, tone microphone — real ffmpeg) with its data in a temp
 * folder, connected over real MQTT to a test controller it is enrolled with.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import {
  Daemon,
  checkSettings,
  devicePaths,
  simHardware,
  type DaemonOptions,
  type DeviceSettings,
  type SimHardware,
} from "@classcam/device";
import type { DeviceConfig } from "@classcam/protocol";
import { captureLogger, tempDir } from "./controller.js";

export interface TestBox {
  daemon: Daemon;
  hw: SimHardware;
  settings: DeviceSettings;
  lines: Record<string, unknown>[];
  stop: () => Promise<void>;
}

/** Settings for a small, fast sim box (320x240 at 10 fps, ultrafast x264). */
export function boxSettings(
  deviceId: string,
  secret: string,
  mqttUrl: string,
  dataDir: string,
  overrides: { storage?: Partial<DeviceSettings["storage"]>; segmentSeconds?: number } = {},
): DeviceSettings {
  const checked = checkSettings({
    deviceId,
    secret,
    dataDir,
    controller: { mqttUrl },
    hardware: { backend: "sim", camera: { width: 320, height: 240, fps: 10 } },
    recorder: {
      x264Preset: "ultrafast",
      videoKbps: 300,
      segmentSeconds: overrides.segmentSeconds ?? 2,
    },
    storage: { reserveBytes: 8 * 1024 * 1024, janitorSeconds: 3600, ...overrides.storage },
    log: { level: "warn" },
  });
  if (!checked.ok) throw new Error(checked.error);
  return checked.settings;
}

/** Starts a daemon on `settings` with a fresh sim box (or the one given). */
export async function startBox(
  settings: DeviceSettings,
  options: Partial<DaemonOptions> & { hw?: SimHardware; logger?: Logger } = {},
): Promise<TestBox> {
  const captured = captureLogger("warn");
  const hw = options.hw ?? simHardware(settings.hardware);
  const daemon = await Daemon.start({
    settings,
    logger: options.logger ?? captured.logger,
    hardware: hw,
    stateIntervalMs: 1000,
    link: { ackTimeoutMs: 2000, reconnectMs: 300 },
    ...options,
  });
  return { daemon, hw, settings, lines: captured.lines, stop: () => daemon.stop() };
}

/** A temp data folder for one box. */
export function boxDir(): { path: string; remove: () => void } {
  const dir = tempDir("classcam-box-");
  return { path: join(dir.path, "box"), remove: dir.remove };
}

/** Waits until `check` is true, polling; fails with `what` after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
  pollMs = 25,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** mulberry32: a small seeded generator, so a failing run can be repeated with its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pids of the processes whose command line mentions `marker` (e.g. a box's buffer folder). */
export function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker))
        found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/**
 * Writes the controller config a box finds cached at start (as if it had
 * received it before): by default one booking around now with audio on.
 */
export function cacheBoxConfig(
  dataDir: string,
  overrides: Partial<DeviceConfig> = {},
): DeviceConfig {
  const now = Date.now();
  const config: DeviceConfig = {
    version: 1,
    issuedAt: new Date(now).toISOString(),
    room: "Test classroom",
    schedule: [
      {
        bookingId: randomUUID(),
        start: new Date(now - 60_000).toISOString(),
        end: new Date(now + 6 * 3600_000).toISOString(),
        purpose: "self-reflection",
        audio: true,
      },
    ],
    retention: { bufferDays: 7 },
    policy: { allowUnbookedRecording: false },
    masks: [],
    holds: [],
    ...overrides,
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(devicePaths(dataDir).config, JSON.stringify(config));
  return config;
}

/** Mounts a tmpfs of `bytes` at `dir` (needs root); fails with the reason, never skips. */
export function mountTmpfs(bytes: number, dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `cannot mount a ${Math.round(bytes / 1048576)} MiB tmpfs at ${dir} (this test needs root and mount(8)): ` +
        (stderr || (error as Error).message),
    );
  }
  return () => execFileSync("umount", [dir]);
}
