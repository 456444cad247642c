/**
 * Which IV each segment of sealed footage is encrypted with, and the HLS key
 * lines that say so — one rule for the box that writes segments, the
 * controller that serves and reads them, and the tests.
 *
 * A box's recording (a version 2 sealed key, `sealed-key.ts`) has no IV of
 * its own: ffmpeg's HLS muxer, given a key info file without an IV and
 * `-hls_flags periodic_rekey`, encrypts each segment with its media sequence
 * number as a 16-byte big-endian IV, the HLS default (RFC 8216 §5.2), and
 * the muxer names each segment by that number (`seg-00042.ts` is sequence
 * 42). So no two segments of a recording share an IV under its key. A key
 * with one IV (version 1, the controller's copies) uses it for every segment.
 */
import type { ContentKey } from "./sealed-key.js";

const IV_BYTES = 16;
const SEGMENT_NUMBER = /(\d{1,15})\.ts$/;

/** The media sequence number of a segment named as the HLS muxer names it here (`seg-00042.ts` → 42). */
export function segmentSequence(name: string): number {
  const match = SEGMENT_NUMBER.exec(name);
  if (match?.[1] === undefined) {
    throw new Error(
      `segment '${name}' does not end in its sequence number and '.ts', so its IV is unknown`,
    );
  }
  return Number(match[1]);
}

/** The IV segment `name` of footage under `content` is encrypted with. */
export function segmentIv(content: ContentKey, name: string): Buffer {
  if (content.iv !== null) return content.iv;
  const iv = Buffer.alloc(IV_BYTES);
  iv.writeBigUInt64BE(BigInt(segmentSequence(name)), IV_BYTES - 8);
  return iv;
}

function keyLine(uri: string, iv: Buffer): string {
  return `#EXT-X-KEY:METHOD=AES-128,URI="${uri}",IV=0x${iv.toString("hex")}`;
}

/**
 * `playlist` with the key lines a player (or ffmpeg's HLS reader) needs to
 * decrypt it with the key at `uri`, in place of any it had: one line before
 * the first segment when every segment has the same IV, else one before each
 * segment, naming its IV.
 */
export function withKeyLines(playlist: string, content: ContentKey, uri: string): string {
  const lines = playlist.split("\n").filter((line) => !line.startsWith("#EXT-X-KEY:"));
  const isSegmentStart = (text: string) =>
    text.startsWith("#EXTINF") ||
    text.startsWith("#EXT-X-DISCONTINUITY") ||
    text.startsWith("#EXT-X-GAP");
  if (content.iv !== null) {
    const first = lines.findIndex(isSegmentStart);
    lines.splice(first === -1 ? lines.length : first, 0, keyLine(uri, content.iv));
    return lines.join("\n");
  }
  const out: string[] = [];
  let pending: string[] = [];
  for (const line of lines) {
    if (pending.length === 0 && !isSegmentStart(line)) {
      out.push(line);
      continue;
    }
    pending.push(line);
    if (line !== "" && !line.startsWith("#")) {
      // the segment's URI ends its group of tags: its key line goes before them
      out.push(keyLine(uri, segmentIv(content, line)), ...pending);
      pending = [];
    }
  }
  out.push(...pending);
  return out.join("\n");
}

/**
 * The text of ffmpeg's `-hls_key_info_file`: the URI the playlist names, the
 * key file, and the IV when every segment shares one. Without an IV line the
 * muxer must run with `-hls_flags periodic_rekey` (it then re-reads this file
 * at each segment and gives each its sequence number; without the flag it
 * would keep the first segment's number for all).
 */
export function hlsKeyInfo(uri: string, keyFile: string, content: ContentKey): string {
  return content.iv === null
    ? `${uri}\n${keyFile}\n`
    : `${uri}\n${keyFile}\n${content.iv.toString("hex")}\n`;
}
