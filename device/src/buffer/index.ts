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
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { EventData } from "@classcam/protocol";
import type { Database, Transaction } from "@classcam/sqlite";
import { raiseEvent } from "../link/outbox.js";
import { PLAYLIST_NAME, parseHlsPlaylist } from "../recorder/playlist.js";

export type RecordingStopReason = EventData<"recording.stopped">["reason"];
export type RecordingDeleteReason = EventData<"recording.deleted">["reason"];

export interface SegmentRow {
  seq: number;
  name: string;
  durationSeconds: number;
  bytes: number;
  sha256: string;
}

export interface BufferRecordingRow {
  recordingId: string;
  bookingId: string | null;
  startedAt: Date;
  /** `null` while the recording is in progress. */
  endedAt: Date | null;
  stopReason: RecordingStopReason | null;
  audio: boolean;
  encoder: string;
  /** The recording's folder, absolute. */
  dir: string;
  segments: number;
  bytes: number;
  durationSeconds: number;
}

/** What `recover()` found and did for one recording left open by a crash. */
export interface RecoveredRecording {
  recordingId: string;
  /** Complete segments found on disk that the index had missed, now indexed. */
  indexed: string[];
  /** `.tmp` leftovers of the segment being written at the crash, removed. */
  removedTemporary: string[];
  /** The last segment file, not in index.m3u8 and not followed by another: maybe cut short, removed. */
  discarded: string[];
  /** Indexed segments whose files had vanished, dropped from the index. */
  vanished: string[];
  /** The recording's folder was missing altogether. */
  folderMissing: boolean;
  segments: number;
  bytes: number;
  durationSeconds: number;
  endedAt: Date;
}

export interface RecoveryReport {
  recordings: RecoveredRecording[];
}

/** How the buffer folder and the index compare; see `reconcileFolders()`. */
export interface FolderSurvey {
  /** Folders holding files that no recording row names (never deleted automatically). */
  strays: string[];
  /** Recording ids whose folder is missing. */
  missing: string[];
  /** Folders of recordings put back from `.trash-<id>` (a removal interrupted before it committed). */
  restored: string[];
  /** Trash of committed removals and empty folders without rows, removed. */
  cleaned: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHA256 = /^[0-9a-f]{64}$/;
const SEGMENT_FILE = /^seg-(\d+)\.ts$/;
const TRASH_PREFIX = ".trash-";
export const BYTES_WRITTEN_COUNTER = "bytes_written";

interface RecordingDbRow {
  id: string;
  booking_id: string | null;
  started_at: string;
  ended_at: string | null;
  stop_reason: string | null;
  audio: number;
  encoder: string;
  dir: string;
  segments: number;
  bytes: number;
  duration_seconds: number;
}

interface SegmentDbRow {
  seq: number;
  name: string;
  duration_seconds: number;
  bytes: number;
  sha256: string;
  closed_at: string;
}

const RECORDING_COLUMNS =
  "id, booking_id, started_at, ended_at, stop_reason, audio, encoder, dir, segments, bytes, duration_seconds";

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
          `INSERT INTO recordings (id, booking_id, started_at, ended_at, stop_reason, audio, encoder, dir)
           VALUES (?, ?, ?, NULL, NULL, ?, ?, ?)`,
          [
            r.recordingId,
            r.bookingId,
            r.startedAt.toISOString(),
            r.audio ? 1 : 0,
            r.encoder,
            r.recordingId,
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
    for (const row of open) report.recordings.push(await this.recoverOne(row));
    return report;
  }

  private async recoverOne(row: RecordingDbRow): Promise<RecoveredRecording> {
    const dir = join(this.bufferDir, row.dir);
    const result: RecoveredRecording = {
      recordingId: row.id,
      indexed: [],
      removedTemporary: [],
      discarded: [],
      vanished: [],
      folderMissing: false,
      segments: 0,
      bytes: 0,
      durationSeconds: 0,
      endedAt: new Date(row.started_at),
    };
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      names = [];
      result.folderMissing = true;
    }

    for (const name of names.filter((n) => n.endsWith(".tmp"))) {
      await unlink(join(dir, name));
      result.removedTemporary.push(name);
    }

    const playlist = result.folderMissing ? null : await readPlaylist(join(dir, PLAYLIST_NAME));
    const onDisk = names
      .map((name) => ({ name, match: SEGMENT_FILE.exec(name) }))
      .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
      .map((f) => ({ name: f.name, seq: Number(f.match[1]) }))
      .sort((a, b) => a.seq - b.seq);
    const lastSeq = onDisk.at(-1)?.seq;

    const indexedRows = await this.db.all<SegmentDbRow>(
      "SELECT seq, name, duration_seconds, bytes, sha256, closed_at FROM segments WHERE recording_id = ? ORDER BY seq",
      [row.id],
    );
    const indexedNames = new Set(indexedRows.map((s) => s.name));
    const indexedSeqs = new Set(indexedRows.map((s) => s.seq));
    const diskNames = new Set(onDisk.map((f) => f.name));

