/**
 * The DPO's subject access export: the one place a copy of footage leaves
 * the system. A tar file written by the controller (with the system's `tar`)
 * holding `manifest.json` — the request's reference, each recording's
 * metadata and every audit entry about it — a `README.txt` saying what it is,
 * and the footage of the recordings the DPO marked to include, each as one
 * MPEG-TS file made by ffmpeg (stream copy). The footage is the copy the
 * rendition rule gives a subject-access export: every face blurred (the
 * others in it are third parties, and the controller cannot tell whose face
 * is whose), so the export waits — 409 saying how far each copy is — until
 * every copy is made, and is refused when faces cannot be blurred; never the
 * original. Made and taken away, each audited; while it waits the file is
 * encrypted with a key of its own (`export-file.ts`); it is deleted from the
 * controller, and its key erased, once it has been taken away, or when it
 * was not taken away within `EXPORT_KEPT_DAYS` (`dpo-export-expiry.ts`; then
 * 410).
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ContentKey } from "@classcam/protocol";
import type { Database } from "../../db/database.js";
import type { Person } from "../access.js";
import type { AuditEntry, AuditLog } from "../audit.js";
import { DomainError } from "../errors.js";
import { openFootage, type FootageSource } from "../footage-source.js";
import type { Copy, ViewingBasis } from "../rendition-rule.js";
import { foundByIds, type FoundRecording } from "./dpo-find.js";
import { everyEntry, requestProblems } from "./dpo-erasure.js";
import { EXPORT_KEPT_DAYS, exportExpiresAt, mayExportForSubjectAccess } from "./dpo-rules.js";
import { readExport, sealedExportPath, writeSealedTar, type ExportKeys } from "./export-file.js";

const run = promisify(execFile);

/** The copies with every face blurred (`anonymise/serving.ts`), as an export needs them. */
export interface BlurredForExport {
  copyFor(basis: ViewingBasis): Promise<Copy>;
  /** Asks for the recording's copy (again, if it failed): how far it is. */
  want(recordingId: string): Promise<{ state: string; progress: number; error: string | null }>;
  /** Opens a copy that is made, for ffmpeg. */
  open(recordingId: string): Promise<FootageSource>;
}

export interface ExportDeps {
  db: Database;
  audit: AuditLog;
  recordingsDir: string;
  exportsDir: string;
  /** Where the copies with faces blurred come from; null: the original goes (tests only). */
  blurred: BlurredForExport | null;
  /** The file's key while it waits to be taken away. */
  keys: ExportKeys;
}

export interface ExportAnswer {
  exportId: string;
  reference: string;
  file: string;
  bytes: number;
  sha256: string;
  recordings: number;
  footage: number;
  facesBlurred: boolean;
  /** When it is deleted from the controller if nobody has taken it away. */
  expiresAt: string;
}

export interface ExportManifest {
  reference: string;
  exportId: string;
  madeBy: string;
  madeAt: string;
  facesBlurred: boolean;
  notice: string;
  recordings: (FoundRecording & { footageFile: string | null; audit: AuditEntry[] })[];
}

const NOTICE =
  "A copy of footage and records made for a subject access request. Every face in the footage is blurred " +
  "(the faces of others are not theirs to give, and the school's server cannot tell whose face is whose): " +
  "only footage the data protection officer chose to include is here. Keep it as the request requires and destroy it after.";
const NOTICE_UNBLURRED = NOTICE.replace(
  "Every face in the footage is blurred",
  "Faces in the footage are NOT blurred",
);

const EXPORT_ID = /^[0-9a-f-]{36}$/;
/** Where an export made before exports were encrypted was kept (in the clear). */
const clearTarOf = (exportsDir: string, exportId: string) => join(exportsDir, `${exportId}.tar`);

