/**
 * Device secrets: 256 random bits, shown once at enrolment, stored only as a
 * scrypt hash whose parameters travel with it (`scrypt$N$r$p$salt$hash`), so
 * they can be raised later without breaking existing devices.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const KEY_LENGTH = 32;
const DEFAULT = { N: 16384, r: 8, p: 1 } as const;

export function generateSecret(): string {
  return randomBytes(32).toString("base64url");
}

function derive(secret: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
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
