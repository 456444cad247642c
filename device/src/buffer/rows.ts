/**
 * The buffer index's tables in device.db: the row shapes, the checks on what
 * goes into them, and the SQL steps that writing (index.ts) and crash recovery
 * (recovery.ts) share, such as closing a recording and raising
 * `recording.stopped` in the same transaction.
 */
import { join } from "node:path";
import type { EventData } from "@classcam/protocol";
import type { Transaction } from "@classcam/sqlite";
import { raiseEvent } from "../link/outbox.js";

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
  /** The content key sealed to the controller; null when the footage is in the clear. */
  sealedKey: string | null;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHA256 = /^[0-9a-f]{64}$/;
export const BYTES_WRITTEN_COUNTER = "bytes_written";

export interface RecordingDbRow {
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
  sealed_key: string | null;
}

export interface SegmentDbRow {
  seq: number;
  name: string;
  duration_seconds: number;
  bytes: number;
  sha256: string;
  closed_at: string;
}

export const RECORDING_COLUMNS =
  "id, booking_id, started_at, ended_at, stop_reason, audio, encoder, dir, segments, bytes, duration_seconds, sealed_key";

/** A recording row as callers see it, its folder made absolute under `bufferDir`. */
export function toRecording(bufferDir: string, row: RecordingDbRow): BufferRecordingRow {
  return {
    recordingId: row.id,
    bookingId: row.booking_id,
    startedAt: new Date(row.started_at),
    endedAt: row.ended_at === null ? null : new Date(row.ended_at),
    stopReason: row.stop_reason as RecordingStopReason | null,
    audio: row.audio === 1,
    encoder: row.encoder,
    dir: join(bufferDir, row.dir),
    segments: row.segments,
    bytes: row.bytes,
    durationSeconds: row.duration_seconds,
    sealedKey: row.sealed_key,
  };
}

export function checkRecordingId(recordingId: string): void {
  if (typeof recordingId !== "string" || !UUID.test(recordingId)) {
    throw new Error(`recording id ${JSON.stringify(recordingId)} is not a UUID`);
  }
}

export function checkDate(field: string, value: Date): void {
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) {
    throw new Error(`${field} is not a valid date`);
  }
}

export function checkSegment(segment: SegmentRow): void {
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

export async function insertSegment(
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

export async function refreshTotals(tx: Transaction, recordingId: string): Promise<void> {
  await tx.run(
    `UPDATE recordings SET
       segments = (SELECT count(*) FROM segments WHERE recording_id = ?1),
       bytes = (SELECT coalesce(sum(bytes), 0) FROM segments WHERE recording_id = ?1),
       duration_seconds = (SELECT coalesce(sum(duration_seconds), 0) FROM segments WHERE recording_id = ?1)
     WHERE id = ?1`,
    [recordingId],
  );
}

export async function addToCounter(tx: Transaction, name: string, amount: number): Promise<void> {
  if (amount === 0) return;
  await tx.run(
    "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
    [name, amount],
  );
}

export async function closeRecording(
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