export async function makeExport(
  deps: ExportDeps,
  person: Person,
  request: { reference: string; recordingIds: string[]; footage: string[] },
  now: Date,
): Promise<ExportAnswer> {
  const decision = mayExportForSubjectAccess(person);
  if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
  const problems = requestProblems(request.reference, request.recordingIds);
  const stray = request.footage.filter((id) => !request.recordingIds.includes(id));
  if (stray.length > 0) problems.push("footage can be included only for recordings in the export");
  if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
  const reference = request.reference.trim();
  const found = await foundByIds(deps.db, request.recordingIds);
  const notHere = found.filter(
    (f) => request.footage.includes(f.recordingId) && !f.where.controller,
  );
  if (notHere.length > 0) {
    throw new DomainError(
      "conflict",
      `the footage of ${notHere.map((f) => `${f.room} at ${f.startedAt}`).join(", ")} is not on the school's server: ` +
        "ask for it to be uploaded first, or leave its footage out",
    );
  }
  const blurred = await blurredCopies(deps.blurred, found, request.footage);
  const exportId = randomUUID();
  const folder = join(deps.exportsDir, exportId);
  const sealed = sealedExportPath(deps.exportsDir, exportId);
  await mkdir(join(folder, "footage"), { recursive: true, mode: 0o700 });
  let kept = false;
  try {
    const recordings: ExportManifest["recordings"] = [];
    for (const recording of found) {
      const entries = await everyEntry(deps.audit, { subject: recording.recordingId });
      let footageFile: string | null = null;
      if (request.footage.includes(recording.recordingId)) {
        footageFile = `footage/${recording.recordingId}.ts`;
        const source = blurred
          ? await blurred.open(recording.recordingId)
          : await openFootage(deps.recordingsDir, recording.recordingId);
        try {
          await run("ffmpeg", [
            ...["-v", "error", ...source.inputOptions, "-i", source.input],
            ...["-map", "0", "-c", "copy", "-f", "mpegts", join(folder, footageFile)],
          ]);
        } finally {
          await source.close();
        }
      }
      recordings.push({ ...recording, footageFile, audit: entries });
    }
    const manifest: ExportManifest = {
      reference,
      exportId,
      madeBy: person.id,
      madeAt: now.toISOString(),
      facesBlurred: blurred !== null,
      notice: blurred ? NOTICE : NOTICE_UNBLURRED,
      recordings,
    };
    await writeFile(join(folder, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(join(folder, "README.txt"), `${manifest.notice}\n\nRequest: ${reference}\n`);
    const key = deps.keys.fresh("export", exportId);
    const { bytes: size, sha256 } = await writeSealedTar(folder, sealed, key.content);
    const footage = recordings.filter((r) => r.footageFile !== null).map((r) => r.recordingId);
    await deps.db.transaction(async (tx) => {
      await deps.keys.keep(tx, "export", exportId, key, now.toISOString());
      await deps.audit.append(tx, {
        actor: person.id,
        action: "dpo.export",
        subject: exportId,
        detail: {
          reference,
          recordings: request.recordingIds,
          footage,
          bytes: size,
          sha256,
          facesBlurred: blurred !== null,
        },
      });
      for (const recordingId of footage) {
        await deps.audit.append(tx, {
          actor: person.id,
          action: "footage.export",
          subject: recordingId,
          detail: { exportId, reference },
        });
      }
    });
    kept = true;
    return {
      exportId,
      reference,
      file: `subject-access-${exportId}.tar`,
      bytes: size,
      sha256,
      recordings: recordings.length,
      footage: footage.length,
      facesBlurred: blurred !== null,
      expiresAt: exportExpiresAt(now).toISOString(),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
    // an export not written down (its key not kept) is not left behind, unreadable
    if (!kept) await rm(sealed, { force: true });
  }
}

/**
 * The export's file, to take away (audited): `open()` reads the clear tar
 * (decrypting it), `done()` deletes it from the controller and erases its
 * key once it has been sent.
 */
export async function takeExport(
  deps: Pick<ExportDeps, "audit" | "exportsDir" | "keys">,
  person: Person,
  exportId: string,
): Promise<{ open: () => Readable; bytes: number; done: () => Promise<void> }> {
  const decision = mayExportForSubjectAccess(person);
  if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
  if (!EXPORT_ID.test(exportId)) throw new DomainError("invalid", "not an export's id");
  const made = (await deps.audit.page({ subject: exportId, action: "dpo.export", limit: 1 }))
    .entries[0];
  const file = await exportFile(deps, exportId);
  if (file === null) {
    const expired = (
      await deps.audit.page({ subject: exportId, action: "dpo.export-expire", limit: 1 })
    ).entries[0];
    if (expired) {
      throw new DomainError(
        "gone",
        `this export was not taken away within ${EXPORT_KEPT_DAYS} days, so it was deleted ` +
          `from the server on ${expired.at.slice(0, 10)}: make it again`,
      );
    }
    throw new DomainError(
      "not-found",
      made
        ? "this export was already taken away (it is deleted once it has been): make it again"
        : `no export '${exportId}'`,
    );
  }
  // an encrypted file's clear size is the one written down when it was made
  const bytes = file.content === null ? file.size : Number(made?.detail.bytes ?? Number.NaN);
  if (!Number.isSafeInteger(bytes)) {
    throw new Error(`export ${exportId} has no size written down with it`);
  }
  await deps.audit.record({
    actor: person.id,
    action: "dpo.export-download",
    subject: exportId,
    detail: {
      reference: typeof made?.detail.reference === "string" ? made.detail.reference : "",
      bytes,
    },
  });
  return {
    open: () => readExport(file.path, file.content),
    bytes,
    done: async () => {
      await rm(file.path, { force: true });
      await deps.keys.eraseNow("export", exportId);
    },
  };
}

/** The export's file and its key (null: kept clear, made before exports were encrypted); null when there is none. */
async function exportFile(
  deps: Pick<ExportDeps, "exportsDir" | "keys">,
  exportId: string,
): Promise<{ path: string; size: number; content: ContentKey | null } | null> {
  const sealed = sealedExportPath(deps.exportsDir, exportId);
  const clear = clearTarOf(deps.exportsDir, exportId);
  for (const path of [sealed, clear]) {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      continue;
    }
    if (path === clear) return { path, size, content: null };
    const content = await deps.keys.contentKey("export", exportId);
    if (content === null) throw new Error(`export ${exportId} has lost its key`);
    return { path, size, content };
  }
  return null;
}

/**
 * Where the export's footage comes from: the copies with every face blurred,
 * as the rendition rule says for a subject-access export, once every one
 * asked for is made; until then a 409 saying how far each is (or why one
 * could not be made). Null: no anonymiser here (tests only).
 */
async function blurredCopies(
  blurred: BlurredForExport | null,
  found: readonly FoundRecording[],
  footage: readonly string[],
): Promise<BlurredForExport | null> {
  if (blurred === null || (await blurred.copyFor("subject-access")) === "original") return null;
  const waiting: string[] = [];
  for (const recording of found.filter((f) => footage.includes(f.recordingId))) {
    const copy = await blurred.want(recording.recordingId);
    const which = `${recording.room} at ${recording.startedAt}`;
    if (copy.state === "failed") {
      waiting.push(`${which} could not be made (${copy.error ?? "unknown"}; it is tried again)`);
    } else if (copy.state !== "ready") {
      waiting.push(`${which} is ${Math.floor(copy.progress * 100)} % done`);
    }
  }
  if (waiting.length > 0) {
    throw new DomainError(
      "conflict",
      `the footage goes with every face blurred, and the copies are being prepared: ` +
        `${waiting.join("; ")}. Make the export again in a while`,
    );
  }
  return blurred;
}
