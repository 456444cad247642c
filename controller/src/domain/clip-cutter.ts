/**
 * Cutting a clip out of a recording's footage with ffmpeg's stream copy (no
 * re-encode), on the HLS segments: every segment starts on a keyframe, so the
 * clip starts at the start of the segment holding the asked start and ends
 * at the end of the segment holding the asked end — whole groups of pictures
 * that play on their own. The cutter writes a playlist of just those
 * segments (their tags kept: discontinuities, the content key and the media
 * sequence its IV may follow) and ffmpeg copies them into the clip's own HLS
 * in its own folder; nothing is read past them and nothing is seeked. The
 * footage is read only through `openFootage()` (footage-source.ts). How long
 * the clip really is comes from the playlist ffmpeg wrote for it (each
 * segment's length from its packets' timestamps; the tests check it against
 * ffprobe), with no second tool run: a cut costs about what ffmpeg alone does.
 * The clip is encrypted at rest with a key of its own (`copy-keys.ts`).
 */
import { execFile } from "node:child_process";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { DomainError } from "./errors.js";
import { PLAYLIST } from "./footage-facts.js";
import type { FootageSource } from "./footage-source.js";

/** Where the clip came out, in seconds from the start of the recording. */
export interface CutClip {
  startSeconds: number;
  endSeconds: number;
  /** The clip's segments, in order, and their bytes in all. */
  segments: number;
  bytes: number;
}

/** The playlist of the source's segments a clip is copied from, beside the clip (removed after). */
const SOURCE_PLAYLIST = ".source.m3u8";

function run(program: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error) {
          const last = stderr.trim().split("\n").slice(-3).join(" / ");
          reject(new Error(`${program} failed: ${last || error.message}`));
          return;
        }
        resolve();
      },
    );
  });
}

interface PlaylistEntry {
  /** Tags that go with this segment: the key in force, a discontinuity, a map. */
  tags: string[];
  durationLine: string;
  seconds: number;
  uri: string;
}

interface ParsedPlaylist {
  header: string[];
  mediaSequence: number;
  entries: PlaylistEntry[];
}

/** An HLS media playlist's segments, each with the tags in force for it. Pure. */
export function parsePlaylist(text: string): ParsedPlaylist {
  const header: string[] = [];
  const entries: PlaylistEntry[] = [];
  let mediaSequence = 0;
  let pending: string[] = [];
  let key: string | null = null;
  let durationLine: string | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line === "#EXT-X-ENDLIST") continue;
    if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
      mediaSequence = Number(line.slice("#EXT-X-MEDIA-SEQUENCE:".length)) || 0;
    } else if (line.startsWith("#EXTINF:")) {
      durationLine = line;
    } else if (line.startsWith("#EXT-X-KEY:")) {
      key = line;
      pending.push(line);
    } else if (line.startsWith("#EXT-X-DISCONTINUITY") || line.startsWith("#EXT-X-MAP:")) {
      pending.push(line);
    } else if (line.startsWith("#")) {
      if (entries.length === 0 && durationLine === null) header.push(line);
    } else if (durationLine !== null) {
      const seconds = Number(/^#EXTINF:([0-9.]+)/.exec(durationLine)?.[1] ?? Number.NaN);
      if (!Number.isFinite(seconds))
        throw new Error(`a segment's duration is unreadable: ${durationLine}`);
      // the key in force goes with every segment, so any run of them can stand alone
      const tags = key !== null && !pending.includes(key) ? [key, ...pending] : pending;
      entries.push({ tags, durationLine, seconds, uri: line });
      pending = [];
      durationLine = null;
    }
  }
  return { header, mediaSequence, entries };
}

