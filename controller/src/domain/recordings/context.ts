/**
 * What every part of the recordings module shares: the database, the audit
 * log, the policy, the clock and the events, and reading a recording with
 * what `decide()` needs to know about it.
 */
import type { EventEmitter } from "node:events";
import type { Database, Transaction } from "../../db/database.js";
import { decide, type Person, type RecordingAccess, type RecordingAction } from "../access.js";
import type { AuditLog } from "../audit.js";
import type { Clock } from "../clock.js";
import { DomainError } from "../errors.js";
import type { PolicyStore } from "../policy.js";
import {
  SELECT,
  summary,
  type RecordingRow,
  type RecordingSummary,
  type RecordingsEvents,
} from "./model.js";

export interface RecordingContext {
  db: Database;
  audit: AuditLog;
  policy: PolicyStore;
  clock: Clock;
  events: EventEmitter<RecordingsEvents>;
}

/** Summaries of rows, with the policy read once for all of them. */
export async function summaries(
  ctx: RecordingContext,
  rows: readonly RecordingRow[],
): Promise<RecordingSummary[]> {
  const { bufferDays } = (await ctx.policy.get()).retention;
  return rows.map((row) => summary(row, bufferDays));
}

export async function recordingRow(
  ctx: RecordingContext,
  tx: Transaction | null,
  id: string,
): Promise<RecordingRow> {
  const sql = `${SELECT} WHERE r.id = ?`;
  const row = tx
    ? await tx.get<RecordingRow>(sql, [id])
    : await ctx.db.get<RecordingRow>(sql, [id]);
  if (!row) throw new DomainError("not-found", `no recording '${id}'`);
  return row;
}

/** What `decide()` needs to know about a recording. */
export async function accessOf(
  ctx: RecordingContext,
  tx: Transaction | null,
  id: string,
): Promise<RecordingAccess & { row: RecordingRow }> {
  const row = await recordingRow(ctx, tx, id);
  const all = <T>(sql: string): Promise<T[]> =>
    tx ? tx.all<T>(sql, [id]) : ctx.db.all<T>(sql, [id]);
  const shares = await all<{
    with_id: string;
    expires_at: string | null;
    revoked_at: string | null;
    unblurred: number;
  }>("SELECT with_id, expires_at, revoked_at, unblurred FROM shares WHERE recording_id = ?");
  const investigations = await all<{
    opened_by: string;
    reason: string;
    closed_at: string | null;
  }>("SELECT opened_by, reason, closed_at FROM investigations WHERE recording_id = ?");
  // whoever set an assignment the owner answered with the whole recording (a clip is the clip's)
  const assigned = await all<{ set_by: string }>(
    `SELECT DISTINCT a.set_by FROM assignment_teachers t JOIN assignments a ON a.id = t.assignment_id
     WHERE t.recording_id = ? AND t.clip_id IS NULL AND t.submitted_at IS NOT NULL`,
  );
  return {
    row,
    ownerId: row.owner_id ?? "",
    staff: JSON.parse(row.staff_json) as string[],
    onHold: row.held === 1,
    shares: shares.map((s) => ({
      withId: s.with_id,
      expiresAt: s.expires_at,
      revoked: s.revoked_at !== null,
      unblurred: s.unblurred === 1,
    })),
    investigations: investigations.map((i) => ({
      openedBy: i.opened_by,
      reason: i.reason,
      closed: i.closed_at !== null,
    })),
    assignedTo: assigned.map((a) => a.set_by),
  };
}

/** Refuses with `decide()`'s reason unless `person` may do `action`. */
export async function authorise(
  ctx: RecordingContext,
  tx: Transaction | null,
  person: Person,
  action: RecordingAction,
  id: string,
  reason = "",
): Promise<RecordingAccess & { row: RecordingRow; basis: string }> {
  const access = await accessOf(ctx, tx, id);
  const decision = decide(person, action, access, ctx.clock(), reason);
  if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
  return { ...access, basis: decision.basis };
}
