/**
 * Investigations: SLT or the headteacher open a recording's footage with a
 * written reason; whoever opened it, or the headteacher, closes it.
 */
import { MIN_INVESTIGATION_REASON, type Person } from "../access.js";
import { DomainError } from "../errors.js";
import { reasonTooShort } from "../form-limits.js";
import { nameOf, notify } from "../notifications.js";
import { authorise, type RecordingContext } from "./context.js";
import type { Investigation } from "./model.js";

export async function investigationsOf(
  ctx: RecordingContext,
  id: string,
): Promise<Investigation[]> {
  const rows = await ctx.db.all<{
    id: number;
    recording_id: string;
    opened_by: string;
    reason: string;
    opened_at: string;
    closed_at: string | null;
  }>("SELECT * FROM investigations WHERE recording_id = ? ORDER BY id", [id]);
  return rows.map((r) => ({
    investigationId: r.id,
    recordingId: r.recording_id,
    openedBy: r.opened_by,
    reason: r.reason,
    openedAt: r.opened_at,
    closedAt: r.closed_at,
  }));
}

export async function openInvestigation(
  ctx: RecordingContext,
  person: Person,
  id: string,
  reason: string,
): Promise<Investigation> {
  if (reason.trim().length < MIN_INVESTIGATION_REASON) {
    throw new DomainError("invalid", reasonTooShort(MIN_INVESTIGATION_REASON));
  }
  const investigationId = await ctx.db.transaction(async (tx) => {
    const { row } = await authorise(ctx, tx, person, "open-investigation", id, reason);
    const open = await tx.get(
      "SELECT 1 FROM investigations WHERE recording_id = ? AND opened_by = ? AND closed_at IS NULL",
      [id, person.id],
    );
    if (open)
      throw new DomainError("conflict", "you already have an investigation open on this recording");
    const { lastID } = await tx.run(
      "INSERT INTO investigations (recording_id, opened_by, reason, opened_at) VALUES (?, ?, ?, ?)",
      [id, person.id, reason.trim(), ctx.clock().toISOString()],
    );
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "investigation.open",
      subject: id,
      detail: { investigationId: lastID, reason: reason.trim() },
    });
    // the policy: the owner is told their footage was opened (not why: the reason may name pupils)
    if (row.owner_id !== null && row.owner_id !== person.id) {
      await notify(tx, {
        userId: row.owner_id,
        kind: "investigation-opened",
        subject: `${await nameOf(tx, person.id)} opened a recording of yours for an investigation`,
        link: `recordings/${id}`,
        at: ctx.clock(),
      });
    }
    return lastID;
  });
  const found = (await investigationsOf(ctx, id)).find(
    (i) => i.investigationId === investigationId,
  );
  if (!found) throw new Error(`investigation ${investigationId} vanished`);
  return found;
}

export async function closeInvestigation(
  ctx: RecordingContext,
  person: Person,
  investigationId: number,
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const row = await tx.get<{
      recording_id: string;
      opened_by: string;
      closed_at: string | null;
    }>("SELECT recording_id, opened_by, closed_at FROM investigations WHERE id = ?", [
      investigationId,
    ]);
    if (!row) throw new DomainError("not-found", `no investigation ${investigationId}`);
    if (row.opened_by !== person.id && !person.roles.includes("headteacher")) {
      throw new DomainError(
        "forbidden",
        "only whoever opened an investigation, or the headteacher, closes it",
      );
    }
    if (row.closed_at !== null)
      throw new DomainError("conflict", "the investigation is already closed");
    await tx.run("UPDATE investigations SET closed_at = ? WHERE id = ?", [
      ctx.clock().toISOString(),
      investigationId,
    ]);
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "investigation.close",
      subject: row.recording_id,
      detail: { investigationId },
    });
  });
}
