/**
 * The owner shares a recording with a colleague, until a date or until
 * revoked; unblurred (the colleague sees faces as recorded) only where the
 * school's policy allows it, audited as its own action. Whether it is honoured
 * is the rendition rule's, each time footage is served: a policy turned off
 * later puts the share back on the copy with faces blurred.
 */
import { mayBeSharedWith, type Person, type Role } from "../access.js";
import { DomainError } from "../errors.js";
import { nameOf, notify } from "../notifications.js";
import { authorise, type RecordingContext } from "./context.js";
import { detail as recordingDetail } from "./listing.js";
import type { Share } from "./model.js";

export async function share(
  ctx: RecordingContext,
  person: Person,
  id: string,
  withId: string,
  expiresAt: string | null,
  unblurred = false,
): Promise<Share> {
  if (unblurred && !(await ctx.policy.get()).anonymity.ownerMayShareUnblurred) {
    throw new DomainError(
      "forbidden",
      "the school's policy does not let owners share a recording unblurred: share it as usual " +
        "(faces blurred), or ask SLT to allow unblurred shares on the Policy page",
    );
  }
  const shareId = await ctx.db.transaction(async (tx) => {
    const { row } = await authorise(ctx, tx, person, "share", id);
    if (row.deleted_at !== null)
      throw new DomainError("conflict", "the recording has been deleted");
    if (withId === person.id) throw new DomainError("invalid", "you cannot share with yourself");
    const user = await tx.get<{ status: string; roles_json: string }>(
      "SELECT status, roles_json FROM users WHERE id = ?",
      [withId],
    );
    if (!user) throw new DomainError("invalid", `no member of staff '${withId}'`);
    if (user.status !== "active")
      throw new DomainError("invalid", `'${withId}' has no active account`);
    const recipient = mayBeSharedWith({
      id: withId,
      roles: JSON.parse(user.roles_json) as Role[],
    });
    if (!recipient.allowed) throw new DomainError("invalid", recipient.reason);
    if (expiresAt !== null) expiresAt = new Date(expiresAt).toISOString();
    if (expiresAt !== null && Date.parse(expiresAt) <= ctx.clock().getTime()) {
      throw new DomainError("invalid", "the share's expiry is in the past");
    }
    const existing = await tx.get<{ id: number }>(
      "SELECT id FROM shares WHERE recording_id = ? AND with_id = ? AND revoked_at IS NULL " +
        "AND (expires_at IS NULL OR expires_at > ?)",
      [id, withId, ctx.clock().toISOString()],
    );
    if (existing) {
      throw new DomainError("conflict", `the recording is already shared with '${withId}'`);
    }
    const { lastID } = await tx.run(
      `INSERT INTO shares (recording_id, with_id, created_by, created_at, expires_at, unblurred)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [id, withId, person.id, ctx.clock().toISOString(), expiresAt, unblurred ? 1 : 0],
    );
    await ctx.audit.append(tx, {
      actor: person.id,
      action: unblurred ? "share.unblurred" : "share.create",
      subject: id,
      detail: { shareId: lastID, with: withId, expiresAt },
    });
    await notify(tx, {
      userId: withId,
      kind: "share",
      subject: `${await nameOf(tx, person.id)} shared a recording with you`,
      link: `recordings/${id}`,
      at: ctx.clock(),
    });
    return lastID;
  });
  const detail = await recordingDetail(ctx, person, id);
  const share = detail.shares.find((s) => s.shareId === shareId);
  if (!share) throw new Error(`share ${shareId} vanished`);
  return share;
}

export async function revokeShare(
  ctx: RecordingContext,
  person: Person,
  id: string,
  shareId: number,
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await authorise(ctx, tx, person, "share", id);
    const { changes } = await tx.run(
      "UPDATE shares SET revoked_at = ? WHERE id = ? AND recording_id = ? AND revoked_at IS NULL",
      [ctx.clock().toISOString(), shareId, id],
    );
    if (changes === 0)
      throw new DomainError("not-found", `no share ${shareId} in force on this recording`);
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "share.revoke",
      subject: id,
      detail: { shareId },
    });
  });
}
