/**
 * The DPO's subject access export: the one place a copy of footage leaves
 * the system. A tar file written by the controller (with the system's `tar`)
 * holding `manifest.json` — the request's reference, each recording's
 * metadata and every audit entry about it — a `README.txt` saying what it is,
 * and the footage of the recordings the DPO marked to include, each as one
 * MPEG-TS file made by ffmpeg (stream copy) from `openFootage()`. Faces are
 * not blurred yet: the DPO marks only footage that may go, and the package
 * says so. Made and taken away, each audited; the file is deleted from the
 * controller once it has been taken away, or when it was not taken away
 * within `EXPORT_KEPT_DAYS` (`dpo-export-expiry.ts`; then 410).
 */
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Database } from "../../db/database.js";
import type { Person } from "../access.js";
import type { AuditEntry, AuditLog } from "../audit.js";
import { DomainError } from "../errors.js";
import { openFootage } from "../footage-source.js";
import { foundByIds, type FoundRecording } from "./dpo-find.js";
import { everyEntry, requestProblems } from "./dpo-erasure.js";
import { EXPORT_KEPT_DAYS, exportExpiresAt, mayExportForSubjectAccess } from "./dpo-rules.js";

const run = promisify(execFile);

export interface ExportDeps {
  db: Database;
  audit: AuditLog;
  recordingsDir: string;
  exportsDir: string;
}

export interface ExportAnswer {
  exportId: string;
  reference: string;
  file: string;
  bytes: number;
  sha256: string;
  recordings: number;
  footage: number;
  facesBlurred: false;
  /** When it is deleted from the controller if nobody has taken it away. */
  expiresAt: string;
}

export interface ExportManifest {
  reference: string;
  exportId: string;
  madeBy: string;
  madeAt: string;
  facesBlurred: false;
  notice: string;
  recordings: (FoundRecording & { footageFile: string | null; audit: AuditEntry[] })[];
}

const NOTICE =
  "A copy of footage and records made for a subject access request. Faces of other people are NOT blurred: " +
  "only footage the data protection officer chose to include is here. Keep it as the request requires and destroy it after.";

const EXPORT_ID = /^[0-9a-f-]{36}$/;
const tarOf = (exportsDir: string, exportId: string) => join(exportsDir, `${exportId}.tar`);

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
  const exportId = randomUUID();
  const folder = join(deps.exportsDir, exportId);
  await mkdir(join(folder, "footage"), { recursive: true, mode: 0o700 });
  try {
    const recordings: ExportManifest["recordings"] = [];
    for (const recording of found) {
      const entries = await everyEntry(deps.audit, { subject: recording.recordingId });
      let footageFile: string | null = null;
      if (request.footage.includes(recording.recordingId)) {
        footageFile = `footage/${recording.recordingId}.ts`;
        const source = await openFootage(deps.recordingsDir, recording.recordingId);
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
      facesBlurred: false,
      notice: NOTICE,
      recordings,
    };
    await writeFile(join(folder, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(join(folder, "README.txt"), `${NOTICE}\n\nRequest: ${reference}\n`);
    const tar = tarOf(deps.exportsDir, exportId);
    await run("tar", ["-cf", tar, "-C", folder, "."]);
    const { size } = await stat(tar);
    const sha256 = await hashFile(tar);
    const footage = recordings.filter((r) => r.footageFile !== null).map((r) => r.recordingId);
    await deps.db.transaction(async (tx) => {
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
          facesBlurred: false,
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
    return {
      exportId,
      reference,
      file: `subject-access-${exportId}.tar`,
      bytes: size,
      sha256,
      recordings: recordings.length,
      footage: footage.length,
      facesBlurred: false,
      expiresAt: exportExpiresAt(now).toISOString(),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * The export's file, to take away (audited): `done()` deletes it from the
 * controller once it has been sent.
 */
export async function takeExport(
  deps: Pick<ExportDeps, "audit" | "exportsDir">,
  person: Person,
  exportId: string,
): Promise<{ path: string; bytes: number; done: () => Promise<void> }> {
  const decision = mayExportForSubjectAccess(person);
  if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
  if (!EXPORT_ID.test(exportId)) throw new DomainError("invalid", "not an export's id");
  const path = tarOf(deps.exportsDir, exportId);
  const made = (await deps.audit.page({ subject: exportId, action: "dpo.export", limit: 1 }))
    .entries[0];
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch {
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
  await deps.audit.record({
    actor: person.id,
    action: "dpo.export-download",
    subject: exportId,
    detail: {
      reference: typeof made?.detail.reference === "string" ? made.detail.reference : "",
      bytes,
    },
  });
  return { path, bytes, done: () => rm(path, { force: true }) };
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => {
        resolve(hash.digest("hex"));
      })
      .on("error", reject);
  });
}
