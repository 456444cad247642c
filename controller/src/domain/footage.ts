/**
 * Footage on the controller. The receiving end of a device's upload: the
 * device sends a manifest of its HLS segments (name, length, SHA-256), then
 * each segment's bytes, which are hashed while they stream to a temporary
 * file and kept only when length and checksum match the manifest. Progress
 * lives in the database (`uploads`, `upload_segments`), so an upload that was
 * cut off resumes where it stopped. When every segment is in, a VOD playlist
 * is written and the recording is on the controller.
 *
 * The other end: the playlist and segments are served to whoever `decide()`
 * lets view the recording; asking for footage that is still only on the
 * device asks the device for it.
 *
 * No fastify here: the routes are in `routes/uploads.ts` and `routes/school.ts`.
 */
import { createHash, timingSafeEqual, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdir, open, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Database, Transaction } from "../db/database.js";
import { decide, type Person } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import type { Recordings } from "./recordings.js";
import { MAX_ACCEPTED_SEGMENT_SECONDS } from "@classcam/protocol";

/** Segment names: a plain file name ending in `.ts` — no folders, no dots before the end. */
export const SEGMENT_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\\.ts$";
const SEGMENT_NAME = new RegExp(SEGMENT_NAME_PATTERN);
export const SHA256_PATTERN = "^[0-9a-f]{64}$";
const SHA256 = new RegExp(SHA256_PATTERN);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The playlist's file name in a recording's folder (never a segment name: no `.ts`). */
export const PLAYLIST = "index.m3u8";
/** The largest segment accepted (a few seconds of classroom video is a few MiB). */
export const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Segments in one manifest: an eight-hour recording in one-second segments, and some. */
export const MAX_MANIFEST_SEGMENTS = 30_000;
/** Where segments are written while they arrive, inside the recording's folder. */
const INCOMING = ".incoming";

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

