/**
 * The record of deletions as the DPO and IT read it (a read model: it changes
 * nothing): each copy of a recording asked to go, why, and when it went.
 */
import type { Database } from "../db/database.js";

export interface DeletionEntry {
  recordingId: string;
  copy: "controller" | "device";
  reason: string;
  requestedAt: string;
  doneAt: string | null;
  bytes: number | null;
}

/** The newest `limit` deletions, newest first. */
export async function latestDeletions(db: Database, limit: number): Promise<DeletionEntry[]> {
  const rows = await db.all<{
    recording_id: string;
    copy: "controller" | "device";
    reason: string;
    requested_at: string;
    done_at: string | null;
    bytes: number | null;
  }>("SELECT * FROM deletions ORDER BY id DESC LIMIT ?", [limit]);
  return rows.map((r) => ({
    recordingId: r.recording_id,
    copy: r.copy,
    reason: r.reason,
    requestedAt: r.requested_at,
    doneAt: r.done_at,
    bytes: r.bytes,
  }));
}
