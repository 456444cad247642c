/**
 * Device secrets: 256 random bits, shown once at enrolment, stored only as a
 * scrypt hash whose parameters travel with it (`scrypt$N$r$p$salt$hash`), so
 * they can be raised later without breaking existing devices.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const KEY_LENGTH = 32;
const DEFAULT = { N: 16384, r: 8, p: 1 } as const;

/**
 * scrypt runs on libuv's thread pool, which sqlite3 shares; at most this many
 * derivations run at once, so a storm of reconnecting devices can never starve
 * the database (or take 16 MB of memory per thread).
 */
export const MAX_CONCURRENT_DERIVATIONS = 2;
let running = 0;
let peak = 0;
const waiting: (() => void)[] = [];

/** How many derivations run and wait now, and the most that ever ran at once. */
export function derivationLoad(): { running: number; waiting: number; peak: number } {
  return { running, waiting: waiting.length, peak };
}

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_DERIVATIONS) {
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running += 1;
    peak = Math.max(peak, running);
  }
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }
}

export function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

function derive(secret: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return limited(
    () =>
      new Promise((resolve, reject) => {
        scrypt(secret, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (error, key) => {
          if (error) reject(error);
          else resolve(key);
        });
      }),
  );
}

export async function hashSecret(
  secret: string,
  params: { N: number; r: number; p: number } = DEFAULT,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, params.N, params.r, params.p);
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
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await derive(secret, Buffer.from(salt, "base64"), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Secrets already checked against their stored hash, remembered as a keyed
 * HMAC (the key never leaves this process), so a device that reconnects after
 * a network blip does not pay for scrypt again. An entry counts only while
 * the stored hash is the one it was checked against: rotating a secret
 * forgets it.
 */
export class VerifiedSecrets {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, { hash: string; digest: Buffer }>();

  private digest(secret: string): Buffer {
    return createHmac("sha256", this.key).update(secret).digest();
  }

  has(id: string, secret: string, storedHash: string): boolean {
    const entry = this.entries.get(id);
    return (
      entry !== undefined &&
      entry.hash === storedHash &&
      timingSafeEqual(entry.digest, this.digest(secret))
    );
  }

  remember(id: string, secret: string, storedHash: string): void {
    this.entries.set(id, { hash: storedHash, digest: this.digest(secret) });
  }
}
