/**
 * Footage on the controller, the facts both ends share: the limits and names
 * of an upload, a manifest's checks, where a recording's footage is
 * (`footageStatus`, `heldUpload`), and the VOD playlist the controller writes.
 * Nothing here knows recordings' access rules: `recordings.ts` and the
 * custodian read from here without an import circle.
 *
 * Receiving uploads: `footage-uploads.ts`. Serving viewers: `footage-viewing.ts`.
 * Both behind one `Footage` (`footage.ts`).
 */
import { join } from "node:path";
import { MAX_ACCEPTED_SEGMENT_SECONDS } from "@classcam/protocol";
import type { Database } from "../db/database.js";
import { DomainError } from "./errors.js";

export const SEGMENT_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\\.ts$";
export const SEGMENT_NAME = new RegExp(SEGMENT_NAME_PATTERN);
export const SHA256_PATTERN = "^[0-9a-f]{64}$";
export const SHA256 = new RegExp(SHA256_PATTERN);
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The playlist's file name in a recording's folder (never a segment name: no `.ts`). */
export const PLAYLIST = "index.m3u8";
/** The largest segment accepted (a few seconds of classroom video is a few MiB). */
export const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Segments in one manifest: an eight-hour recording in one-second segments, and some. */
export const MAX_MANIFEST_SEGMENTS = 30_000;
/** Where segments are written while they arrive, inside the recording's folder. */
export const INCOMING = ".incoming";

export interface ManifestSegment {
  /** Position in the recording (gaps are marked as discontinuities in the playlist). */
  seq: number;
  name: string;
  durationSeconds: number;
  bytes: number;
  /** Lower-case hex. */
  sha256: string;
}

export interface UploadProgress {
  receivedBytes: number;
  totalBytes: number;
  /** Segments stored and verified, in manifest order. */
  received: string[];
  complete: boolean;
}

export type FootageState =
  /** Only in the device's buffer; nobody asked for it. */
  | "on-device"
  /** The device was asked (to keep it, or because someone opened it) and has not started. */
  | "upload-requested"
  /** The device sent its manifest; `receivedBytes` of `totalBytes` are in. */
  | "uploading"
  /** Every segment is here and verified: it plays. */
  | "on-controller"
  /** On neither: deleted, or overwritten on the device before anyone kept it. */
  | "unavailable";

export interface FootageStatus {
  state: FootageState;
  receivedBytes: number | null;
  totalBytes: number | null;
}

/** What the footage status is worked out from: the recording and its uploads row. */
export interface FootageFacts {
  onController: boolean;
  onDevice: boolean;
  deleted: boolean;
  archiveState: string;
  upload?: {
    wanted_at: string | null;
    requested_at: string | null;
    manifest_at: string | null;
    total_bytes: number | null;
    received_bytes: number;
  };
}

/** Where a recording's footage is, for the recording's details. Pure. */
export function footageStatus(facts: FootageFacts): FootageStatus {
  const none = { receivedBytes: null, totalBytes: null };
  if (facts.onController) return { state: "on-controller", ...none };
  if (facts.deleted || !facts.onDevice) return { state: "unavailable", ...none };
  const { upload } = facts;
  if (upload?.manifest_at != null && upload.total_bytes !== null) {
    return {
      state: "uploading",
      receivedBytes: upload.received_bytes,
      totalBytes: upload.total_bytes,
    };
  }
  if (
    facts.archiveState === "uploading" ||
    upload?.wanted_at != null ||
    upload?.requested_at != null
  ) {
    return { state: "upload-requested", ...none };
  }
  return { state: "on-device", ...none };
}

/** What the controller holds of a recording's upload: what a device's "uploaded" is checked against. */
export interface HeldUpload {
  /** The device's manifest came through the upload routes. */
  manifest: boolean;
  /** Every segment arrived and the playlist was written (`uploads.completed_at`). */
  completed: boolean;
  onController: boolean;
  /** Segments in the manifest, and those stored and verified (length and SHA-256). */
  segments: number;
  verified: number;
  totalBytes: number;
  receivedBytes: number;
}

/** What the controller holds of a recording's upload (nothing, when none was ever asked for). */
export async function heldUpload(
  db: Pick<Database, "get">,
  recordingId: string,
): Promise<HeldUpload> {
  const row = await db.get<{
    manifest: number;
    completed: number;
    on_controller: number;
    segments: number;
    verified: number;
    total_bytes: number;
    received_bytes: number;
  }>(
    `SELECT u.manifest_at IS NOT NULL AS manifest, u.completed_at IS NOT NULL AS completed,
            r.on_controller, count(s.name) AS segments, count(s.received_at) AS verified,
            coalesce(u.total_bytes, 0) AS total_bytes,
            coalesce(sum(CASE WHEN s.received_at IS NOT NULL THEN s.bytes END), 0) AS received_bytes
     FROM uploads u JOIN recordings r ON r.id = u.recording_id
       LEFT JOIN upload_segments s ON s.recording_id = u.recording_id
     WHERE u.recording_id = ? GROUP BY u.recording_id`,
    [recordingId],
  );
  return {
    manifest: row?.manifest === 1,
    completed: row?.completed === 1,
    onController: row?.on_controller === 1,
    segments: row?.segments ?? 0,
    verified: row?.verified ?? 0,
    totalBytes: row?.total_bytes ?? 0,
    receivedBytes: row?.received_bytes ?? 0,
  };
}

