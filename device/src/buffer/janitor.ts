/**
 * The buffer's janitor: every `storage.janitorSeconds`, and before every new
 * recording, one pass that
 * 1. compares the buffer folder with the index (a lost or replaced database
 *    must never wipe the disk: when they disagree badly, nothing is deleted
 *    and the problem is reported);
 * 2. asks `planBuffer` (the one keep/overwrite decision) what goes, and deletes
 *    it in the plan's order, a batch at a time, planning again after each
 *    batch with the free space actually measured;
 * 3. raises `storage.exhausted` once per episode when new recording must be
 *    refused (the episode is remembered in `counters`, across restarts).
 * Passes never overlap.
 */
import type { Logger } from "pino";
import {
  MAX_BUFFER_DAYS,
  planBuffer,
  type BufferDeleteReason,
  type BufferPlan,
  type BufferRefusal,
} from "@classcam/protocol";
import type { Database } from "@classcam/sqlite";
import { raiseEvent } from "../link/outbox.js";
import {
  bufferBytes,
  readStatfs,
  toBufferRecording,
  wholeBytes,
  type Statfs,
  type StorageFigures,
} from "./health.js";
import { RecordingBusy, type BufferIndex, type FolderSurvey } from "./index.js";

/** What the config says protects footage, read afresh on every pass. */
export interface BufferProtection {
  holds: readonly string[];
  uploads: readonly string[];
  bufferDays: number;
}

export interface JanitorOptions {
  index: BufferIndex;
  db: Database;
  bufferDir: string;
  /** Free space kept for the next minutes of recording (`storage.reserveBytes`). */
  reserveBytes: number;
  now: () => Date;
  logger: Logger;
  /**
   * Holds, uploads and retention from the config in force; `null` while no
   * config is known (then nothing is deleted: held footage cannot be told apart).
   */
  protection: () => BufferProtection | null;
  statfs?: Statfs;
  /** Time between passes (`storage.janitorSeconds`); default 60. */
  janitorSeconds?: number;
  /** Recordings deleted before free space is measured and the plan made again; default 8. */
  batchSize?: number;
  /** Folders without rows plus rows without folders tolerated before the index is distrusted; default 2. */
  mismatchTolerance?: number;
}

/** `janitor-failed`: the pass itself failed (e.g. free space could not be read). */
export type JanitorRefusal = BufferRefusal | "janitor-failed";

export interface JanitorReport {
  /** Why the pass ran: `timer`, `may-record`, or what the caller said. */
  reason: string;
  deleted: { recordingId: string; reason: BufferDeleteReason; bytes: number }[];
  refuseRecording: boolean;
  refusal: JanitorRefusal | null;
  /** Why nothing (or not everything planned) was deleted; null when all is well. */
  problem: string | null;
  storage: StorageFigures | null;
  folders: FolderSurvey | null;
}

/** The `counters` row that remembers an open storage-exhausted episode (1) or none (0). */
export const STORAGE_EXHAUSTED_COUNTER = "storage_exhausted_episode";

const SHOWN = 5;

export class Janitor {
  private readonly logger: Logger;
  private readonly statfs: Statfs;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly tolerance: number;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastProblem: string | null = null;
  /** The report of the latest finished pass. */
  lastReport: JanitorReport | null = null;
  /** When `lastReport` was made (the janitor's clock). */
  lastReportAt: Date | null = null;

