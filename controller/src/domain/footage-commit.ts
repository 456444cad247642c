/**
 * The durable end of a segment's upload, as a group commit: a segment whose
 * bytes were verified, synced and renamed into its recording's folder is
 * counted only once the folder's entry is synced too and its row says it
 * arrived. Segments that finish together (a box keeps a few in flight)
 * share one folder fsync per folder and one SQLite transaction: while a
 * batch is being made durable, the segments that finish meanwhile queue for
 * the next one. Nothing is counted before its batch commits, and an answer
 * (the box's acknowledgement) comes only after that.
 */
import type { Database, Transaction } from "../db/database.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";

/** How far a recording's upload got, once a batch is committed. */
export interface SegmentTally {
  receivedBytes: number;
  totalBytes: number;
  complete: boolean;
}

/** One segment waiting to be counted: its file is already in `folder` (renamed, data synced). */
export interface SettledSegment {
  recordingId: string;
  folder: string;
  name: string;
  bytes: number;
  sha256: string;
}

interface Waiting extends SettledSegment {
  resolve: (tally: SegmentTally) => void;
  reject: (error: unknown) => void;
}

export class SegmentCommits {
  private queue: Waiting[] = [];
  private running = false;
  /** Batches committed (segments that finished together share one). */
  batches = 0;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    /** Makes the renames in a folder durable (an fsync of the folder). */
    private readonly syncFolder: (folder: string) => Promise<void>,
  ) {}

  /** Resolves with the recording's tally once the segment is durable and counted. */
  count(segment: SettledSegment): Promise<SegmentTally> {
    return new Promise<SegmentTally>((resolve, reject) => {
      this.queue.push({ ...segment, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commit(batch);
      }
    } finally {
      this.running = false;
    }
  }

  /** One batch: every folder synced once, then every row in one transaction. Never throws. */
  private async commit(batch: readonly Waiting[]): Promise<void> {
    try {
      for (const folder of new Set(batch.map((s) => s.folder))) await this.syncFolder(folder);
      const outcomes = await this.db.transaction(async (tx) => {
        const at = this.clock().toISOString();
        const refused = new Map<Waiting, DomainError>();
        for (const segment of batch) {
          const { changes } = await tx.run(
            `UPDATE upload_segments SET received_at = coalesce(received_at, ?)
             WHERE recording_id = ? AND name = ? AND bytes = ? AND sha256 = ?`,
            [at, segment.recordingId, segment.name, segment.bytes, segment.sha256],
          );
          if (changes === 0) {
            refused.set(
              segment,
              new DomainError(
                "conflict",
                `the manifest changed while ${segment.name} was being sent; send the manifest again`,
              ),
            );
          }
        }
        const tallies = new Map<string, SegmentTally>();
        for (const recordingId of new Set(batch.map((s) => s.recordingId))) {
          tallies.set(recordingId, await recount(tx, recordingId));
        }
        return { refused, tallies };
      });
      this.batches += 1;
      for (const segment of batch) {
        const refusal = outcomes.refused.get(segment);
        const tally = outcomes.tallies.get(segment.recordingId);
        if (refusal !== undefined) segment.reject(refusal);
        else if (tally === undefined) segment.reject(new Error("no tally for the recording"));
        else segment.resolve(tally);
      }
    } catch (error) {
      // nothing of the batch is counted: each sender is told, and sends again
      for (const segment of batch) segment.reject(error);
    }
  }
}

/** Brings `received_bytes` up to date; `complete` when every segment is in. */
export async function recount(tx: Transaction, recordingId: string): Promise<SegmentTally> {
  const sums = await tx.get<{ total: number; received: number; missing: number }>(
    `SELECT coalesce(sum(bytes), 0) AS total,
            coalesce(sum(CASE WHEN received_at IS NOT NULL THEN bytes END), 0) AS received,
            count(*) FILTER (WHERE received_at IS NULL) AS missing
     FROM upload_segments WHERE recording_id = ?`,
    [recordingId],
  );
  await tx.run("UPDATE uploads SET received_bytes = ? WHERE recording_id = ?", [
    sums?.received ?? 0,
    recordingId,
  ]);
  return {
    receivedBytes: sums?.received ?? 0,
    totalBytes: sums?.total ?? 0,
    complete: (sums?.total ?? 0) > 0 && sums?.missing === 0,
  };
}
