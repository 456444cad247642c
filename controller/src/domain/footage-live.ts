/**
 * Footage that is still arriving from the classroom box, the viewer's end:
 * the growing (HLS `EVENT`) playlist of the segments that have arrived and
 * been verified, where the viewer is (so the upload goes there first), and
 * which playlist fetches are one viewing (audited once).
 *
 * Only verified segments are ever listed as playable: a segment counts once
 * its bytes matched the manifest and were synced to disk (`received_at`).
 */
import { nextToUpload } from "@classcam/protocol";
import type { Database } from "../db/database.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";

export interface LiveSegment {
  seq: number;
  name: string;
  durationSeconds: number;
  verified: boolean;
}

/**
 * The growing playlist: every segment of the manifest up to the last verified
 * one, in recording order. Each verified segment is playable; a segment not
 * yet here that lies between verified ones (the upload went ahead to where a
 * viewer seeked) is marked `#EXT-X-GAP`, so the timeline stays true and the
 * player never asks for it. `EVENT` without `#EXT-X-ENDLIST`: the player
 * reloads it and follows it as it grows. Null when nothing has arrived yet.
 */
export function eventPlaylist(segments: readonly LiveSegment[]): string | null {
  const ordered = [...segments].sort((a, b) => a.seq - b.seq);
  const last = ordered.findLastIndex((s) => s.verified);
  if (last < 0) return null;
  const listed = ordered.slice(0, last + 1);
  const target = Math.max(1, ...ordered.map((s) => Math.ceil(s.durationSeconds)));
  const lines = [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    `#EXT-X-TARGETDURATION:${target}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:EVENT",
  ];
  let previous: number | null = null;
  for (const segment of listed) {
    // a segment the device lost leaves a gap in the numbers: as in the finished playlist
    if (previous !== null && segment.seq !== previous + 1) lines.push("#EXT-X-DISCONTINUITY");
    if (!segment.verified) lines.push("#EXT-X-GAP");
    lines.push(`#EXTINF:${segment.durationSeconds.toFixed(6)},`, segment.name);
    previous = segment.seq;
  }
  lines.push("");
  return lines.join("\n");
}

/** The longest position a viewer may ask for, in seconds (a day: far beyond any lesson). */
export const MAX_POSITION_SECONDS = 24 * 60 * 60;

/** The segment playing at `seconds` from the start (the last one when past the end). */
export function segmentAt<S extends { seq: number; durationSeconds: number }>(
  segments: readonly S[],
  seconds: number,
): S | null {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_POSITION_SECONDS) {
    throw new DomainError(
      "invalid",
      `a position is a number of seconds from 0 to ${MAX_POSITION_SECONDS}, not '${String(seconds).slice(0, 40)}'`,
    );
  }
  const ordered = [...segments].sort((a, b) => a.seq - b.seq);
  let start = 0;
  for (const segment of ordered) {
    if (seconds < start + segment.durationSeconds) return segment;
    start += segment.durationSeconds;
  }
  return ordered.at(-1) ?? null;
}

/** Recordings someone is waiting for at once, at most (an old wish goes first). */
const MAX_WISHES = 10_000;

/**
 * Where viewers are waiting in footage that is still arriving: per recording,
 * the segment (by `seq`) the upload should go on from. The upload's answers
 * name the next segment to send from it (protocol's `nextToUpload`); an
 * archive upload nobody watches has no wish and keeps the box's own order.
 */
export class UploadPriority {
  private readonly wishes = new Map<string, number>();

  /** A viewer waits at segment `seq` of the recording. */
  want(recordingId: string, seq: number): void {
    this.wishes.delete(recordingId);
    if (this.wishes.size >= MAX_WISHES) {
      const oldest = this.wishes.keys().next();
      if (oldest.done !== true) this.wishes.delete(oldest.value);
    }
    this.wishes.set(recordingId, seq);
  }

  /** The upload is over: nobody waits for it any more. */
  forget(recordingId: string): void {
    this.wishes.delete(recordingId);
  }

  /** The segment the box should send next, when a viewer waits; undefined otherwise. */
  async next(db: Database, recordingId: string): Promise<string | undefined> {
    const cursor = this.wishes.get(recordingId);
    if (cursor === undefined) return undefined;
    const missing = await db.all<{ seq: number; name: string }>(
      "SELECT seq, name FROM upload_segments WHERE recording_id = ? AND received_at IS NULL",
      [recordingId],
    );
    return nextToUpload(missing, cursor)?.name;
  }
}

/** How long after a growing playlist's last fetch another fetch is the same viewing. */
export const VIEWING_GAP_MS = 60_000;

/**
 * Which playlist fetches begin a viewing (audited as playing the footage): a
 * player reloads a growing playlist every few seconds, and all of those are
 * one viewing. A fetch begins a new one unless the same person fetched the
 * recording's growing playlist within `VIEWING_GAP_MS`.
 */
export class Viewings {
  private readonly lastGrowingFetch = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** True when this fetch begins a viewing; `growing` says whether it served a growing playlist. */
  begins(personId: string, recordingId: string, growing: boolean): boolean {
    const key = `${personId}\n${recordingId}`;
    const now = this.clock().getTime();
    const last = this.lastGrowingFetch.get(key);
    const begins = last === undefined || now - last > VIEWING_GAP_MS;
    // forget what is long over (the map holds only viewings under way)
    for (const [other, at] of this.lastGrowingFetch) {
      if (now - at <= VIEWING_GAP_MS) break;
      this.lastGrowingFetch.delete(other);
    }
    this.lastGrowingFetch.delete(key);
    // a finished playlist ends the viewing: the player stops reloading it
    if (growing) this.lastGrowingFetch.set(key, now);
    return begins;
  }
}