/**
 * Why the controller does not hold the complete upload — in words for the
 * log — or null when it does: a manifest came, every segment in it is stored
 * and verified, and the recording is on the controller. Pure.
 */
export function uploadShortfall(held: HeldUpload): string | null {
  if (!held.manifest) return "nothing came through the upload routes (no manifest)";
  if (held.segments === 0) return "its manifest names no segments";
  if (held.verified < held.segments) {
    return (
      `the controller holds ${held.verified} of its ${held.segments} segments ` +
      `(${held.receivedBytes} of ${held.totalBytes} bytes)`
    );
  }
  if (!held.completed || !held.onController) {
    return "every segment is in but the upload was not finished on the controller";
  }
  return null;
}

/**
 * An upload refused with an HTTP status the domain's errors do not name:
 * 413 (too large), 415 (not raw bytes), 422 (bytes that do not match the
 * manifest), or 400 when the bytes stopped coming.
 */
export class UploadRefused extends Error {
  constructor(
    readonly statusCode: 400 | 413 | 415 | 422,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "UploadRefused";
  }
}

export interface FootageEvents {
  /** Someone who may view it opened footage that is only on the device: ask for it. */
  uploadWanted: [recordingId: string, deviceId: string];
  /** Every segment of an upload is in: the device's config no longer needs to protect it. */
  uploaded: [recordingId: string, deviceId: string];
}

/** A recording's folder: `<recordingsDir>/<recordingId>/`, for a recording id that is a UUID. */
export function recordingFolder(recordingsDir: string, recordingId: string): string {
  if (!UUID.test(recordingId)) throw new DomainError("invalid", "a recording id is a UUID");
  return join(recordingsDir, recordingId);
}

/** Checks a manifest beyond its schema: names, order, sizes. Throws naming the first problem. */
export function checkManifest(segments: readonly ManifestSegment[]): void {
  if (segments.length === 0) throw new DomainError("invalid", "the manifest has no segments");
  if (segments.length > MAX_MANIFEST_SEGMENTS) {
    throw new DomainError(
      "invalid",
      `the manifest has ${segments.length} segments; at most ${MAX_MANIFEST_SEGMENTS}`,
    );
  }
  const names = new Set<string>();
  const seqs = new Set<number>();
  for (const [i, s] of segments.entries()) {
    const at = `segments[${i}]`;
    if (!SEGMENT_NAME.test(s.name)) {
      throw new DomainError(
        "invalid",
        `${at}: '${s.name.slice(0, 80)}' is not a segment name (letters, digits, - and _, ending .ts; no folders)`,
      );
    }
    if (!Number.isSafeInteger(s.seq) || s.seq < 0) {
      throw new DomainError("invalid", `${at}: seq must be a whole number from 0`);
    }
    if (!Number.isSafeInteger(s.bytes) || s.bytes < 1 || s.bytes > MAX_SEGMENT_BYTES) {
      throw new DomainError(
        "invalid",
        `${at}: bytes must be from 1 to ${MAX_SEGMENT_BYTES} (the segment size limit)`,
      );
    }
    if (
      !Number.isFinite(s.durationSeconds) ||
      s.durationSeconds <= 0 ||
      s.durationSeconds > MAX_ACCEPTED_SEGMENT_SECONDS
    ) {
      throw new DomainError(
        "invalid",
        `${at}: durationSeconds must be above 0 and at most ${MAX_ACCEPTED_SEGMENT_SECONDS}`,
      );
    }
    if (!SHA256.test(s.sha256)) {
      throw new DomainError("invalid", `${at}: sha256 must be 64 lower-case hex digits`);
    }
    if (names.has(s.name)) throw new DomainError("invalid", `${at}: '${s.name}' appears twice`);
    if (seqs.has(s.seq)) throw new DomainError("invalid", `${at}: seq ${s.seq} appears twice`);
    names.add(s.name);
    seqs.add(s.seq);
  }
}

/** The VOD playlist for verified segments in order. */
export function vodPlaylist(
  segments: readonly Pick<ManifestSegment, "seq" | "name" | "durationSeconds">[],
): string {
  const target = Math.max(1, ...segments.map((s) => Math.ceil(s.durationSeconds)));
  const lines = [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    `#EXT-X-TARGETDURATION:${target}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
  ];
  let previous: number | null = null;
  for (const segment of segments) {
    // a segment the device lost leaves a gap: the player must not expect continuous timestamps
    if (previous !== null && segment.seq !== previous + 1) lines.push("#EXT-X-DISCONTINUITY");
    lines.push(`#EXTINF:${segment.durationSeconds.toFixed(6)},`, segment.name);
    previous = segment.seq;
  }
  lines.push("#EXT-X-ENDLIST", "");
  return lines.join("\n");
}
