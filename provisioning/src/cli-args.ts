/**
 * What every `classcam-provision` subcommand shares: the terminal it talks to
 * (`Io`), the option specs, and the checks that turn raw arguments into a
 * controller, a device id, a bundle and its destination, each refusing a bad
 * argument with a `UsageError` that names it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ParseArgsConfig } from "node:util";
import { deviceIdProblem } from "@classcam/protocol";
import { ControllerClient } from "./api.js";
import {
  CA_FILE,
  DEFAULT_DATA_DIR,
  PLACEHOLDER_SECRET,
  SETTINGS_FILE,
  bundleProblem,
  destinationProblem,
  type BundleInput,
  type CameraIdentity,
} from "./bundle.js";
import { pinProblem } from "./csv.js";
import { askPassword } from "./prompt.js";

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Redraws the progress line (a terminal only). */
  progress: (text: string) => void;
  /** Whether stdout is a terminal (progress bar) or not (plain lines). */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  askPassword: (question: string) => Promise<string | null>;
}

export const processIo = (): Io => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: (text) => process.stderr.write(`\r${text}\x1b[K`),
  isTTY: process.stdout.isTTY && process.stderr.isTTY,
  env: process.env,
  askPassword,
});

/** Whether the controller serves HTTPS itself (http.tls in its config). */
export const CONTROLLER_HTTPS = true;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

// ------------------------------------------------------------------ arguments

