/**
 * The DPO's erasure requests: every named recording is deleted on every box
 * and on the controller, by the same path as an owner's deletion (marked,
 * then the retention sweep deletes the controller's copy and asks the box for
 * its own), unless `mayErase()` refuses — footage on hold, with the reason.
 * Then a deletion certificate, read back from the audit log: what was deleted,
 * where, when, under which request, each step's audit entry and the chain's
 * hash at that point, checkable with `classcam-controller audit verify`.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "../../db/database.js";
import type { Person } from "../access.js";
import type { AuditEntry, AuditLog } from "../audit.js";
import type { Clock } from "../clock.js";
import { DomainError } from "../errors.js";
import type { PolicyStore } from "../policy.js";
import type { Recordings } from "../recordings.js";
import { recordingRow } from "../recordings/context.js";
import { markForDeletion } from "../recordings/keeping.js";
import { MAX_FOUND } from "./dpo-find.js";
import { mayErase } from "./dpo-rules.js";

/** The shortest and longest reference a request is filed under (the DPO's own numbering). */
export const REFERENCE = { min: 3, max: 200 } as const;

export interface ErasureDeps {
  db: Database;
  audit: AuditLog;
  policy: PolicyStore;
  recordings: Recordings;
  clock: Clock;
}

export interface ErasureAnswer {
  erasureId: string;
  reference: string;
  /** Recordings marked for erasure: the sweep deletes them now, a box when it is online. */
  erasing: string[];
  refused: { recordingId: string; reason: string }[];
}

/** Every reason a request's reference and recordings cannot stand. */
export function requestProblems(reference: string, recordingIds: readonly string[]): string[] {
  const problems: string[] = [];
  const trimmed = reference.trim();
  if (trimmed.length < REFERENCE.min || trimmed.length > REFERENCE.max) {
    problems.push(
      `give the request's reference, ${REFERENCE.min} to ${REFERENCE.max} characters (e.g. SAR-2026-014)`,
    );
  }
  if (recordingIds.length === 0) problems.push("name at least one recording");
  if (recordingIds.length > MAX_FOUND) problems.push(`at most ${MAX_FOUND} recordings at a time`);
  if (new Set(recordingIds).size !== recordingIds.length)
    problems.push("a recording is named twice");
  return problems;
}

export async function requestErasure(
  deps: ErasureDeps,
  person: Person,
  reference: string,
  recordingIds: readonly string[],
): Promise<ErasureAnswer> {
  const problems = requestProblems(reference, recordingIds);
  if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
  const ctx = { ...deps, events: deps.recordings };
  const erasureId = randomUUID();
  const ref = reference.trim();
  const answer = await deps.db.transaction(async (tx) => {
    const erasing: string[] = [];
    const refused: ErasureAnswer["refused"] = [];
    const marks: Parameters<typeof markForDeletion>[2][] = [];
    for (const recordingId of recordingIds) {
      const access = await deps.recordings.accessOf(tx, recordingId);
      const decision = mayErase(person, access, deps.clock());
      if (!decision.allowed) {
        if (!person.roles.includes("dpo")) throw new DomainError("forbidden", decision.reason);
        refused.push({ recordingId, reason: decision.reason });
      } else if (access.row.ended_at === null) {
        refused.push({ recordingId, reason: "the recording is still in progress; stop it first" });
      } else if (access.row.deleted_at !== null) {
        refused.push({ recordingId, reason: "the recording is already deleted everywhere" });
      } else {
        erasing.push(recordingId);
        marks.push(await recordingRow(ctx, tx, recordingId));
      }
    }
    await deps.audit.append(tx, {
      actor: person.id,
      action: "dpo.erasure",
      subject: erasureId,
      detail: { reference: ref, erase: erasing, refused },
    });
    for (const row of marks) {
      await markForDeletion(ctx, tx, row, person.id, "erased on request");
      await deps.audit.append(tx, {
        actor: person.id,
        action: "recording.erase",
        subject: row.id,
        detail: { erasureId, reference: ref },
      });
    }
    return { erasureId, reference: ref, erasing, refused };
  });
  for (const id of answer.erasing) deps.recordings.emit("deletionWanted", id);
  return answer;
}

/** An audit entry as a certificate cites it: enough to find it and check it in the chain. */
export interface CitedEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  hash: string;
  prevHash: string;
}

export interface DeletionCertificate {
  erasureId: string;
  reference: string;
  requestedBy: string;
  requestedAt: string;
  request: CitedEntry;
  recordings: {
    recordingId: string;
    room: string;
    startedAt: string;
    marked: CitedEntry | null;
    /** Each copy deleted: where, when, and its audit entry. */
    deleted: {
      copy: "controller" | "box" | "clip";
      where: string;
      at: string;
      entry: CitedEntry;
    }[];
    /** Where a copy still waits to be deleted (a box that is offline, a clip cut from it). */
    waiting: string[];
    complete: boolean;
  }[];
  refused: { recordingId: string; reason: string }[];
  /** Every copy of every recording erased. */
  complete: boolean;
  /** The last step's entry: `classcam-controller audit verify --anchor SEQ:HASH` checks the chain up to it. */
  anchor: { seq: number; hash: string };
  verify: string;
}