  constructor(private readonly o: JanitorOptions) {
    if (!Number.isSafeInteger(o.reserveBytes) || o.reserveBytes < 0) {
      throw new Error(
        `janitor: reserveBytes is ${String(o.reserveBytes)}; must be a whole number >= 0`,
      );
    }
    this.logger = o.logger.child({ part: "janitor" });
    this.statfs = o.statfs ?? readStatfs;
    this.intervalMs = (o.janitorSeconds ?? 60) * 1000;
    this.batchSize = o.batchSize ?? 8;
    this.tolerance = o.mismatchTolerance ?? 2;
    if (!(this.intervalMs > 0)) throw new Error("janitor: janitorSeconds must be > 0");
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) {
      throw new Error("janitor: batchSize must be a whole number >= 1");
    }
  }

  /** One pass; waits for any pass under way first (passes never overlap). Never rejects. */
  run(reason = "request"): Promise<JanitorReport> {
    const pass = this.queue.then(() => this.pass(reason));
    this.queue = pass.catch(() => undefined);
    return pass;
  }

  /**
   * Whether a new recording may start, answered at once from a pass at most
   * `freshMs` old that allowed recording (a new pass then runs behind it, and a
   * recording that fills the disk is stopped by the session); otherwise from a
   * pass run now. A press must light the lamp within milliseconds.
   */
  async mayRecordQuickly(
    freshMs = 30_000,
  ): Promise<{ ok: boolean; refusal: JanitorRefusal | null }> {
    const report = this.lastReport;
    const at = this.lastReportAt;
    if (
      report !== null &&
      at !== null &&
      !report.refuseRecording &&
      this.o.now().getTime() - at.getTime() <= freshMs
    ) {
      void this.run("after-press");
      return { ok: true, refusal: null };
    }
    return this.mayRecord();
  }

  /** Whether a new recording may start now (runs a pass first); the session calls this before starting. */
  async mayRecord(): Promise<{ ok: boolean; refusal: JanitorRefusal | null }> {
    const report = await this.run("may-record");
    return { ok: !report.refuseRecording, refusal: report.refusal };
  }

  /** A pass now, then one every `janitorSeconds` after the previous one ends. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** No more passes; resolves when the pass under way (if any) has finished. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.queue;
  }

  private tick(): void {
    this.timer = null;
    void this.run("timer").then(() => {
      if (this.running) this.timer = setTimeout(() => this.tick(), this.intervalMs);
    });
  }

  private async pass(reason: string): Promise<JanitorReport> {
    const report: JanitorReport = {
      reason,
      deleted: [],
      refuseRecording: true,
      refusal: "janitor-failed",
      problem: null,
      storage: null,
      folders: null,
    };
    try {
      await this.clean(report);
    } catch (error) {
      report.refuseRecording = true;
      report.refusal = "janitor-failed";
      report.problem = `the janitor's pass failed: ${(error as Error).message}`;
      this.logger.error({ err: error, reason }, "janitor pass failed");
    }
    if (report.problem !== null && report.problem !== this.lastProblem) {
      this.logger.warn({ problem: report.problem }, "buffer problem: nothing unsafe is deleted");
    } else if (report.problem === null && this.lastProblem !== null) {
      this.logger.info("buffer problem resolved");
    }
    this.lastProblem = report.problem;
    this.lastReport = report;
    this.lastReportAt = this.o.now();
    return report;
  }

  private async clean(report: JanitorReport): Promise<void> {
    const folders = await this.o.index.reconcileFolders();
    report.folders = folders;
    if (folders.restored.length > 0 || folders.cleaned.length > 0) {
      this.logger.info(
        { restored: folders.restored, cleaned: folders.cleaned },
        "finished interrupted buffer changes",
      );
    }
    let recordings = await this.o.index.recordings();
    const known = this.o.protection();
    // With no config, every recording counts as held (for the figures too),
    // kept for the longest retention, and the plan is told not to trust the index.
    const protection = known ?? {
      holds: recordings.map((r) => r.recordingId),
      uploads: [],
      bufferDays: MAX_BUFFER_DAYS,
    };
    const distrust =
      known === null
        ? "no config from the controller yet: which footage is held or awaiting upload is unknown; nothing is deleted"
        : this.folderProblem(folders, recordings.length);

    let space = wholeBytes(await this.statfs(this.o.bufferDir));
    let plan: BufferPlan;
    // Each batch removes at least one row, so this ends; the bound is a guard.
    for (let round = 0; ; round++) {
      plan = planBuffer({
        recordings: recordings.map((r) => toBufferRecording(r, protection.uploads)),
        holds: protection.holds,
        bufferDays: protection.bufferDays,
        now: this.o.now(),
        freeBytes: space.freeBytes,
        neededBytes: this.o.reserveBytes,
        distrust,
      });
      if (plan.delete.length === 0 || round > recordings.length) break;
      for (const item of plan.delete.slice(0, this.batchSize)) {
        const removed = await this.removeUnlessGone(item.recordingId, item.reason);
        if (removed === null) continue;
        report.deleted.push({ ...item, bytes: removed.bytes });
        this.logger.info({ ...item, bytes: removed.bytes }, "recording deleted from the buffer");
      }
      recordings = await this.o.index.recordings();
      space = wholeBytes(await this.statfs(this.o.bufferDir));
    }

    report.problem = plan.problem;
    report.refuseRecording = plan.refuseRecording;
    report.refusal = plan.refusal;
    report.storage = { ...space, ...bufferBytes(recordings, protection) };
    await this.noteEpisode(plan.refuseRecording, space.freeBytes, report.storage.protectedBytes);
  }

  /** Removes a recording; null when another caller (a delete request) is removing or removed it. */
  private async removeUnlessGone(
    recordingId: string,
    reason: BufferDeleteReason,
  ): Promise<{ bytes: number } | null> {
    try {
      return await this.o.index.remove(recordingId, reason);
    } catch (error) {
      if (error instanceof RecordingBusy) return null;
      if ((await this.o.index.get(recordingId)) === undefined) return null;
      throw error;
    }
  }

  /** Why the folders and the index disagree too much to delete anything, or null. */
  private folderProblem(folders: FolderSurvey, rows: number): string | null {
    const { strays, missing } = folders;
    if (rows === 0 && strays.length > 0) {
      return (
        `the buffer index is empty but ${strays.length} folder(s) in ${this.o.bufferDir} hold ` +
        `footage (${shown(strays)}): the database may have been lost or replaced; nothing is deleted`
      );
    }
    if (strays.length + missing.length > this.tolerance) {
      return (
        `the buffer index and its folders disagree: ${strays.length} folder(s) without a row ` +
        `(${shown(strays)}) and ${missing.length} recording(s) without a folder (${shown(missing)}), ` +
        `more than the ${this.tolerance} tolerated; nothing is deleted`
      );
    }
    return null;
  }

  /** Raises `storage.exhausted` when an episode of refusals begins; ends it when space is back. */
  private async noteEpisode(
    refuse: boolean,
    freeBytes: number,
    protectedBytes: number,
  ): Promise<void> {
    const raised = await this.o.db.transaction(async (tx) => {
      const row = await tx.get<{ value: number }>("SELECT value FROM counters WHERE name = ?", [
        STORAGE_EXHAUSTED_COUNTER,
      ]);
      const open = (row?.value ?? 0) !== 0;
      if (open === refuse) return false;
      await tx.run(
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [STORAGE_EXHAUSTED_COUNTER, refuse ? 1 : 0],
      );
      if (refuse) {
        await raiseEvent(tx, "storage.exhausted", { freeBytes, protectedBytes }, this.o.now());
      }
      return true;
    });
    if (!raised) return;
    if (refuse) {
      this.logger.warn(
        { freeBytes, protectedBytes, reserveBytes: this.o.reserveBytes },
        "storage exhausted: new recording is refused",
      );
    } else {
      this.logger.info({ freeBytes }, "storage available again: recording may start");
    }
  }
}

function shown(names: readonly string[]): string {
  if (names.length === 0) return "none";
  const head = names.slice(0, SHOWN).join(", ");
  return names.length > SHOWN ? `${head}, and ${names.length - SHOWN} more` : head;
}
