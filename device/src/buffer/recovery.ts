/**
 * Crash recovery at start-up: a recording left open by a crash is reconciled
 * with its folder and closed (see `BufferIndex.recover()`, which runs this for
 * every open recording). Complete segments on disk that the index missed are
 * hashed and indexed, `.tmp` leftovers and a possibly cut-short last segment
 * removed, indexed segments whose files vanished dropped.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "@classcam/sqlite";
import { PLAYLIST_NAME, parseHlsPlaylist } from "../recorder/playlist.js";
import {
  addToCounter,
  BYTES_WRITTEN_COUNTER,
  closeRecording,
  insertSegment,
  RECORDING_COLUMNS,
  type RecordingDbRow,
  type SegmentDbRow,
  type SegmentRow,
} from "./rows.js";

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

const SEGMENT_FILE = /^seg-(\d+)\.ts$/;

/** Reconciles one recording left open by a crash with its folder, then closes it (reason "error"). */
export async function recoverRecording(
  db: Database,
  bufferDir: string,
  now: () => Date,
  row: RecordingDbRow,
): Promise<RecoveredRecording> {
  const dir = join(bufferDir, row.dir);
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

  const indexedRows = await db.all<SegmentDbRow>(
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

  const closed = await db.transaction(async (tx) => {
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
    const totals = await closeRecording(tx, current, endedAt, "error", now());
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
