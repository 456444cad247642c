/**
 * Recordings and what people may do with them: view (audited), comment,
 * share, ask to keep (archive by everyone's consent), delete, hold and
 * investigate. Every decision goes through `decide()` in `access.ts`; every
 * change is audited in the same transaction as the change itself.
 *
 * Recordings come from the devices' events (see `projector.ts`); this module
 * only reads and changes what people do with them.
 */
import { EventEmitter } from "node:events";
import { bufferExpiresAt } from "@classcam/protocol";
import type { Database, Transaction } from "../db/database.js";
import {
  LEADERSHIP,
  MIN_INVESTIGATION_REASON,
  RECORDING_ACTIONS,
  decide,
  mayBeSharedWith,
  type Person,
  type RecordingAccess,
  type RecordingAction,
  type Role,
} from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { archiveVerdict } from "./consent.js";
import { DomainError } from "./errors.js";
import { footageStatus, type FootageFacts, type FootageStatus } from "./footage-facts.js";
import type { PolicyStore } from "./policy.js";

export type ArchiveState = "none" | "awaiting-consent" | "uploading" | "archived";
export type RecordingStatus =
  "recording" | "in-buffer" | "awaiting-consent" | "uploading" | "archived" | "deleted";

export interface RecordingSummary {
  recordingId: string;
  deviceId: string;
  room: string;
  bookingId: string | null;
  ownerId: string | null;
  ownerName: string | null;
  purpose: string | null;
  staff: string[];
  startedAt: string;
  endedAt: string | null;
  audio: boolean;
  durationSeconds: number | null;
  bytes: number | null;
  /** Why the recording needs a look: 'unbooked', 'overran-booking'. */
  flag: string | null;
  status: RecordingStatus;
  onHold: boolean;
  exemplar: boolean;
  onDevice: boolean;
  onController: boolean;
  /** When the device will overwrite it if nobody keeps it (null when kept or in progress). */
  overwriteAt: string | null;
  deletionRequestedAt: string | null;
}

export interface Consent {
  userId: string;
  name: string;
  decision: "agree" | "decline" | "pending";
  decidedAt: string | null;
}

export interface Share {
  shareId: number;
  withId: string;
  withName: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface Hold {
  holdId: number;
  recordingId: string;
  placedBy: string;
  reason: string;
  placedAt: string;
  releasedBy: string | null;
  releaseReason: string | null;
  releasedAt: string | null;
}

export interface Investigation {
  investigationId: number;
  recordingId: string;
  openedBy: string;
  reason: string;
  openedAt: string;
  closedAt: string | null;
}

export interface RecordingDetail extends RecordingSummary {
  consents: Consent[];
  /** Only for the owner. */
  shares: Share[];
  /** For the owner (who sees that an investigation happened) and leadership. */
  investigations: Investigation[];
  holds: Hold[];
  /** What the person asking may do, so a front end shows only those buttons. */
  allowed: RecordingAction[];
  /** Where the footage is: only on the device, asked for, uploading, or on the controller. */
  footage: FootageStatus;
}

export interface Comment {
  commentId: number;
  recordingId: string;
  authorId: string;
  authorName: string;
  atSeconds: number;
  body: string;
  createdAt: string;
}

interface RecordingRow {
  id: string;
  device_id: string;
  room: string;
  booking_id: string | null;
  owner_id: string | null;
  owner_name: string | null;
  purpose: string | null;
  staff_json: string;
  started_at: string;
  ended_at: string | null;
  audio: number;
  duration_seconds: number | null;
  bytes: number | null;
  flag: string | null;
  on_device: number;
  on_controller: number;
  archive_state: ArchiveState;
  exemplar: number;
  deletion_requested_at: string | null;
  deleted_at: string | null;
  held: number;
}

const SELECT = `
  SELECT r.id, r.device_id, d.room, r.booking_id, r.owner_id, u.display_name AS owner_name,
         r.purpose, r.staff_json, r.started_at, r.ended_at, r.audio, r.duration_seconds, r.bytes,
         r.flag, r.on_device, r.on_controller, r.archive_state, r.exemplar,
         r.deletion_requested_at, r.deleted_at,
         EXISTS (SELECT 1 FROM holds h WHERE h.recording_id = r.id AND h.released_at IS NULL) AS held
  FROM recordings r JOIN devices d ON d.id = r.device_id LEFT JOIN users u ON u.id = r.owner_id`;

export const MIN_HOLD_REASON = 10;
export const MAX_LIST = 200;

function status(row: RecordingRow): RecordingStatus {
  if (row.deleted_at !== null) return "deleted";
  if (row.ended_at === null) return "recording";
  if (row.archive_state === "none") return "in-buffer";
  return row.archive_state;
}

export interface RecordingsEvents {
  /** Holds or uploads changed on a device: its config must be pushed again. */
  protectionChanged: [deviceId: string];
  /** An archive has everyone's consent: ask the device to upload it. */
  uploadWanted: [recordingId: string];
  /** The owner asked for deletion: sweep it now. */
  deletionWanted: [recordingId: string];
}

export type ListScope = "mine" | "shared" | "investigating" | "all" | "flagged";

export class Recordings extends EventEmitter<RecordingsEvents> {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly policy: PolicyStore,
    private readonly clock: Clock = () => new Date(),
  ) {
    super();
  }