    const toIndex: (SegmentRow & { closedAt: Date })[] = [];
    for (const file of onDisk) {
      if (indexedNames.has(file.name)) continue;
      const listed = playlist?.durations.get(file.name);
      const complete = listed !== undefined || (lastSeq !== undefined && file.seq < lastSeq);
      const path = join(dir, file.name);
      if (!complete) {
        await unlink(path);
        result.discarded.push(file.name);
        continue;
      }
      if (indexedSeqs.has(file.seq)) {
        // Another file already holds this number in the index: leave this one alone.
        continue;
      }
      const info = await stat(path);
      toIndex.push({
        seq: file.seq,
        name: file.name,
        durationSeconds: listed ?? playlist?.targetDuration ?? 0,
        bytes: info.size,
        sha256: await sha256File(path),
        closedAt: info.mtime,
      });
    }
    const vanished = indexedRows.filter((s) => !diskNames.has(s.name));

    const closed = await this.db.transaction(async (tx) => {
      const current = await tx.get<RecordingDbRow>(
        `SELECT ${RECORDING_COLUMNS} FROM recordings WHERE id = ?`,
        [row.id],
      );
      if (current?.ended_at !== null) return null; // closed meanwhile: nothing to do
      for (const segment of vanished) {
        await tx.run("DELETE FROM segments WHERE recording_id = ? AND seq = ?", [
          row.id,
          segment.seq,
        ]);
      }
      let bytesAdded = 0;
      for (const segment of toIndex) {
        await insertSegment(tx, row.id, segment, segment.closedAt);
        bytesAdded += segment.bytes;
      }
      await addToCounter(tx, BYTES_WRITTEN_COUNTER, bytesAdded);
      const last = await tx.get<{ closed_at: string | null }>(
        "SELECT max(closed_at) AS closed_at FROM segments WHERE recording_id = ?",
        [row.id],
      );
      const started = Date.parse(current.started_at);
      const lastClosed = last?.closed_at == null ? started : Date.parse(last.closed_at);
      const endedAt = new Date(Math.max(started, lastClosed));
      const totals = await closeRecording(tx, current, endedAt, "error", this.now());
      return { totals, endedAt };
    });
    result.indexed = toIndex.map((s) => s.name);
    result.vanished = vanished.map((s) => s.name);
    if (closed !== null) {
      result.segments = closed.totals.segments;
      result.bytes = closed.totals.bytes;
      result.durationSeconds = closed.totals.durationSeconds;
      result.endedAt = closed.endedAt;
    }
    return result;
  }

  /** Every recording in the buffer, oldest first; for the janitor and for uploads. */
  async recordings(): Promise<BufferRecordingRow[]> {
    const rows = await this.db.all<RecordingDbRow>(
      `SELECT ${RECORDING_COLUMNS} FROM recordings ORDER BY started_at, id`,
    );
    return rows.map((row) => this.toRecording(row));
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
    return row === undefined ? undefined : this.toRecording(row);
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
    const survey: FolderSurvey = { strays: [], missing: [], restored: [], cleaned: [] };
    // List first, then read the rows: a folder is made only after its row
    // commits, so every folder listed whose recording exists has its row seen.
    const entries = await readdir(this.bufferDir, { withFileTypes: true });
    const rows = await this.db.all<{ id: string; dir: string }>("SELECT id, dir FROM recordings");
    const byDir = new Map(rows.map((r) => [r.dir, r.id]));
    const folders = new Set<string>();
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const name = entry.name;
      const path = join(this.bufferDir, name);
      if (name.startsWith(TRASH_PREFIX)) {
        const dirName = name.slice(TRASH_PREFIX.length);
        const id = byDir.get(dirName);
        if (id !== undefined && this.busy.has(id)) continue;
        if (id !== undefined) {
          // The removal never committed: the recording is still indexed, put its folder back.
          try {
            await rename(path, join(this.bufferDir, dirName));
            survey.restored.push(dirName);
            folders.add(dirName);
          } catch {
            survey.strays.push(name);
          }
        } else {
          await rm(path, { recursive: true, force: true });
          survey.cleaned.push(name);
        }
        continue;
      }
      if (byDir.has(name)) {
        folders.add(name);
        continue;
      }
      if (UUID.test(name) && this.busy.has(name)) continue;
      if ((await countFiles(path)) === 0) {
        await rm(path, { recursive: true, force: true });
        survey.cleaned.push(name);
      } else {
        survey.strays.push(name);
      }
    }
    for (const row of rows) {
      if (!folders.has(row.dir) && !this.busy.has(row.id)) survey.missing.push(row.id);
    }
    return survey;
  }

  private toRecording(row: RecordingDbRow): BufferRecordingRow {
    return {
      recordingId: row.id,
      bookingId: row.booking_id,
      startedAt: new Date(row.started_at),
      endedAt: row.ended_at === null ? null : new Date(row.ended_at),
      stopReason: row.stop_reason as RecordingStopReason | null,
      audio: row.audio === 1,
      encoder: row.encoder,
      dir: join(this.bufferDir, row.dir),
      segments: row.segments,
      bytes: row.bytes,
      durationSeconds: row.duration_seconds,
    };
  }
}

