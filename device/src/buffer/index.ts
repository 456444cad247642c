/**
 * The rolling buffer's index: one folder per recording under `<dataDir>/buffer`
 * (named by the recording id), one row per recording and per closed segment in
 * device.db. Every change to the index and the event that reports it commit in
 * one transaction, so a power cut leaves both or neither.
 *
 * Files and rows are kept in step in this order:
 * - begin: row first, then the folder (a folder never exists without its row
 *   in normal operation, so a folder without a row is always worth reporting);
 * - remove: the folder is renamed to `.trash-<id>` (fsynced), then the rows and
 *   the `recording.deleted` event commit, then the trash is removed. A crash
 *   before the commit leaves a row and a trash folder (`reconcileFolders()`
 *   puts the folder back); after it, a trash folder without a row (removed).
 *
 * Neighbours: rows.ts (table shapes, checks, shared SQL steps), recovery.ts
 * (crash recovery at start-up), folders.ts (the folder against the index).
 */
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Database, Transaction } from "@classcam/sqlite";
import { raiseEvent } from "../link/outbox.js";
import {
  moveAside,
  reconcileFolders,
  syncDir,
  TRASH_PREFIX,
  type FolderSurvey,
} from "./folders.js";
import { recoverRecording, type RecoveryReport } from "./recovery.js";
import {
  addToCounter,
  BYTES_WRITTEN_COUNTER,
  checkDate,
  checkRecordingId,
  checkSegment,
  closeRecording,
  insertSegment,
  RECORDING_COLUMNS,
  refreshTotals,
  toRecording,
  type BufferRecordingRow,
  type RecordingDbRow,
  type RecordingDeleteReason,
  type RecordingStopReason,
  type SegmentDbRow,
  type SegmentRow,
} from "./rows.js";

export { BYTES_WRITTEN_COUNTER, type FolderSurvey, type RecoveryReport };
export type { BufferRecordingRow, RecordingDeleteReason, RecordingStopReason, SegmentRow };
export type { RecoveredRecording } from "./recovery.js";

/** The recording is being begun or removed by another caller right now. */
export class RecordingBusy extends Error {
  constructor(recordingId: string) {
    super(`recording ${recordingId} is already being begun or removed`);
    this.name = "RecordingBusy";
  }
}

export class BufferIndex {
  /** Recordings being begun or removed right now: `reconcileFolders()` leaves them alone. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly db: Database,
    readonly bufferDir: string,
    private readonly now: () => Date,
  ) {}

  /** Creates the recording's folder (name = recordingId) and its row with ended_at NULL; returns the folder path. */
  async beginRecording(r: {
    recordingId: string;
    bookingId: string | null;
    startedAt: Date;
    audio: boolean;
    encoder: string;
    /** The content key sealed to the controller (stored before any segment is written); null: in the clear. */
    sealedKey?: string | null;
    /** Runs inside the transaction that creates the row (the session raises `recording.started` here). */
    alsoInTransaction?: (tx: Transaction) => Promise<unknown>;
  }): Promise<string> {
    checkRecordingId(r.recordingId);
    checkDate("startedAt", r.startedAt);
    if (r.bookingId !== null && (typeof r.bookingId !== "string" || r.bookingId === "")) {
      throw new Error("beginRecording: bookingId must be a non-empty string or null");
    }
    if (typeof r.encoder !== "string" || r.encoder === "" || r.encoder.length > 64) {
      throw new Error("beginRecording: encoder must be a string of 1 to 64 characters");
    }
    if (this.busy.has(r.recordingId)) {
      throw new RecordingBusy(r.recordingId);
    }
    const dir = join(this.bufferDir, r.recordingId);
    this.busy.add(r.recordingId);
    try {
      await this.db.transaction(async (tx) => {
        const open = await tx.get<{ id: string }>(
          "SELECT id FROM recordings WHERE ended_at IS NULL",
        );
        if (open !== undefined) {
          throw new Error(
            `cannot begin recording ${r.recordingId}: recording ${open.id} is still in progress`,
          );
        }
        const existing = await tx.get<{ id: string }>("SELECT id FROM recordings WHERE id = ?", [
          r.recordingId,
        ]);
        if (existing !== undefined) {
          throw new Error(`recording ${r.recordingId} is already in the buffer`);
        }
        await tx.run(
          `INSERT INTO recordings (id, booking_id, started_at, ended_at, stop_reason, audio, encoder, dir, sealed_key)
           VALUES (?, ?, ?, NULL, NULL, ?, ?, ?, ?)`,
          [
            r.recordingId,
            r.bookingId,
            r.startedAt.toISOString(),
            r.audio ? 1 : 0,
            r.encoder,
            r.recordingId,
            r.sealedKey ?? null,
          ],
        );
        await r.alsoInTransaction?.(tx);
      });
      try {
        await mkdir(dir, { recursive: true });
      } catch (error) {
        // No folder, no recording: take the row back so nothing points at nothing.
        await this.db.transaction((tx) =>
          tx.run("DELETE FROM recordings WHERE id = ?", [r.recordingId]),
        );
        throw new Error(
          `cannot create the folder of recording ${r.recordingId} (${dir}): ${(error as Error).message}`,
        );
      }
    } finally {
      this.busy.delete(r.recordingId);
    }
    return dir;
  }