export const HARDWARE_SPEC = {
  "lamp-pin": { type: "string" },
  "lamp-active-low": { type: "boolean" },
  "button-pin": { type: "string" },
  "button-active-high": { type: "boolean" },
  "camera-card": { type: "string" },
  "camera-driver": { type: "string" },
  "camera-bus": { type: "string" },
  "camera-device": { type: "string" },
  "data-dir": { type: "string" },
  backend: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

export const CONTROLLER_SPEC = {
  controller: { type: "string" },
  user: { type: "string" },
  ca: { type: "string" },
  mqtt: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

export const HELP_SPEC = { help: { type: "boolean", short: "h" } } as const;

export type Values = Record<string, string | boolean | string[] | undefined>;

export function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

export function pin(values: Values, name: string): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const problem = pinProblem(`--${name}`, text);
  if (problem !== null) throw new UsageError(problem);
  return Number(text);
}

export function readFile(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(
      `cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

export interface ControllerChoice {
  url: string;
  user: string;
  ca: Buffer | undefined;
  mqttUrl: string;
}

export function controllerChoice(values: Values, env: NodeJS.ProcessEnv): ControllerChoice {
  const url = str(values, "controller") ?? env.CLASSCAM_CONTROLLER;
  if (url === undefined || url === "") {
    throw new UsageError("which controller? give --controller URL (or set CLASSCAM_CONTROLLER)");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `--controller '${url}' is not a URL (e.g. https://controller.school.local:8443)`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`--controller '${url}' must start with http:// or https://`);
  }
  const user = str(values, "user") ?? env.CLASSCAM_USER;
  if (user === undefined || user === "") {
    throw new UsageError(
      "which account? give --user ID (an account with the IT role) or set CLASSCAM_USER",
    );
  }
  const caFile = str(values, "ca") ?? (env.CLASSCAM_CA === "" ? undefined : env.CLASSCAM_CA);
  const ca = caFile === undefined ? undefined : readFile("CA certificate", caFile);
  const mqttUrl =
    str(values, "mqtt") ??
    (ca !== undefined ? `mqtts://${parsed.hostname}:8883` : `mqtt://${parsed.hostname}:1883`);
  if (!/^mqtts?:\/\/[^/]+/.test(mqttUrl)) {
    throw new UsageError(
      `--mqtt '${mqttUrl}' must look like mqtts://host:8883 or mqtt://host:1883`,
    );
  }
  if (mqttUrl.startsWith("mqtts://") && ca === undefined) {
    throw new UsageError("an mqtts:// address needs the school CA: give --ca FILE");
  }
  return { url, user, ca, mqttUrl };
}

export function hardwareChoice(
  values: Values,
): Omit<BundleInput, "deviceId" | "secret" | "mqttUrl"> {
  const backend = str(values, "backend") ?? "linux";
  if (backend !== "linux" && backend !== "sim") {
    throw new UsageError(`--backend must be linux or sim, not '${backend}'`);
  }
  const camera: CameraIdentity = {};
  const card = str(values, "camera-card");
  const driver = str(values, "camera-driver");
  const busInfo = str(values, "camera-bus");
  const device = str(values, "camera-device");
  if (card !== undefined) camera.card = card;
  if (driver !== undefined) camera.driver = driver;
  if (busInfo !== undefined) camera.busInfo = busInfo;
  if (device !== undefined) camera.device = device;
  const lampPin = pin(values, "lamp-pin");
  const buttonPin = pin(values, "button-pin");
  return {
    backend,
    dataDir: str(values, "data-dir") ?? DEFAULT_DATA_DIR,
    ...(lampPin !== undefined && { lampPin }),
    ...(values["lamp-active-low"] === true && { lampActiveLow: true }),
    ...(buttonPin !== undefined && { buttonPin }),
    ...(values["button-active-high"] === true && { buttonActiveLow: false }),
    ...(Object.keys(camera).length > 0 && { camera }),
  };
}

export function deviceId(positionals: readonly string[], command: string): string {
  const [id, ...extra] = positionals;
  if (id === undefined) throw new UsageError(`'${command}' needs a device id, e.g. room-12`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra.join(" ")}'`);
  const problem = deviceIdProblem(id);
  if (problem !== null) throw new UsageError(`device id '${id}': ${problem}`);
  return id;
}

/**
 * The bundle `id` will get (its secret comes from the controller later), checked
 * with where it goes before anything is asked of the controller.
 */
export function plannedBundle(
  values: Values,
  id: string,
  choice: ControllerChoice,
  target: string,
): BundleInput {
  const input: BundleInput = {
    ...hardwareChoice(values),
    deviceId: id,
    secret: PLACEHOLDER_SECRET,
    mqttUrl: choice.mqttUrl,
    ...(choice.ca !== undefined && { ca: choice.ca }),
  };
  const problem = bundleProblem(input) ?? destinationProblem(target);
  if (problem !== null) throw new UsageError(problem);
  return input;
}

/** The bundle folder from --out or --boot (MOUNT/classcam on a Pi's boot partition). */
export function bundleTarget(values: Values): string {
  const out = str(values, "out");
  const boot = str(values, "boot");
  if (out !== undefined && boot !== undefined)
    throw new UsageError("give --out or --boot, not both");
  if (out !== undefined) return resolve(out);
  if (boot === undefined)
    throw new UsageError("where should the bundle go? give --out DIR or --boot MOUNT");
  if (!existsSync(join(boot, "config.txt")) && !existsSync(join(boot, "cmdline.txt"))) {
    throw new UsageError(
      `${boot} does not look like a Raspberry Pi boot partition (no config.txt or cmdline.txt)`,
    );
  }
  return resolve(boot, "classcam");
}

export async function signedIn(choice: ControllerChoice, io: Io): Promise<ControllerClient> {
  const password =
    io.env.CLASSCAM_PASSWORD !== undefined && io.env.CLASSCAM_PASSWORD !== ""
      ? io.env.CLASSCAM_PASSWORD
      : await io.askPassword(`password for ${choice.user} at ${choice.url}: `);
  if (password === null || password === "") {
    throw new UsageError("no password: set CLASSCAM_PASSWORD, or run on a terminal to be asked");
  }
  const client = new ControllerClient({ url: choice.url, ...(choice.ca && { ca: choice.ca }) });
  await client.signIn(choice.user, password);
  return client;
}

export function describeBundle(dir: string, ca: boolean): string {
  return `bundle written to ${dir} (${SETTINGS_FILE}${ca ? `, ${CA_FILE}` : ""})`;
}

export const SECRET_NOTE =
  "The secret is in the bundle only (the controller keeps just its hash): keep the bundle\n" +
  "safe until it is installed; install-device.sh moves it to /etc/classcam.";

// ------------------------------------------------------------------ commands

export type Command = (values: Values, positionals: string[], io: Io) => Promise<number>;
