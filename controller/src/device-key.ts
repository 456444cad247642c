/**
 * The device key: 32 random bytes in a file outside the database, under which
 * device secrets are stored as HMACs (domain/secrets.ts). Made at first start,
 * readable only by the service user; a copy of the database without it lets
 * no box in. Losing it means every box needs a new secret, so it is backed up
 * (apart from the database: README, "Device key").
 */
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ControllerConfig } from "./config.js";
import { DEVICE_KEY_BYTES } from "./domain/secrets.js";

/** The key file's name in the data folder when `security.deviceKeyFile` is not set. */
export const DEVICE_KEY_FILE = "device-secrets.key";

export function deviceKeyPath(config: ControllerConfig): string {
  return config.security.deviceKeyFile ?? join(config.dataDir, DEVICE_KEY_FILE);
}

const errorText = (error: unknown) => (error as Error).message;

/**
 * Reads the key at `path`, making it (0600, from the system's random source)
 * if there is none. Refuses, saying what is wrong, a file that is not 32
 * bytes or that anyone but its owner may read or write.
 */
export function loadDeviceKey(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new Error(`cannot read the device key file ${path}: ${errorText(error)}`);
    }
    return createDeviceKey(path);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`the device key file ${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
      throw new Error(
        `the device key file ${path} is readable by others (mode ${mode}): ` +
          `make it readable only by the service user (chmod 600 ${path})`,
      );
    }
    if (stat.size !== DEVICE_KEY_BYTES) {
      throw new Error(
        `the device key file ${path} must hold exactly ${DEVICE_KEY_BYTES} bytes, ` +
          `but holds ${stat.size}: restore it from its backup (a new key would lock out every box)`,
      );
    }
    const key = Buffer.alloc(DEVICE_KEY_BYTES);
    const read = readSync(fd, key, 0, DEVICE_KEY_BYTES, 0);
    if (read !== DEVICE_KEY_BYTES) {
      throw new Error(`the device key file ${path}: read ${read} of ${DEVICE_KEY_BYTES} bytes`);
    }
    return key;
  } finally {
    closeSync(fd);
  }
}

function createDeviceKey(path: string): Buffer {
  const key = randomBytes(DEVICE_KEY_BYTES);
  let fd: number;
  try {
    // wx: never overwrite a key another process made in the meantime
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return loadDeviceKey(path);
    throw new Error(`cannot create the device key file ${path}: ${errorText(error)}`);
  }
  try {
    writeSync(fd, key);
    // durable before any secret is hashed under it: a key lost in a power cut locks out every box
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const folder = openSync(dirname(path), "r");
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
  return key;
}
