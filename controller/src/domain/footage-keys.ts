/**
 * The content keys of footage sealed on its box (issue 20 §1). The box sends
 * its recording's sealed key with the upload manifest; it is checked (it
 * must open with one of the controller's sealing keys, for this recording)
 * and kept in `recording_keys`, apart from the footage, which stays encrypted
 * at rest as it was uploaded (HLS AES-128). A key is opened only to serve
 * someone `decide()` lets view (the key route, `footage-viewing.ts`) or for a
 * tool on the controller (`footage-source.ts`). Deleting the row is the
 * footage's cryptographic erasure.
 *
 * Playlists name the key route: `#EXT-X-KEY:METHOD=AES-128,URI="key",IV=…`
 * (relative to the playlist, so `/api/recordings/<id>/footage/key`).
 */
import {
  openContentKey,
  sealedKeyId,
  withKeyLines,
  type ContentKey,
  type SealingKeyPair,
} from "@classcam/protocol";
import type { Database, Transaction } from "../db/database.js";
import { DomainError } from "./errors.js";

/** The key route's URI as a playlist names it (relative to the playlist). */
export const KEY_URI = "key";

/** Finds the controller's sealing key pair a sealed key names (`SealingKeys` is one). */
export interface SealingKeyRing {
  byId(keyId: string): SealingKeyPair | undefined;
  /** The key boxes seal new recordings to. */
  readonly current: SealingKeyPair;
}

export class FootageKeys {
  constructor(
    private readonly db: Database,
    /** null: this controller has no sealing keys (sealed footage is refused, saying so). */
    private readonly ring: SealingKeyRing | null,
  ) {}

  /**
   * Checks a manifest's sealed key and keeps it with the recording (inside the
   * manifest's transaction). A recording's key never changes: another one is
   * a conflict.
   */
  async store(tx: Transaction, recordingId: string, sealedKey: string, at: string): Promise<void> {
    const keyId = this.open(recordingId, sealedKey).keyId;
    const known = await tx.get<{ sealed_key: string }>(
      "SELECT sealed_key FROM recording_keys WHERE recording_id = ?",
      [recordingId],
    );
    if (known !== undefined) {
      if (known.sealed_key === sealedKey) return;
      throw new DomainError(
        "conflict",
        "the controller already holds another sealed key for this recording",
      );
    }
    await tx.run(
      "INSERT INTO recording_keys (recording_id, sealed_key, key_id, received_at) VALUES (?, ?, ?, ?)",
      [recordingId, sealedKey, keyId, at],
    );
  }

  /** The public key boxes seal to (`x25519:…`, for their enrolment), or null without sealing keys. */
  get publicKey(): string | null {
    return this.ring?.current.publicKey ?? null;
  }

  /** The recording's content key, or null when its footage is in the clear (or its key erased). */
  async contentKey(recordingId: string): Promise<ContentKey | null> {
    const row = await this.db.get<{ sealed_key: string }>(
      "SELECT sealed_key FROM recording_keys WHERE recording_id = ?",
      [recordingId],
    );
    return row === undefined ? null : this.open(recordingId, row.sealed_key).content;
  }

  /** Whether the recording's footage is sealed (its playlist needs the key line). */
  async isSealed(recordingId: string): Promise<boolean> {
    const row = await this.db.get("SELECT 1 AS sealed FROM recording_keys WHERE recording_id = ?", [
      recordingId,
    ]);
    return row !== undefined;
  }

  private open(recordingId: string, sealedKey: string): { keyId: string; content: ContentKey } {
    return openSealedKey(this.ring, sealedKey, recordingId);
  }
}

/**
 * Opens a sealed key with the sealing key it names, bound to `context` (a
 * recording's id; `clip:<id>` or `rendition:<id>` for a copy the controller
 * made). Throws `invalid`, saying why, when it cannot be opened.
 */
export function openSealedKey(
  ring: Pick<SealingKeyRing, "byId"> | null,
  sealedKey: string,
  context: string,
): { keyId: string; content: ContentKey } {
  let keyId: string;
  try {
    keyId = sealedKeyId(sealedKey);
  } catch (error) {
    throw new DomainError("invalid", `sealedKey: ${(error as Error).message}`);
  }
  const pair = ring?.byId(keyId);
  if (pair === undefined) {
    throw new DomainError(
      "invalid",
      `sealedKey: it is sealed to key ${keyId}, which this controller does not hold ` +
        "(was the box enrolled with another controller, or a sealing key file lost?)",
    );
  }
  try {
    return { keyId, content: openContentKey(sealedKey, pair, context) };
  } catch (error) {
    throw new DomainError("invalid", `sealedKey: ${(error as Error).message}`);
  }
}

/** A playlist with the key lines naming the key route and each segment's IV (`segment-iv.ts`). */
export function withKeyLine(playlist: string, content: ContentKey): string {
  return withKeyLines(playlist, content, KEY_URI);
}
