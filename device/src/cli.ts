/**
 * `classcam-device`: runs the classroom daemon, or checks a settings file.
 * Every argument is checked; a bad one is refused with what is wrong.
 */
import { parseArgs } from "node:util";
import { pino } from "pino";
import { loadSettings } from "./config.js";
import { Daemon } from "./daemon.js";
import { readRetirement, retires } from "./link/retire.js";

const HELP = `classcam-device — the classroom box's daemon

Usage:
  classcam-device run --settings FILE      record, keep the buffer, talk to the controller
  classcam-device check --settings FILE    check a settings file and say what is wrong
  classcam-device --help

The settings file is the JSON bundle written by 'classcam-provision enrol'
(device id, secret, controller address, GPIO pins, camera, microphone).
hardware.backend must be named: 'linux' for the real box, 'sim' for the
simulated one used by the demo and the tests (never chosen implicitly).

Exit status: 0 clean stop, 1 failure at run time, 2 bad arguments or settings,
3 (check) the box was retired: it wiped its buffer and will not record.
`;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export async function run(argv: string[], io: Io = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { settings: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    io.err(`classcam-device: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals.length === 0) {
    io.out(HELP);
    return values.help === true ? 0 : 2;
  }
  const [command, ...rest] = positionals;
  if (rest.length > 0) {
    io.err(`classcam-device: unexpected argument '${rest.join(" ")}'`);
    return 2;
  }
  if (command !== "run" && command !== "check") {
    io.err(`classcam-device: unknown command '${String(command)}'; try --help`);
    return 2;
  }
  if (values.settings === undefined) {
    io.err(`classcam-device: ${command} needs --settings FILE`);
    return 2;
  }
  let settings;
  try {
    settings = loadSettings(values.settings);
  } catch (error) {
    io.err(`classcam-device: ${(error as Error).message}`);
    return 2;
  }
  if (command === "check") {
    const marker = readRetirement(settings.dataDir);
    if (marker !== null && retires(marker, settings.deviceId)) {
      io.out(
        `${values.settings}: device ${settings.deviceId} is RETIRED (told ${marker.retiredAt}, ` +
          `buffer ${marker.wipedAt === null ? "wipe unfinished" : `wiped ${marker.wipedAt}`}): ` +
          "it will not record; enrol it afresh with a new device id to use it again",
      );
      return 3;
    }
    io.out(
      `${values.settings}: good (device ${settings.deviceId}, ${settings.hardware.backend} hardware, controller ${settings.controller.mqttUrl})`,
    );
    return 0;
  }
  const logger = pino({ level: settings.log.level, base: { service: "classcam-device" } });
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ settings, logger });
  } catch (error) {
    io.err(`classcam-device: cannot start: ${(error as Error).message}`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "stopping");
      daemon.stop().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, "stop failed");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