  /** One closed segment (already fsynced by the recorder) into the index; totals updated. */
  async addSegment(recordingId: string, segment: SegmentRow & { closedAt: Date }): Promise<void> {
    checkRecordingId(recordingId);
    checkSegment(segment);
    checkDate("closedAt", segment.closedAt);
    const file = join(this.bufferDir, recordingId, segment.name);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (error) {
      throw new Error(
        `segment ${segment.name} of recording ${recordingId} is not on disk (${file}): ${(error as Error).message}`,
      );
    }
    if (size !== segment.bytes) {
      throw new Error(
        `segment ${segment.name} of recording ${recordingId} is ${size} bytes on disk, not ${segment.bytes}`,
      );
    }
    await this.db.transaction(async (tx) => {
      const row = await tx.get<{ ended_at: string | null }>(
        "SELECT ended_at FROM recordings WHERE id = ?",
        [recordingId],
      );
      if (row === undefined) throw new Error(`recording ${recordingId} is not in the buffer`);
      if (row.ended_at !== null) {
        throw new Error(`recording ${recordingId} has ended; no segment can be added to it`);
      }
      const clash = await tx.get<{ seq: number; name: string }>(
        "SELECT seq, name FROM segments WHERE recording_id = ? AND (seq = ? OR name = ?)",
        [recordingId, segment.seq, segment.name],
      );
      if (clash !== undefined) {
        throw new Error(
          `recording ${recordingId} already has segment ${clash.seq} (${clash.name}); ` +
            `cannot add segment ${segment.seq} (${segment.name})`,
        );
      }
      await insertSegment(tx, recordingId, segment, segment.closedAt);
      await refreshTotals(tx, recordingId);
      await addToCounter(tx, BYTES_WRITTEN_COUNTER, segment.bytes);
    });
  }

  /** Closes the recording and raises `recording.stopped` in the same transaction. */
  async endRecording(
    recordingId: string,
    r: { endedAt: Date; reason: RecordingStopReason },
  ): Promise<{ segments: number; bytes: number; durationSeconds: number }> {
    checkRecordingId(recordingId);
    checkDate("endedAt", r.endedAt);
    return this.db.transaction(async (tx) => {
      const row = await tx.get<RecordingDbRow>(
        `SELECT ${RECORDING_COLUMNS} FROM recordings WHERE id = ?`,
        [recordingId],
      );
      if (row === undefined) throw new Error(`recording ${recordingId} is not in the buffer`);
      if (row.ended_at !== null) {
        throw new Error(`recording ${recordingId} has already ended (at ${row.ended_at})`);
      }
      if (r.endedAt.getTime() < Date.parse(row.started_at)) {
        throw new Error(
          `recording ${recordingId} cannot end at ${r.endedAt.toISOString()}, before it started (${row.started_at})`,
        );
      }
      return closeRecording(tx, row, r.endedAt, r.reason, this.now());
    });
  }

  /**
   * At start-up, after a crash, before any new recording begins: every
   * recording left open is reconciled with its folder — complete segments on
   * disk that the index missed are hashed and indexed (complete: listed in
   * index.m3u8 or followed by a later segment; the last unlisted one may be cut
   * short and is removed), `.tmp` leftovers removed, indexed segments whose
   * files vanished dropped — then closed (reason "error") with
   * `recording.stopped` raised once. Running it again changes nothing more.
   */
  async recover(): Promise<RecoveryReport> {
    const open = await this.db.all<RecordingDbRow>(
      `SELECT ${RECORDING_COLUMNS} FROM recordings WHERE ended_at IS NULL ORDER BY started_at`,
    );
    const report: RecoveryReport = { recordings: [] };
    for (const row of open) {
      report.recordings.push(await recoverRecording(this.db, this.bufferDir, this.now, row));
    }
    return report;
  }

