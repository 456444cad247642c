/**
 * The HLS playlist ffmpeg writes in each recording's folder, read in one
 * place: the capture reads it to notice closed segments, the buffer index to
 * recover a recording after a crash.
 */

/** The playlist's file name inside a recording's folder. */
export const PLAYLIST_NAME = "index.m3u8";

/** One segment the playlist lists. */
export interface PlaylistEntry {
  /** The line naming the segment, as written (ffmpeg writes a bare file name). */
  uri: string;
  /** From the `#EXTINF` before it; null when that is missing or cut short by a crash. */
  durationSeconds: number | null;
}

export interface Playlist {
  /** In the playlist's order. */
  entries: PlaylistEntry[];
  /** `#EXT-X-TARGETDURATION`, or null when absent. */
  targetDuration: number | null;
}

/** Reads a playlist's text; lines it does not understand are skipped, never fatal. */
export function parseHlsPlaylist(text: string): Playlist {
  const entries: PlaylistEntry[] = [];
  let targetDuration: number | null = null;
  let pending: number | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#EXTINF:")) {
      pending = nonNegative(line.slice("#EXTINF:".length));
    } else if (line.startsWith("#EXT-X-TARGETDURATION:")) {
      targetDuration = nonNegative(line.slice("#EXT-X-TARGETDURATION:".length)) ?? targetDuration;
    } else if (!line.startsWith("#")) {
      entries.push({ uri: line, durationSeconds: pending });
      pending = null;
    }
  }
  return { entries, targetDuration };
}

function nonNegative(text: string): number | null {
  const value = Number.parseFloat(text);
  return Number.isFinite(value) && value >= 0 ? value : null;
}