// ---------------------------------------------------------------- helpers

function checkRecordingId(recordingId: string): void {
  if (typeof recordingId !== "string" || !UUID.test(recordingId)) {
    throw new Error(`recording id ${JSON.stringify(recordingId)} is not a UUID`);
  }
}

function checkDate(field: string, value: Date): void {
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) {
    throw new Error(`${field} is not a valid date`);
  }
}

function checkSegment(segment: SegmentRow): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(segment.seq) || segment.seq < 0) {
    problems.push(`seq is ${String(segment.seq)}; must be a whole number >= 0`);
  }
  if (
    typeof segment.name !== "string" ||
    segment.name === "" ||
    segment.name.includes("/") ||
    segment.name.startsWith(".") ||
    segment.name.endsWith(".tmp")
  ) {
    problems.push(`name ${JSON.stringify(segment.name)} is not a segment file name`);
  }
  if (!Number.isFinite(segment.durationSeconds) || segment.durationSeconds < 0) {
    problems.push(`durationSeconds is ${String(segment.durationSeconds)}; must be >= 0`);
  }
  if (!Number.isSafeInteger(segment.bytes) || segment.bytes < 0) {
    problems.push(`bytes is ${String(segment.bytes)}; must be a whole number >= 0`);
  }
  if (typeof segment.sha256 !== "string" || !SHA256.test(segment.sha256)) {
    problems.push("sha256 must be 64 lower-case hex digits");
  }
  if (problems.length > 0) throw new Error(`segment: ${problems.join("; ")}`);
}

async function insertSegment(
  tx: Transaction,
  recordingId: string,
  segment: SegmentRow,
  closedAt: Date,
): Promise<void> {
  await tx.run(
    `INSERT INTO segments (recording_id, seq, name, duration_seconds, bytes, sha256, closed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [
      recordingId,
      segment.seq,
      segment.name,
      segment.durationSeconds,
      segment.bytes,
      segment.sha256,
      closedAt.toISOString(),
    ],
  );
}

async function refreshTotals(tx: Transaction, recordingId: string): Promise<void> {
  await tx.run(
    `UPDATE recordings SET
       segments = (SELECT count(*) FROM segments WHERE recording_id = ?1),
       bytes = (SELECT coalesce(sum(bytes), 0) FROM segments WHERE recording_id = ?1),
       duration_seconds = (SELECT coalesce(sum(duration_seconds), 0) FROM segments WHERE recording_id = ?1)
     WHERE id = ?1`,
    [recordingId],
  );
}

async function addToCounter(tx: Transaction, name: string, amount: number): Promise<void> {
  if (amount === 0) return;
  await tx.run(
    "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
    [name, amount],
  );
}

async function closeRecording(
  tx: Transaction,
  row: RecordingDbRow,
  endedAt: Date,
  reason: RecordingStopReason,
  at: Date,
): Promise<{ segments: number; bytes: number; durationSeconds: number }> {
  await refreshTotals(tx, row.id);
  await tx.run("UPDATE recordings SET ended_at = ?, stop_reason = ? WHERE id = ?", [
    endedAt.toISOString(),
    reason,
    row.id,
  ]);
  const totals = await tx.get<{ segments: number; bytes: number; duration_seconds: number }>(
    "SELECT segments, bytes, duration_seconds FROM recordings WHERE id = ?",
    [row.id],
  );
  const result = {
    segments: totals?.segments ?? 0,
    bytes: totals?.bytes ?? 0,
    durationSeconds: totals?.duration_seconds ?? 0,
  };
  await raiseEvent(tx, "recording.stopped", { recordingId: row.id, reason, ...result }, at);
  return result;
}

/** The segment names index.m3u8 lists, with their durations; null when there is no playlist. */
async function readPlaylist(
  file: string,
): Promise<{ durations: Map<string, number>; targetDuration: number | null } | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const { entries, targetDuration } = parseHlsPlaylist(text);
  const durations = new Map<string, number>();
  for (const { uri, durationSeconds } of entries) {
    durations.set(uri.split("/").at(-1) ?? uri, durationSeconds ?? 0);
  }
  return { durations, targetDuration };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Renames `from` to `to`; false when `from` does not exist. */
async function moveAside(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    throw error;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  let count = 0;
  for (const entry of entries) {
    count += entry.isDirectory() ? await countFiles(join(dir, entry.name)) : 1;
  }
  return count;
}
