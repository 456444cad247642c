/**
 * A recording's content key, sealed to the controller: the box makes a fresh
 * AES-128 key (and IV) for each recording, seals it with the controller's
 * public key before the first segment is written, and keeps only the sealed
 * form on its card. Only the controller's private key opens it.
 *
 * The scheme (version 1), with node:crypto only:
 * - the controller's sealing key is an X25519 key pair; its public half is
 *   written `x25519:<base64url of the 32 raw bytes>` (device settings,
 *   enrolment answer) and named by its key id, the first 8 bytes of the
 *   SHA-256 of those raw bytes, in hex;
 * - to seal, a fresh ephemeral X25519 key pair; the ECDH secret with the
 *   controller's public key goes through HKDF-SHA-256 (salt: the ephemeral
 *   then the controller's raw public key; info: `classcam sealed key v1`) to a
 *   32-byte AES-256-GCM key; the 12-byte nonce is random; the additional data
 *   is the version, the key id and the context (the recording id), so a
 *   sealed key moved to another recording does not open;
 * - the sealed text is `v2.<keyId>.<ephemeral>.<nonce>.<ciphertext+tag>`,
 *   each part base64url.
 *
 * What is sealed here is the HLS AES-128 content key (16 bytes). Version 2
 * (a box's recordings) seals the key alone: each segment is encrypted with
 * its own IV, its media sequence number (HLS's default, `segment-iv.ts`), so
 * no two segments of a recording share one. Version 1 (recordings sealed
 * before, and the copies the controller makes, whose ffmpeg jobs resume
 * part by part, one key line for their pieced-together playlist) also seals one 16-byte IV used for every segment; the
 * version is bound into the additional data, so one cannot pass for the
 * other.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";

/** The HLS AES-128 key of one recording (or copy), and how its segments' IVs are chosen. */
export interface ContentKey {
  /** 16 bytes. */
  key: Buffer;
  /**
   * 16 bytes used for every segment (sealed as version 1); null: each
   * segment's IV is its media sequence number (version 2, `segmentIv()`).
   */
  iv: Buffer | null;
}

export const CONTENT_KEY_BYTES = 16;
/** Key and one IV for every segment. */
const V1 = "v1" as const;
/** Key alone; each segment's IV is its sequence number. */
const V2 = "v2" as const;
const PUBLIC_PREFIX = "x25519:";
const INFO = Buffer.from("classcam sealed key v1");
const RAW_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** The longest sealed key text (a schema bound; a v1 one is about 140 characters). */
export const SEALED_KEY_MAX_LENGTH = 400;
/** A sealed key as schemas check it (its parts are checked again when it is opened). */
export const SEALED_KEY_PATTERN =
  "^v[12]\\.[0-9a-f]{16}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$";
/** A sealing public key as settings check it. */
export const SEALING_PUBLIC_KEY_PATTERN = "^x25519:[A-Za-z0-9_-]{43}$";

/**
 * A fresh content key from the system's random source. Each segment gets its
 * own IV (its sequence number) unless `iv` is "one": a random IV for every
 * segment, for the controller's copies, whose ffmpeg runs resume part by part
 * and whose playlists are pieced together with one key line.
 */
export function newContentKey(iv: "per-segment" | "one" = "per-segment"): ContentKey {
  return {
    key: randomBytes(CONTENT_KEY_BYTES),
    iv: iv === "one" ? randomBytes(CONTENT_KEY_BYTES) : null,
  };
}

/** The controller's sealing key pair: the private key object and the public key as text. */
export interface SealingKeyPair {
  privateKey: KeyObject;
  publicKey: string;
  keyId: string;
}

export function newSealingKeyPair(): SealingKeyPair {
  const { privateKey } = generateKeyPairSync("x25519");
  return sealingKeyPair(privateKey);
}

/** The pair for a private key (read from a PEM file on the controller). */
export function sealingKeyPair(privateKey: KeyObject | string): SealingKeyPair {
  const key = typeof privateKey === "string" ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== "x25519") {
    throw new Error(`a sealing key must be an X25519 key, not ${key.asymmetricKeyType ?? "?"}`);
  }
  const raw = rawPublic(createPublicKey(key));
  return {
    privateKey: key,
    publicKey: PUBLIC_PREFIX + raw.toString("base64url"),
    keyId: keyIdOf(raw),
  };
}

/** Why `text` is not a sealing public key, or null. */
export function sealingPublicKeyProblem(text: string): string | null {
  if (!new RegExp(SEALING_PUBLIC_KEY_PATTERN).test(text)) {
    return "a sealing key is written 'x25519:' and 43 base64url characters (the controller's enrolment answer gives it)";
  }
  return null;
}

/** The key id a public key is known by (16 hex digits). */
export function sealingKeyId(publicKey: string): string {
  return keyIdOf(parsePublic(publicKey).raw);
}

