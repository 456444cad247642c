/**
 * Footage on the controller, the receiving end of a device's upload: the
 * device sends a manifest of its HLS segments (name, length, SHA-256), then
 * each segment's bytes, which are hashed while they stream to a temporary
 * file and kept only when length and checksum match the manifest. Progress
 * lives in the database (`uploads`, `upload_segments`), so an upload that was
 * cut off resumes where it stopped. When every segment is in, a VOD playlist
 * is written and the recording is on the controller. Footage sealed on its
 * box comes with its sealed key in the manifest (kept by `footage-keys.ts`)
 * and is stored as it arrives: encrypted.
 *
 * No fastify here: the routes are in `routes/uploads.ts`.
 */
import { createHash, timingSafeEqual, randomUUID } from "node:crypto";
import type { EventEmitter } from "node:events";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { Database } from "../db/database.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import {
  checkManifest,
  INCOMING,
  MAX_SEGMENT_BYTES,
  PLAYLIST,
  recordingFolder,
  SEGMENT_NAME,
  SHA256,
  UploadRefused,
  UUID,
  vodPlaylist,
  type FootageEvents,
  type ManifestSegment,
  type UploadProgress,
} from "./footage-facts.js";
import type { FootageKeys } from "./footage-keys.js";
import type { UploadPriority } from "./footage-live.js";
import { notify } from "./notifications.js";
import { SegmentCommits } from "./footage-commit.js";
import { keepSegment, syncFolder } from "./footage-segment-file.js";

interface SegmentRow {
  seq: number;
  name: string;
  duration_seconds: number;
  bytes: number;
  sha256: string;
  received_at: string | null;
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

export class FootageUploads {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    /** One folder per recording: `<recordingsDir>/<recordingId>/`. */
    private readonly recordingsDir: string,
    private readonly clock: Clock,
    /** Where `uploaded` is announced. */
    private readonly events: EventEmitter<FootageEvents>,
    /** Where viewers wait: the answers name the segment to send next (`next`). */
    private readonly priority: UploadPriority,
    /** Where a manifest's sealed key is checked and kept. */
    private readonly keys: FootageKeys,
  ) {
    this.commits = new SegmentCommits(db, clock, syncFolder);
  }

  /** Segments that finish together are made durable and counted together. */
  private readonly commits: SegmentCommits;

  /** The answer's `next`, when a viewer waits for a segment that has not arrived. */
  private async next(recordingId: string, complete: boolean): Promise<{ next?: string }> {
    if (complete) return {};
    const next = await this.priority.next(this.db, recordingId);
    return next === undefined ? {} : { next };
  }

  private folder(recordingId: string): string {
    return recordingFolder(this.recordingsDir, recordingId);
  }

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

  /**
   * The device's list of segments. Segments already stored with the same
   * length and checksum stay stored (that is how an upload resumes); anything
   * else the manifest no longer names is dropped. Answers which segments are
   * in, and whether that is all of them. `sealedKey`: the content key of
   * footage sealed on the box (refused when this controller cannot open it).
   */
  async putManifest(
    recordingId: string,
    segments: readonly ManifestSegment[],
    sealedKey?: string,
  ): Promise<{ received: string[]; complete: boolean; next?: string }> {
    checkManifest(segments);
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
      if (sealedKey !== undefined) await this.keys.store(tx, recordingId, sealedKey, now);
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
    return { received, complete, ...(await this.next(recordingId, complete)) };
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
  ): Promise<{
    name: string;
    receivedBytes: number;
    totalBytes: number;
    complete: boolean;
    next?: string;
  }> {
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

    await keepSegment(folder, name, body, segment);
    // counted once its folder entry is durable too, with the segments finishing alongside it
    const progress = await this.commits.count({
      recordingId,
      folder,
      name,
      bytes: segment.bytes,
      sha256: segment.sha256,
    });
    if (progress.complete) await this.finish(recordingId);
    return {
      name,
      receivedBytes: progress.receivedBytes,
      totalBytes: progress.totalBytes,
      complete: progress.complete,
      ...(await this.next(recordingId, progress.complete)),
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
      // whoever asked to watch it while it was only on the box is told it is here
      const upload = await tx.get<{ wanted_by: string | null }>(
        "SELECT wanted_by FROM uploads WHERE recording_id = ?",
        [recordingId],
      );
      if (upload?.wanted_by != null) {
        await notify(tx, {
          userId: upload.wanted_by,
          kind: "upload-ready",
          subject: "A recording you asked to watch is now on the school's server",
          link: `recordings/${recordingId}`,
          at: this.clock(),
        });
      }
      return row?.device_id ?? null;
    });
    await rm(join(folder, INCOMING), { recursive: true, force: true });
    this.priority.forget(recordingId);
    if (deviceId !== null) this.events.emit("uploaded", recordingId, deviceId);
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
}
