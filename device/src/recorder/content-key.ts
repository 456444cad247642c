/**
 * A running recording's content key, where ffmpeg's HLS muxer reads it: the
 * 16-byte key file and the key info file (`-hls_key_info_file`: the key's URI
 * as the playlist names it and the key file's path; no IV, so each segment
 * is encrypted with its own, its sequence number: `segment-iv.ts`) in a folder of their
 * own under the RAM-backed runtime folder — never under the data folder, so
 * the key never reaches the card. Both go when the capture ends; a power cut
 * takes them with the RAM. What stays on the card is the sealed key only
 * (protocol's sealed-key.ts), which the box cannot open.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { hlsKeyInfo, newContentKey, sealContentKey, type ContentKey } from "@classcam/protocol";
import { DEFAULT_RUNTIME_DIR, type DeviceSettings } from "../config.js";

/** The key's URI as the box's own playlist names it (the controller serves keys by its own route). */
export const KEY_URI = "key";

export interface KeyFiles {
  /** The `-hls_key_info_file` argument. */
  infoFile: string;
  /** Removes the key and the info file (never fails). */
  remove: () => Promise<void>;
}

/**
 * Writes the key and the info file for `recordingId` under `runtimeDir`
 * (folder 0700, files 0600). Refuses a runtime folder inside `dataDir`.
 */
export async function writeKeyFiles(
  runtimeDir: string,
  dataDir: string,
  recordingId: string,
  content: ContentKey,
): Promise<KeyFiles> {
  const inData = relative(resolve(dataDir), resolve(runtimeDir));
  if (inData === "" || (!inData.startsWith("..") && !inData.startsWith("/"))) {
    throw new Error(
      `the runtime folder ${runtimeDir} is inside the data folder ${dataDir}: a content key must never reach the card (set runtimeDir to a tmpfs such as /run/classcam)`,
    );
  }
  const dir = join(resolve(runtimeDir), `key-${recordingId}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, "content.key");
  const infoFile = join(dir, "key-info");
  const remove = () => rm(dir, { recursive: true, force: true }).catch(() => undefined);
  try {
    await writeFile(keyFile, content.key, { mode: 0o600 });
    await writeFile(infoFile, hlsKeyInfo(KEY_URI, keyFile, content), {
      mode: 0o600,
    });
  } catch (error) {
    await remove();
    throw new Error(
      `cannot write the recording's content key in ${dir}: ${(error as Error).message}`,
    );
  }
  return { infoFile, remove };
}

/**
 * A new recording's fresh content key, sealed to the controller's public key
 * (bound to the recording id), and where the capture keeps the open key; null
 * when the box has no sealing key (enrolled before footage was sealed).
 */
export function contentKeyFor(
  settings: DeviceSettings,
  recordingId: string,
): {
  sealedKey: string;
  encryption: { content: ContentKey; runtimeDir: string; dataDir: string };
} | null {
  const publicKey = settings.controller.sealingKey;
  if (publicKey === undefined) return null;
  const content = newContentKey();
  return {
    sealedKey: sealContentKey(content, publicKey, recordingId),
    encryption: {
      content,
      runtimeDir: settings.runtimeDir ?? DEFAULT_RUNTIME_DIR,
      dataDir: settings.dataDir,
    },
  };
}

/**
 * At start, after the stray captures are killed: the key folders an earlier
 * run left in the runtime folder (the daemon died, the machine did not) are
 * removed; the box never needs them again (the controller opens the sealed
 * keys). Answers how many went.
 */
export async function removeLeftoverKeys(runtimeDir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(runtimeDir);
  } catch {
    return 0; // no runtime folder yet: nothing left over
  }
  const leftovers = names.filter((name) => name.startsWith("key-"));
  for (const name of leftovers) {
    await rm(join(runtimeDir, name), { recursive: true, force: true });
  }
  return leftovers.length;
}
