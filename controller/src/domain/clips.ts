/**
 * Clips: a part of one recording, cut by its owner on keyframes into its own
 * footage (`clip-cutter.ts`), kept in its own folder `<clipsDir>/<clipId>/`.
 * Only the owner of the recording cuts (`decide()`'s "cut-clip"), and only
 * from footage on the controller. Every clip's life is audited, so the audit
 * says why each clip exists. The exemplar bank is in `clip-bank.ts`, playing
 * a clip in `clip-viewing.ts`.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Database, Transaction } from "../db/database.js";
import { decide, type Person, type RecordingAccess } from "./access.js";
import type { AuditLog } from "./audit.js";
import { ClipBank } from "./clip-bank.js";
import { cutOnKeyframes } from "./clip-cutter.js";
import { writeKeyInfo, type CopyKeys } from "./copy-keys.js";
import { clipKeptBecause } from "./clip-retention.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import { PLAYLIST, SEGMENT_NAME, UUID } from "./footage-facts.js";
import { Viewings } from "./footage-live.js";
import { sharedUnblurred, type Copy, type ViewingBasis } from "./rendition-rule.js";
import { openFootage, openHls, type FootageSource } from "./footage-source.js";
import {
  CLIP_SELECT,
  clipOf,
  MAX_CLIP_TITLE,
  MIN_CLIP_SECONDS,
  round,
  type Clip,
  type ClipRow,
  type ClipSources,
  type ClipStore,
} from "./clip-rows.js";

export * from "./clip-rows.js";

/**
 * Clips' copies with every face blurred (`anonymise/serving.ts`) and the
 * rendition rule: a colleague watching a bank clip, a mentor watching a clip
 * answer, staff asked to agree to one get the blurred copy — made from the
 * clip's own footage and kept with it — or a 409 saying how far it is while
 * it is made, never the original.
 */
export interface BlurredClips {
  copyFor(basis: ViewingBasis, unblurredShare: boolean): Promise<Copy>;
  /** The copy's playlist; refused with how far it is while it is made. */
  playlist(clipId: string): Promise<string>;
  /** A segment of the copy (a file path). */
  segment(clipId: string, name: string): Promise<string>;
  /** The clip is deleted: its copy goes too. */
  forget(clipId: string): Promise<void>;
  /** The copy's own key (every copy is encrypted at rest), when it is ready. */
  key(clipId: string): Promise<Buffer>;
}

export interface CutRequest {
  inSeconds: number;
  outSeconds: number;
  title: string;
}

/** Checks the asked points against the recording's length. Throws saying what is wrong. Pure. */
export function checkCutPoints(request: CutRequest, lengthSeconds: number): void {
  const { inSeconds, outSeconds } = request;
  const length = round(lengthSeconds);
  if (!Number.isFinite(inSeconds) || inSeconds < 0) {
    throw new DomainError("invalid", "the clip's start must be a number of seconds from 0");
  }
  if (!Number.isFinite(outSeconds) || outSeconds > length) {
    throw new DomainError(
      "invalid",
      `the clip's end must be within the recording, which is ${length} seconds long`,
    );
  }
  if (outSeconds - inSeconds < MIN_CLIP_SECONDS) {
    throw new DomainError(
      "invalid",
      `the clip's end must be at least ${MIN_CLIP_SECONDS} second after its start`,
    );
  }
  const title = request.title.trim();
  if (title === "" || title.length > MAX_CLIP_TITLE) {
    throw new DomainError("invalid", `a clip needs a title of 1 to ${MAX_CLIP_TITLE} characters`);
  }
}

