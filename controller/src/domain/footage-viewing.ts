/**
 * Footage on the controller, the viewer's end: the playlist and segments are
 * served to whoever `decide()` lets view the recording; asking for footage
 * that is still only on the device asks the device for it (audited, and
 * announced as `uploadWanted`), and what has arrived of it plays at once.
 *
 * No fastify here: the routes are in `routes/footage.ts`.
 */
import type { EventEmitter } from "node:events";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "../db/database.js";
import { decide, type Person, type RecordingAccess } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import { PLAYLIST, recordingFolder, SEGMENT_NAME, type FootageEvents } from "./footage-facts.js";
import { withKeyLine, type FootageKeys } from "./footage-keys.js";
import { sharedUnblurred, type Copy, type ViewingBasis } from "./rendition-rule.js";
import {
  eventPlaylist,
  segmentAt,
  Viewings,
  type LiveSegment,
  type UploadPriority,
} from "./footage-live.js";

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

/**
 * The copies with every face blurred (anonymise/anonymiser.ts) and the rule
 * of who sees which copy (rendition-rule.ts), for the footage routes.
 */
export interface AnonymisedFootage {
  copyFor(basis: ViewingBasis, unblurredShare: boolean): Promise<Copy>;
  /** The copy's playlist; refused with how far it is while it is made. */
  playlist(recordingId: string): Promise<string>;
  /** A segment of the copy (a file path). */
  segment(recordingId: string, name: string): Promise<string>;
  /** The copy's own key (every copy is encrypted at rest), when it is ready. */
  key(recordingId: string): Promise<Buffer>;
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
    /** Where viewers wait in footage still arriving (shared with the upload's end). */
    private readonly priority: UploadPriority,
    /** The content keys of footage sealed on its box. */
    private readonly keys: FootageKeys,
    /** Where footage with faces blurred comes from; null: everyone sees the original. */
    private readonly anonymised: AnonymisedFootage | null = null,
  ) {
    this.viewings = new Viewings(clock);
  }

  private readonly viewings: Viewings;

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
    // an unblurred share is honoured only while the policy allows it (the rendition rule)
    const unblurred = sharedUnblurred(person, access, this.clock());
    return { row: access.row, basis: decision.basis, unblurred };
  }

  /**
   * The playlist, for someone who may view the recording (audited as playing
   * it, once per viewing). Footage on the controller has its finished
   * playlist. Footage still on the device is asked for — the device is asked
   * to upload it — and, while it arrives, answered with the growing playlist
   * of the segments verified so far (`footage-live.ts`); before the first is
   * in, as not here yet. `at` (seconds) says where the viewer wants to watch:
   * the upload goes there first.
   */
  async playlist(person: Person, recordingId: string, at?: number): Promise<string> {
    const { row, basis, unblurred } = await this.mayView(person, recordingId);
    const play = async (growing: boolean) => {
      if (!this.viewings.begins(person.id, recordingId, growing)) return;
      await this.audit.record({
        actor: person.id,
        action: "footage.play",
        subject: recordingId,
        detail: { basis },
      });
    };
    const blurred = await this.blurredFor(basis, unblurred);
    if (blurred && row.on_controller === 1) {
      // never the original in the meantime: how far the copy is, until it is made
      const text = await blurred.playlist(recordingId);
      await play(false);
      return text;
    }
    if (row.on_controller === 1) {
      const path = join(this.folder(recordingId), PLAYLIST);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch {
        throw new DomainError("not-found", "the footage's playlist is missing on the controller");
      }
      await play(false);
      return this.keyed(recordingId, text);
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
    const segments = await this.liveSegments(recordingId);
    if (at !== undefined) {
      const wanted = segmentAt(segments, at);
      if (wanted) this.priority.want(recordingId, wanted.seq);
    }
    const growing = eventPlaylist(segments);
    if (growing !== null && blurred) {
      throw new DomainError(
        "conflict",
        "the footage is still arriving from the classroom device; a copy with every face " +
          "blurred is made for you when it is all in: try again in a while",
      );
    }
    if (growing !== null) {
      await play(true);
      return this.keyed(recordingId, growing);
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

  /** The playlist with its key line when the footage is sealed (one key and IV for it all). */
  private async keyed(recordingId: string, playlist: string): Promise<string> {
    const content = await this.keys.contentKey(recordingId);
    return content === null ? playlist : withKeyLine(playlist, content);
  }

  /**
   * The content key of sealed footage (16 bytes, for the player's AES-128),
   * for someone who may view the recording; every opening is audited. A
   * viewer served the copy with faces blurred gets that copy's own key (the
   * same rule chooses the copy as for its playlist and segments).
   */
  async key(person: Person, recordingId: string): Promise<Buffer> {
    const { basis, unblurred } = await this.mayView(person, recordingId);
    const blurred = await this.blurredFor(basis, unblurred);
    const key = blurred
      ? await blurred.key(recordingId)
      : ((await this.keys.contentKey(recordingId))?.key ?? null);
    if (key === null) {
      throw new DomainError(
        "not-found",
        "this recording's footage has no key: it is not encrypted, or its key has been erased",
      );
    }
    await this.audit.record({
      actor: person.id,
      action: "footage.key",
      subject: recordingId,
      detail: { basis, ...(blurred && { copy: "anonymised" }) },
    });
    return key;
  }

  /** Where the copy with faces blurred comes from, when this viewer is to see it (else null). */
  private async blurredFor(
    basis: ViewingBasis,
    unblurredShare: boolean,
  ): Promise<AnonymisedFootage | null> {
    const { anonymised } = this;
    if (anonymised === null) return null;
    return (await anonymised.copyFor(basis, unblurredShare)) === "anonymised" ? anonymised : null;
  }

  /** The manifest's segments so far, each saying whether it has arrived and been verified. */
  private async liveSegments(recordingId: string): Promise<LiveSegment[]> {
    const rows = await this.db.all<{
      seq: number;
      name: string;
      duration_seconds: number;
      received_at: string | null;
    }>(
      `SELECT seq, name, duration_seconds, received_at FROM upload_segments
       WHERE recording_id = ? ORDER BY seq`,
      [recordingId],
    );
    return rows.map((r) => ({
      seq: r.seq,
      name: r.name,
      durationSeconds: r.duration_seconds,
      verified: r.received_at !== null,
    }));
  }

  /**
   * A verified segment's file, for someone who may view the recording — as
   * soon as it has arrived and been verified, before the rest of the upload.
   * Asking for one that has not arrived yet moves the upload there.
   */
  async segment(person: Person, recordingId: string, name: string): Promise<string> {
    if (!SEGMENT_NAME.test(name)) {
      throw new DomainError("invalid", `'${name.slice(0, 80)}' is not a segment name`);
    }
    const { row, basis, unblurred } = await this.mayView(person, recordingId);
    const blurred = await this.blurredFor(basis, unblurred);
    if (blurred) return blurred.segment(recordingId, name);
    const known = await this.db.get<{ seq: number; received_at: string | null }>(
      "SELECT seq, received_at FROM upload_segments WHERE recording_id = ? AND name = ?",
      [recordingId, name],
    );
    if (known && known.received_at === null && row.on_controller !== 1) {
      this.priority.want(recordingId, known.seq);
      throw new DomainError(
        "not-found",
        `segment '${name}' has not arrived from the classroom device yet; it is being fetched ` +
          "first: try again in a moment",
      );
    }
    const path = join(this.folder(recordingId), name);
    // footage gone from the box before its upload finished is not played in part (as its playlist)
    const partOfGone = row.on_controller !== 1 && row.on_device === 0;
    if (!known || known.received_at === null || partOfGone || !(await exists(path))) {
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
