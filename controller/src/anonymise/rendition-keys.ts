/**
 * The keys of the copies with faces blurred (issue 20 §1): each copy is
 * encrypted at rest with a key of its own (`domain/copy-keys.ts`, kind
 * `rendition`, by the copy's id). A copy resumed after a restart keeps its
 * key; a copy begun from nothing gets a fresh one, and segments found with
 * no key kept for them (made in the clear before copies were encrypted) are
 * removed, not resumed. Erasing the key is the copy's cryptographic deletion.
 */
import { readdir } from "node:fs/promises";
import type { ContentKey } from "@classcam/protocol";
import type { Clock } from "../domain/clock.js";
import { writeKeyInfo, type CopyKeys, type KeyInfoFiles } from "../domain/copy-keys.js";
import { removeRendition } from "./rendition.js";

const SEGMENT_FILE = /^seg-\d{5}\.ts$/;

export class RenditionKeys {
  constructor(
    private readonly keys: CopyKeys,
    private readonly clock: Clock,
  ) {}

  /** The key files for a run making the copy in `dir` (remove them when the run ends). */
  async forRun(copyId: string, dir: string): Promise<KeyInfoFiles> {
    const begun = (await readdir(dir).catch(() => [] as string[])).some((name) =>
      SEGMENT_FILE.test(name),
    );
    let content = begun ? await this.keys.contentKey("rendition", copyId) : null;
    if (content === null) {
      // nothing to resume under a kept key: begin again, encrypted with a fresh key
      if (begun) await removeRendition(dir);
      content = await this.keys.renew("rendition", copyId, this.clock().toISOString());
    }
    return writeKeyInfo(content, this.keys.runDir);
  }

  /** The copy's key, or null when it has none. */
  key(copyId: string): Promise<ContentKey | null> {
    return this.keys.contentKey("rendition", copyId);
  }

  /** Erases the copy's key (the copy is deleted or stale). */
  erase(copyId: string): Promise<boolean> {
    return this.keys.eraseNow("rendition", copyId);
  }
}