  /** Summaries of rows, with the policy read once for all of them. */
  private async summaries(rows: readonly RecordingRow[]): Promise<RecordingSummary[]> {
    const { bufferDays } = (await this.policy.get()).retention;
    return rows.map((row) => this.summary(row, bufferDays));
  }

  private summary(row: RecordingRow, bufferDays: number): RecordingSummary {
    const kept = row.archive_state !== "none" || row.held === 1;
    return {
      recordingId: row.id,
      deviceId: row.device_id,
      room: row.room,
      bookingId: row.booking_id,
      ownerId: row.owner_id,
      ownerName: row.owner_name,
      purpose: row.purpose,
      staff: JSON.parse(row.staff_json) as string[],
      startedAt: row.started_at,
      endedAt: row.ended_at,
      audio: row.audio === 1,
      durationSeconds: row.duration_seconds,
      bytes: row.bytes,
      flag: row.flag,
      status: status(row),
      onHold: row.held === 1,
      exemplar: row.exemplar === 1,
      onDevice: row.on_device === 1,
      onController: row.on_controller === 1,
      overwriteAt:
        row.ended_at === null || kept || row.deleted_at !== null
          ? null
          : bufferExpiresAt(row.ended_at, bufferDays).toISOString(),
      deletionRequestedAt: row.deletion_requested_at,
    };
  }

  private async row(tx: Transaction | null, id: string): Promise<RecordingRow> {
    const sql = `${SELECT} WHERE r.id = ?`;
    const row = tx
      ? await tx.get<RecordingRow>(sql, [id])
      : await this.db.get<RecordingRow>(sql, [id]);
    if (!row) throw new DomainError("not-found", `no recording '${id}'`);
    return row;
  }

  /** What `decide()` needs to know about a recording. */
  async accessOf(
    tx: Transaction | null,
    id: string,
  ): Promise<RecordingAccess & { row: RecordingRow }> {
    const row = await this.row(tx, id);
    const all = <T>(sql: string): Promise<T[]> =>
      tx ? tx.all<T>(sql, [id]) : this.db.all<T>(sql, [id]);
    const shares = await all<{
      with_id: string;
      expires_at: string | null;
      revoked_at: string | null;
    }>("SELECT with_id, expires_at, revoked_at FROM shares WHERE recording_id = ?");
    const investigations = await all<{
      opened_by: string;
      reason: string;
      closed_at: string | null;
    }>("SELECT opened_by, reason, closed_at FROM investigations WHERE recording_id = ?");
    return {
      row,
      ownerId: row.owner_id ?? "",
      staff: JSON.parse(row.staff_json) as string[],
      onHold: row.held === 1,
      shares: shares.map((s) => ({
        withId: s.with_id,
        expiresAt: s.expires_at,
        revoked: s.revoked_at !== null,
      })),
      investigations: investigations.map((i) => ({
        openedBy: i.opened_by,
        reason: i.reason,
        closed: i.closed_at !== null,
      })),
    };
  }

