/**
 * The school's rules for the classroom box's rolling buffer, as one pure
 * decision: which recordings to delete now, and whether a new recording must be
 * refused. No I/O and no clock of its own: the caller passes `now`.
 *
 * - Retention: footage whose recording ended more than `bufferDays` days ago is
 *   deleted, even when space is plentiful.
 * - Overwrite: when the disk needs space, the oldest unprotected footage goes
 *   first, and only as much as is needed.
 * - Protected footage is never deleted by either rule, however old: the
 *   recording in progress, a recording under a hold, and a recording awaiting
 *   upload. When deleting every unprotected recording still would not free
 *   enough space, none of it is overwritten (that would cost footage and gain
 *   nothing) and new recording is refused instead.
 * - When the buffer index looks wrong, nothing is deleted and `problem` says
 *   why (a wrong index must never cost footage). The caller may know a reason
 *   the input cannot show (`distrust`, e.g. the folders on disk disagree with
 *   the index): the plan then is the same.
 */

import { MAX_BUFFER_DAYS, MIN_BUFFER_DAYS, bufferExpired } from "./buffer-expiry.js";

/** How far in the future a recording's times may be before the index is distrusted. */
export const BUFFER_CLOCK_SKEW_MS = 5 * 60 * 1000;

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** One recording in the box's on-disk buffer index. */
export interface BufferRecording {
  recordingId: string;
  /** ISO 8601 timestamp with a time zone. */
  startedAt: string;
  /** ISO 8601 timestamp with a time zone; `null` while the recording is in progress. */
  endedAt: string | null;
  bytes: number;
  /** Waiting to be uploaded (an approved archive, a viewing request). */
  awaitingUpload: boolean;
}

export interface BufferInput {
  recordings: readonly BufferRecording[];
  /** Recording ids under a hold (the config's `holds`). */
  holds: readonly string[];
  /** Retention in days, 1–14. */
  bufferDays: number;
  now: Date;
  freeBytes: number;
  /** Space the box wants free, e.g. a margin for the next minutes of recording. */
  neededBytes: number;
  /**
   * Why the caller does not trust the index, when it knows a reason the input
   * cannot show (the folders on disk disagree with it, no config says what is
   * held); nothing is deleted then. Absent or null: no such reason.
   */
  distrust?: string | null;
}

export type BufferDeleteReason = "retention" | "overwrite";

export type BufferRefusal =
  /** Protected footage leaves too little room even if every unprotected recording went; none is overwritten. */
  | "protected-footage-fills-the-disk"
  /** The index looks wrong, so nothing may be deleted, and there is not enough space. */
  | "buffer-index-problem";

export interface BufferPlan {
  /** In the order to delete: retention first (oldest first), then overwrite (oldest first). */
  delete: { recordingId: string; reason: BufferDeleteReason }[];
  refuseRecording: boolean;
  refusal: BufferRefusal | null;
  /** Bytes held by protected recordings (0 when `problem` is set). */
  protectedBytes: number;
  /** `freeBytes` plus the bytes of every recording in `delete`. */
  freeBytesAfter: number;
  /** Why the index was not trusted; `null` when the plan is sound. */
  problem: string | null;
}

/** In progress, under a hold, or awaiting upload: never deleted by retention or overwrite. */
export function isProtected(recording: BufferRecording, holds: readonly string[]): boolean {
  return (
    recording.endedAt === null || recording.awaitingUpload || holds.includes(recording.recordingId)
  );
}

/** Decides what the buffer deletes now and whether new recording must be refused. */
export function planBuffer(input: BufferInput): BufferPlan {
  const problems = findProblems(input);
  if (typeof input.distrust === "string") problems.unshift(input.distrust);
  if (problems.length > 0) {
    const free = isByteCount(input.freeBytes) ? input.freeBytes : 0;
    const enough = isByteCount(input.neededBytes) && free >= input.neededBytes;
    return {
      delete: [],
      refuseRecording: !enough,
      refusal: enough ? null : "buffer-index-problem",
      protectedBytes: 0,
      freeBytesAfter: free,
      problem: problems.join("; "),
    };
  }

  const now = input.now.getTime();
  const oldestFirst = [...input.recordings].sort(byAge);

  let protectedBytes = 0;
  const retention: BufferRecording[] = [];
  const overwriteCandidates: BufferRecording[] = [];
  for (const recording of oldestFirst) {
    if (isProtected(recording, input.holds)) {
      protectedBytes += recording.bytes;
    } else if (
      recording.endedAt !== null &&
      bufferExpired(recording.endedAt, input.bufferDays, now)
    ) {
      retention.push(recording);
    } else {
      overwriteCandidates.push(recording);
    }
  }

  const plan: BufferPlan["delete"] = [];
  let free = input.freeBytes;
  for (const recording of retention) {
    plan.push({ recordingId: recording.recordingId, reason: "retention" });
    free += recording.bytes;
  }
  const reachable = overwriteCandidates.reduce((sum, recording) => sum + recording.bytes, free);
  if (reachable < input.neededBytes) {
    // Even all unprotected footage would not make room: keep it (a teacher may
    // still want to watch it) and refuse new recording instead.
    return {
      delete: plan,
      refuseRecording: true,
      refusal: "protected-footage-fills-the-disk",
      protectedBytes,
      freeBytesAfter: free,
      problem: null,
    };
  }
  for (const recording of overwriteCandidates) {
    if (free >= input.neededBytes) break;
    plan.push({ recordingId: recording.recordingId, reason: "overwrite" });
    free += recording.bytes;
  }

  return {
    delete: plan,
    refuseRecording: false,
    refusal: null,
    protectedBytes,
    freeBytesAfter: free,
    problem: null,
  };
}

