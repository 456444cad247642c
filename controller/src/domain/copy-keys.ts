/**
 * The content keys of the copies the controller makes itself (issue 20 §1):
 * a clip's footage (`clip-cutter.ts`) and a recording's copy with faces
 * blurred (`anonymise/rendition.ts`). The rule: EVERY copy the controller
 * makes is encrypted at rest, whether its source was sealed on its box or
 * not, so a stolen controller disk holds no derived footage in the clear.
 *
 * Each copy gets a fresh AES-128 key and one IV for all its segments (HLS
 * AES-128 as a box writes a recording — ffmpeg's `-hls_key_info_file` — but
 * with one IV, as a copy is made by ffmpeg runs that resume part by part and
 * its playlist is pieced together from theirs with one key line;
 * `segment-iv.ts`), so browsers play it through
 * hls.js with the copy's key route). The key is sealed to the controller's
 * current sealing key, bound to `<kind>:<id>` (so a sealed key moved to
 * another copy does not open), and kept in `copy_keys`, apart from the
 * footage. While ffmpeg writes the copy, the open key is in a 0700 folder
 * (files 0600) under the controller's run folder, removed when ffmpeg ends;
 * the copy's playlist names the key route (`URI="key"`). Deleting the copy's
 * row is its cryptographic erasure: a file of it left anywhere no longer
 * opens.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hlsKeyInfo, newContentKey, sealContentKey, type ContentKey } from "@classcam/protocol";
import type { Database, Transaction } from "../db/database.js";
import { KEY_URI, openSealedKey, type SealingKeyRing } from "./footage-keys.js";

/**
 * What a copy is: a clip (by clip id), a recording's copy with faces blurred
 * (by recording id), or a subject access export waiting to be taken away (by
 * export id, `privacy/export-file.ts`).
 */
export type CopyKind = "clip" | "rendition" | "export";

/**
 * The controller's run folder, where an open key may sit while ffmpeg reads
 * or writes: systemd's `RuntimeDirectory=` (`$RUNTIME_DIRECTORY`, a RAM-backed
 * /run/classcam), else the system's temporary folder.
 */
export function controllerRunDir(): string {
  const fromSystemd = process.env.RUNTIME_DIRECTORY?.split(":")[0];
  return fromSystemd !== undefined && fromSystemd !== "" ? fromSystemd : tmpdir();
}

/** The key's files for ffmpeg's HLS muxer; `remove()` never fails. */
export interface KeyInfoFiles {
  /** The `-hls_key_info_file` argument. */
  infoFile: string;
  remove: () => Promise<void>;
}

/**
 * Writes a copy's open key and ffmpeg's key info file (the URI its playlist
 * names, the key file, the IV) in a fresh 0700 folder under `runDir`. A copy's
 * key carries its one IV (`newContentKey("one")`).
 */
export async function writeKeyInfo(
  content: ContentKey,
  runDir: string = controllerRunDir(),
): Promise<KeyInfoFiles> {
  if (content.iv === null) {
    throw new Error("a copy's key carries one IV for all its segments (newContentKey('one'))");
  }
  const dir = await mkdtemp(join(runDir, "classcam-copy-key-")); // 0700
  const remove = () => rm(dir, { recursive: true, force: true }).catch(() => undefined);
  try {
    const keyFile = join(dir, "content.key");
    const infoFile = join(dir, "key-info");
    await writeFile(keyFile, content.key, { mode: 0o600 });
    await writeFile(infoFile, hlsKeyInfo(KEY_URI, keyFile, content), {
      mode: 0o600,
    });
    return { infoFile, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** A new copy's key: open (for ffmpeg) and sealed (to keep). */
export interface FreshCopyKey {
  content: ContentKey;
  sealedKey: string;
  keyId: string;
}

export class CopyKeys {
  constructor(
    private readonly db: Database,
    private readonly ring: SealingKeyRing,
    /** Where open keys sit while ffmpeg runs. */
    readonly runDir: string = controllerRunDir(),
  ) {}

  /** A fresh key for a new copy, sealed to the current sealing key (keep it with `keep()`). */
  fresh(kind: CopyKind, copyId: string): FreshCopyKey {
    const content = newContentKey("one");
    const { publicKey, keyId } = this.ring.current;
    return {
      content,
      sealedKey: sealContentKey(content, publicKey, copyKeyContext(kind, copyId)),
      keyId,
    };
  }

  /** Keeps a new copy's sealed key (in the caller's transaction). */
  async keep(
    tx: Transaction,
    kind: CopyKind,
    copyId: string,
    key: FreshCopyKey,
    at: string,
  ): Promise<void> {
    await tx.run(
      `INSERT INTO copy_keys (kind, copy_id, sealed_key, key_id, made_at) VALUES (?, ?, ?, ?, ?)`,
      [kind, copyId, key.sealedKey, key.keyId, at],
    );
  }

  /** The copy's key, or null when it has none (erased, or never made). */
  async contentKey(kind: CopyKind, copyId: string): Promise<ContentKey | null> {
    const row = await this.db.get<{ sealed_key: string }>(
      "SELECT sealed_key FROM copy_keys WHERE kind = ? AND copy_id = ?",
      [kind, copyId],
    );
    return row === undefined
      ? null
      : openSealedKey(this.ring, row.sealed_key, copyKeyContext(kind, copyId)).content;
  }

  /**
   * A fresh key for the copy in place of any it had (in one transaction):
   * a copy begun again from nothing is encrypted with a new key.
   */
  async renew(kind: CopyKind, copyId: string, at: string): Promise<ContentKey> {
    const key = this.fresh(kind, copyId);
    await this.db.transaction(async (tx) => {
      await this.erase(tx, kind, copyId);
      await this.keep(tx, kind, copyId, key, at);
    });
    return key.content;
  }

  /** Erases the copy's key in a transaction of its own; answers whether there was one. */
  async eraseNow(kind: CopyKind, copyId: string): Promise<boolean> {
    return this.db.transaction((tx) => this.erase(tx, kind, copyId));
  }

  /** Erases the copy's key (in the caller's transaction); answers whether there was one. */
  async erase(tx: Transaction, kind: CopyKind, copyId: string): Promise<boolean> {
    const { changes } = await tx.run("DELETE FROM copy_keys WHERE kind = ? AND copy_id = ?", [
      kind,
      copyId,
    ]);
    return changes > 0;
  }
}

/** What a copy's sealed key is bound to. */
export function copyKeyContext(kind: CopyKind, copyId: string): string {
  return `${kind}:${copyId}`;
}