  /** Refuses with `decide()`'s reason unless `person` may do `action`. */
  private async authorise(
    tx: Transaction | null,
    person: Person,
    action: RecordingAction,
    id: string,
    reason = "",
  ): Promise<RecordingAccess & { row: RecordingRow; basis: string }> {
    const access = await this.accessOf(tx, id);
    const decision = decide(person, action, access, this.clock(), reason);
    if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
    return { ...access, basis: decision.basis };
  }

  async list(person: Person, scope: ListScope, before?: string): Promise<RecordingSummary[]> {
    const conditions: string[] = ["r.deleted_at IS NULL"];
    const params: unknown[] = [];
    switch (scope) {
      case "mine":
        conditions.push("r.owner_id = ?");
        params.push(person.id);
        break;
      case "shared":
        // a share gives nothing to someone who may not be shared with (made before that rule)
        if (!mayBeSharedWith(person).allowed) return [];
        conditions.push(
          "r.id IN (SELECT recording_id FROM shares WHERE with_id = ? AND revoked_at IS NULL " +
            "AND (expires_at IS NULL OR expires_at > ?))",
        );
        params.push(person.id, this.clock().toISOString());
        break;
      case "investigating":
        conditions.push(
          "r.id IN (SELECT recording_id FROM investigations WHERE opened_by = ? AND closed_at IS NULL)",
        );
        params.push(person.id);
        break;
      case "all":
      case "flagged":
        if (
          !person.roles.some((role) =>
            ["slt", "headteacher", "bursar", "it", "dpo", "admin"].includes(role),
          )
        ) {
          throw new DomainError(
            "forbidden",
            "only leadership, the Bursar, IT, the DPO and administrators list every recording",
          );
        }
        if (scope === "flagged") conditions.push("r.flag IS NOT NULL");
        break;
    }
    if (before !== undefined) {
      conditions.push("r.started_at < ?");
      params.push(new Date(before).toISOString());
    }
    const rows = await this.db.all<RecordingRow>(
      `${SELECT} WHERE ${conditions.join(" AND ")} ORDER BY r.started_at DESC LIMIT ${MAX_LIST}`,
      params,
    );
    return this.summaries(rows);
  }

  async detail(person: Person, id: string): Promise<RecordingDetail> {
    const access = await this.authorise(null, person, "view-metadata", id);
    const { row } = access;
    const owner = person.id === row.owner_id;
    const leadership = person.roles.some((role) => LEADERSHIP.includes(role));
    const staff = JSON.parse(row.staff_json) as string[];
    const consentRows = await this.db.all<{
      id: string;
      display_name: string;
      decision: "agree" | "decline" | null;
      decided_at: string | null;
    }>(
      `SELECT u.id, u.display_name, c.decision, c.decided_at
       FROM users u LEFT JOIN consents c ON c.user_id = u.id AND c.recording_id = ?
       WHERE u.id IN (SELECT value FROM json_each(?)) ORDER BY u.id`,
      [id, row.staff_json],
    );
    const shares = owner
      ? await this.db.all<{
          id: number;
          with_id: string;
          display_name: string;
          created_at: string;
          expires_at: string | null;
          revoked_at: string | null;
        }>(
          `SELECT s.id, s.with_id, u.display_name, s.created_at, s.expires_at, s.revoked_at
           FROM shares s JOIN users u ON u.id = s.with_id WHERE s.recording_id = ? ORDER BY s.id`,
          [id],
        )
      : [];
    const investigations = owner || leadership ? await this.investigationsOf(id) : [];
    const holds = owner || leadership || person.roles.includes("dpo") ? await this.holdsOf(id) : [];
    const upload = await this.db.get<NonNullable<FootageFacts["upload"]>>(
      `SELECT wanted_at, requested_at, manifest_at, total_bytes, received_bytes
       FROM uploads WHERE recording_id = ?`,
      [id],
    );
    const now = this.clock();
    const allowed = RECORDING_ACTIONS.filter(
      (action) => action !== "view-metadata" && action !== "download",
    ).filter(
      (action) => decide(person, action, access, now, "x".repeat(MIN_INVESTIGATION_REASON)).allowed,
    );
    return {
      ...this.summary(row, (await this.policy.get()).retention.bufferDays),
      consents:
        row.archive_state === "none"
          ? []
          : staff.map((userId) => {
              const c = consentRows.find((r) => r.id === userId);
              return {
                userId,
                name: c?.display_name ?? userId,
                decision: c?.decision ?? "pending",
                decidedAt: c?.decided_at ?? null,
              };
            }),
      shares: shares.map((s) => ({
        shareId: s.id,
        withId: s.with_id,
        withName: s.display_name,
        createdAt: s.created_at,
        expiresAt: s.expires_at,
        revokedAt: s.revoked_at,
      })),
      investigations,
      holds,
      allowed,
      footage: footageStatus({
        onController: row.on_controller === 1,
        onDevice: row.on_device === 1,
        deleted: row.deleted_at !== null,
        archiveState: row.archive_state,
        ...(upload && { upload }),
      }),
    };
  }

