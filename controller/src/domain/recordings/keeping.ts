/**
 * Keeping a recording, or not: the owner asks to keep it (archive, by every
 * member of staff's consent, `archiveVerdict()`), withdraws the request, or
 * deletes it; an exemplar is kept until released.
 */
import type { Transaction } from "../../db/database.js";
import { LEADERSHIP, type Person } from "../access.js";
import { archiveVerdict } from "../consent.js";
import { DomainError } from "../errors.js";
import { accessOf, authorise, recordingRow, type RecordingContext } from "./context.js";
import { askConsent } from "./consent-asked.js";
import type { RecordingRow } from "./model.js";

/** The owner asks to keep a recording; the owner's own consent is given with the request. */
export async function requestArchive(
  ctx: RecordingContext,
  person: Person,
  id: string,
  exemplar: boolean | undefined,
): Promise<void> {
  const done = await ctx.db.transaction(async (tx) => {
    const { row } = await authorise(ctx, tx, person, "request-archive", id);
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
      throw new DomainError("conflict", `keeping it was already asked for (${row.archive_state})`);
    }
    const now = ctx.clock().toISOString();
    await tx.run(
      "UPDATE recordings SET archive_state = 'awaiting-consent', archive_requested_at = ?, exemplar = ? WHERE id = ?",
      [now, (exemplar ?? row.purpose === "exemplar-bank") ? 1 : 0, id],
    );
    await tx.run("DELETE FROM consents WHERE recording_id = ?", [id]);
    await tx.run(
      "INSERT INTO consents (recording_id, user_id, decision, decided_at) VALUES (?, ?, 'agree', ?)",
      [id, person.id, now],
    );
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "archive.request",
      subject: id,
      detail: { exemplar: exemplar ?? row.purpose === "exemplar-bank" },
    });
    await askConsent(tx, ctx.clock(), row, person.id);
    return settleArchive(ctx, tx, id, person.id);
  });
  afterArchiveChange(ctx, id, done);
}

/**
 * Acts on `archiveVerdict()` over the consents given so far: everyone agreed,
 * so the recording is protected on the device and uploaded (true); someone
 * declined or withdrew, so the request is cancelled; or it waits.
 */
export async function settleArchive(
  ctx: RecordingContext,
  tx: Transaction,
  id: string,
  actor: string,
): Promise<boolean> {
  const row = await recordingRow(ctx, tx, id);
  if (row.archive_state !== "awaiting-consent" && row.archive_state !== "uploading") return false;
  const staff = JSON.parse(row.staff_json) as string[];
  const decisions = await tx.all<{ userId: string; decision: "agree" | "decline" }>(
    "SELECT user_id AS userId, decision FROM consents WHERE recording_id = ? ORDER BY decided_at",
    [id],
  );
  const verdict = archiveVerdict(staff, decisions);
  switch (verdict.verdict) {
    case "cancelled":
      await cancelArchive(ctx, tx, id, actor, "a member of staff declined");
      return false;
    case "waiting":
      return false;
    case "archive":
      if (row.archive_state !== "awaiting-consent") return false;
      await tx.run("UPDATE recordings SET archive_state = 'uploading' WHERE id = ?", [id]);
      await ctx.audit.append(tx, {
        actor: "system",
        action: "archive.consented",
        subject: id,
        detail: { staff },
      });
      return true;
  }
}

export function afterArchiveChange(ctx: RecordingContext, id: string, uploadNow: boolean): void {
  void recordingRow(ctx, null, id).then(
    (row) => {
      ctx.events.emit("protectionChanged", row.device_id);
      if (uploadNow) ctx.events.emit("uploadWanted", id);
    },
    () => undefined,
  );
}

/** Each member of staff on the booking agrees or declines, in their own session. */
export async function consent(
  ctx: RecordingContext,
  person: Person,
  id: string,
  decision: "agree" | "decline",
): Promise<void> {
  const upload = await ctx.db.transaction(async (tx) => {
    const { row } = await authorise(ctx, tx, person, "consent", id);
    if (row.archive_state === "none") {
      throw new DomainError("conflict", "nobody has asked to keep this recording");
    }
    if (row.archive_state === "archived") {
      throw new DomainError(
        "conflict",
        "the recording is already archived; ask its owner to delete it if you no longer agree",
      );
    }
    const now = ctx.clock().toISOString();
    await tx.run(
      "INSERT INTO consents (recording_id, user_id, decision, decided_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (recording_id, user_id) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at",
      [id, person.id, decision, now],
    );
    await ctx.audit.append(tx, {
      actor: person.id,
      action: decision === "agree" ? "consent.give" : "consent.withdraw",
      subject: id,
    });
    return settleArchive(ctx, tx, id, person.id);
  });
  afterArchiveChange(ctx, id, upload);
}

export async function cancelArchive(
  ctx: RecordingContext,
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
  await ctx.audit.append(tx, { actor, action: "archive.cancel", subject: id, detail: { why } });
}

/** The owner withdraws the request to keep, before the upload is done. */
export async function withdrawArchive(
  ctx: RecordingContext,
  person: Person,
  id: string,
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { row } = await authorise(ctx, tx, person, "request-archive", id);
    if (row.archive_state === "none")
      throw new DomainError("conflict", "keeping it was not asked for");
    if (row.archive_state === "archived") {
      throw new DomainError("conflict", "the recording is already archived; delete it instead");
    }
    await cancelArchive(ctx, tx, id, person.id, "the owner withdrew the request");
  });
  afterArchiveChange(ctx, id, false);
}

/** The owner deletes a recording (refused while it is on hold); the sweep carries it out. */
export async function requestDeletion(
  ctx: RecordingContext,
  person: Person,
  id: string,
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const { row } = await authorise(ctx, tx, person, "delete", id);
    if (row.deleted_at !== null)
      throw new DomainError("conflict", "the recording is already deleted");
    if (row.ended_at === null) {
      throw new DomainError("conflict", "the recording is still in progress; stop it first");
    }
    await markForDeletion(ctx, tx, row, person.id, "the owner deleted the recording");
    await ctx.audit.append(tx, { actor: person.id, action: "recording.delete", subject: id });
  });
  ctx.events.emit("deletionWanted", id);
}

/**
 * Marks a recording for the sweep to delete everywhere (a request to keep it
 * goes too), in the caller's transaction: the owner's deletion and the DPO's
 * erasure (domain/privacy/dpo-erasure.ts), each after its own decision.
 * The caller emits `deletionWanted` once the transaction has committed.
 */
export async function markForDeletion(
  ctx: RecordingContext,
  tx: Transaction,
  row: RecordingRow,
  actor: string,
  why: string,
): Promise<void> {
  await tx.run(
    "UPDATE recordings SET deletion_requested_at = coalesce(deletion_requested_at, ?) WHERE id = ?",
    [ctx.clock().toISOString(), row.id],
  );
  if (row.archive_state === "awaiting-consent" || row.archive_state === "uploading") {
    await cancelArchive(ctx, tx, row.id, actor, why);
  }
}

/** An exemplar is kept until released; then archive retention applies to it. */
export async function releaseExemplar(
  ctx: RecordingContext,
  person: Person,
  id: string,
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const access = await accessOf(ctx, tx, id);
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
    await ctx.audit.append(tx, { actor: person.id, action: "exemplar.release", subject: id });
  });
}