export class Clips implements ClipStore {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly recordings: ClipSources,
    /** Where recordings' footage is (read only through `openFootage()`). */
    private readonly recordingsDir: string,
    /** One folder per clip: `<clipsDir>/<clipId>/`. */
    readonly clipsDir: string,
    private readonly clock: Clock,
    /** Each clip's own key: its footage is encrypted at rest (`copy-keys.ts`). */
    private readonly keys: CopyKeys,
    /** Clips' copies with every face blurred; null: everyone sees the original. */
    private readonly blurred: BlurredClips | null = null,
  ) {
    this.bank = new ClipBank(this);
    this.viewings = new Viewings(clock);
  }

  /** Offering, consents, withdrawing and searching: the exemplar bank. */
  readonly bank: ClipBank;
  private readonly viewings: Viewings;

  /** What the bank shares with the clips. */
  get context() {
    return { db: this.db, audit: this.audit, clock: this.clock, recordings: this.recordings };
  }

  /** A clip's folder, for a clip id that is a UUID. */
  folder(clipId: string): string {
    if (!UUID.test(clipId)) throw new DomainError("invalid", "a clip id is a UUID");
    return join(this.clipsDir, clipId);
  }

  async row(tx: Transaction | null, clipId: string): Promise<ClipRow> {
    this.folder(clipId);
    const sql = `${CLIP_SELECT} WHERE c.id = ?`;
    const row = tx
      ? await tx.get<ClipRow>(sql, [clipId])
      : await this.db.get<ClipRow>(sql, [clipId]);
    if (!row || row.deleted_at !== null) throw new DomainError("not-found", `no clip '${clipId}'`);
    return row;
  }

  async strands(tx: Transaction | null, clipId: string): Promise<string[]> {
    const sql = "SELECT strand FROM clip_strands WHERE clip_id = ? ORDER BY strand";
    const rows = tx
      ? await tx.all<{ strand: string }>(sql, [clipId])
      : await this.db.all<{ strand: string }>(sql, [clipId]);
    return rows.map((r) => r.strand);
  }

  async clip(tx: Transaction | null, clipId: string): Promise<Clip> {
    return clipOf(await this.row(tx, clipId), await this.strands(tx, clipId));
  }

  /**
   * The owner of a recording on the controller cuts `[inSeconds, outSeconds]`
   * of it into a clip of its own: the points move to keyframes, and the clip
   * says how far. Audited with why the clip exists.
   */
  async cut(person: Person, recordingId: string, request: CutRequest): Promise<Clip> {
    const access = await this.recordings.accessOf(null, recordingId);
    const decision = decide(person, "cut-clip", access, this.clock());
    if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
    const { row } = access;
    if (row.deleted_at !== null)
      throw new DomainError("not-found", "the recording has been deleted");
    if (row.ended_at === null || row.duration_seconds === null) {
      throw new DomainError(
        "conflict",
        "the recording is still in progress; cut a clip when it ends",
      );
    }
    if (row.on_controller !== 1) {
      throw new DomainError(
        "conflict",
        "the recording's footage is not on the school's server yet: ask for it to be uploaded " +
          "(open it to watch, or keep it) and cut the clip when it has arrived",
      );
    }
    checkCutPoints(request, row.duration_seconds);
    const clipId = randomUUID();
    const folder = this.folder(clipId);
    await mkdir(folder, { recursive: true, mode: 0o750 });
    try {
      const key = this.keys.fresh("clip", clipId);
      const source = await openFootage(this.recordingsDir, recordingId);
      let cut;
      try {
        const keyFiles = await writeKeyInfo(key.content, this.keys.runDir);
        try {
          cut = await cutOnKeyframes(
            source,
            folder,
            request.inSeconds,
            request.outSeconds,
            row.duration_seconds,
            keyFiles.infoFile,
          );
        } finally {
          await keyFiles.remove();
        }
      } finally {
        await source.close();
      }
      const now = this.clock().toISOString();
      await this.db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO clips (id, recording_id, owner_id, staff_json, asked_in_seconds,
             asked_out_seconds, start_seconds, end_seconds, bytes, segments, title, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            ...[clipId, recordingId, person.id, JSON.stringify(access.staff)],
            ...[request.inSeconds, request.outSeconds, cut.startSeconds, cut.endSeconds],
            ...[cut.bytes, cut.segments, request.title.trim(), now],
          ],
        );
        await this.keys.keep(tx, "clip", clipId, key, now);
        await this.audit.append(tx, {
          actor: person.id,
          action: "clip.cut",
          subject: clipId,
          detail: {
            title: request.title.trim(),
            recording: recordingId,
            why: "cut by the recording's owner",
            asked: [request.inSeconds, request.outSeconds],
            cut: [round(cut.startSeconds), round(cut.endSeconds)],
            bytes: cut.bytes,
          },
        });
      });
      return await this.clip(null, clipId);
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
  }

  /** The clips I cut, newest first. */
  async mine(person: Person): Promise<Clip[]> {
    const rows = await this.db.all<ClipRow>(
      `${CLIP_SELECT} WHERE c.owner_id = ? AND c.deleted_at IS NULL ORDER BY c.created_at DESC`,
      [person.id],
    );
    return Promise.all(rows.map(async (row) => clipOf(row, await this.strands(null, row.id))));
  }

  /**
   * Deletes the clip (in the caller's transaction; its folder is removed by
   * the caller after the commit) unless a rule keeps it: `clipKeptBecause()`.
   */
  async deleteUnlessKept(
    tx: Transaction,
    clipId: string,
    why: string,
  ): Promise<{ deleted: boolean; keptBecause: string | null }> {
    const row = await this.row(tx, clipId);
    const facts = await tx.get<{ answers: number; recording_deleted: number }>(
      `SELECT EXISTS (SELECT 1 FROM assignment_teachers t WHERE t.clip_id = c.id
                AND t.submitted_at IS NOT NULL) AS answers,
              r.deleted_at IS NOT NULL AS recording_deleted
       FROM clips c JOIN recordings r ON r.id = c.recording_id WHERE c.id = ?`,
      [clipId],
    );
    const keptBecause = clipKeptBecause({
      bankState: row.bank_state,
      answersAssignment: facts?.answers === 1,
      recordingDeleted: facts?.recording_deleted === 1,
    });
    if (keptBecause !== null) return { deleted: false, keptBecause };
    await tx.run("UPDATE clips SET deleted_at = ?, deleted_reason = ? WHERE id = ?", [
      this.clock().toISOString(),
      why,
      clipId,
    ]);
    // its key goes too, and its copy with faces blurred's (kept in its folder): a copy of
    // the clip's files left anywhere no longer opens
    const keyErased = await this.keys.erase(tx, "clip", clipId);
    await this.keys.erase(tx, "rendition", clipId);
    await this.audit.append(tx, {
      actor: "system",
      action: "clip.delete",
      subject: clipId,
      detail: { title: row.title, why, bytes: row.bytes, ...(keyErased && { keyErased }) },
    });
    return { deleted: true, keptBecause: null };
  }

  /**
   * Retention for clips: every clip no rule keeps any more (its recording
   * deleted, and not in the bank nor answering an assignment) is deleted,
   * its folder after the commit. Returns the ids deleted.
   */
  async sweep(): Promise<string[]> {
    const candidates = await this.db.all<{ id: string; withdrawn: number }>(
      `SELECT c.id, c.bank_state = 'withdrawn' AS withdrawn FROM clips c JOIN recordings r ON r.id = c.recording_id
       WHERE c.deleted_at IS NULL AND (r.deleted_at IS NOT NULL OR c.bank_state = 'withdrawn')`,
    );
    const deleted: string[] = [];
    for (const { id, withdrawn } of candidates) {
      const why =
        withdrawn === 1
          ? "withdrawn from the exemplar bank"
          : "the recording it was cut from was deleted";
      const { deleted: gone } = await this.db.transaction((tx) =>
        this.deleteUnlessKept(tx, id, why),
      );
      if (gone) {
        await this.removeFootage(id);
        deleted.push(id);
      }
    }
    return deleted;
  }

  /**
   * A deleted clip's footage goes (after the commit): its folder, with the
   * copy with faces blurred in it, and that copy's record (and key).
   */
  async removeFootage(clipId: string): Promise<void> {
    await rm(this.folder(clipId), { recursive: true, force: true });
    await this.blurred?.forget(clipId);
  }

  /** The clip's HLS playlist, for whoever `decideClip()` lets watch it (audited once per viewing). */
  async playlist(person: Person, clipId: string): Promise<string> {
    const { row, basis, recording } = await this.bank.authorise(null, person, "view", clipId);
    const blurred = await this.blurredFor(person, basis, recording);
    let text: string;
    if (blurred !== null) {
      // never the original in the meantime: how far the copy is, until it is made
      text = await blurred.playlist(clipId);
    } else {
      try {
        text = await readFile(join(this.folder(clipId), PLAYLIST), "utf8");
      } catch {
        throw new DomainError("not-found", "the clip's footage is missing on the school's server");
      }
    }
    if (this.viewings.begins(person.id, clipId, false)) {
      await this.audited("clip.play", person, clipId, row, basis, blurred);
    }
    return text;
  }

  /** Audits a viewer's playing of a clip or opening of its key, with the copy they were given. */
  private async audited(
    action: "clip.play" | "clip.key",
    person: Person,
    clipId: string,
    row: { title: string; recording_id: string },
    basis: ViewingBasis,
    blurred: BlurredClips | null,
  ): Promise<void> {
    await this.audit.record({
      actor: person.id,
      action,
      subject: clipId,
      detail: {
        title: row.title,
        recording: row.recording_id,
        basis,
        copy: blurred === null ? "original" : "anonymised",
      },
    });
  }

  /**
   * Where the clip's copy with faces blurred comes from, when the rendition
   * rule gives this viewer that copy (else null: the original).
   */
  private async blurredFor(
    person: Person,
    basis: ViewingBasis,
    recording: RecordingAccess,
  ): Promise<BlurredClips | null> {
    const { blurred } = this;
    if (blurred === null) return null;
    const unblurred = basis === "share" && sharedUnblurred(person, recording, this.clock());
    return (await blurred.copyFor(basis, unblurred)) === "anonymised" ? blurred : null;
  }

  /**
   * Opens the clip's footage for a tool on the controller (as `openFootage()`
   * a recording's): with its key, in a private folder `close()` removes.
   */
  async open(clipId: string): Promise<FootageSource> {
    return openHls(this.folder(clipId), await this.keys.contentKey("clip", clipId));
  }

  /**
   * The 16-byte AES-128 key of the copy of the clip this viewer is served
   * (its playlist names it; the rendition rule chooses the copy as for its
   * playlist and segments), for whoever `decideClip()` lets watch it; every
   * opening is audited.
   */
  async key(person: Person, clipId: string): Promise<Buffer> {
    const { row, basis, recording } = await this.bank.authorise(null, person, "view", clipId);
    const blurred = await this.blurredFor(person, basis, recording);
    const key = blurred
      ? await blurred.key(clipId)
      : ((await this.keys.contentKey("clip", clipId))?.key ?? null);
    if (key === null) {
      throw new DomainError(
        "not-found",
        "this clip's footage has no key: it was cut before clips were encrypted, or its key has been erased",
      );
    }
    await this.audited("clip.key", person, clipId, row, basis, blurred);
    return key;
  }

  /** One segment file of the clip, for whoever may watch it. */
  async segment(person: Person, clipId: string, name: string): Promise<string> {
    if (!SEGMENT_NAME.test(name)) {
      throw new DomainError("invalid", `'${name.slice(0, 80)}' is not a segment name`);
    }
    const { basis, recording } = await this.bank.authorise(null, person, "view", clipId);
    const blurred = await this.blurredFor(person, basis, recording);
    if (blurred !== null) return blurred.segment(clipId, name);
    const path = join(this.folder(clipId), name);
    try {
      if ((await stat(path)).isFile()) return path;
    } catch {
      // not there
    }
    throw new DomainError("not-found", `no segment '${name}' in this clip's footage`);
  }
}
