/**
 * Secrets and their stored hashes; the scheme travels with each hash, so
 * kinds coexist and parameters can be raised without breaking what is stored.
 *
 * - People's passwords: scrypt (`scrypt$N$r$p$salt$hash`), memory-hard,
 *   because people choose guessable passwords.
 * - Device secrets: 256 random bits, shown once at enrolment, stored as an
 *   HMAC-SHA-256 under the device key (`hmac-sha256$digest`), a file kept
 *   outside the database (device-key.ts): nothing can be guessed from 256
 *   random bits, so a memory-hard function only slowed every reconnect, and
 *   without the key a copy of the database lets no one check a guess at all.
 *   Devices enrolled before still hold scrypt hashes; those are checked with
 *   scrypt once and moved over (devices.ts).
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** The device key's length: 256 bits. */
export const DEVICE_KEY_BYTES = 32;
const DEVICE_SCHEME = "hmac-sha256";

const KEY_LENGTH = 32;
const DEFAULT = { N: 16384, r: 8, p: 1 } as const;

/**
 * scrypt runs on libuv's thread pool, which sqlite3 shares; at most this many
 * derivations run at once, so a storm of reconnecting devices can never starve
 * the database (or take 16 MB of memory per thread).
 */
export const MAX_CONCURRENT_DERIVATIONS = 2;

/**
 * Whose secret a derivation is for. A free slot goes to a waiting person
 * before a waiting device, so a burst of devices (reconnecting, or guessing)
 * cannot queue a teacher's sign-in behind it.
 */
export type DerivationLane = "person" | "device";

/** A fixed number of derivation slots, with people served before devices. */
export class DerivationPool {
  private running = 0;
  private peak = 0;
  private readonly waiting: Record<DerivationLane, (() => void)[]> = { person: [], device: [] };

  constructor(readonly slots: number) {}

  /** How many run and wait now, and the most that ever ran at once. */
  load(): { running: number; waiting: number; peak: number } {
    const waiting = this.waiting.person.length + this.waiting.device.length;
    return { running: this.running, waiting, peak: this.peak };
  }

  async run<T>(lane: DerivationLane, work: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) {
      // the slot is handed over by the job that finishes (running stays the same)
      await new Promise<void>((resolve) => this.waiting[lane].push(resolve));
    } else {
      this.running += 1;
      this.peak = Math.max(this.peak, this.running);
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.person.shift() ?? this.waiting.device.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

const pool = new DerivationPool(MAX_CONCURRENT_DERIVATIONS);

/** How many derivations run and wait now, and the most that ever ran at once. */
export function derivationLoad(): { running: number; waiting: number; peak: number } {
  return pool.load();
}

export function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

function derive(
  lane: DerivationLane,
  secret: string,
  salt: Buffer,
  { N, r, p }: { N: number; r: number; p: number },
): Promise<Buffer> {
  return pool.run(
    lane,
    () =>
      new Promise((resolve, reject) => {
        scrypt(secret, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (error, key) => {
          if (error) reject(error);
          else resolve(key);
        });
      }),
  );
}

/** A new hash of `secret`; `lane` says whose it is (a person's jumps the devices' queue). */
export async function hashSecret(
  secret: string,
  params: { N: number; r: number; p: number } = DEFAULT,
  lane: DerivationLane = "device",
): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(lane, secret, salt, params);
  return [
    "scrypt",
    params.N,
    params.r,
    params.p,
    salt.toString("base64"),
    key.toString("base64"),
  ].join("$");
}

/** Constant-time check of a secret against a stored hash; false for a malformed hash. */
export async function verifySecret(
  secret: string,
  stored: string,
  lane: DerivationLane = "device",
): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, "base64");
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const actual = await derive(lane, secret, Buffer.from(salt, "base64"), params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The stored hash of a device secret: its HMAC-SHA-256 under the device key. */
export function hashDeviceSecret(secret: string, key: Buffer): string {
  return `${DEVICE_SCHEME}$${createHmac("sha256", key).update(secret).digest("base64")}`;
}

/** Whether a stored device hash is still scrypt (from before the device key), to be moved over. */
export function isScryptHash(stored: string): boolean {
  return stored.startsWith("scrypt$");
}

/**
 * Constant-time check of a device secret against its stored hash: an HMAC
 * under `key`, or, for a device enrolled before the key, scrypt (slow, and
 * limited to the pool's slots). False for a malformed or unknown hash.
 */
export async function verifyDeviceSecret(
  secret: string,
  stored: string,
  key: Buffer,
): Promise<boolean> {
  if (isScryptHash(stored)) return verifySecret(secret, stored, "device");
  const [scheme, digest, ...rest] = stored.split("$");
  if (scheme !== DEVICE_SCHEME || digest === undefined || rest.length > 0) return false;
  const expected = Buffer.from(digest, "base64");
  const actual = createHmac("sha256", key).update(secret).digest();
  // the lengths are the hash's, not the secret's: comparing them leaks nothing
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
