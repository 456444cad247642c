/**
 * Holds: SLT or the headteacher stop every deletion of a recording, with a
 * written reason, until the hold is released (also with a reason). The DPO
 * sees the holds in force.
 */
import { LEADERSHIP, type Person } from "../access.js";
import { DomainError } from "../errors.js";
import { reasonTooShort } from "../form-limits.js";
import { authorise, recordingRow, type RecordingContext } from "./context.js";
import { MIN_HOLD_REASON, type Hold } from "./model.js";

export async function holdsOf(ctx: RecordingContext, id: string | null): Promise<Hold[]> {
  const rows = await ctx.db.all<{
    id: number;
    recording_id: string;
    placed_by: string;
    reason: string;
    placed_at: string;
    released_by: string | null;
    release_reason: string | null;
    released_at: string | null;
  }>(
    id === null
      ? "SELECT * FROM holds WHERE released_at IS NULL ORDER BY id"
      : "SELECT * FROM holds WHERE recording_id = ? ORDER BY id",
    id === null ? [] : [id],
  );
  return rows.map((r) => ({
    holdId: r.id,
    recordingId: r.recording_id,
    placedBy: r.placed_by,
    reason: r.reason,
    placedAt: r.placed_at,
    releasedBy: r.released_by,
    releaseReason: r.release_reason,
    releasedAt: r.released_at,
  }));
}

/** Holds in force, for SLT, the headteacher and the DPO. */
export async function activeHolds(ctx: RecordingContext, person: Person): Promise<Hold[]> {
  if (!person.roles.some((role) => [...LEADERSHIP, "dpo"].includes(role))) {
    throw new DomainError("forbidden", "only SLT, the headteacher and the DPO list holds");
  }
  return holdsOf(ctx, null);
}

/** A hold's written reason, trimmed; refused when shorter than `MIN_HOLD_REASON`. */
function writtenReason(reason: string): string {
  const written = reason.trim();
  if (written.length < MIN_HOLD_REASON) {
    throw new DomainError("invalid", reasonTooShort(MIN_HOLD_REASON));
  }
  return written;
}

export async function placeHold(
  ctx: RecordingContext,
  person: Person,
  id: string,
  reason: string,
): Promise<Hold> {
  const written = writtenReason(reason);
  const holdId = await ctx.db.transaction(async (tx) => {
    const { row } = await authorise(ctx, tx, person, "place-hold", id);
    if (row.deleted_at !== null)
      throw new DomainError("conflict", "the recording has been deleted");
    const { lastID } = await tx.run(
      "INSERT INTO holds (recording_id, placed_by, reason, placed_at) VALUES (?, ?, ?, ?)",
      [id, person.id, written, ctx.clock().toISOString()],
    );
    // a deletion not yet carried out waits for the hold's release
    await tx.run("DELETE FROM deletions WHERE recording_id = ? AND done_at IS NULL", [id]);
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "hold.place",
      subject: id,
      detail: { holdId: lastID, reason: written },
    });
    return lastID;
  });
  const row = await recordingRow(ctx, null, id);
  ctx.events.emit("protectionChanged", row.device_id);
  const hold = (await holdsOf(ctx, id)).find((h) => h.holdId === holdId);
  if (!hold) throw new Error(`hold ${holdId} vanished`);
  return hold;
}

export async function releaseHold(
  ctx: RecordingContext,
  person: Person,
  holdId: number,
  reason: string,
): Promise<Hold> {
  const written = writtenReason(reason);
  const recordingId = await ctx.db.transaction(async (tx) => {
    const hold = await tx.get<{ recording_id: string; released_at: string | null }>(
      "SELECT recording_id, released_at FROM holds WHERE id = ?",
      [holdId],
    );
    if (!hold) throw new DomainError("not-found", `no hold ${holdId}`);
    await authorise(ctx, tx, person, "release-hold", hold.recording_id);
    if (hold.released_at !== null)
      throw new DomainError("conflict", `hold ${holdId} was already released`);
    await tx.run(
      "UPDATE holds SET released_by = ?, release_reason = ?, released_at = ? WHERE id = ?",
      [person.id, written, ctx.clock().toISOString(), holdId],
    );
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "hold.release",
      subject: hold.recording_id,
      detail: { holdId, reason: written },
    });
    return hold.recording_id;
  });
  const row = await recordingRow(ctx, null, recordingId);
  ctx.events.emit("protectionChanged", row.device_id);
  const hold = (await holdsOf(ctx, recordingId)).find((h) => h.holdId === holdId);
  if (!hold) throw new Error(`hold ${holdId} vanished`);
  return hold;
}
