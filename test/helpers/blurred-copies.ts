// Looking at the pictures a caller is served (issue 19): a served playlist's
// segment decoded to its first frame, whether the footage is in the clear or
// encrypted (its key fetched through the key route the playlist names, as a
// player does), and how much fine detail a region of it holds.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Caller } from "./school.js";
import type { Box } from "../fixtures/anonymise/evaluation-set.js";

/** What `url` answers `caller`, as bytes. */
export async function fetchBytes(app: FastifyInstance, caller: Caller, url: string) {
  const response = await app.inject({
    method: "GET",
    url,
    headers: caller.cookie === null ? {} : { cookie: caller.cookie },
  });
  return { status: response.statusCode, bytes: response.rawPayload, body: response.body };
}

/** The playlist's segment names. */
export const segmentNames = (playlist: string) =>
  playlist.split("\n").filter((line) => line.trim().endsWith(".ts"));

/**
 * The first picture (RGB) of the `index`-th segment of a served playlist
 * whose segments are at `base` + name: a one-segment playlist is written to
 * `dir` with the segment and its key (when it has one) beside it, and ffmpeg
 * decodes it as a player would.
 */
export async function firstFrameOf(
  app: FastifyInstance,
  caller: Caller,
  playlist: string,
  base: string,
  index: number,
  dir: string,
): Promise<Buffer> {
  const lines = playlist.split("\n").map((l) => l.trim());
  let sequence = Number(
    lines.find((l) => l.startsWith("#EXT-X-MEDIA-SEQUENCE:"))?.split(":")[1] ?? 0,
  );
  let key: string | null = null;
  let seen = 0;
  for (const [i, line] of lines.entries()) {
    if (line.startsWith("#EXT-X-KEY:")) key = line;
    if (line === "" || line.startsWith("#")) continue;
    if (seen++ < index) {
      sequence++;
      continue;
    }
    const tag = `${process.hrtime.bigint()}`;
    const segment = await fetchBytes(app, caller, `${base}${line}`);
    if (segment.status !== 200) throw new Error(`${line}: ${segment.status} ${segment.body}`);
    writeFileSync(join(dir, `${tag}.ts`), segment.bytes);
    const out = ["#EXTM3U", "#EXT-X-TARGETDURATION:10", `#EXT-X-MEDIA-SEQUENCE:${sequence}`];
    if (key !== null) {
      const uri = /URI="([^"]*)"/.exec(key)?.[1] ?? "";
      // a key named relative to the playlist is beside its segments
      const fetched = await fetchBytes(
        app,
        caller,
        /^(\/|https?:)/.test(uri) ? uri : `${base}${uri}`,
      );
      if (fetched.status !== 200) throw new Error(`key ${uri}: ${fetched.status}`);
      writeFileSync(join(dir, `${tag}.key`), fetched.bytes);
      out.push(key.replace(/URI="[^"]*"/, `URI="${tag}.key"`));
    }
    out.push(lines[i - 1] ?? "#EXTINF:2,", `${tag}.ts`, "#EXT-X-ENDLIST", "");
    writeFileSync(join(dir, `${tag}.m3u8`), out.join("\n"));
    return execFileSync("ffmpeg", [
      ...["-v", "error", "-allowed_extensions", "ALL", "-i", join(dir, `${tag}.m3u8`)],
      ...["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
    ]);
  }
  throw new Error(`the playlist has no segment ${index}`);
}

/** How much fine detail a region holds: the mean difference between neighbouring pixels. */
export function detail(frame: Buffer, width: number, box: Box): number {
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
