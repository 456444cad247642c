/**
 * Footage sealed on the box (issue 20 §1), as the tests look at it: a box's
 * settings with the controller's sealing key and a runtime folder outside its
 * data folder (a temp folder the tests treat as RAM), segments decrypted the
 * way a player does (HLS AES-128: AES-128-CBC, PKCS#7), and a search of a
 * folder's every file for a key's bytes.
 */
import { execFile, execFileSync } from "node:child_process";
import { createDecipheriv } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { DeviceSettings } from "@classcam/device";
import {
  hlsKeyInfo,
  openContentKey,
  segmentIv,
  type ContentKey,
  type SealingKeyPair,
} from "@classcam/protocol";
import { tempDir } from "./controller.js";
import type { Test } from "tap";
import { listSegments, probe, type Probe } from "./media.js";
import type { Footage } from "./upload-rig.js";

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

/** Segment `name`'s bytes decrypted as a player decrypts them (with that segment's IV). */
export function decryptSegment(bytes: Buffer, content: ContentKey, name: string): Buffer {
  const decipher = createDecipheriv("aes-128-cbc", content.key, segmentIv(content, name));
  return Buffer.concat([decipher.update(bytes), decipher.final()]);
}

/**
 * Whether the first TS packet of `plain` carries an intact PSI section (its
 * MPEG-2 CRC-32 checks out): ffmpeg starts each segment with its SDT or PAT.
 * Decrypted with the wrong IV, CBC spoils only the first 16 bytes, which a
 * decoder shrugs off — this is what tells the right IV from a wrong one.
 */
export function firstSectionIntact(plain: Buffer): boolean {
  if (plain.length < 188 || plain[0] !== 0x47 || ((plain[1] ?? 0) & 0x40) === 0) return false;
  const start = 5 + (plain[4] ?? 0); // after the pointer field
  const length = 3 + ((((plain[start + 1] ?? 0) & 0x0f) << 8) | (plain[start + 2] ?? 0));
  if (start + length > 188) return false;
  let crc = 0xffffffff;
  for (const byte of plain.subarray(start, start + length)) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit += 1) {
      crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    }
  }
  return crc >>> 0 === 0;
}

/** The segment at `path` decrypted into a new file under `scratch`; answers its path. */
export function decryptedCopy(path: string, content: ContentKey, scratch: string): string {
  const plain = join(scratch, `plain-${Date.now()}-${Math.random().toString(16).slice(2)}.ts`);
  writeFileSync(plain, decryptSegment(readFileSync(path), content, basename(path)));
  return plain;
}

/** ffprobe of the segment at `path` once decrypted (written beside `scratch`). */
export async function probeDecrypted(
  path: string,
  content: ContentKey,
  scratch: string,
): Promise<Probe> {
  return probe(decryptedCopy(path, content, scratch));
}

/**
 * Whether ffprobe decodes a video frame of the segment at `path` as it is,
 * read as the MPEG-TS a player takes it for. Left to guess the format,
 * ffprobe finds a raw H.263 "frame" in about one random file in 1,500 (seen
 * on ciphertext in CI), which says nothing about the footage.
 */
export async function decodesAsIs(path: string): Promise<boolean> {
  const probed = await probe(path, "mpegts").catch(() => null);
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

/**
 * Decodes every frame of an HLS playlist whose key is a file beside it (as a
 * player would fetch it): ffmpeg opens a key file only when told it may
 * (`-allowed_extensions ALL`). Answers ffprobe's complaints (empty: clean)
 * and the duration.
 */
export function probeKeyedPlaylist(
  playlist: string,
): Promise<{ errors: string; durationSeconds: number; videoFrames: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      "ffprobe",
      [
        ...["-v", "error", "-allowed_extensions", "ALL", "-count_frames"],
        ...["-show_entries", "stream=codec_type,nb_read_frames:format=duration", "-of", "json"],
        playlist,
      ],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`ffprobe ${playlist} failed: ${stderr || error.message}`));
          return;
        }
        const parsed = JSON.parse(stdout) as {
          streams?: { codec_type: string; nb_read_frames?: string }[];
          format?: { duration?: string };
        };
        const video = parsed.streams?.find((stream) => stream.codec_type === "video");
        resolve({
          errors: stderr.trim(),
          durationSeconds: Number(parsed.format?.duration ?? "NaN"),
          videoFrames: Number(video?.nb_read_frames ?? 0),
        });
      },
    );
  });
}

/** Eight seconds of test pattern as the box writes it: HLS AES-128 with `content`. */
export function makeSealedFootage(t: Pick<Test, "teardown">, content: ContentKey): Footage {
  const footage = tempDir("classcam-sealed-footage-");
  t.teardown(footage.remove);
  const ram = tempDir("classcam-ram-");
  t.teardown(ram.remove);
  writeFileSync(join(ram.path, "content.key"), content.key);
  writeFileSync(
    join(ram.path, "key-info"),
    hlsKeyInfo("key", join(ram.path, "content.key"), content),
  );
  execFileSync(
    "ffmpeg",
    [
      ...["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "8"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-f", "hls", "-hls_time", "2"],
      ...["-hls_list_size", "0", "-hls_flags", "periodic_rekey"],
      ...["-hls_key_info_file", join(ram.path, "key-info")],
      ...["-hls_segment_filename", join(footage.path, "seg-%05d.ts")],
      join(footage.path, "source.m3u8"),
    ],
    { stdio: "inherit" },
  );
  const segments = listSegments(footage.path, "source.m3u8");
  return {
    dir: footage.path,
    segments,
    total: segments.reduce((sum, s) => sum + s.bytes, 0),
    fileOf: (name) => readFileSync(join(footage.path, name)),
  };
}
