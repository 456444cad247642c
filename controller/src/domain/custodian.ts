/**
 * The custodian carries out the rules on the fleet: it composes each device's
 * configuration (schedule, retention, holds, uploads) from the timetable and
 * policy and pushes it when it changes; it runs the retention sweep, deleting
 * what is due on the controller and asking devices to delete their copies;
 * and it asks devices to upload the recordings everyone agreed to keep, and
 * those someone opened to watch while they were only on the device (the
 * device protects both meanwhile: they are in its config's `uploads`). Every
 * deletion is recorded in `deletions` and audited.
 */
import { createHash, randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import {
  bufferExpiredIfEndedBy,
  type DeviceResponse,
  type RequestArgs,
  type RequestOp,
} from "@classcam/protocol";
import type { Database } from "../db/database.js";
import type { AuditLog } from "./audit.js";
import { deviceSchedule } from "./bookings.js";
import type { Clock } from "./clock.js";
import type { DeviceRegistry } from "./devices.js";
import { heldUpload, uploadShortfall } from "./footage-facts.js";
import type { PolicyStore } from "./policy.js";
import { planSweep, type DeletionReason, type RetainedRecording } from "./retention.js";
import type { Timetable } from "./timetable.js";

/** How the custodian reaches devices (the broker in production). */
export interface DeviceLink {
  isConnected(deviceId: string): boolean;
  request<Op extends RequestOp>(
    deviceId: string,
    op: Op,
    args: RequestArgs<Op>,
    timeoutMs?: number,
  ): Promise<DeviceResponse<Op>>;
}

export interface CustodianOptions {
  /** Where uploaded recordings live on the controller (one folder per recording). */
  recordingsDir: string;
  /** The URL a device uploads a recording to. */
  uploadUrl: (recordingId: string) => string;
  /** Where the copies with faces blurred live (one folder per recording); they go with it. */
  renditionsDir?: string;
  /** How long a device may take over an upload before it is asked again. */
  uploadTimeoutMs?: number;
  /** Device requests in flight at once. */
  concurrency?: number;
}

export interface SweepReport {
  at: string;
  examined: number;
  controllerDeleted: { recordingId: string; reason: DeletionReason }[];
  deviceRequested: { recordingId: string; deviceId: string; reason: DeletionReason }[];
}

export class Custodian {
  private readonly inFlight = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly policy: PolicyStore,
    private readonly timetable: Timetable,
    private readonly devices: DeviceRegistry,
    private readonly link: DeviceLink,
    private readonly logger: Logger,
    private readonly options: CustodianOptions,
    private readonly clock: Clock = () => new Date(),
  ) {}

  /** Config refreshes under way, per device: one at a time, so a change is pushed once. */
  private readonly refreshing = new Map<string, Promise<unknown>>();

  /** Pushes the device's configuration again if what it should say has changed. */
  refreshConfig(deviceId: string): Promise<boolean> {
    const before = this.refreshing.get(deviceId) ?? Promise.resolve();
    const run = before.then(() => this.refreshConfigNow(deviceId));
    const settled = run.catch(() => undefined);
    this.refreshing.set(deviceId, settled);
    void settled.then(() => {
      if (this.refreshing.get(deviceId) === settled) this.refreshing.delete(deviceId);
    });
    return run;
  }

  private async refreshConfigNow(deviceId: string): Promise<boolean> {
    const device = await this.devices.get(deviceId);
    if (!device || device.status === "retired") return false;
    const now = this.clock();
    const policy = await this.policy.get();
    const bookings = await this.timetable.upcoming(null, deviceId);
    const holds = await this.db.all<{ id: string }>(
      `SELECT DISTINCT r.id FROM holds h JOIN recordings r ON r.id = h.recording_id
       WHERE r.device_id = ? AND h.released_at IS NULL AND r.on_device = 1 ORDER BY r.id`,
      [deviceId],
    );
    const uploads = await this.db.all<{ id: string }>(
      `SELECT r.id FROM recordings r LEFT JOIN uploads u ON u.recording_id = r.id
       WHERE r.device_id = ? AND r.on_device = 1 AND r.deleted_at IS NULL
         AND (r.archive_state = 'uploading' OR (u.wanted_at IS NOT NULL AND r.on_controller = 0))
       ORDER BY r.id`,
      [deviceId],
    );
    const wanted = {
      schedule: deviceSchedule(bookings, deviceId, now),
      retention: { bufferDays: policy.retention.bufferDays },
      policy: {
        allowUnbookedRecording: policy.bookings.allowUnbookedRecording,
        spokenNotice: policy.spokenNotice,
      },
      holds: holds.map((h) => h.id),
      uploads: uploads.map((u) => u.id),
    };
    const current = device.config;
    const same =
      JSON.stringify(wanted) ===
      JSON.stringify({
        schedule: current.schedule,
        retention: current.retention,
        policy: current.policy,
        holds: current.holds,
        uploads: current.uploads ?? [],
      });
    if (same) return false;
    await this.devices.updateConfig(deviceId, wanted);
    return true;
  }

  async refreshAll(): Promise<number> {
    let changed = 0;
    for (const device of await this.devices.list()) {
      if (device.status !== "retired" && (await this.refreshConfig(device.id))) changed += 1;
    }
    return changed;
  }

  /** One retention sweep: deletes what is due here, asks devices to delete theirs. */
  sweep(): Promise<SweepReport> {
    const run = this.busy.then(() => this.sweepNow());
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async sweepNow(): Promise<SweepReport> {
    const now = this.clock();
    const policy = await this.policy.get();
    const cutoff = bufferExpiredIfEndedBy(now, policy.retention.bufferDays).toISOString();
    const rows = await this.db.all<{
      id: string;
      device_id: string;
      ended_at: string;
      archive_state: string;
      archived_at: string | null;
      exemplar: number;
      deletion_requested_at: string | null;
      on_device: number;
      on_controller: number;
      held: number;
    }>(
      `SELECT r.id, r.device_id, r.ended_at, r.archive_state, r.archived_at, r.exemplar,
              r.deletion_requested_at, r.on_device, r.on_controller,
              EXISTS (SELECT 1 FROM holds h WHERE h.recording_id = r.id AND h.released_at IS NULL) AS held
       FROM recordings r
       WHERE r.deleted_at IS NULL AND r.ended_at IS NOT NULL
         AND (r.deletion_requested_at IS NOT NULL OR r.ended_at <= ?)
         -- a device deletion already queued is not planned again (unless a controller copy remains)
         AND (r.on_controller = 1 OR NOT EXISTS
               (SELECT 1 FROM deletions d WHERE d.recording_id = r.id AND d.copy = 'device'))`,
      [cutoff],
    );
    const recordings: RetainedRecording[] = rows.map((row) => ({
      recordingId: row.id,
      deviceId: row.device_id,
      endedAt: row.ended_at,
      // footage awaiting upload is protected like footage on hold
      onHold: row.held === 1 || row.archive_state === "uploading",
      archive:
        row.archive_state === "archived" && row.archived_at !== null
          ? { archivedAt: row.archived_at, exemplar: row.exemplar === 1 }
          : null,
      deletionRequestedAt: row.deletion_requested_at,
      onDevice: row.on_device === 1,
      onController: row.on_controller === 1,
    }));
    const plan = planSweep(recordings, policy.retention, now);
    for (const { recordingId, reason } of plan.controller) {
      await this.deleteControllerCopy(recordingId, reason);
    }
    if (plan.devices.length > 0) {
      await this.db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO deletions (recording_id, copy, reason, requested_at)
           SELECT value ->> 'recordingId', 'device', value ->> 'reason', ? FROM json_each(?)
           WHERE true ON CONFLICT (recording_id, copy) DO NOTHING`,
          [now.toISOString(), JSON.stringify(plan.devices)],
        );
        // a request to keep that ran out of time goes with the footage
        await tx.run(
          `UPDATE recordings SET archive_state = 'none' WHERE archive_state = 'awaiting-consent'
             AND id IN (SELECT value FROM json_each(?))`,
          [JSON.stringify(plan.devices.map((d) => d.recordingId))],
        );
      });
    }
    await this.deliver();
    const report: SweepReport = {
      at: now.toISOString(),
      examined: rows.length,
      controllerDeleted: plan.controller,
      deviceRequested: plan.devices,
    };
    if (plan.controller.length > 0 || plan.devices.length > 0) {
      this.logger.info(
        {
          examined: rows.length,
          controller: plan.controller.length,
          devices: plan.devices.length,
        },
        "retention sweep",
      );
    }
    return report;
  }

  /** Deletes the controller's copy (idempotent: the files go first, then the record). */
  private async deleteControllerCopy(recordingId: string, reason: string): Promise<void> {
    await rm(join(this.options.recordingsDir, recordingId), { recursive: true, force: true });
    const { renditionsDir } = this.options;
    if (renditionsDir !== undefined) {
      await rm(join(renditionsDir, recordingId), { recursive: true, force: true });
    }
    const at = this.clock().toISOString();
    await this.db.transaction(async (tx) => {
      const held = await tx.get(
        "SELECT 1 FROM holds WHERE recording_id = ? AND released_at IS NULL",
        [recordingId],
      );
      if (held) throw new Error(`recording ${recordingId} is on hold; not deleting it`);
      await tx.run("UPDATE recordings SET on_controller = 0 WHERE id = ?", [recordingId]);
      // the upload's record goes with the files: a later request starts afresh
      await tx.run("DELETE FROM upload_segments WHERE recording_id = ?", [recordingId]);
      await tx.run("DELETE FROM uploads WHERE recording_id = ?", [recordingId]);
      await tx.run("DELETE FROM renditions WHERE recording_id = ?", [recordingId]);
      // the sealed key goes too: a copy of the footage left anywhere (a backup) no longer opens
      const erased = await tx.run("DELETE FROM recording_keys WHERE recording_id = ?", [
        recordingId,
      ]);
      // and the key of its copy with faces blurred (removed with its files above)
      await tx.run("DELETE FROM copy_keys WHERE kind = 'rendition' AND copy_id = ?", [recordingId]);
      await tx.run(
        `INSERT INTO deletions (recording_id, copy, reason, requested_at, done_at)
         VALUES (?, 'controller', ?, ?, ?)
         ON CONFLICT (recording_id, copy) DO UPDATE SET reason = excluded.reason, done_at = excluded.done_at`,
        [recordingId, reason, at, at],
      );
      await tx.run(
        "UPDATE recordings SET deleted_at = ? WHERE id = ? AND on_device = 0 AND deleted_at IS NULL",
        [at, recordingId],
      );
      await this.audit.append(tx, {
        actor: "system",
        action: "footage.delete",
        subject: recordingId,
        detail: { copy: "controller", reason, ...(erased.changes > 0 && { keyErased: true }) },
      });
    });
  }

  /** Sends what devices are waiting for: deletions and uploads, to the devices that are online. */
  async deliver(): Promise<void> {
    const deletions = await this.db.all<{
      recording_id: string;
      device_id: string;
      reason: string;
    }>(
      `SELECT d.recording_id, r.device_id, d.reason FROM deletions d
         JOIN recordings r ON r.id = d.recording_id
       WHERE d.copy = 'device' AND d.done_at IS NULL ORDER BY d.id LIMIT 1000`,
    );
    // footage someone is waiting to watch first, then archives in the order they were agreed
    const uploads = await this.db.all<{ id: string; device_id: string }>(
      `SELECT r.id, r.device_id FROM recordings r LEFT JOIN uploads u ON u.recording_id = r.id
       WHERE r.on_controller = 0 AND r.on_device = 1 AND r.deleted_at IS NULL
         AND r.ended_at IS NOT NULL
         AND (r.archive_state = 'uploading' OR u.wanted_at IS NOT NULL)
       ORDER BY u.wanted_at IS NULL, u.wanted_at, r.archive_requested_at`,
    );
    // uploads that finished on the controller whose device's answer was lost
    const finished = await this.db.all<{ id: string; device_id: string }>(
      `SELECT r.id, r.device_id FROM recordings r JOIN uploads u ON u.recording_id = r.id
       WHERE r.archive_state = 'uploading' AND r.on_controller = 1 AND r.deleted_at IS NULL
         AND u.completed_at IS NOT NULL`,
    );
    const work: (() => Promise<void>)[] = [];
    for (const d of deletions) {
      const key = `delete:${d.recording_id}`;
      if (this.inFlight.has(key) || !this.link.isConnected(d.device_id)) continue;
      work.push(() =>
        this.track(key, () => this.deleteOnDevice(d.recording_id, d.device_id, d.reason)),
      );
    }
    for (const u of uploads) {
      const key = `upload:${u.id}`;
      if (this.inFlight.has(key) || !this.link.isConnected(u.device_id)) continue;
      work.push(() => this.track(key, () => this.upload(u.id, u.device_id)));
    }
    for (const f of finished) {
      const key = `upload:${f.id}`;
      if (this.inFlight.has(key)) continue;
      work.push(() => this.track(key, () => this.finishUpload(f.id, f.device_id)));
    }
    const concurrency = this.options.concurrency ?? 8;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, work.length) }, async () => {
        for (let job = work.shift(); job; job = work.shift()) await job();
      }),
    );
  }

  private async track(key: string, job: () => Promise<void>): Promise<void> {
    this.inFlight.add(key);
    try {
      await job();
    } catch (error) {
      this.logger.warn({ err: error, job: key }, "device request failed; it is tried again later");
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async deleteOnDevice(
    recordingId: string,
    deviceId: string,
    reason: string,
  ): Promise<void> {
    const response = await this.link.request(deviceId, "delete-recording", { recordingId });
    if (response.status !== "ok") throw new Error(`device refused deletion: ${response.error}`);
    const at = this.clock().toISOString();
    await this.db.transaction(async (tx) => {
      const { changes } = await tx.run(
        "UPDATE deletions SET done_at = ?, bytes = ? WHERE recording_id = ? AND copy = 'device' AND done_at IS NULL",
        [at, response.data.bytes, recordingId],
      );
      if (changes === 0) return; // the device reported it itself meanwhile
      await tx.run("UPDATE recordings SET on_device = 0 WHERE id = ?", [recordingId]);
      await tx.run(
        "UPDATE recordings SET deleted_at = ? WHERE id = ? AND on_controller = 0 AND deleted_at IS NULL",
        [at, recordingId],
      );
      await this.audit.append(tx, {
        actor: "system",
        action: "footage.delete",
        subject: recordingId,
        detail: { copy: "device", device: deviceId, reason, bytes: response.data.bytes },
      });
    });
  }

  /**
   * Asks the device to upload the recording. Its answer is not taken on
   * trust: the recording is on the controller only when the controller holds
   * the complete upload (every segment of the manifest in and verified). An
   * `ok` without that is refused like a device's error — logged with what is
   * missing, still pending, asked again (with a new token) at the next
   * delivery. An upload that is complete here counts whatever the answer.
   */
  private async upload(recordingId: string, deviceId: string): Promise<void> {
    // the device's config protects the footage (its `uploads`) before the device is asked for it,
    // so an upload that fails or is refused leaves it protected, not overwritable
    await this.refreshConfig(deviceId);
    const token = await this.tokenFor(recordingId);
    const response = await this.link.request(
      deviceId,
      "upload-recording",
      { recordingId, url: this.options.uploadUrl(recordingId), token },
      this.options.uploadTimeoutMs ?? 2 * 60 * 60_000,
    );
    const held = await heldUpload(this.db, recordingId);
    const missing = uploadShortfall(held);
    if (missing !== null) {
      if (response.status !== "ok") throw new Error(`device could not upload: ${response.error}`);
      throw new Error(
        `device reported recording ${recordingId} uploaded, but ${missing}; ` +
          "it is not taken as on the controller",
      );
    }
    if (response.status !== "ok") {
      this.logger.warn(
        { recordingId, deviceId, error: response.error },
        "device answered an upload with an error, but the controller holds all of it",
      );
    } else if (
      response.data.segments !== held.segments ||
      response.data.bytes !== held.receivedBytes
    ) {
      this.logger.warn(
        {
          recordingId,
          deviceId,
          reported: { segments: response.data.segments, bytes: response.data.bytes },
          held: { segments: held.segments, bytes: held.receivedBytes },
        },
        "device reported other counts than the controller verified; the audit has the controller's",
      );
    }
    await this.finishUpload(recordingId, deviceId);
  }

  /**
   * The footage is on the controller (the upload finished through the upload
   * routes: every segment verified): an archive is complete; footage fetched
   * to be watched stays as a viewing copy (buffer retention applies to it as
   * to the device's); a copy nobody wants any more (consent was withdrawn
   * meanwhile) goes at once. The audit states what the controller verified,
   * not what the device said.
   */
  private async finishUpload(recordingId: string, deviceId: string): Promise<void> {
    const at = this.clock().toISOString();
    const kept = await this.db.transaction(async (tx) => {
      const row = await tx.get<{ archive_state: string; on_controller: number; wanted: number }>(
        `SELECT archive_state, on_controller, EXISTS (SELECT 1 FROM uploads u
           WHERE u.recording_id = r.id AND u.wanted_at IS NOT NULL) AS wanted
         FROM recordings r WHERE id = ?`,
        [recordingId],
      );
      if (row?.on_controller !== 1) {
        // the copy went (a retention sweep) between the check and now: nothing to finish
        throw new Error(`recording ${recordingId}'s upload is no longer on the controller`);
      }
      // the token is spent: the upload is over
      await tx.run("UPDATE recordings SET upload_token_hash = NULL WHERE id = ?", [recordingId]);
      if (row.archive_state !== "uploading") return row.wanted === 1;
      const stored = await tx.get<{ segments: number; bytes: number }>(
        `SELECT count(*) AS segments, coalesce(sum(bytes), 0) AS bytes FROM upload_segments
         WHERE recording_id = ? AND received_at IS NOT NULL`,
        [recordingId],
      );
      await tx.run(
        "UPDATE recordings SET archive_state = 'archived', archived_at = ? WHERE id = ?",
        [at, recordingId],
      );
      await this.audit.append(tx, {
        actor: "system",
        action: "archive.complete",
        subject: recordingId,
        detail: { segments: stored?.segments ?? 0, bytes: stored?.bytes ?? 0 },
      });
      return true;
    });
    // consent was withdrawn while the upload ran: the copy must not stay
    if (!kept) await this.deleteControllerCopy(recordingId, "consent-withdrawn");
    await this.refreshConfig(deviceId);
  }

  /** A new one-time upload token (only its hash is kept); the last one stops working. */
  private async tokenFor(recordingId: string): Promise<string> {
    const token = randomBytes(24).toString("base64url");
    await this.db.transaction(async (tx) => {
      await tx.run("UPDATE recordings SET upload_token_hash = ? WHERE id = ?", [
        createHash("sha256").update(token).digest("hex"),
        recordingId,
      ]);
      await tx.run(
        `INSERT INTO uploads (recording_id, requested_at) VALUES (?, ?)
         ON CONFLICT (recording_id) DO UPDATE SET requested_at = excluded.requested_at`,
        [recordingId, this.clock().toISOString()],
      );
    });
    return token;
  }

  /** Runs the work on timers: deliveries every minute, sweep and config refresh on their own clocks. */
  start(intervals: { deliverMs: number; sweepMs: number; refreshMs: number }): void {
    const every = (ms: number, job: () => Promise<unknown>, what: string) => {
      const timer = setInterval(() => {
        job().catch((error: unknown) => {
          this.logger.error({ err: error }, `${what} failed`);
        });
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(intervals.deliverMs, () => this.deliver(), "delivery to devices");
    every(intervals.sweepMs, () => this.sweep(), "retention sweep");
    every(intervals.refreshMs, () => this.refreshAll(), "device config refresh");
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }
}