  private async investigationsOf(id: string): Promise<Investigation[]> {
    const rows = await this.db.all<{
      id: number;
      recording_id: string;
      opened_by: string;
      reason: string;
      opened_at: string;
      closed_at: string | null;
    }>("SELECT * FROM investigations WHERE recording_id = ? ORDER BY id", [id]);
    return rows.map((r) => ({
      investigationId: r.id,
      recordingId: r.recording_id,
      openedBy: r.opened_by,
      reason: r.reason,
      openedAt: r.opened_at,
      closedAt: r.closed_at,
    }));
  }

  private async holdsOf(id: string | null): Promise<Hold[]> {
    const rows = await this.db.all<{
      id: number;
      recording_id: string;
      placed_by: string;
      reason: string;
      placed_at: string;
      released_by: string | null;
      release_reason: string | null;
      released_at: string | null;
    }>(
      id === null
        ? "SELECT * FROM holds WHERE released_at IS NULL ORDER BY id"
        : "SELECT * FROM holds WHERE recording_id = ? ORDER BY id",
      id === null ? [] : [id],
    );
    return rows.map((r) => ({
      holdId: r.id,
      recordingId: r.recording_id,
      placedBy: r.placed_by,
      reason: r.reason,
      placedAt: r.placed_at,
      releasedBy: r.released_by,
      releaseReason: r.release_reason,
      releasedAt: r.released_at,
    }));
  }

  /** Holds in force, for SLT, the headteacher and the DPO. */
  async activeHolds(person: Person): Promise<Hold[]> {
    if (!person.roles.some((role) => [...LEADERSHIP, "dpo"].includes(role))) {
      throw new DomainError("forbidden", "only SLT, the headteacher and the DPO list holds");
    }
    return this.holdsOf(null);
  }

  /** Opening footage to watch: allowed or not, and audited either way it is allowed. */
  async view(
    person: Person & { name: string },
    id: string,
  ): Promise<{ recordingId: string; basis: string; watermark: string }> {
    return this.db.transaction(async (tx) => {
      const access = await this.authorise(tx, person, "view", id);
      if (access.row.deleted_at !== null) {
        throw new DomainError("conflict", "the recording has been deleted");
      }
      const at = this.clock().toISOString();
      await this.audit.append(tx, {
        actor: person.id,
        action: "recording.view",
        subject: id,
        detail: { basis: access.basis },
      });
      return { recordingId: id, basis: access.basis, watermark: `${person.name} · ${at}` };
    });
  }

  async comments(person: Person, id: string): Promise<Comment[]> {
    await this.authorise(null, person, "view", id);
    const rows = await this.db.all<{
      id: number;
      recording_id: string;
      author_id: string;
      display_name: string;
      at_seconds: number;
      body: string;
      created_at: string;
    }>(
      `SELECT c.id, c.recording_id, c.author_id, u.display_name, c.at_seconds, c.body, c.created_at
       FROM comments c JOIN users u ON u.id = c.author_id
       WHERE c.recording_id = ? ORDER BY c.at_seconds, c.id`,
      [id],
    );
    return rows.map((r) => ({
      commentId: r.id,
      recordingId: r.recording_id,
      authorId: r.author_id,
      authorName: r.display_name,
      atSeconds: r.at_seconds,
      body: r.body,
      createdAt: r.created_at,
    }));
  }

