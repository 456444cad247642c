/**
 * The controller's sealing keys: X25519 private keys, one PEM file each
 * (`sealing-1.pem`, `sealing-2.pem`, …) in a folder outside the database,
 * readable only by the service user. Boxes seal each recording's content key
 * to the newest one's public half (protocol's sealed-key.ts; it reaches a box
 * in its enrolment answer); the older ones are kept to open older
 * recordings. The first is made at first start. Losing them loses every
 * sealed recording, so they are backed up apart from the database (README,
 * "Sealing keys"); `rotateSealingKey` adds a new one (`keys rotate`,
 * cli-keys.ts). A running controller sees a key added by the command line:
 * the folder is read again when its newest file changes or a sealed key
 * names a key not loaded.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { newSealingKeyPair, sealingKeyPair, type SealingKeyPair } from "@classcam/protocol";
import type { ControllerConfig } from "./config.js";

/** The keys' folder in the data folder. */
export const SEALING_KEYS_DIR = "sealing-keys";
const FILE = /^sealing-(\d{1,6})\.pem$/;

export function sealingKeysPath(config: ControllerConfig): string {
  return join(config.dataDir, SEALING_KEYS_DIR);
}

/** The controller's sealing key pairs, the newest first. */
export class SealingKeys {
  private pairs: readonly SealingKeyPair[];
  /** The newest key file's number when the folder was read. */
  private newest: number;

  constructor(
    pairs: readonly SealingKeyPair[],
    /** The keys' folder, read again when a key is added to it (none: fixed keys). */
    private readonly dir: string | null = null,
    newest = 0,
  ) {
    if (pairs.length === 0) throw new Error("there is no sealing key");
    this.pairs = pairs;
    this.newest = newest;
  }

  /** The key boxes seal new recordings to (the newest, also one added since start). */
  get current(): SealingKeyPair {
    if (this.dir !== null && (keyFiles(this.dir)[0]?.number ?? 0) !== this.newest) this.reload();
    const [newest] = this.pairs;
    if (newest === undefined) throw new Error("there is no sealing key");
    return newest;
  }

  /** The pair whose key id a sealed key names, or undefined. */
  byId(keyId: string): SealingKeyPair | undefined {
    const found = this.pairs.find((pair) => pair.keyId === keyId);
    if (found !== undefined || this.dir === null) return found;
    // added since start (keys rotate): read the folder again
    this.reload();
    return this.pairs.find((pair) => pair.keyId === keyId);
  }

  private reload(): void {
    if (this.dir === null) return;
    const again = loadSealingKeys(this.dir);
    this.pairs = again.pairs;
    this.newest = again.newest;
  }

  get keyIds(): string[] {
    return this.pairs.map((pair) => pair.keyId);
  }
}

/**
 * Reads every sealing key in `dir` (made 0700 if missing), making the first
 * one if there is none. Refuses, saying what is wrong, a key file others may
 * read or that is not an X25519 private key.
 */
export function loadSealingKeys(dir: string): SealingKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const numbered = keyFiles(dir);
  if (numbered.length === 0) {
    try {
      writeKeyFile(dir, 1, newSealingKeyPair());
    } catch (error) {
      // another process made it in the meantime: read that one
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    return loadSealingKeys(dir);
  }
  return new SealingKeys(
    numbered.map(({ name }) => readKeyFile(join(dir, name))),
    dir,
    numbered[0]?.number ?? 0,
  );
}

/** Makes a new sealing key (the next number); boxes get it with their next credentials. */
export function rotateSealingKey(dir: string): SealingKeyPair {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const newest = keyFiles(dir)[0]?.number ?? 0;
  const pair = newSealingKeyPair();
  writeKeyFile(dir, newest + 1, pair);
  return pair;
}

/** The key files, the highest number first. */
function keyFiles(dir: string): { name: string; number: number }[] {
  return readdirSync(dir)
    .map((name) => ({ name, match: FILE.exec(name) }))
    .filter(({ match }) => match?.[1] !== undefined)
    .map(({ name, match }) => ({ name, number: Number(match?.[1]) }))
    .sort((a, b) => b.number - a.number);
}

function readKeyFile(path: string): SealingKeyPair {
  const fd = openSync(path, "r");
  try {
    const stat = fstatSync(fd);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
      throw new Error(
        `the sealing key file ${path} is readable by others (mode ${mode}): ` +
          `make it readable only by the service user (chmod 600 ${path})`,
      );
    }
    return sealingKeyPair(readFileSync(fd, "utf8"));
  } catch (error) {
    if ((error as Error).message.startsWith("the sealing key file")) throw error;
    throw new Error(
      `the sealing key file ${path} is not an X25519 private key in PEM: restore it from its backup (${(error as Error).message})`,
    );
  } finally {
    closeSync(fd);
  }
}

function writeKeyFile(dir: string, number: number, pair: SealingKeyPair): void {
  const pem = pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const fd = openSync(join(dir, `sealing-${number}.pem`), "wx", 0o600);
  try {
    writeSync(fd, pem);
    // durable before any box seals to it: a key lost in a power cut loses its recordings
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const folder = openSync(dir, "r");
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}
