/**
 * `classcam-provision`: IT's tool to enrol, rotate, retire and check classroom
 * boxes against the school's controller, and to set up the school's TLS.
 * Every argument is checked before anything happens; a bad one exits 2 naming
 * it; the controller's refusals are shown in its words.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ControllerError } from "./api.js";
import { BundleExists } from "./bundle.js";
import {
  CONTROLLER_SPEC,
  HARDWARE_SPEC,
  HELP_SPEC,
  UsageError,
  processIo,
  type Command,
  type Io,
} from "./cli-args.js";
import { bulk, check, enrol, retire, rotate, tls } from "./cli-commands.js";
import { HELP, NAME } from "./cli-help.js";
import { TlsError } from "./tls.js";

export { CONTROLLER_HTTPS, processIo, type Io } from "./cli-args.js";
export { HELP } from "./cli-help.js";

const COMMANDS: Record<string, { run: Command; options: ParseArgsConfig["options"] }> = {
  enrol: {
    run: enrol,
    options: {
      ...CONTROLLER_SPEC,
      ...HARDWARE_SPEC,
      room: { type: "string" },
      out: { type: "string" },
      boot: { type: "string" },
    },
  },
  bulk: {
    run: bulk,
    options: {
      ...CONTROLLER_SPEC,
      ...HARDWARE_SPEC,
      csv: { type: "string" },
      out: { type: "string" },
      "all-or-nothing": { type: "boolean" },
    },
  },
  rotate: {
    run: rotate,
    options: {
      ...CONTROLLER_SPEC,
      ...HARDWARE_SPEC,
      bundle: { type: "string" },
      out: { type: "string" },
    },
  },
  retire: { run: retire, options: { ...CONTROLLER_SPEC, yes: { type: "boolean" } } },
  check: {
    run: check,
    options: { "no-connect": { type: "boolean" }, timeout: { type: "string" } },
  },
  tls: {
    run: tls,
    options: {
      out: { type: "string" },
      host: { type: "string", multiple: true },
      ip: { type: "string", multiple: true },
      school: { type: "string" },
      days: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      ca: { type: "string" },
    },
  },
};

export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    (command === undefined ? io.err : io.out)(HELP.main ?? "");
    return command === undefined ? 2 : 0;
  }
  if (command === "help") {
    const topic = rest[0] ?? "main";
    const text = HELP[topic];
    if (text === undefined) {
      io.err(`${NAME}: no command '${topic}'\nTry '${NAME} --help'.`);
      return 2;
    }
    io.out(text);
    return 0;
  }
  const entry = COMMANDS[command];
  if (entry === undefined) {
    io.err(`${NAME}: unknown command '${command}'\nTry '${NAME} --help'.`);
    return 2;
  }
  const usage = (message: string) => {
    io.err(`${NAME} ${command}: ${message}\nTry '${NAME} ${command} --help'.`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: { ...entry.options, ...HELP_SPEC },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  if (parsed.values.help === true) {
    io.out(HELP[command] ?? "");
    return 0;
  }
  try {
    return await entry.run(parsed.values, parsed.positionals, io);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    if (
      error instanceof ControllerError ||
      error instanceof TlsError ||
      error instanceof BundleExists
    ) {
      io.err(`${NAME} ${command}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
