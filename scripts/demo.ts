/**
 * The demo behind `npm start`: the controller on embedded defaults plus one
 * simulated classroom box ("demo-room", sim lamp, button, test-pattern camera
 * and tone microphone) connected to it over real MQTT. Press the virtual
 * button with the keyboard (space: start/stop, k: hold to ask to keep, q: quit)
 * or over HTTP (the panel address printed at start).
 *
 * Everything lives under data/demo (or CLASSCAM_DEMO_DIR): delete it to start afresh.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig, setupTokenNotice, startController } from "@classcam/controller";
import { Daemon, checkSettings, type DeviceSettings } from "@classcam/device";

const ROOT = new URL("..", import.meta.url).pathname;
const DEVICE_ID = "demo-room";
const dataRoot = process.env.CLASSCAM_DEMO_DIR ?? join(ROOT, "data", "demo");
const panelPort = Number(process.env.CLASSCAM_DEMO_PANEL_PORT ?? 8090);

const say = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<void> {
  const config = loadConfig({
    env: { CLASSCAM_DATA_DIR: join(dataRoot, "controller"), ...process.env },
  });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  const logger = pino({ level: config.log.level, base: { service: "classcam-controller" } });
  // the dashboard's demo page shows the box's panel (lamp and button), through the controller
  const controller = await startController(config, logger, {
    demoPanelUrl: `http://127.0.0.1:${panelPort}`,
    // each request at debug: at the default level the terminal shows the lamp's lines
    requestLogLevel: "debug",
  });
  const { app } = controller;

  // the demo school lets the button record outside bookings, so it works at once
  const policy = await app.policy.get();
  if (!policy.bookings.allowUnbookedRecording) {
    await app.policy.update({ bookings: { allowUnbookedRecording: true } }, "system");
    await app.custodian.refreshAll();
    say(
      "demo: the school's policy now allows unbooked recording (video only) so the button works at once",
    );
  }

  // the box's settings bundle, as provisioning would write it
  const deviceDir = join(dataRoot, "device");
  const settingsFile = join(deviceDir, "settings.json");
  mkdirSync(deviceDir, { recursive: true, mode: 0o750 });
  let secret: string;
  const enrolled = await app.devices.get(DEVICE_ID);
  if (enrolled === null) {
    ({ secret } = await app.devices.enrol({ id: DEVICE_ID, room: "Demo classroom" }));
  } else if (existsSync(settingsFile)) {
    secret = (JSON.parse(readFileSync(settingsFile, "utf8")) as { secret: string }).secret;
  } else {
    ({ secret } = await app.devices.rotateSecret(DEVICE_ID));
  }
  // a new enrolment starts from a default config: bring it up to the school's policy
  await app.custodian.refreshConfig(DEVICE_ID);
  // it seals its footage to the controller, as an enrolled box does (issue 20): each
  // recording's key is open only in a RAM folder while it records, never in data/demo
  const sealingKey = app.footage.keys.publicKey;
  const bundle = {
    deviceId: DEVICE_ID,
    secret,
    dataDir: deviceDir,
    runtimeDir: join(ramFolder(), `classcam-demo-${process.getuid?.() ?? 0}`),
    controller: {
      mqttUrl: `mqtt://127.0.0.1:${controller.mqttPort}`,
      ...(sealingKey !== null && { sealingKey }),
    },
    hardware: {
      backend: "sim",
      camera: { width: 640, height: 360, fps: 15 },
    },
    recorder: { x264Preset: "ultrafast", videoKbps: 800 },
    storage: { reserveBytes: 64 * 1024 * 1024 },
    demo: { host: "127.0.0.1", port: panelPort },
    log: { level: "info" },
  };
  writeFileSync(settingsFile, JSON.stringify(bundle, null, 2), { mode: 0o600 });
  const checked = checkSettings(bundle, settingsFile);
  if (!checked.ok) throw new Error(checked.error);
  const settings: DeviceSettings = checked.settings;
  const deviceLogger = pino({ level: settings.log.level, base: { service: "classcam-device" } });
  const daemon = await Daemon.start({ settings, logger: deviceLogger });
  // "running" is said once the box holds the school's config: a press before it is refused
  const wanted = (await app.devices.get(DEVICE_ID))?.config.version ?? 0;
  if (!(await configured(daemon, wanted, 120_000))) {
    say(
      "demo: the box has not received its config from the controller yet; presses are refused until it does",
    );
  }

  if (controller.setupToken !== null) {
    say(setupTokenNotice(controller.address, controller.setupToken, "npm start --"));
  }
  say(`\nclasscam demo is running.`);
  say(`  dashboard and API:      ${controller.address}  (API docs at /api/docs)`);
  say(
    `  simulated box "${DEVICE_ID}": ${daemon.panel?.url ?? "(no panel)"}  — press the button there`,
  );
  say(`  or here: space = press record (start/stop), k = hold (ask to keep), q = quit`);
  say(`  or: curl -X POST ${daemon.panel?.url ?? ""}/button -d '{"press":"short"}'\n`);
  daemon.lamp.onModeChange((mode) => say(`lamp: ${mode}`));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say("stopping…");
    await daemon.stop();
    await controller.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.on("data", (key: Buffer) => {
      const k = key.toString();
      if (k === " " || k === "\r") void daemon.press("short");
      else if (k === "k") void daemon.press("long");
      else if (k === "q" || k === "\u0003") void stop();
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `classcam demo: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

/** Whether the box holds config version `version` or later, waiting up to `ms` for it. */
function configured(daemon: Daemon, version: number, ms: number): Promise<boolean> {
  const has = () => (daemon.config.current?.version ?? -1) >= version;
  if (has()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      clearTimeout(timer);
      stop();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), ms);
    const stop = daemon.config.onChange(() => {
      if (has()) done(true);
    });
  });
}

/** A RAM-backed folder of this user's (the session's runtime folder, else /dev/shm), else the temporary folder. */
function ramFolder(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && runtime !== "" && existsSync(runtime)) return runtime;
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}
