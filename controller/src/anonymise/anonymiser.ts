/**
 * The anonymiser: a queue, in the database, of recordings whose faces are to
 * be blurred for someone other than their owner, and the child processes
 * (`worker.ts`) that make the renditions, as many at once as the config's
 * core budget allows and at a lower priority than the controller — ingest
 * and the dashboard never wait for it. A copy being made when the controller
 * stopped is made on from where it was at the next start.
 *
 * When the face model is missing or corrupt, the anonymiser says so at start
 * and refuses every copy: footage that must be blurred is then shown to
 * nobody but its owner (and an investigation), never unblurred.
 */
import { fork, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { readFile, stat } from "node:fs/promises";
import { cpus, setPriority } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { ControllerConfig } from "../config.js";
import type { Database } from "../db/database.js";
import type { Clock } from "../domain/clock.js";
import { DomainError } from "../domain/errors.js";
import { recordingFolder, SEGMENT_NAME } from "../domain/footage-facts.js";
import { openHls, type FootageSource } from "../domain/footage-source.js";
import type { TeacherZones } from "../domain/zone-rule.js";
import {
  checkModel,
  DEFAULT_DETECTOR,
  DetectorUnavailable,
  type DetectorSettings,
} from "./detector.js";
import {
  DEFAULT_RENDITION,
  removeRendition,
  RENDITION_PLAYLIST,
  type RenditionSettings,
} from "./rendition.js";
import type { Tiling } from "./tiles.js";
import type { WorkerJob, WorkerMessage } from "./worker.js";
import type { RenditionKeys } from "./rendition-keys.js";
import type { KeyInfoFiles } from "../domain/copy-keys.js";
import { madeUnderZonesInForce, zonesToMakeUnder, type ZoneBook } from "./zones-in-force.js";

export type RenditionState = "none" | "queued" | "making" | "ready" | "failed";

/**
 * What a copy is of: a recording, or a clip (made from the clip's own footage
 * and kept with it, so a clip in the bank outlives its recording's copy).
 */
export type CopyOf = "recording" | "clip";

/** Where a clip's footage is opened and its copy with faces blurred is kept. */
export interface ClipCopies {
  open(clipId: string): Promise<FootageSource>;
  folder(clipId: string): string;
}

export interface RenditionStatus {
  state: RenditionState;
  /** Share made, 0 to 1. */
  progress: number;
  /** Why it failed (or why no copy can be made on this controller). */
  error: string | null;
}

export interface AnonymiserSettings {
  /** Renditions made at once (each takes about one core). */
  cores: number;
  detector: DetectorSettings;
  tiling: Tiling;
  rendition: RenditionSettings;
}

/**
 * Chosen with bench:anonymise (README): the tiny detector on 5 × 3 tiles
 * enlarged about 1.2 × (a 32-px face reaches the 40 px it finds reliably),
 * overlapping by about 100 px, and on the whole frame at 608 for the faces
 * too large for an overlap (84 px and up).
 */
export const DEFAULT_ANONYMISER: AnonymiserSettings = {
  cores: 1,
  detector: { ...DEFAULT_DETECTOR, inputSize: 416 },
  tiling: { cols: 5, rows: 3, overlap: 0.3, wholeInputSize: 608 },
  rendition: DEFAULT_RENDITION,
};

/** The settings from the controller's config (`anonymiser`), over the defaults. */
export function anonymiserSettings(
  config: Pick<ControllerConfig, "anonymiser">,
): AnonymiserSettings {
  const { anonymiser } = config;
  return {
    ...DEFAULT_ANONYMISER,
    cores: anonymiser?.cores ?? DEFAULT_ANONYMISER.cores,
    detector: {
      ...DEFAULT_ANONYMISER.detector,
      ...(anonymiser?.modelDir !== undefined && { modelDir: anonymiser.modelDir }),
    },
  };
}

export interface AnonymiserEvents {
  /** A rendition was queued, moved on, finished or failed (`of`: a recording's or a clip's). */
  changed: [recordingId: string, status: RenditionStatus, of: CopyOf];
}

const WORKER = fileURLToPath(
  new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export class Anonymiser extends EventEmitter<AnonymiserEvents> {
  /** Why no copy can be made (the model would not load), or null. */
  private unavailable: string | null = null;
  /** Renditions being made: their worker (null while the footage is being opened). */
  private readonly running = new Map<string, ChildProcess | null>();
  private stopped = false;

  constructor(
    private readonly db: Database,
    /** Opens a recording's footage for the worker (`openFootage()`), closed when it ends. */
    private readonly open: (recordingId: string) => Promise<FootageSource>,
    /** One folder per rendition: `<renditionsDir>/<recordingId>/`. */
    private readonly renditionsDir: string,
    private readonly settings: AnonymiserSettings,
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** Copies of clips; without it, a clip's copy is refused. */
    private readonly clips: ClipCopies | null = null,
    /** Each room's teacher zones (faces left sharp); without them, every face is blurred. */
    private readonly zones: ZoneBook | null = null,
    /** Each copy's own key (encrypted at rest); without them no copy is made. */
    private readonly keys: RenditionKeys | null = null,
  ) {
    super();
  }

  /**
   * Checks the core budget and the face model, then picks up the queue. A
   * budget beyond the machine's cores is a start-up error; a model that will
   * not load is logged as one and leaves the anonymiser refusing copies.
   */
  async start(): Promise<void> {
    const machine = cpus().length;
    if (this.settings.cores > machine) {
      throw new Error(
        `anonymiser.cores is ${this.settings.cores} but this machine has ${machine} core(s): ` +
          "set it to at most that (each rendition takes about one core)",
      );
    }
    try {
      await checkModel(this.settings.detector);
    } catch (error) {
      if (!(error instanceof DetectorUnavailable)) throw error;
      this.unavailable = error.message;
      this.logger.error(
        { reason: error.message },
        "the anonymiser cannot start: footage that must have faces blurred will not be shown to anyone but its owner",
      );
    }
    await this.write("UPDATE renditions SET state = 'queued' WHERE state = 'making'");
    // a copy made in the clear (before copies were encrypted) is made again, encrypted
    await this.write(
      `UPDATE renditions SET state = 'queued', progress = 0 WHERE state = 'ready'
         AND copy_id NOT IN (SELECT copy_id FROM copy_keys WHERE kind = 'rendition')`,
    );
    this.pump();
  }

  /** Stops making renditions (those under way are picked up at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    const children = [...this.running.values()].filter((child) => child !== null);
    const exits = children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    );
    await Promise.all(exits);
  }

  private isStopped(): boolean {
    return this.stopped;
  }

  private async write(sql: string, params: (string | number | null)[] = []) {
    return this.db.transaction((tx) => tx.run(sql, params));
  }

  private folder(id: string, of: CopyOf = "recording"): string {
    if (of === "recording") return recordingFolder(this.renditionsDir, id);
    if (this.clips === null) throw new Error("this anonymiser makes no copies of clips");
    return this.clips.folder(id);
  }

  async status(recordingId: string): Promise<RenditionStatus> {
    const row = await this.db.get<{
      state: RenditionState;
      progress: number;
      error: string | null;
    }>("SELECT state, progress, error FROM renditions WHERE copy_id = ?", [recordingId]);
    if (this.unavailable !== null && row?.state !== "ready") {
      return { state: "failed", progress: row?.progress ?? 0, error: this.unavailable };
    }
    return row ?? { state: "none", progress: 0, error: null };
  }

  /** Asks for the recording's (or clip's) rendition (again, if it failed); refused when none can be made. */
  async want(recordingId: string, of: CopyOf = "recording"): Promise<RenditionStatus> {
    this.folder(recordingId, of);
    if (this.unavailable !== null) throw this.refusal();
    const { changes } = await this.write(
      `INSERT INTO renditions (copy_id, ${of === "clip" ? "clip_id" : "recording_id"}, state,
         queued_at) VALUES (?, ?, 'queued', ?)
       ON CONFLICT (copy_id) DO UPDATE SET state = 'queued', progress = 0, error = NULL,
         queued_at = excluded.queued_at WHERE state = 'failed'`,
      [recordingId, recordingId, this.clock().toISOString()],
    );
    if (changes > 0) {
      this.pump();
      this.emit("changed", recordingId, await this.status(recordingId), of);
    }
    return this.status(recordingId);
  }

  private refusal(): DomainError {
    return new DomainError(
      "conflict",
      `faces cannot be blurred on this controller (${this.unavailable ?? "unknown"}), so this ` +
        "footage is not shown to anyone but its owner: ask IT to repair the anonymiser",
    );
  }

  /** Throws the viewer's answer unless the rendition is ready: being prepared, or failed. */
  private async ready(recordingId: string, of: CopyOf): Promise<void> {
    let status = await this.want(recordingId, of);
    if (status.state === "ready" && !(await madeUnderZonesInForce(this.zones, recordingId))) {
      // made under other teacher zones: never served, made again
      await this.remove(recordingId, of);
      status = await this.want(recordingId, of);
    }
    switch (status.state) {
      case "ready":
        return;
      case "none":
      case "queued":
      case "making":
        throw new DomainError(
          "conflict",
          `a copy with every face blurred is being prepared for you ` +
            `(${Math.floor(status.progress * 100)} % done): try again in a moment`,
        );
      case "failed":
        throw new DomainError(
          "conflict",
          `the copy with faces blurred could not be made (${status.error ?? "unknown"}); ` +
            "it is tried again when you open it",
        );
    }
  }

  /** The rendition's playlist, when it is ready (otherwise how far it is, as a refusal). */
  async playlist(recordingId: string, of: CopyOf = "recording"): Promise<string> {
    await this.ready(recordingId, of);
    try {
      return await readFile(join(this.folder(recordingId, of), RENDITION_PLAYLIST), "utf8");
    } catch {
      await this.write("UPDATE renditions SET state = 'failed', error = ? WHERE copy_id = ?", [
        "its files are missing",
        recordingId,
      ]);
      throw new DomainError(
        "not-found",
        "the copy with faces blurred is missing; it is made again when you open it",
      );
    }
  }

  /** A segment of a ready rendition. */
  async segment(recordingId: string, name: string, of: CopyOf = "recording"): Promise<string> {
    if (!SEGMENT_NAME.test(name)) {
      throw new DomainError("invalid", `'${name.slice(0, 80)}' is not a segment name`);
    }
    await this.ready(recordingId, of);
    const path = join(this.folder(recordingId, of), name);
    const found = await stat(path).catch(() => null);
    if (!found?.isFile()) {
      throw new DomainError("not-found", `no segment '${name}' in the copy with faces blurred`);
    }
    return path;
  }

  /** Removes a recording's (or clip's) rendition (it is deleted). */
  async remove(recordingId: string, of: CopyOf = "recording"): Promise<void> {
    this.running.get(recordingId)?.kill("SIGKILL");
    this.running.delete(recordingId);
    await this.write("DELETE FROM renditions WHERE copy_id = ?", [recordingId]);
    await removeRendition(this.folder(recordingId, of));
    // its key goes with it: a file of it left anywhere no longer opens
    await this.keys?.erase(recordingId);
  }

  /**
   * Opens a ready copy for a tool on the controller (a subject-access
   * export), as `openFootage()` a recording; refused with how far it is while
   * it is made (`close()` it when done).
   */
  async openCopy(copyId: string, of: CopyOf = "recording"): Promise<FootageSource> {
    await this.ready(copyId, of);
    return openHls(this.folder(copyId, of), (await this.keys?.key(copyId)) ?? null);
  }

  /** The 16-byte key of a ready copy (its playlist names it), for whoever is served the copy. */
  async key(copyId: string, of: CopyOf = "recording"): Promise<Buffer> {
    await this.ready(copyId, of);
    const content = await this.keys?.key(copyId);
    if (content === undefined || content === null) {
      throw new DomainError(
        "not-found",
        "the copy with faces blurred has no key: it was made before copies were encrypted",
      );
    }
    return content.key;
  }

  /** Starts queued renditions while the core budget has room. */
  private pump(): void {
    if (this.stopped || this.unavailable !== null) return;
    void this.next().catch((error: unknown) => {
      this.logger.error({ err: error }, "the anonymiser's queue failed");
    });
  }

  private async next(): Promise<void> {
    while (!this.stopped && this.running.size < this.settings.cores) {
      const busy = [...this.running.keys()];
      const row = await this.db.get<{ copy_id: string; clip: number }>(
        `SELECT copy_id, clip_id IS NOT NULL AS clip FROM renditions WHERE state = 'queued'
           AND copy_id NOT IN (${busy.map(() => "?").join(",")})
         ORDER BY queued_at LIMIT 1`,
        busy,
      );
      // stop() may have come while the queue was read
      if (!row || this.isStopped()) return;
      await this.write("UPDATE renditions SET state = 'making', started_at = ? WHERE copy_id = ?", [
        this.clock().toISOString(),
        row.copy_id,
      ]);
      this.running.set(row.copy_id, null);
      void this.run(row.copy_id, row.clip === 1 ? "clip" : "recording");
    }
  }

  private async run(recordingId: string, of: CopyOf): Promise<void> {
    let source: FootageSource;
    let zones: TeacherZones;
    try {
      zones = await zonesToMakeUnder(this.zones, recordingId, this.folder(recordingId, of));
      if (of === "recording") source = await this.open(recordingId);
      else if (this.clips !== null) source = await this.clips.open(recordingId);
      else throw new Error("no copies of clips are made here");
    } catch (error) {
      this.running.delete(recordingId);
      await this.finish(recordingId, (error as Error).message);
      return;
    }
    let keyFiles: KeyInfoFiles;
    try {
      if (this.keys === null) throw new Error("no copy is made without a key to encrypt it");
      keyFiles = await this.keys.forRun(recordingId, this.folder(recordingId, of));
    } catch (error) {
      await source.close();
      this.running.delete(recordingId);
      await this.finish(recordingId, (error as Error).message);
      return;
    }
    const job: WorkerJob = {
      source: { input: source.input, inputOptions: [...source.inputOptions] },
      dir: this.folder(recordingId, of),
      detector: this.settings.detector,
      tiling: this.settings.tiling,
      rendition: this.settings.rendition,
      zones,
      keyInfoFile: keyFiles.infoFile,
    };
    const child = fork(WORKER, [JSON.stringify(job)], {
      execArgv: process.execArgv,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.running.set(recordingId, child);
    if (child.pid !== undefined) {
      // below the controller: ingest and the dashboard come first
      try {
        setPriority(child.pid, 10);
      } catch {
        // not allowed here: it runs at the controller's priority
      }
    }
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    let ended: WorkerMessage | null = null;
    child.on("message", (message: WorkerMessage) => {
      if ("progress" in message) {
        this.changed(
          recordingId,
          "UPDATE renditions SET progress = ?, detector = ? WHERE copy_id = ? AND state = 'making'",
          [message.progress, message.detector, recordingId],
        ).catch((error: unknown) => this.logger.error({ err: error }, "a rendition's progress"));
      } else {
        ended = message;
      }
    });
    child.on("exit", (code, signal) => {
      this.running.delete(recordingId);
      const closed = Promise.all([source.close(), keyFiles.remove()]).catch((error: unknown) => {
        this.logger.error({ err: error, recordingId }, "closing the footage after its rendition");
      });
      if (this.stopped) return; // made on from where it was at the next start
      const failure =
        ended !== null && "done" in ended
          ? null
          : ended !== null && "failed" in ended
            ? ended.failed
            : `the anonymiser stopped (${signal ?? `exit ${code}`}) ${stderr.trim().split("\n").at(-1) ?? ""}`.trim();
      void closed.then(() => this.finish(recordingId, failure));
    });
  }

  /** Records how a rendition ended (`failure` null: it is ready), and starts the next. */
  private async finish(recordingId: string, failure: string | null): Promise<void> {
    if (failure === null) this.logger.info({ recordingId }, "anonymised copy made");
    else this.logger.error({ recordingId, reason: failure }, "anonymised copy failed");
    const at = this.clock().toISOString();
    await this.changed(
      recordingId,
      failure === null
        ? "UPDATE renditions SET state = 'ready', progress = 1, error = NULL, finished_at = ? WHERE copy_id = ?"
        : "UPDATE renditions SET state = 'failed', error = ?, finished_at = ? WHERE copy_id = ?",
      failure === null ? [at, recordingId] : [failure, at, recordingId],
    ).catch((error: unknown) => this.logger.error({ err: error }, "recording a rendition's end"));
    this.pump();
  }

  /** Writes a rendition's change and announces its status. */
  private async changed(recordingId: string, sql: string, params: (string | number)[]) {
    await this.write(sql, params);
    const kind = await this.db.get<{ clip: number }>(
      "SELECT clip_id IS NOT NULL AS clip FROM renditions WHERE copy_id = ?",
      [recordingId],
    );
    this.emit(
      "changed",
      recordingId,
      await this.status(recordingId),
      kind?.clip === 1 ? "clip" : "recording",
    );
  }
}