/** Which segments a clip of `[inSeconds, outSeconds]` takes, and where it starts and ends. Pure. */
export function segmentsFor(
  entries: readonly Pick<PlaylistEntry, "seconds">[],
  inSeconds: number,
  outSeconds: number,
): { first: number; last: number; startSeconds: number; endSeconds: number } {
  let at = 0;
  let first = -1;
  let last = -1;
  let startSeconds = 0;
  let endSeconds = 0;
  for (const [index, entry] of entries.entries()) {
    const end = at + entry.seconds;
    if (first === -1 && inSeconds < end) {
      first = index;
      startSeconds = at;
    }
    if (first !== -1 && at < outSeconds) {
      last = index;
      endSeconds = end;
    }
    at = end;
  }
  if (first === -1 || last === -1) {
    throw new DomainError("invalid", "the clip's start is past the end of the recording's footage");
  }
  return { first, last, startSeconds, endSeconds };
}

/** Segment and key addresses made absolute, from the folder of the playlist that named them. */
function absolute(uri: string, base: string): string {
  if (isAbsolute(uri) || /^[a-z][a-z0-9+.-]*:/i.test(uri)) return uri;
  return join(base, uri);
}

/**
 * Cuts `[inSeconds, outSeconds]` of the footage into `folder` as HLS:
 * `index.m3u8` and its segments, by stream copy of the source's segments
 * that hold the part (see the module's comment). `lengthSeconds` is the
 * recording's length. The clip is written encrypted (HLS AES-128) with the
 * key `keyInfoFile` names (`-hls_key_info_file`, `copy-keys.ts`): every copy
 * the controller makes is encrypted at rest.
 */
export async function cutOnKeyframes(
  source: FootageSource,
  folder: string,
  inSeconds: number,
  outSeconds: number,
  lengthSeconds: number,
  keyInfoFile: string,
): Promise<CutClip> {
  const base = dirname(source.input);
  const parsed = parsePlaylist(await readFile(source.input, "utf8"));
  const { first, last, startSeconds } = segmentsFor(parsed.entries, inSeconds, outSeconds);
  const lines = [
    ...parsed.header.filter((line) => !line.startsWith("#EXT-X-PLAYLIST-TYPE")),
    `#EXT-X-MEDIA-SEQUENCE:${parsed.mediaSequence + first}`,
    "#EXT-X-PLAYLIST-TYPE:VOD",
  ];
  for (const entry of parsed.entries.slice(first, last + 1)) {
    for (const tag of entry.tags) {
      lines.push(
        tag.replace(/URI="([^"]*)"/, (_all, uri: string) => `URI="${absolute(uri, base)}"`),
      );
    }
    lines.push(entry.durationLine, absolute(entry.uri, base));
  }
  lines.push("#EXT-X-ENDLIST", "");
  const trimmed = join(folder, SOURCE_PLAYLIST);
  await writeFile(trimmed, lines.join("\n"), { mode: 0o600 });
  try {
    await run("ffmpeg", [
      ...["-v", "error", "-nostdin", ...source.inputOptions, "-i", trimmed],
      ...["-map", "0:v:0", "-map", "0:a?", "-c", "copy"],
      ...["-f", "hls", "-hls_time", "2", "-hls_list_size", "0", "-hls_playlist_type", "vod"],
      ...["-hls_key_info_file", keyInfoFile],
      ...["-hls_segment_filename", join(folder, "seg-%05d.ts"), join(folder, PLAYLIST)],
    ]);
  } finally {
    await rm(trimmed, { force: true });
  }
  // the clip's own playlist: ffmpeg's muxer wrote each segment's length from its packets
  const written = parsePlaylist(await readFile(join(folder, PLAYLIST), "utf8")).entries;
  if (written.length === 0) {
    throw new DomainError("invalid", "the clip came out empty: choose a longer part");
  }
  const present = new Set(await readdir(folder));
  let bytes = 0;
  let seconds = 0;
  for (const { uri, seconds: length } of written) {
    if (!present.has(uri)) throw new Error(`ffmpeg listed '${uri}' but did not write it`);
    bytes += (await stat(join(folder, uri))).size;
    seconds += length;
  }
  return {
    startSeconds,
    endSeconds: Math.min(lengthSeconds, startSeconds + seconds),
    segments: written.length,
    bytes,
  };
}