const cite = (entry: AuditEntry): CitedEntry => ({
  seq: entry.seq,
  at: entry.at,
  actor: entry.actor,
  action: entry.action,
  hash: entry.hash,
  prevHash: entry.prevHash,
});

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** Every entry matching `filter` after `afterSeq`, a page at a time (a recording may have many). */
export async function everyEntry(
  audit: AuditLog,
  filter: { subject: string },
  afterSeq = 0,
): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (let next: number | null = afterSeq; next !== null;) {
    const page = await audit.page({ ...filter, afterSeq: next, limit: 1000 });
    entries.push(...page.entries);
    next = page.next;
  }
  return entries;
}

async function clipsOf(
  deps: Pick<ErasureDeps, "db">,
  recordingId: string,
): Promise<{ id: string; title: string; deleted_at: string | null }[]> {
  const hasClips = await deps.db.get(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clips'",
  );
  if (!hasClips) return [];
  return deps.db.all(
    "SELECT id, title, deleted_at FROM clips WHERE recording_id = ? ORDER BY created_at",
    [recordingId],
  );
}

export async function deletionCertificate(
  deps: Pick<ErasureDeps, "db" | "audit">,
  erasureId: string,
): Promise<DeletionCertificate> {
  const { entries } = await deps.audit.page({
    subject: erasureId,
    action: "dpo.erasure",
    limit: 1,
  });
  const request = entries[0];
  if (!request) throw new DomainError("not-found", `no erasure request '${erasureId}'`);
  const erase = Array.isArray(request.detail.erase) ? request.detail.erase.map(text) : [];
  const refused = Array.isArray(request.detail.refused)
    ? request.detail.refused.map((r) => {
        const item = typeof r === "object" && r !== null && !Array.isArray(r) ? r : {};
        return { recordingId: text(item.recordingId), reason: text(item.reason) };
      })
    : [];
  let last = cite(request);
  const recordings: DeletionCertificate["recordings"] = [];
  for (const recordingId of erase) {
    const after = { entries: await everyEntry(deps.audit, { subject: recordingId }, request.seq) };
    const marked = after.entries.find(
      (e) => e.action === "recording.erase" && e.detail.erasureId === erasureId,
    );
    const deletions = after.entries.filter((e) => e.action === "footage.delete");
    const row = await deps.db.get<{
      room: string;
      started_at: string;
      on_device: number;
      on_controller: number;
      deleted_at: string | null;
    }>(
      `SELECT d.room, r.started_at, r.on_device, r.on_controller, r.deleted_at
       FROM recordings r JOIN devices d ON d.id = r.device_id WHERE r.id = ?`,
      [recordingId],
    );
    const deleted: DeletionCertificate["recordings"][number]["deleted"] = deletions.map((e) => {
      const copy = e.detail.copy === "device" ? ("box" as const) : ("controller" as const);
      return {
        copy,
        where:
          copy === "box"
            ? `the classroom box ${text(e.detail.device)} in ${row?.room ?? "its room"}`
            : "the school's server",
        at: e.at,
        entry: cite(e),
      };
    });
    // clips cut from it are copies too: the clips' own sweep deletes them once the recording is gone
    const clips = await clipsOf(deps, recordingId);
    const clipSteps: DeletionCertificate["recordings"][number]["deleted"] = [];
    for (const clip of clips.filter((c) => c.deleted_at !== null)) {
      const entry = (await deps.audit.page({ subject: clip.id, action: "clip.delete", limit: 1 }))
        .entries[0];
      if (!entry) continue;
      clipSteps.push({
        copy: "clip",
        where: `the clip “${clip.title}” cut from it, on the school's server`,
        at: entry.at,
        entry: cite(entry),
      });
      if (entry.seq > last.seq) last = cite(entry);
    }
    deleted.push(...clipSteps);
    for (const e of [marked, ...deletions]) if (e && e.seq > last.seq) last = cite(e);
    const waiting = [
      ...(row?.on_device === 1 ? [`the classroom box in ${row.room}`] : []),
      ...(row?.on_controller === 1 ? ["the school's server"] : []),
      ...clips
        .filter((c) => c.deleted_at === null)
        .map((c) => `the clip “${c.title}” cut from it (clips go at their next sweep)`),
    ];
    recordings.push({
      recordingId,
      room: row?.room ?? "",
      startedAt: row?.started_at ?? "",
      marked: marked ? cite(marked) : null,
      deleted,
      waiting,
      complete: row?.deleted_at !== null && waiting.length === 0,
    });
  }
  const anchor = { seq: last.seq, hash: last.hash };
  return {
    erasureId,
    reference: text(request.detail.reference),
    requestedBy: request.actor,
    requestedAt: request.at,
    request: cite(request),
    recordings,
    refused,
    complete: recordings.every((r) => r.complete),
    anchor,
    verify: `classcam-controller audit verify --anchor ${anchor.seq}:${anchor.hash}`,
  };
}
