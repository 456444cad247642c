/**
 * Footage sealed on the box (issue 20 §1), as the tests look at it: a box's
 * settings with the controller's sealing key and a runtime folder outside its
 * data folder (a temp folder the tests treat as RAM), segments decrypted the
 * way a player does (HLS AES-128: AES-128-CBC, PKCS#7), and a search of a
 * folder's every file for a key's bytes.
 */
import { createDecipheriv } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DeviceSettings } from "@classcam/device";
import { openContentKey, type ContentKey, type SealingKeyPair } from "@classcam/protocol";
import { tempDir } from "./controller.js";
import { probe, type Probe } from "./media.js";

/** `settings` made to seal its footage to `pair`; the runtime folder is removed by `remove`. */
export function sealedSettings(
  settings: DeviceSettings,
  pair: SealingKeyPair,
): { settings: DeviceSettings; runtimeDir: string; remove: () => void } {
  const runtime = tempDir("classcam-ram-");
  return {
    settings: {
      ...settings,
      controller: { ...settings.controller, sealingKey: pair.publicKey },
      runtimeDir: runtime.path,
    },
    runtimeDir: runtime.path,
    remove: runtime.remove,
  };
}

/** The recording's content key, opened with the controller's private key. */
export function openedKey(
  sealedKey: string | null,
  pair: SealingKeyPair,
  recordingId: string,
): ContentKey {
  if (sealedKey === null) throw new Error(`recording ${recordingId} has no sealed key`);
  return openContentKey(sealedKey, pair, recordingId);
}

/** A segment's bytes decrypted as a player decrypts them. */
export function decryptSegment(bytes: Buffer, content: ContentKey): Buffer {
  const decipher = createDecipheriv("aes-128-cbc", content.key, content.iv);
  return Buffer.concat([decipher.update(bytes), decipher.final()]);
}

/** ffprobe of the segment at `path` once decrypted (written beside `scratch`). */
export async function probeDecrypted(
  path: string,
  content: ContentKey,
  scratch: string,
): Promise<Probe> {
  const plain = join(scratch, `plain-${Date.now()}-${Math.random().toString(16).slice(2)}.ts`);
  writeFileSync(plain, decryptSegment(readFileSync(path), content));
  return probe(plain);
}

/** Whether ffprobe decodes a video frame of the file at `path` as it is. */
export async function decodesAsIs(path: string): Promise<boolean> {
  const probed = await probe(path).catch(() => null);
  if (probed === null) return false;
  const video = probed.streams.find((stream) => stream.codec_type === "video");
  return Number(video?.nb_read_frames ?? 0) > 0;
}

/** Every file under `dir` (recursively) whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: Buffer): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) found.push(...filesContaining(path, needle));
    else if (stat.isFile() && readFileSync(path).includes(needle)) found.push(path);
  }
  return found;
}