/** Seals `content` to the controller's `publicKey`, bound to `context` (the recording id). */
export function sealContentKey(content: ContentKey, publicKey: string, context: string): string {
  checkContent(content);
  const recipient = parsePublic(publicKey);
  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralRaw = rawPublic(ephemeral.publicKey);
  const aesKey = deriveKey(
    diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.key }),
    ephemeralRaw,
    recipient.raw,
  );
  const keyId = keyIdOf(recipient.raw);
  const nonce = randomBytes(NONCE_BYTES);
  const version = content.iv === null ? V2 : V1;
  const cipher = createCipheriv("aes-256-gcm", aesKey, nonce);
  cipher.setAAD(additionalData(version, keyId, context));
  const sealed = Buffer.concat([
    cipher.update(content.iv === null ? content.key : Buffer.concat([content.key, content.iv])),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return [version, keyId, ephemeralRaw, nonce, sealed]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

/** The key id a sealed key names (which private key opens it); throws when it is malformed. */
export function sealedKeyId(sealed: string): string {
  return splitSealed(sealed).keyId;
}

/**
 * Opens a sealed key with the controller's private key. Throws, saying why,
 * when it is malformed, sealed to another key, or tampered with (or bound to
 * another context).
 */
export function openContentKey(sealed: string, pair: SealingKeyPair, context: string): ContentKey {
  const parts = splitSealed(sealed);
  if (parts.keyId !== pair.keyId) {
    throw new Error(
      `the sealed key was sealed to key ${parts.keyId}, not to this controller's key ${pair.keyId}`,
    );
  }
  const ephemeral = publicFromRaw(parts.ephemeral);
  const aesKey = deriveKey(
    diffieHellman({ privateKey: pair.privateKey, publicKey: ephemeral }),
    parts.ephemeral,
    parsePublic(pair.publicKey).raw,
  );
  const decipher = createDecipheriv("aes-256-gcm", aesKey, parts.nonce);
  decipher.setAAD(additionalData(parts.version, parts.keyId, context));
  decipher.setAuthTag(parts.sealed.subarray(parts.sealed.length - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([
      decipher.update(parts.sealed.subarray(0, parts.sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new Error(
      "the sealed key does not open: it was altered, or belongs to another recording",
    );
  }
  return {
    key: plain.subarray(0, CONTENT_KEY_BYTES),
    iv: parts.version === V1 ? plain.subarray(CONTENT_KEY_BYTES) : null,
  };
}

function checkContent(content: ContentKey): void {
  if (
    content.key.length !== CONTENT_KEY_BYTES ||
    (content.iv !== null && content.iv.length !== CONTENT_KEY_BYTES)
  ) {
    throw new Error(`a content key and its IV are ${CONTENT_KEY_BYTES} bytes each`);
  }
}

function splitSealed(sealed: string): {
  version: typeof V1 | typeof V2;
  keyId: string;
  ephemeral: Buffer;
  nonce: Buffer;
  sealed: Buffer;
} {
  const parts = sealed.split(".");
  const version = parts[0] === V1 ? V1 : parts[0] === V2 ? V2 : null;
  if (version === null) {
    throw new Error(
      `a sealed key must start with '${V1}.' or '${V2}.' (this one is of no version known here)`,
    );
  }
  const [, keyId = "", ephemeral = "", nonce = "", body = ""] = parts;
  const decoded = {
    version,
    keyId,
    ephemeral: Buffer.from(ephemeral, "base64url"),
    nonce: Buffer.from(nonce, "base64url"),
    sealed: Buffer.from(body, "base64url"),
  };
  if (
    parts.length !== 5 ||
    !/^[0-9a-f]{16}$/.test(keyId) ||
    decoded.ephemeral.length !== RAW_KEY_BYTES ||
    decoded.nonce.length !== NONCE_BYTES ||
    decoded.sealed.length !== (version === V1 ? 2 : 1) * CONTENT_KEY_BYTES + TAG_BYTES
  ) {
    throw new Error(
      "a sealed key has five parts: the version, the key id, the ephemeral key, the nonce, the sealed bytes",
    );
  }
  return decoded;
}

function deriveKey(secret: Buffer, ephemeralRaw: Buffer, recipientRaw: Buffer): Buffer {
  return Buffer.from(
    hkdfSync("sha256", secret, Buffer.concat([ephemeralRaw, recipientRaw]), INFO, 32),
  );
}

function additionalData(version: string, keyId: string, context: string): Buffer {
  return Buffer.from(`${version}.${keyId}.${context}`);
}

function keyIdOf(raw: Buffer): string {
  return createHash("sha256").update(raw).digest("hex").slice(0, 16);
}

function rawPublic(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" });
  return Buffer.from(jwk.x ?? "", "base64url");
}

function publicFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: raw.toString("base64url") },
    format: "jwk",
  });
}

function parsePublic(publicKey: string): { key: KeyObject; raw: Buffer } {
  const problem = sealingPublicKeyProblem(publicKey);
  if (problem !== null) throw new Error(problem);
  const raw = Buffer.from(publicKey.slice(PUBLIC_PREFIX.length), "base64url");
  return { key: publicFromRaw(raw), raw };
}
