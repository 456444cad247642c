/**
 * The buffer folder on disk against the index: the trash-folder steps of a
 * removal (see the top of index.ts) and `reconcileFolders()`, which finishes
 * or undoes interrupted removals and reports folders nobody indexed.
 */
import { open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "@classcam/sqlite";
import { UUID } from "./rows.js";

/** How the buffer folder and the index compare; see `reconcileFolders()`. */
export interface FolderSurvey {
  /** Folders holding files that no recording row names (never deleted automatically). */
  strays: string[];
  /** Recording ids whose folder is missing. */
  missing: string[];
  /** Folders of recordings put back from `.trash-<id>` (a removal interrupted before it committed). */
  restored: string[];
  /** Trash of committed removals and empty folders without rows, removed. */
  cleaned: string[];
}

/** A folder being removed is first renamed to `.trash-<folder>`. */
export const TRASH_PREFIX = ".trash-";

/**
 * Compares the buffer folder with the index and tidies what is safe to tidy:
 * interrupted removals are finished or undone, empty folders without a row
 * are removed. Folders with footage but no row are only reported: they are
 * never deleted here (a lost database must not cost footage).
 */
export async function reconcileFolders(
  db: Database,
  bufferDir: string,
  busy: ReadonlySet<string>,
): Promise<FolderSurvey> {
  const survey: FolderSurvey = { strays: [], missing: [], restored: [], cleaned: [] };
  // List first, then read the rows: a folder is made only after its row
  // commits, so every folder listed whose recording exists has its row seen.
  const entries = await readdir(bufferDir, { withFileTypes: true });
  const rows = await db.all<{ id: string; dir: string }>("SELECT id, dir FROM recordings");
  const byDir = new Map(rows.map((r) => [r.dir, r.id]));
  const folders = new Set<string>();
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const name = entry.name;
    const path = join(bufferDir, name);
    if (name.startsWith(TRASH_PREFIX)) {
      const dirName = name.slice(TRASH_PREFIX.length);
      const id = byDir.get(dirName);
      if (id !== undefined && busy.has(id)) continue;
      if (id !== undefined) {
        // The removal never committed: the recording is still indexed, put its folder back.
        try {
          await rename(path, join(bufferDir, dirName));
          survey.restored.push(dirName);
          folders.add(dirName);
        } catch {
          survey.strays.push(name);
        }
      } else {
        await rm(path, { recursive: true, force: true });
        survey.cleaned.push(name);
      }
      continue;
    }
    if (byDir.has(name)) {
      folders.add(name);
      continue;
    }
    if (UUID.test(name) && busy.has(name)) continue;
    if ((await countFiles(path)) === 0) {
      await rm(path, { recursive: true, force: true });
      survey.cleaned.push(name);
    } else {
      survey.strays.push(name);
    }
  }
  for (const row of rows) {
    if (!folders.has(row.dir) && !busy.has(row.id)) survey.missing.push(row.id);
  }
  return survey;
}

/** Renames `from` to `to`; false when `from` does not exist. */
export async function moveAside(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    throw error;
  }
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  let count = 0;
  for (const entry of entries) {
    count += entry.isDirectory() ? await countFiles(join(dir, entry.name)) : 1;
  }
  return count;
}
