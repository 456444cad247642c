/**
 * Pixels of served footage, for tests of the copy with faces blurred: the
 * first picture of an MPEG-TS segment or of a served playlist (encrypted or
 * not) as RGB, how much fine detail a region holds, and how much two frames
 * differ over a region.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The first picture of an MPEG-TS segment, as RGB (the segment is written to `dir` to be read). */
export function firstFrame(segment: Buffer, dir: string): Buffer {
  const file = join(dir, `probe-${process.hrtime.bigint()}.ts`);
  writeFileSync(file, segment);
  return execFileSync("ffmpeg", [
    ...["-v", "error", "-i", file, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24"],
    "pipe:1",
  ]);
}

/**
 * The first picture of a served HLS playlist, played as a player does: its
 * key (when the copy is encrypted, `#EXT-X-KEY` names it) and first segment
 * fetched with `fetch` (a path relative to the playlist's), written to `dir`.
 */
export async function firstServedFrame(
  playlist: string,
  fetch: (relative: string) => Promise<Buffer>,
  dir: string,
): Promise<Buffer> {
  const lines = playlist.split("\n");
  const first = lines.findIndex((line) => line.endsWith(".ts"));
  const name = lines[first];
  if (name === undefined) throw new Error("the playlist has no segment");
  const here = mkdtempSync(join(dir, "served-"));
  const key = /^#EXT-X-KEY:.*URI="([^"]+)"/m.exec(playlist)?.[1];
  if (key !== undefined) writeFileSync(join(here, "key"), await fetch(key));
  writeFileSync(join(here, "seg.ts"), await fetch(name));
  const kept = lines
    .slice(0, first)
    .map((line) => (key === undefined ? line : line.replace(`URI="${key}"`, 'URI="key"')));
  writeFileSync(join(here, "index.m3u8"), [...kept, "seg.ts", "#EXT-X-ENDLIST", ""].join("\n"));
  return execFileSync("ffmpeg", [
    ...["-v", "error", "-allowed_extensions", "ALL", "-i", join(here, "index.m3u8")],
    ...["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
  ]);
}

/** How much fine detail a region holds: the mean difference between neighbouring pixels. */
export function detail(frame: Buffer, width: number, box: Region): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.ceil(box.y); y < Math.floor(box.y + box.height); y++) {
    for (let x = Math.ceil(box.x); x < Math.floor(box.x + box.width) - 1; x++) {
      const i = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) sum += Math.abs((frame[i + k] ?? 0) - (frame[i + 3 + k] ?? 0));
      n += 3;
    }
  }
  return sum / n;
}

/** Mean difference of two frames over a region. */
export function difference(a: Buffer, b: Buffer, width: number, box: Region): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.ceil(box.y); y < Math.floor(box.y + box.height); y++) {
    for (let x = Math.ceil(box.x); x < Math.floor(box.x + box.width); x++) {
      const i = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) sum += Math.abs((a[i + k] ?? 0) - (b[i + k] ?? 0));
      n += 3;
    }
  }
  return sum / n;
}
