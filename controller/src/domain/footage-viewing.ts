/**
 * Footage on the controller, the viewer's end: the playlist and segments are
 * served to whoever `decide()` lets view the recording; asking for footage
 * that is still only on the device asks the device for it (audited, and
 * announced as `uploadWanted`).
 *
 * No fastify here: the routes are in `routes/footage.ts`.
 */
import type { EventEmitter } from "node:events";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "../db/database.js";
import { decide, type Person, type RecordingAccess } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import { PLAYLIST, recordingFolder, SEGMENT_NAME, type FootageEvents } from "./footage-facts.js";

/**
 * What serving footage needs from the recordings: `decide()`'s facts and where
 * the footage is. `Recordings` is one; naming only this keeps footage from
 * importing recordings (which reads `footage-facts.ts`): no import circle.
 */
export interface ViewableRecordings {
  accessOf(
    tx: null,
    recordingId: string,
  ): Promise<
    RecordingAccess & {
      row: {
        device_id: string;
        ended_at: string | null;
        on_device: number;
        on_controller: number;
        deleted_at: string | null;
      };
    }
  >;
}

export class FootageViewing {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly recordings: ViewableRecordings,
    /** One folder per recording: `<recordingsDir>/<recordingId>/`. */
    private readonly recordingsDir: string,
    private readonly clock: Clock,
    /** Where `uploadWanted` is announced. */
    private readonly events: EventEmitter<FootageEvents>,
  ) {}

  private folder(recordingId: string): string {
    return recordingFolder(this.recordingsDir, recordingId);
  }

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
    this.events.emit("uploadWanted", recordingId, row.device_id);
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

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