  async comment(person: Person, id: string, atSeconds: number, body: string): Promise<Comment> {
    const text = body.trim();
    if (text.length === 0) throw new DomainError("invalid", "a comment needs some text");
    const commentId = await this.db.transaction(async (tx) => {
      const { row } = await this.authorise(tx, person, "comment", id);
      if (row.duration_seconds !== null && atSeconds > row.duration_seconds) {
        throw new DomainError(
          "invalid",
          `the recording is ${Math.floor(row.duration_seconds)} s long; a comment at ${atSeconds} s is past its end`,
        );
      }
      const { lastID } = await tx.run(
        "INSERT INTO comments (recording_id, author_id, at_seconds, body, created_at) VALUES (?, ?, ?, ?, ?)",
        [id, person.id, atSeconds, text, this.clock().toISOString()],
      );
      await this.audit.append(tx, {
        actor: person.id,
        action: "comment.add",
        subject: id,
        detail: { commentId: lastID, atSeconds },
      });
      return lastID;
    });
    const found = (await this.comments(person, id)).find((c) => c.commentId === commentId);
    if (!found) throw new Error(`comment ${commentId} vanished`);
    return found;
  }

  async share(
    person: Person,
    id: string,
    withId: string,
    expiresAt: string | null,
  ): Promise<Share> {
    const shareId = await this.db.transaction(async (tx) => {
      const { row } = await this.authorise(tx, person, "share", id);
      if (row.deleted_at !== null)
        throw new DomainError("conflict", "the recording has been deleted");
      if (withId === person.id) throw new DomainError("invalid", "you cannot share with yourself");
      const user = await tx.get<{ status: string; roles_json: string }>(
        "SELECT status, roles_json FROM users WHERE id = ?",
        [withId],
      );
      if (!user) throw new DomainError("invalid", `no member of staff '${withId}'`);
      if (user.status !== "active")
        throw new DomainError("invalid", `'${withId}' has no active account`);
      const recipient = mayBeSharedWith({
        id: withId,
        roles: JSON.parse(user.roles_json) as Role[],
      });
      if (!recipient.allowed) throw new DomainError("invalid", recipient.reason);
      if (expiresAt !== null) expiresAt = new Date(expiresAt).toISOString();
      if (expiresAt !== null && Date.parse(expiresAt) <= this.clock().getTime()) {
        throw new DomainError("invalid", "the share's expiry is in the past");
      }
      const existing = await tx.get<{ id: number }>(
        "SELECT id FROM shares WHERE recording_id = ? AND with_id = ? AND revoked_at IS NULL " +
          "AND (expires_at IS NULL OR expires_at > ?)",
        [id, withId, this.clock().toISOString()],
      );
      if (existing) {
        throw new DomainError("conflict", `the recording is already shared with '${withId}'`);
      }
      const { lastID } = await tx.run(
        "INSERT INTO shares (recording_id, with_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        [id, withId, person.id, this.clock().toISOString(), expiresAt],
      );
      await this.audit.append(tx, {
        actor: person.id,
        action: "share.create",
        subject: id,
        detail: { shareId: lastID, with: withId, expiresAt },
      });
      return lastID;
    });
    const detail = await this.detail(person, id);
    const share = detail.shares.find((s) => s.shareId === shareId);
    if (!share) throw new Error(`share ${shareId} vanished`);
    return share;
  }

