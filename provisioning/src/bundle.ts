/**
 * A device's configuration bundle: a folder holding `device.json` (the
 * daemon's settings file: controller address, device id, secret, GPIO pins,
 * camera identity) and, when the controller speaks TLS, `ca.pem` (the school
 * CA, the only one the device trusts). `classcam-device check --settings
 * device.json` accepts it as it is; the install script copies it to
 * /etc/classcam.
 *
 * A bundle is written whole or not at all: into a hidden folder beside the
 * target, flushed, then renamed into place.
 */
import { X509Certificate } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { checkSettings, loadSettings, type DeviceSettings } from "@classcam/device";

export const SETTINGS_FILE = "device.json";
export const CA_FILE = "ca.pem";
/** Where the daemon keeps its buffer on the box (the unit's StateDirectory). */
export const DEFAULT_DATA_DIR = "/var/lib/classcam";

/** Which camera the box records from (see `cameraSettings`). */
export interface CameraIdentity {
  /** V4L2 card name, e.g. "HD Pro Webcam C920". */
  card?: string;
  /** V4L2 driver, e.g. "uvcvideo". */
  driver?: string;
  /** V4L2 bus info, e.g. "usb-0000:01:00.0-1.2" (the USB port it is plugged into). */
  busInfo?: string;
  /** A fixed device node instead, e.g. /dev/video0. */
  device?: string;
}

export interface Pins {
  lampPin?: number;
  lampActiveLow?: boolean;
  buttonPin?: number;
  buttonActiveLow?: boolean;
}

export interface BundleInput extends Pins {
  deviceId: string;
  secret: string;
  /** mqtt://host:1883 or mqtts://host:8883 */
  mqttUrl: string;
  /** The controller's public sealing key (from the enrolment answer): footage is sealed to it. */
  sealingKey?: string;
  /** The school CA (PEM), written beside the settings as ca.pem; required for mqtts. */
  ca?: Buffer;
  dataDir?: string;
  backend?: "linux" | "sim";
  camera?: CameraIdentity;
}

/**
 * The `hardware.camera` fields for a camera identity: `match` (card, driver,
 * bus info — any given) or a fixed `device` node. The one place that knows
 * the device settings' camera fields.
 */
export function cameraSettings(camera: CameraIdentity = {}): Record<string, unknown> {
  const match: Record<string, string> = {};
  if (camera.card !== undefined) match.card = camera.card;
  if (camera.driver !== undefined) match.driver = camera.driver;
  if (camera.busInfo !== undefined) match.busInfo = camera.busInfo;
  return {
    ...(Object.keys(match).length > 0 && { match }),
    ...(camera.device !== undefined && { device: camera.device }),
  };
}

/** The settings file's contents for `input` (defaults left to the daemon). */
export function bundleSettings(input: BundleInput): Record<string, unknown> {
  const lamp = {
    ...(input.lampPin !== undefined && { pin: input.lampPin }),
    ...(input.lampActiveLow !== undefined && { activeLow: input.lampActiveLow }),
  };
  const button = {
    ...(input.buttonPin !== undefined && { pin: input.buttonPin }),
    ...(input.buttonActiveLow !== undefined && { activeLow: input.buttonActiveLow }),
  };
  const camera = cameraSettings(input.camera);
  return {
    deviceId: input.deviceId,
    secret: input.secret,
    dataDir: input.dataDir ?? DEFAULT_DATA_DIR,
    controller: {
      mqttUrl: input.mqttUrl,
      ...(input.ca !== undefined && { caFile: CA_FILE }),
      ...(input.sealingKey !== undefined && { sealingKey: input.sealingKey }),
    },
    hardware: {
      backend: input.backend ?? "linux",
      ...(Object.keys(lamp).length > 0 && { lamp }),
      ...(Object.keys(button).length > 0 && { button }),
      ...(Object.keys(camera).length > 0 && { camera }),
    },
  };
}

/** A secret-shaped placeholder, to check a bundle before the controller issues the real one. */
export const PLACEHOLDER_SECRET = "x".repeat(43);