function byAge(a: BufferRecording, b: BufferRecording): number {
  return (
    Date.parse(a.startedAt) - Date.parse(b.startedAt) ||
    endTime(a) - endTime(b) ||
    (a.recordingId < b.recordingId ? -1 : a.recordingId > b.recordingId ? 1 : 0)
  );
}

function endTime(recording: BufferRecording): number {
  return recording.endedAt === null ? Number.POSITIVE_INFINITY : Date.parse(recording.endedAt);
}

function isByteCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function parseTimestamp(value: unknown): number | null {
  if (typeof value !== "string" || !ISO_TIMESTAMP.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function minutes(ms: number): string {
  return `${Math.round((ms / 60_000) * 10) / 10} minutes`;
}

/** Every reason not to trust the input, each naming the recording or field concerned. */
function findProblems(input: BufferInput): string[] {
  const problems: string[] = [];
  const nowMs = input.now instanceof Date ? input.now.getTime() : Number.NaN;
  if (!Number.isFinite(nowMs)) problems.push("now: is not a valid date");
  if (
    !Number.isInteger(input.bufferDays) ||
    input.bufferDays < MIN_BUFFER_DAYS ||
    input.bufferDays > MAX_BUFFER_DAYS
  ) {
    problems.push(
      `bufferDays: is ${String(input.bufferDays)}; must be a whole number from ${MIN_BUFFER_DAYS} to ${MAX_BUFFER_DAYS}`,
    );
  }
  for (const field of ["freeBytes", "neededBytes"] as const) {
    if (!isByteCount(input[field])) {
      problems.push(`${field}: is ${String(input[field])}; must be a whole number >= 0`);
    }
  }
  if (!Array.isArray(input.recordings)) return [...problems, "recordings: is not a list"];
  if (!Array.isArray(input.holds)) problems.push("holds: is not a list");

  const seen = new Set<string>();
  const inProgress: string[] = [];
  input.recordings.forEach((recording: Partial<BufferRecording> | null, index) => {
    if (recording === null || typeof recording !== "object") {
      problems.push(`recordings[${index}]: is not a recording`);
      return;
    }
    const id = recording.recordingId;
    if (typeof id !== "string" || id === "") {
      problems.push(`recordings[${index}]: recordingId is missing`);
      return;
    }
    const name = `recording ${id}`;
    if (seen.has(id)) problems.push(`${name}: appears more than once in the index`);
    seen.add(id);

    if (!isByteCount(recording.bytes)) {
      problems.push(`${name}: bytes is ${String(recording.bytes)}; must be a whole number >= 0`);
    }
    if (typeof recording.awaitingUpload !== "boolean") {
      problems.push(
        `${name}: awaitingUpload is ${String(recording.awaitingUpload)}; must be true or false`,
      );
    }

    const started = parseTimestamp(recording.startedAt);
    if (started === null) {
      problems.push(
        `${name}: startedAt ${JSON.stringify(recording.startedAt)} is not an ISO 8601 date-time`,
      );
    } else if (Number.isFinite(nowMs) && started - nowMs > BUFFER_CLOCK_SKEW_MS) {
      problems.push(
        `${name}: startedAt ${String(recording.startedAt)} is ${minutes(started - nowMs)} in the future (clock skew allowed: ${minutes(BUFFER_CLOCK_SKEW_MS)})`,
      );
    }

    if (recording.endedAt === null) {
      inProgress.push(id);
      return;
    }
    const ended = parseTimestamp(recording.endedAt);
    if (ended === null) {
      problems.push(
        `${name}: endedAt ${JSON.stringify(recording.endedAt)} is not an ISO 8601 date-time or null`,
      );
    } else if (started !== null && ended < started) {
      problems.push(
        `${name}: endedAt ${String(recording.endedAt)} is before startedAt ${String(recording.startedAt)}`,
      );
    } else if (Number.isFinite(nowMs) && ended - nowMs > BUFFER_CLOCK_SKEW_MS) {
      problems.push(
        `${name}: endedAt ${String(recording.endedAt)} is ${minutes(ended - nowMs)} in the future (clock skew allowed: ${minutes(BUFFER_CLOCK_SKEW_MS)})`,
      );
    }
  });
  if (inProgress.length > 1) {
    problems.push(`recordings ${inProgress.join(", ")}: more than one is in progress`);
  }
  return problems;
}
