/**
 * Rotating the controller's sealing key (issue 20 §1; `keys rotate`,
 * cli-keys.ts): a new key pair becomes the one new footage and new copies
 * are sealed to, and every sealed key the database holds — each recording's
 * (`recording_keys`) and each copy's (`copy_keys`) — is opened with the key
 * it names and sealed again to the new one, bound to the same context, in one
 * transaction. The old key files stay: a box keeps sealing to the old public
 * key until it gets the new one (with its next enrolment or new secret), and
 * recordings it sealed before are uploaded later. Once every box has the new
 * key and has uploaded what it held, the old files may be moved to the
 * backup (README, "Sealing keys").
 */
import { sealContentKey, type SealingKeyPair } from "@classcam/protocol";
import type { Database } from "../db/database.js";
import type { AuditLog } from "./audit.js";
import { copyKeyContext, type CopyKind } from "./copy-keys.js";
import { openSealedKey, type SealingKeyRing } from "./footage-keys.js";

export interface Rewrapped {
  recordings: number;
  copies: number;
}

/**
 * Seals every sealed key in the database to `to` (each opened with the key of
 * `ring` it names), and audits the rotation, all in one transaction.
 */
export async function rewrapSealedKeys(
  db: Database,
  audit: AuditLog,
  ring: Pick<SealingKeyRing, "byId">,
  to: SealingKeyPair,
  previous: string,
  actor: string,
): Promise<Rewrapped> {
  return db.transaction(async (tx) => {
    const recordings = await tx.all<{ recording_id: string; sealed_key: string }>(
      "SELECT recording_id, sealed_key FROM recording_keys",
    );
    for (const row of recordings) {
      const { content } = openSealedKey(ring, row.sealed_key, row.recording_id);
      await tx.run("UPDATE recording_keys SET sealed_key = ?, key_id = ? WHERE recording_id = ?", [
        sealContentKey(content, to.publicKey, row.recording_id),
        to.keyId,
        row.recording_id,
      ]);
    }
    const copies = await tx.all<{ kind: CopyKind; copy_id: string; sealed_key: string }>(
      "SELECT kind, copy_id, sealed_key FROM copy_keys",
    );
    for (const row of copies) {
      const context = copyKeyContext(row.kind, row.copy_id);
      const { content } = openSealedKey(ring, row.sealed_key, context);
      await tx.run(
        "UPDATE copy_keys SET sealed_key = ?, key_id = ? WHERE kind = ? AND copy_id = ?",
        [sealContentKey(content, to.publicKey, context), to.keyId, row.kind, row.copy_id],
      );
    }
    const rewrapped = { recordings: recordings.length, copies: copies.length };
    await audit.append(tx, {
      actor,
      action: "sealing-key.rotate",
      subject: to.keyId,
      detail: { keyId: to.keyId, previous, ...rewrapped },
    });
    return rewrapped;
  });
}