  async revokeShare(person: Person, id: string, shareId: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.authorise(tx, person, "share", id);
      const { changes } = await tx.run(
        "UPDATE shares SET revoked_at = ? WHERE id = ? AND recording_id = ? AND revoked_at IS NULL",
        [this.clock().toISOString(), shareId, id],
      );
      if (changes === 0)
        throw new DomainError("not-found", `no share ${shareId} in force on this recording`);
      await this.audit.append(tx, {
        actor: person.id,
        action: "share.revoke",
        subject: id,
        detail: { shareId },
      });
    });
  }

  /** The owner asks to keep a recording; the owner's own consent is given with the request. */
  async requestArchive(person: Person, id: string, exemplar: boolean | undefined): Promise<void> {
    const done = await this.db.transaction(async (tx) => {
      const { row } = await this.authorise(tx, person, "request-archive", id);
      if (row.deleted_at !== null || row.on_device === 0) {
        throw new DomainError("conflict", "the recording is no longer in the device's buffer");
      }
      if (row.ended_at === null) {
        throw new DomainError(
          "conflict",
          "the recording is still in progress; ask when it has ended",
        );
      }
      if (row.archive_state !== "none") {
        throw new DomainError(
          "conflict",
          `keeping it was already asked for (${row.archive_state})`,
        );
      }
      const now = this.clock().toISOString();
      await tx.run(
        "UPDATE recordings SET archive_state = 'awaiting-consent', archive_requested_at = ?, exemplar = ? WHERE id = ?",
        [now, (exemplar ?? row.purpose === "exemplar-bank") ? 1 : 0, id],
      );
      await tx.run("DELETE FROM consents WHERE recording_id = ?", [id]);
      await tx.run(
        "INSERT INTO consents (recording_id, user_id, decision, decided_at) VALUES (?, ?, 'agree', ?)",
        [id, person.id, now],
      );
      await this.audit.append(tx, {
        actor: person.id,
        action: "archive.request",
        subject: id,
        detail: { exemplar: exemplar ?? row.purpose === "exemplar-bank" },
      });
      return this.settleArchive(tx, id, person.id);
    });
    this.afterArchiveChange(id, done);
  }

  /**
   * Acts on `archiveVerdict()` over the consents given so far: everyone agreed,
   * so the recording is protected on the device and uploaded (true); someone
   * declined or withdrew, so the request is cancelled; or it waits.
   */
  private async settleArchive(tx: Transaction, id: string, actor: string): Promise<boolean> {
    const row = await this.row(tx, id);
    if (row.archive_state !== "awaiting-consent" && row.archive_state !== "uploading") return false;
    const staff = JSON.parse(row.staff_json) as string[];
    const decisions = await tx.all<{ userId: string; decision: "agree" | "decline" }>(
      "SELECT user_id AS userId, decision FROM consents WHERE recording_id = ? ORDER BY decided_at",
      [id],
    );
    const verdict = archiveVerdict(staff, decisions);
    switch (verdict.verdict) {
      case "cancelled":
        await this.cancelArchive(tx, id, actor, "a member of staff declined");
        return false;
      case "waiting":
        return false;
      case "archive":
        if (row.archive_state !== "awaiting-consent") return false;
        await tx.run("UPDATE recordings SET archive_state = 'uploading' WHERE id = ?", [id]);
        await this.audit.append(tx, {
          actor: "system",
          action: "archive.consented",
          subject: id,
          detail: { staff },
        });
        return true;
    }
  }

  private afterArchiveChange(id: string, uploadNow: boolean): void {
    void this.row(null, id).then(
      (row) => {
        this.emit("protectionChanged", row.device_id);
        if (uploadNow) this.emit("uploadWanted", id);
      },
      () => undefined,
    );
  }

  /** Each member of staff on the booking agrees or declines, in their own session. */
  async consent(person: Person, id: string, decision: "agree" | "decline"): Promise<void> {
    const upload = await this.db.transaction(async (tx) => {
      const { row } = await this.authorise(tx, person, "consent", id);
      if (row.archive_state === "none") {
        throw new DomainError("conflict", "nobody has asked to keep this recording");
      }
      if (row.archive_state === "archived") {
        throw new DomainError(
          "conflict",
          "the recording is already archived; ask its owner to delete it if you no longer agree",
        );
      }
      const now = this.clock().toISOString();
      await tx.run(
        "INSERT INTO consents (recording_id, user_id, decision, decided_at) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (recording_id, user_id) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at",
        [id, person.id, decision, now],
      );
      await this.audit.append(tx, {
        actor: person.id,
        action: decision === "agree" ? "consent.give" : "consent.withdraw",
        subject: id,
      });
      return this.settleArchive(tx, id, person.id);
    });
    this.afterArchiveChange(id, upload);
  }

  private async cancelArchive(
    tx: Transaction,
    id: string,
    actor: string,
    why: string,
  ): Promise<void> {
    await tx.run(
      "UPDATE recordings SET archive_state = 'none', archive_requested_at = NULL, exemplar = 0, " +
        "upload_token_hash = NULL WHERE id = ?",
      [id],
    );
    await this.audit.append(tx, { actor, action: "archive.cancel", subject: id, detail: { why } });
  }

  /** The owner withdraws the request to keep, before the upload is done. */
  async withdrawArchive(person: Person, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { row } = await this.authorise(tx, person, "request-archive", id);
      if (row.archive_state === "none")
        throw new DomainError("conflict", "keeping it was not asked for");
      if (row.archive_state === "archived") {
        throw new DomainError("conflict", "the recording is already archived; delete it instead");
      }
      await this.cancelArchive(tx, id, person.id, "the owner withdrew the request");
    });
    this.afterArchiveChange(id, false);
  }

  /** Recordings waiting for my consent. */
  async awaitingMyConsent(person: Person): Promise<RecordingSummary[]> {
    const rows = await this.db.all<RecordingRow>(
      `${SELECT} WHERE r.archive_state = 'awaiting-consent' AND r.deleted_at IS NULL
         AND ? IN (SELECT value FROM json_each(r.staff_json))
         AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.recording_id = r.id AND c.user_id = ?)
       ORDER BY r.started_at DESC LIMIT ${MAX_LIST}`,
      [person.id, person.id],
    );
    return this.summaries(rows);
  }

  /** The owner deletes a recording (refused while it is on hold); the sweep carries it out. */
  async requestDeletion(person: Person, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { row } = await this.authorise(tx, person, "delete", id);
      if (row.deleted_at !== null)
        throw new DomainError("conflict", "the recording is already deleted");
      if (row.ended_at === null) {
        throw new DomainError("conflict", "the recording is still in progress; stop it first");
      }
      await tx.run(
        "UPDATE recordings SET deletion_requested_at = coalesce(deletion_requested_at, ?) WHERE id = ?",
        [this.clock().toISOString(), id],
      );
      if (row.archive_state === "awaiting-consent" || row.archive_state === "uploading") {
        await this.cancelArchive(tx, id, person.id, "the owner deleted the recording");
      }
      await this.audit.append(tx, { actor: person.id, action: "recording.delete", subject: id });
    });
    this.emit("deletionWanted", id);
  }

  async placeHold(person: Person, id: string, reason: string): Promise<Hold> {
    if (reason.trim().length < MIN_HOLD_REASON) {
      throw new DomainError(
        "invalid",
        `give a written reason of at least ${MIN_HOLD_REASON} characters`,
      );
    }
    const holdId = await this.db.transaction(async (tx) => {
      const { row } = await this.authorise(tx, person, "place-hold", id);
      if (row.deleted_at !== null)
        throw new DomainError("conflict", "the recording has been deleted");
      const { lastID } = await tx.run(
        "INSERT INTO holds (recording_id, placed_by, reason, placed_at) VALUES (?, ?, ?, ?)",
        [id, person.id, reason.trim(), this.clock().toISOString()],
      );
      // a deletion not yet carried out waits for the hold's release
      await tx.run("DELETE FROM deletions WHERE recording_id = ? AND done_at IS NULL", [id]);
      await this.audit.append(tx, {
        actor: person.id,
        action: "hold.place",
        subject: id,
        detail: { holdId: lastID, reason: reason.trim() },
      });
      return lastID;
    });
    const row = await this.row(null, id);
    this.emit("protectionChanged", row.device_id);
    const hold = (await this.holdsOf(id)).find((h) => h.holdId === holdId);
    if (!hold) throw new Error(`hold ${holdId} vanished`);
    return hold;
  }

  async releaseHold(person: Person, holdId: number, reason: string): Promise<Hold> {
    if (reason.trim().length < MIN_HOLD_REASON) {
      throw new DomainError(
        "invalid",
        `give a written reason of at least ${MIN_HOLD_REASON} characters`,
      );
    }
    const recordingId = await this.db.transaction(async (tx) => {
      const hold = await tx.get<{ recording_id: string; released_at: string | null }>(
        "SELECT recording_id, released_at FROM holds WHERE id = ?",
        [holdId],
      );
      if (!hold) throw new DomainError("not-found", `no hold ${holdId}`);
      await this.authorise(tx, person, "release-hold", hold.recording_id);
      if (hold.released_at !== null)
        throw new DomainError("conflict", `hold ${holdId} was already released`);
      await tx.run(
        "UPDATE holds SET released_by = ?, release_reason = ?, released_at = ? WHERE id = ?",
        [person.id, reason.trim(), this.clock().toISOString(), holdId],
      );
      await this.audit.append(tx, {
        actor: person.id,
        action: "hold.release",
        subject: hold.recording_id,
        detail: { holdId, reason: reason.trim() },
      });
      return hold.recording_id;
    });
    const row = await this.row(null, recordingId);
    this.emit("protectionChanged", row.device_id);
    const hold = (await this.holdsOf(recordingId)).find((h) => h.holdId === holdId);
    if (!hold) throw new Error(`hold ${holdId} vanished`);
    return hold;
  }

  async openInvestigation(person: Person, id: string, reason: string): Promise<Investigation> {
    if (reason.trim().length < MIN_INVESTIGATION_REASON) {
      throw new DomainError(
        "invalid",
        `give a written reason of at least ${MIN_INVESTIGATION_REASON} characters`,
      );
    }
    const investigationId = await this.db.transaction(async (tx) => {
      await this.authorise(tx, person, "open-investigation", id, reason);
      const open = await tx.get(
        "SELECT 1 FROM investigations WHERE recording_id = ? AND opened_by = ? AND closed_at IS NULL",
        [id, person.id],
      );
      if (open)
        throw new DomainError(
          "conflict",
          "you already have an investigation open on this recording",
        );
      const { lastID } = await tx.run(
        "INSERT INTO investigations (recording_id, opened_by, reason, opened_at) VALUES (?, ?, ?, ?)",
        [id, person.id, reason.trim(), this.clock().toISOString()],
      );
      await this.audit.append(tx, {
        actor: person.id,
        action: "investigation.open",
        subject: id,
        detail: { investigationId: lastID, reason: reason.trim() },
      });
      return lastID;
    });
    const found = (await this.investigationsOf(id)).find(
      (i) => i.investigationId === investigationId,
    );
    if (!found) throw new Error(`investigation ${investigationId} vanished`);
    return found;
  }

  async closeInvestigation(person: Person, investigationId: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await tx.get<{
        recording_id: string;
        opened_by: string;
        closed_at: string | null;
      }>("SELECT recording_id, opened_by, closed_at FROM investigations WHERE id = ?", [
        investigationId,
      ]);
      if (!row) throw new DomainError("not-found", `no investigation ${investigationId}`);
      if (row.opened_by !== person.id && !person.roles.includes("headteacher")) {
        throw new DomainError(
          "forbidden",
          "only whoever opened an investigation, or the headteacher, closes it",
        );
      }
      if (row.closed_at !== null)
        throw new DomainError("conflict", "the investigation is already closed");
      await tx.run("UPDATE investigations SET closed_at = ? WHERE id = ?", [
        this.clock().toISOString(),
        investigationId,
      ]);
      await this.audit.append(tx, {
        actor: person.id,
        action: "investigation.close",
        subject: row.recording_id,
        detail: { investigationId },
      });
    });
  }

  /** An exemplar is kept until released; then archive retention applies to it. */
  async releaseExemplar(person: Person, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const access = await this.accessOf(tx, id);
      const leadership = person.roles.some((role) => LEADERSHIP.includes(role));
      if (access.row.owner_id !== person.id && !leadership) {
        throw new DomainError(
          "forbidden",
          "only the owner, SLT or the headteacher release an exemplar",
        );
      }
      if (access.row.exemplar !== 1 || access.row.archive_state !== "archived") {
        throw new DomainError("conflict", "the recording is not an archived exemplar");
      }
      await tx.run("UPDATE recordings SET exemplar = 0 WHERE id = ?", [id]);
      await this.audit.append(tx, { actor: person.id, action: "exemplar.release", subject: id });
    });
  }
}