interface SegmentRow {
  seq: number;
  name: string;
  duration_seconds: number;
  bytes: number;
  sha256: string;
  received_at: string | null;
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

/** Makes a rename or a new file durable: the folder's entry is synced too. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
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

export class Footage extends EventEmitter<FootageEvents> {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly recordings: Recordings,
    /** One folder per recording: `<recordingsDir>/<recordingId>/`. */
    private readonly recordingsDir: string,
    private readonly clock: Clock = () => new Date(),
  ) {
    super();
  }

  private folder(recordingId: string): string {
    if (!UUID.test(recordingId)) throw new DomainError("invalid", "a recording id is a UUID");
    return join(this.recordingsDir, recordingId);
  }

  // ---------------------------------------------------------------- the device's side

  /**
   * Checks a device's `Authorization: Bearer <token>` against the one-time
   * token the custodian issued with its upload request (its SHA-256 is kept,
   * compared in constant time). A token is good until the upload it was
   * issued for is over, or a newer request replaces it.
   */
  async authenticate(recordingId: string, authorization: string | undefined): Promise<void> {
    const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,200})$/.exec(authorization ?? "");
    if (!match?.[1]) {
      throw new DomainError(
        "unauthorised",
        "the upload routes need the device's upload token: Authorization: Bearer <token>",
      );
    }
    if (!UUID.test(recordingId)) throw new DomainError("invalid", "a recording id is a UUID");
    const row = await this.db.get<{ upload_token_hash: string | null }>(
      "SELECT upload_token_hash FROM recordings WHERE id = ? AND deleted_at IS NULL",
      [recordingId],
    );
    const given = Buffer.from(sha256Hex(match[1]));
    const expected = Buffer.from(row?.upload_token_hash ?? "-".repeat(64));
    const same = given.length === expected.length && timingSafeEqual(given, expected);
    if (!same || !row?.upload_token_hash) {
      throw new DomainError(
        "unauthorised",
        "the upload token is wrong, or the upload it was issued for is over " +
          "(each upload request brings a new token)",
      );
    }
  }

  /** Checks a manifest beyond its schema: names, order, sizes. Throws naming the first problem. */
  private checkManifest(segments: readonly ManifestSegment[]): void {
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

  /**
   * The device's list of segments. Segments already stored with the same
   * length and checksum stay stored (that is how an upload resumes); anything
   * else the manifest no longer names is dropped. Answers which segments are
   * in, and whether that is all of them.
   */
  async putManifest(
    recordingId: string,
    segments: readonly ManifestSegment[],
  ): Promise<{ received: string[]; complete: boolean }> {
    this.checkManifest(segments);
    const folder = this.folder(recordingId);
    const ordered = [...segments].sort((a, b) => a.seq - b.seq);
    const now = this.clock().toISOString();
    const { stale, complete, received } = await this.db.transaction(async (tx) => {
      const recording = await tx.get<{ on_controller: number; ended_at: string | null }>(
        "SELECT on_controller, ended_at FROM recordings WHERE id = ? AND deleted_at IS NULL",
        [recordingId],
      );
      if (!recording) throw new DomainError("not-found", `no recording '${recordingId}'`);
      if (recording.ended_at === null) {
        throw new DomainError("conflict", "the recording is still in progress");
      }
      const before = await tx.all<SegmentRow>(
        "SELECT * FROM upload_segments WHERE recording_id = ?",
        [recordingId],
      );
      const old = new Map(before.map((row) => [row.name, row]));
      const upload = await tx.get<{ completed_at: string | null }>(
        "SELECT completed_at FROM uploads WHERE recording_id = ?",
        [recordingId],
      );
      const same = (s: ManifestSegment, row: SegmentRow | undefined) =>
        row !== undefined &&
        row.seq === s.seq &&
        row.bytes === s.bytes &&
        row.sha256 === s.sha256 &&
        row.duration_seconds === s.durationSeconds;
      if (upload?.completed_at != null && recording.on_controller === 1) {
        if (before.length === ordered.length && ordered.every((s) => same(s, old.get(s.name)))) {
          return { stale: [], complete: true, received: ordered.map((s) => s.name) };
        }
        throw new DomainError(
          "conflict",
          "the controller already holds this recording's footage, with a different manifest",
        );
      }
      const rows = ordered.map((s) => ({
        ...s,
        receivedAt: same(s, old.get(s.name)) ? (old.get(s.name)?.received_at ?? null) : null,
      }));
      await tx.run("DELETE FROM upload_segments WHERE recording_id = ?", [recordingId]);
      await tx.run(
        `INSERT INTO upload_segments
           (recording_id, seq, name, duration_seconds, bytes, sha256, received_at)
         SELECT ?, value ->> 'seq', value ->> 'name', value ->> 'durationSeconds',
                value ->> 'bytes', value ->> 'sha256', value ->> 'receivedAt'
         FROM json_each(?)`,
        [recordingId, JSON.stringify(rows)],
      );
      const total = rows.reduce((sum, s) => sum + s.bytes, 0);
      const receivedRows = rows.filter((s) => s.receivedAt !== null);
      await tx.run(
        `INSERT INTO uploads (recording_id, manifest_at, total_bytes, received_bytes)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (recording_id) DO UPDATE SET manifest_at = excluded.manifest_at,
           total_bytes = excluded.total_bytes, received_bytes = excluded.received_bytes,
           completed_at = NULL`,
        [recordingId, now, total, receivedRows.reduce((sum, s) => sum + s.bytes, 0)],
      );
      const kept = new Set(receivedRows.map((s) => s.name));
      return {
        stale: before.filter((row) => row.received_at !== null && !kept.has(row.name)),
        complete: receivedRows.length === rows.length,
        received: receivedRows.map((s) => s.name),
      };
    });
    // files the new manifest does not vouch for go (the database no longer counts them)
    for (const row of stale) await rm(join(folder, row.name), { force: true });
    if (complete) await this.finish(recordingId);
    return { received, complete };
  }

  /**
   * One segment's bytes, streamed to a temporary file and hashed on the way.
   * Kept (synced, then renamed into the recording's folder) only when the
   * length and SHA-256 match the manifest; otherwise nothing is kept.
   */
  async receiveSegment(
    recordingId: string,
    name: string,
    body: Readable,
    declared: { sha256: string | undefined; contentLength: number | undefined },
  ): Promise<{ name: string; receivedBytes: number; totalBytes: number; complete: boolean }> {
    const folder = this.folder(recordingId);
    if (!SEGMENT_NAME.test(name)) {
      throw new DomainError(
        "invalid",
        `'${name.slice(0, 80)}' is not a segment name (letters, digits, - and _, ending .ts; no folders)`,
      );
    }
    const segment = await this.db.get<SegmentRow>(
      "SELECT * FROM upload_segments WHERE recording_id = ? AND name = ?",
      [recordingId, name],
    );
    if (!segment) {
      const manifest = await this.db.get(
        "SELECT 1 FROM uploads WHERE recording_id = ? AND manifest_at IS NOT NULL",
        [recordingId],
      );
      if (!manifest) {
        throw new DomainError("conflict", "send the manifest first (PUT …/manifest)");
      }
      throw new DomainError("invalid", `segment '${name}' is not in the manifest`);
    }
    if (declared.sha256 === undefined) {
      throw new DomainError("invalid", "send the segment's SHA-256 in the X-Content-SHA256 header");
    }
    if (!SHA256.test(declared.sha256)) {
      throw new DomainError("invalid", "X-Content-SHA256 must be 64 lower-case hex digits");
    }
    if (declared.sha256 !== segment.sha256) {
      throw new UploadRefused(
        422,
        "checksum-mismatch",
        `X-Content-SHA256 for ${name} is not the checksum the manifest gives for it; nothing was kept`,
      );
    }
    if (declared.contentLength !== undefined && declared.contentLength > MAX_SEGMENT_BYTES) {
      throw new UploadRefused(
        413,
        "segment-too-large",
        `a segment may be at most ${MAX_SEGMENT_BYTES} bytes; ${name} is ${declared.contentLength}`,
      );
    }
    if (declared.contentLength !== undefined && declared.contentLength !== segment.bytes) {
      throw new UploadRefused(
        422,
        "length-mismatch",
        `${name} is sent as ${declared.contentLength} bytes but the manifest says ${segment.bytes}; nothing was kept`,
      );
    }

    const incoming = join(folder, INCOMING);
    await mkdir(incoming, { recursive: true, mode: 0o750 });
    const temporary = join(incoming, `${name}.${randomUUID()}.part`);
    const hash = createHash("sha256");
    let length = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        length += chunk.length;
        if (length > MAX_SEGMENT_BYTES) {
          done(
            new UploadRefused(
              413,
              "segment-too-large",
              `a segment may be at most ${MAX_SEGMENT_BYTES} bytes; nothing was kept`,
            ),
          );
          return;
        }
        if (length > segment.bytes) {
          done(
            new UploadRefused(
              422,
              "length-mismatch",
              `${name} is longer than the ${segment.bytes} bytes the manifest says; nothing was kept`,
            ),
          );
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const file = await open(temporary, "wx", 0o640);
    let kept = false;
    try {
      try {
        // written through the handle itself, so it can be synced before it is closed
        const sink = new Writable({
          write(chunk: Buffer, _encoding, done) {
            writeAll(file, chunk).then(() => done(), done);
          },
        });
        await pipeline(body, meter, sink);
      } catch (error) {
        if (error instanceof UploadRefused) throw error;
        if (
          body.readableAborted ||
          body.destroyed ||
          (error as { code?: string }).code === "ECONNRESET"
        ) {
          throw new UploadRefused(
            400,
            "upload-cut-off",
            `${name}: the bytes stopped coming after ${length} of ${segment.bytes}; nothing was kept`,
          );
        }
        throw error;
      }
      if (length !== segment.bytes) {
        throw new UploadRefused(
          422,
          "length-mismatch",
          `${name} arrived as ${length} bytes but the manifest says ${segment.bytes}; nothing was kept`,
        );
      }
      const digest = hash.digest("hex");
      if (digest !== segment.sha256) {
        throw new UploadRefused(
          422,
          "checksum-mismatch",
          `${name}: the bytes that arrived do not match the manifest's SHA-256 ` +
            `(they hash to ${digest}); nothing was kept`,
        );
      }
      await file.sync();
      await file.close();
      await rename(temporary, join(folder, name));
      await syncFolder(folder);
      kept = true;
    } finally {
      if (!kept) {
        await file.close().catch(() => undefined);
        await rm(temporary, { force: true });
      }
    }

    const progress = await this.db.transaction(async (tx) => {
      const { changes } = await tx.run(
        `UPDATE upload_segments SET received_at = coalesce(received_at, ?)
         WHERE recording_id = ? AND name = ? AND bytes = ? AND sha256 = ?`,
        [this.clock().toISOString(), recordingId, name, segment.bytes, segment.sha256],
      );
      if (changes === 0) {
        throw new DomainError(
          "conflict",
          `the manifest changed while ${name} was being sent; send the manifest again`,
        );
      }
      return this.recount(tx, recordingId);
    });
    if (progress.complete) await this.finish(recordingId);
    return {
      name,
      receivedBytes: progress.receivedBytes,
      totalBytes: progress.totalBytes,
      complete: progress.complete,
    };
  }

  /** Brings `received_bytes` up to date; `complete` when every segment is in. */
  private async recount(
    tx: Transaction,
    recordingId: string,
  ): Promise<{ receivedBytes: number; totalBytes: number; complete: boolean }> {
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

  /** Every segment is in: write the playlist, then mark the recording on the controller. */
  private async finish(recordingId: string): Promise<void> {
    const folder = this.folder(recordingId);
    const segments = await this.db.all<SegmentRow>(
      "SELECT * FROM upload_segments WHERE recording_id = ? ORDER BY seq",
      [recordingId],
    );
    if (segments.length === 0 || segments.some((s) => s.received_at === null)) return;
    const playlist = vodPlaylist(
      segments.map((s) => ({ seq: s.seq, name: s.name, durationSeconds: s.duration_seconds })),
    );
    const temporary = join(folder, `${PLAYLIST}.${randomUUID()}.part`);
    await writeFile(temporary, playlist, { mode: 0o640, flush: true });
    await rename(temporary, join(folder, PLAYLIST));
    await syncFolder(folder);
    const bytes = segments.reduce((sum, s) => sum + s.bytes, 0);
    const deviceId = await this.db.transaction(async (tx) => {
      const { changes } = await tx.run(
        "UPDATE uploads SET completed_at = ? WHERE recording_id = ? AND completed_at IS NULL",
        [this.clock().toISOString(), recordingId],
      );
      if (changes === 0) return null; // finished by a concurrent request
      await tx.run("UPDATE recordings SET on_controller = 1 WHERE id = ?", [recordingId]);
      const row = await tx.get<{ device_id: string }>(
        "SELECT device_id FROM recordings WHERE id = ?",
        [recordingId],
      );
      await this.audit.append(tx, {
        actor: row?.device_id ?? "system",
        action: "footage.upload-complete",
        subject: recordingId,
        detail: { segments: segments.length, bytes },
      });
      return row?.device_id ?? null;
    });
    await rm(join(folder, INCOMING), { recursive: true, force: true });
    if (deviceId !== null) this.emit("uploaded", recordingId, deviceId);
  }

  /** How far the upload got. */
  async progress(recordingId: string): Promise<UploadProgress> {
    this.folder(recordingId);
    const upload = await this.db.get<{ total_bytes: number | null; completed_at: string | null }>(
      "SELECT total_bytes, completed_at FROM uploads WHERE recording_id = ?",
      [recordingId],
    );
    const received = await this.db.all<{ name: string; bytes: number }>(
      `SELECT name, bytes FROM upload_segments WHERE recording_id = ? AND received_at IS NOT NULL
       ORDER BY seq`,
      [recordingId],
    );
    return {
      receivedBytes: received.reduce((sum, s) => sum + s.bytes, 0),
      totalBytes: upload?.total_bytes ?? 0,
      received: received.map((s) => s.name),
      complete: upload?.completed_at != null,
    };
  }

  // ---------------------------------------------------------------- the viewer's side

  /** `decide()`'s answer to viewing, or its reason as a 403. */
  private async mayView(person: Person, recordingId: string) {
    this.folder(recordingId);
    const access = await this.recordings.accessOf(null, recordingId);
    const decision = decide(person, "view", access, this.clock());
    if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
    if (access.row.deleted_at !== null) {
      throw new DomainError("not-found", "the recording has been deleted");
    }
    return { row: access.row, basis: decision.basis };
  }

  /**
   * The playlist's file, for someone who may view the recording (audited as
   * playing it). Footage still only on the device is asked for — the device
   * is asked to upload it — and answered as not here yet.
   */
  async playlist(person: Person, recordingId: string): Promise<string> {
    const { row, basis } = await this.mayView(person, recordingId);
    const path = join(this.folder(recordingId), PLAYLIST);
    if (row.on_controller === 1) {
      if (!(await exists(path))) {
        throw new DomainError("not-found", "the footage's playlist is missing on the controller");
      }
      await this.audit.record({
        actor: person.id,
        action: "footage.play",
        subject: recordingId,
        detail: { basis },
      });
      return path;
    }
    if (row.ended_at === null) {
      throw new DomainError(
        "not-found",
        "the recording is still in progress; open it when it ends",
      );
    }
    if (row.on_device === 0) {
      throw new DomainError(
        "not-found",
        "the footage is no longer on the classroom device nor on the controller",
      );
    }
    await this.db.transaction(async (tx) => {
      const { changes } = await tx.run(
        `INSERT INTO uploads (recording_id, wanted_at, wanted_by) VALUES (?, ?, ?)
         ON CONFLICT (recording_id) DO UPDATE SET wanted_at = excluded.wanted_at,
           wanted_by = excluded.wanted_by WHERE wanted_at IS NULL`,
        [recordingId, this.clock().toISOString(), person.id],
      );
      if (changes > 0) {
        await this.audit.append(tx, {
          actor: person.id,
          action: "footage.upload-request",
          subject: recordingId,
          detail: { basis, device: row.device_id },
        });
      }
    });
    this.emit("uploadWanted", recordingId, row.device_id);
    throw new DomainError(
      "not-found",
      "the footage is not on the controller yet: the classroom device has been asked to " +
        "upload it; try again in a moment",
    );
  }

  /** A verified segment's file, for someone who may view the recording. */
  async segment(person: Person, recordingId: string, name: string): Promise<string> {
    if (!SEGMENT_NAME.test(name)) {
      throw new DomainError("invalid", `'${name.slice(0, 80)}' is not a segment name`);
    }
    const { row } = await this.mayView(person, recordingId);
    if (row.on_controller !== 1) {
      throw new DomainError("not-found", "the footage is not on the controller yet");
    }
    const known = await this.db.get(
      `SELECT 1 FROM upload_segments WHERE recording_id = ? AND name = ? AND received_at IS NOT NULL`,
      [recordingId, name],
    );
    const path = join(this.folder(recordingId), name);
    if (!known || !(await exists(path))) {
      throw new DomainError("not-found", `no segment '${name}' in this recording's footage`);
    }
    return path;
  }
}

/** Writes every byte of `chunk` at the handle's position (a write may take only part). */
async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length;) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
