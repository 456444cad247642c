/**
 * Finding recordings and looking at one: the lists (mine, shared with me,
 * investigating, every one, flagged, awaiting my consent), a recording's
 * details with what the person asking may do, and opening its footage
 * (audited).
 */
import {
  LEADERSHIP,
  METADATA_ROLES,
  MIN_INVESTIGATION_REASON,
  RECORDING_ACTIONS,
  decide,
  mayBeSharedWith,
  type Person,
} from "../access.js";
import { DomainError } from "../errors.js";
import { footageStatus, type FootageFacts } from "../footage-facts.js";
import { keptUntil } from "../retention.js";
import { authorise, summaries, type RecordingContext } from "./context.js";
import { holdsOf } from "./holds.js";
import { investigationsOf } from "./investigations.js";
import {
  MAX_LIST,
  SELECT,
  summary,
  type ListScope,
  type RecordingDetail,
  type RecordingRow,
  type RecordingSummary,
} from "./model.js";

export async function list(
  ctx: RecordingContext,
  person: Person,
  scope: ListScope,
  before?: string,
): Promise<RecordingSummary[]> {
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
      params.push(person.id, ctx.clock().toISOString());
      break;
    case "investigating":
      conditions.push(
        "r.id IN (SELECT recording_id FROM investigations WHERE opened_by = ? AND closed_at IS NULL)",
      );
      params.push(person.id);
      break;
    case "all":
    case "flagged":
      if (!person.roles.some((role) => METADATA_ROLES.includes(role))) {
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
  const rows = await ctx.db.all<RecordingRow>(
    `${SELECT} WHERE ${conditions.join(" AND ")} ORDER BY r.started_at DESC LIMIT ${MAX_LIST}`,
    params,
  );
  return summaries(ctx, rows);
}

export async function detail(
  ctx: RecordingContext,
  person: Person,
  id: string,
): Promise<RecordingDetail> {
  const access = await authorise(ctx, null, person, "view-metadata", id);
  const { row } = access;
  const owner = person.id === row.owner_id;
  const leadership = person.roles.some((role) => LEADERSHIP.includes(role));
  const staff = JSON.parse(row.staff_json) as string[];
  const consentRows = await ctx.db.all<{
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
    ? await ctx.db.all<{
        id: number;
        with_id: string;
        display_name: string;
        created_at: string;
        expires_at: string | null;
        revoked_at: string | null;
        unblurred: number;
      }>(
        `SELECT s.id, s.with_id, u.display_name, s.created_at, s.expires_at, s.revoked_at,
           s.unblurred
         FROM shares s JOIN users u ON u.id = s.with_id WHERE s.recording_id = ? ORDER BY s.id`,
        [id],
      )
    : [];
  const investigations = owner || leadership ? await investigationsOf(ctx, id) : [];
  const holds = owner || leadership || person.roles.includes("dpo") ? await holdsOf(ctx, id) : [];
  const upload = await ctx.db.get<NonNullable<FootageFacts["upload"]>>(
    `SELECT wanted_at, requested_at, manifest_at, total_bytes, received_bytes
     FROM uploads WHERE recording_id = ?`,
    [id],
  );
  const now = ctx.clock();
  const allowed = RECORDING_ACTIONS.filter(
    (action) => action !== "view-metadata" && action !== "download",
  ).filter(
    (action) => decide(person, action, access, now, "x".repeat(MIN_INVESTIGATION_REASON)).allowed,
  );
  const watch = decide(person, "view", access, now);
  const { retention } = await ctx.policy.get();
  const until =
    row.archive_state === "archived" && row.archived_at !== null && row.deleted_at === null
      ? keptUntil(
          { archivedAt: row.archived_at, exemplar: row.exemplar === 1 },
          retention.archiveDays,
        )
      : null;
  return {
    ...summary(row, retention.bufferDays),
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
      unblurred: s.unblurred === 1,
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
    cannotWatch: watch.allowed ? null : watch.reason,
    keptUntil: until === null ? null : until.toISOString(),
  };
}

/** Opening footage to watch: allowed or not, and audited either way it is allowed. */
export async function view(
  ctx: RecordingContext,
  person: Person & { name: string },
  id: string,
): Promise<{ recordingId: string; basis: string; watermark: string }> {
  return ctx.db.transaction(async (tx) => {
    const access = await authorise(ctx, tx, person, "view", id);
    if (access.row.deleted_at !== null) {
      throw new DomainError("conflict", "the recording has been deleted");
    }
    const at = ctx.clock().toISOString();
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "recording.view",
      subject: id,
      detail: { basis: access.basis },
    });
    return { recordingId: id, basis: access.basis, watermark: `${person.name} · ${at}` };
  });
}

/** Recordings waiting for my consent. */
export async function awaitingMyConsent(
  ctx: RecordingContext,
  person: Person,
): Promise<RecordingSummary[]> {
  const rows = await ctx.db.all<RecordingRow>(
    `${SELECT} WHERE r.archive_state = 'awaiting-consent' AND r.deleted_at IS NULL
       AND ? IN (SELECT value FROM json_each(r.staff_json))
       AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.recording_id = r.id AND c.user_id = ?)
     ORDER BY r.started_at DESC LIMIT ${MAX_LIST}`,
    [person.id, person.id],
  );
  return summaries(ctx, rows);
}