  /** Every recording in the buffer, oldest first; for the janitor and for uploads. */
  async recordings(): Promise<BufferRecordingRow[]> {
    const rows = await this.db.all<RecordingDbRow>(
      `SELECT ${RECORDING_COLUMNS} FROM recordings ORDER BY started_at, id`,
    );
    return rows.map((row) => toRecording(this.bufferDir, row));
  }

  async segments(recordingId: string): Promise<SegmentRow[]> {
    const rows = await this.db.all<SegmentDbRow>(
      "SELECT seq, name, duration_seconds, bytes, sha256, closed_at FROM segments WHERE recording_id = ? ORDER BY seq",
      [recordingId],
    );
    return rows.map((s) => ({
      seq: s.seq,
      name: s.name,
      durationSeconds: s.duration_seconds,
      bytes: s.bytes,
      sha256: s.sha256,
    }));
  }

  async get(recordingId: string): Promise<BufferRecordingRow | undefined> {
    const row = await this.db.get<RecordingDbRow>(
      `SELECT ${RECORDING_COLUMNS} FROM recordings WHERE id = ?`,
      [recordingId],
    );
    return row === undefined ? undefined : toRecording(this.bufferDir, row);
  }

  /** Bytes of footage the box has written since it was first set up (the `bytes_written` counter). */
  async bytesWritten(): Promise<number> {
    const row = await this.db.get<{ value: number }>("SELECT value FROM counters WHERE name = ?", [
      BYTES_WRITTEN_COUNTER,
    ]);
    return row?.value ?? 0;
  }

  /**
   * Deletes a finished recording's files and rows and raises
   * `recording.deleted` with the reason. The rows and the event commit
   * together first; the files go after (see the top of this file).
   */
  async remove(recordingId: string, reason: RecordingDeleteReason): Promise<{ bytes: number }> {
    checkRecordingId(recordingId);
    if (this.busy.has(recordingId)) {
      throw new RecordingBusy(recordingId);
    }
    this.busy.add(recordingId);
    try {
      const row = await this.db.get<RecordingDbRow>(
        `SELECT ${RECORDING_COLUMNS} FROM recordings WHERE id = ?`,
        [recordingId],
      );
      if (row === undefined) throw new Error(`recording ${recordingId} is not in the buffer`);
      if (row.ended_at === null) {
        throw new Error(`recording ${recordingId} is in progress; it cannot be deleted`);
      }
      const dir = join(this.bufferDir, row.dir);
      const trash = join(this.bufferDir, TRASH_PREFIX + row.dir);
      const moved = await moveAside(dir, trash);
      if (moved) await syncDir(this.bufferDir);
      let bytes: number;
      try {
        bytes = await this.db.transaction(async (tx) => {
          const current = await tx.get<{ bytes: number; ended_at: string | null }>(
            "SELECT bytes, ended_at FROM recordings WHERE id = ?",
            [recordingId],
          );
          if (current === undefined) {
            throw new Error(`recording ${recordingId} is not in the buffer`);
          }
          await tx.run("DELETE FROM segments WHERE recording_id = ?", [recordingId]);
          await tx.run("DELETE FROM recordings WHERE id = ?", [recordingId]);
          await raiseEvent(
            tx,
            "recording.deleted",
            { recordingId, reason, bytes: current.bytes },
            this.now(),
          );
          return current.bytes;
        });
      } catch (error) {
        if (moved) await rename(trash, dir).catch(() => undefined);
        throw error;
      }
      // Committed: the footage is gone from the index. Should removing the files
      // fail, the trash folder is removed by the next `reconcileFolders()`.
      await rm(trash, { recursive: true, force: true }).catch(() => undefined);
      return { bytes };
    } finally {
      this.busy.delete(recordingId);
    }
  }

  /**
   * Compares the buffer folder with the index and tidies what is safe to tidy:
   * interrupted removals are finished or undone, empty folders without a row
   * are removed. Folders with footage but no row are only reported: they are
   * never deleted here (a lost database must not cost footage).
   */
  async reconcileFolders(): Promise<FolderSurvey> {
    return reconcileFolders(this.db, this.bufferDir, this.busy);
  }
}
