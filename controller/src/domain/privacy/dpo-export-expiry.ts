/**
 * Subject access exports never taken away do not stay on the controller: the
 * retention sweep deletes every export past its time (`exportExpired()`,
 * `EXPORT_KEPT_DAYS` after it was made, the time its `dpo.export` audit entry
 * holds), auditing each as `dpo.export-expire`; a folder an export was being
 * made in when the controller stopped goes after the same time, unaudited
 * (it was never made). An export's key is erased with its file. Taking an
 * export away after that answers 410 (see `takeExport()`).
 */
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "../../db/database.js";
import type { AuditLog } from "../audit.js";
import { EXPORT_KEPT_DAYS, exportExpired } from "./dpo-rules.js";
import { EXPORT_FILE, type ExportKeys } from "./export-file.js";

const EXPORT_FOLDER = /^[0-9a-f-]{36}$/;

export interface ExpiryDeps {
  db: Database;
  audit: AuditLog;
  exportsDir: string;
  keys: Pick<ExportKeys, "eraseNow">;
}

/** Deletes the exports past their time; answers the ids of those deleted. */
export async function expireExports(deps: ExpiryDeps, now: Date): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(deps.exportsDir);
  } catch {
    return []; // no export was ever made
  }
  const expired: string[] = [];
  for (const name of names) {
    const path = join(deps.exportsDir, name);
    const exportId = EXPORT_FILE.exec(name)?.[1];
    if (exportId === undefined) {
      if (EXPORT_FOLDER.test(name) && exportExpired((await stat(path)).mtime, now)) {
        await rm(path, { recursive: true, force: true });
      }
      continue;
    }
    const made = (await deps.audit.page({ subject: exportId, action: "dpo.export", limit: 1 }))
      .entries[0];
    const madeAt = made ? new Date(made.at) : (await stat(path)).mtime;
    if (!exportExpired(madeAt, now)) continue;
    await rm(path, { force: true });
    await deps.keys.eraseNow("export", exportId);
    await deps.audit.record({
      actor: "system",
      action: "dpo.export-expire",
      subject: exportId,
      detail: {
        reference: typeof made?.detail.reference === "string" ? made.detail.reference : "",
        madeAt: madeAt.toISOString(),
        keptDays: EXPORT_KEPT_DAYS,
      },
    });
    expired.push(exportId);
  }
  return expired;
}