/** Every problem with `input` as the daemon would see it, or null. */
export function bundleProblem(input: BundleInput): string | null {
  const problems: string[] = [];
  const checked = checkSettings(bundleSettings(input), "bundle");
  if (!checked.ok) problems.push(checked.error.replace(/^bundle: /, ""));
  else {
    const { lamp, button } = checked.settings.hardware;
    const sense = lamp.sensePin;
    if (lamp.pin === button.pin)
      problems.push(`the lamp and the button are both on GPIO ${lamp.pin}`);
    if (sense !== undefined && (sense === lamp.pin || sense === button.pin)) {
      problems.push(`the lamp's sense pin ${sense} is also used by the lamp or the button`);
    }
  }
  if (input.mqttUrl.startsWith("mqtts://") && input.ca === undefined) {
    problems.push("an mqtts:// controller needs the school CA (--ca FILE)");
  }
  if (input.ca !== undefined) {
    const problem = caProblem(input.ca);
    if (problem !== null) problems.push(problem);
  }
  return problems.length > 0 ? problems.join("; ") : null;
}

/** Why `pem` is not a usable CA certificate, or null. */
export function caProblem(pem: Buffer): string | null {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    return `the CA file is not a PEM certificate (${(error as Error).message})`;
  }
  if (!certificate.ca) return `the CA file holds '${certificate.subject}', which is not a CA`;
  if (Date.parse(certificate.validTo) < Date.now()) {
    return `the CA certificate expired on ${certificate.validTo}`;
  }
  return null;
}

/** The folder does not exist, or is empty. */
function isFree(dir: string): boolean {
  if (!existsSync(dir)) return true;
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

export class BundleExists extends Error {
  constructor(readonly dir: string) {
    super(`${dir} already exists and is not empty; a bundle is never written over another`);
    this.name = "BundleExists";
  }
}

/** Why a bundle cannot be written to `dir`, or null (checked before anything is enrolled). */
export function destinationProblem(dir: string): string | null {
  return isFree(dir) ? null : new BundleExists(dir).message;
}

function syncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the bundle into `dir` (which must not exist, or be empty): all of it
 * or nothing. The settings file is readable by its owner only.
 */
export function writeBundle(dir: string, input: BundleInput): string {
  const target = resolve(dir);
  if (!isFree(target)) throw new BundleExists(target);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const partial = mkdtempSync(join(parent, `.${basename(target)}.partial-`));
  try {
    const settingsFile = join(partial, SETTINGS_FILE);
    writeFileSync(settingsFile, `${JSON.stringify(bundleSettings(input), null, 2)}\n`, {
      mode: 0o600,
    });
    syncPath(settingsFile);
    if (input.ca !== undefined) {
      writeFileSync(join(partial, CA_FILE), input.ca, { mode: 0o644 });
      syncPath(join(partial, CA_FILE));
    }
    syncPath(partial);
    if (existsSync(target)) rmdirSync(target); // empty (checked above)
    renameSync(partial, target);
    syncPath(parent);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  return join(target, SETTINGS_FILE);
}

/**
 * Replaces the secret in an existing bundle, and the controller's sealing key
 * with it when one is given (rotated with the box's credentials); the
 * settings file is swapped whole.
 */
export function replaceSecret(dir: string, secret: string, sealingKey?: string): void {
  const file = join(resolve(dir), SETTINGS_FILE);
  const settings = readBundleJson(file);
  settings.secret = secret;
  if (sealingKey !== undefined) {
    const controller = settings.controller as Record<string, unknown>;
    settings.controller = { ...controller, sealingKey };
  }
  const temporary = `${file}.partial`;
  try {
    writeFileSync(temporary, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
    syncPath(temporary);
    renameSync(temporary, file);
    syncPath(dirname(file));
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function readBundleJson(file: string): Record<string, unknown> {
  // loadSettings checks it; the raw JSON is what is written back (defaults stay implicit)
  loadSettings(file);
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** A bundle folder (or its device.json) as the daemon would load it; throws with what is wrong. */
export function readBundle(path: string): { file: string; dir: string; settings: DeviceSettings } {
  const file = path.endsWith(".json") ? resolve(path) : join(resolve(path), SETTINGS_FILE);
  return { file, dir: dirname(file), settings: loadSettings(file) };
}
