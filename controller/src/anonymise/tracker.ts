/**
 * Faces between detections. The detector runs on every n-th frame; the
 * rendition is made offline, so the frames between two detections wait for
 * the second and take boxes from both: a face found in both is moved along
 * the line between them, a face found in only one is blurred where it was
 * found for the whole interval, and a face that stops being found is held
 * (moving as it last moved) for `holdDetections` more detections — a missed
 * detection must not flash a face. Pure: no frames, only boxes.
 */
import type { Box } from "./blur.js";

interface Track {
  box: Box;
  /** Movement per detection interval, from the last two sightings. */
  dx: number;
  dy: number;
  /** Detections in a row that did not find it. */
  missed: number;
}

export interface Interval {
  /** Boxes for a frame at `t` of the way from the previous detection (0) to this one (1). */
  boxesAt(t: number): Box[];
}

const centre = (b: Box) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

/**
 * Whether two boxes may be the same face one interval apart: centres closer
 * than `reach` times their size.
 */
function sameFace(a: Box, b: Box, reach: number): boolean {
  const ca = centre(a);
  const cb = centre(b);
  const size = Math.max(a.width, a.height, b.width, b.height);
  return Math.hypot(ca.x - cb.x, ca.y - cb.y) < reach * size;
}

const lerp = (a: Box, b: Box, t: number): Box => ({
  x: a.x + (b.x - a.x) * t,
  y: a.y + (b.y - a.y) * t,
  width: a.width + (b.width - a.width) * t,
  height: a.height + (b.height - a.height) * t,
});

const moved = (b: Box, dx: number, dy: number): Box => ({ ...b, x: b.x + dx, y: b.y + dy });

const area = (b: Box) => b.width * b.height;

function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

/** A face found with less than this share of its last box's area was not seen whole. */
const SHRUNK = 0.6;

export class FaceTracks {
  private tracks: Track[] = [];

  /**
   * `reach`: how far, in its own sizes, a face may move between two
   * detections and still be the same face (at least 1; the longer the
   * interval, the further a walking face goes).
   */
  constructor(
    private readonly holdDetections: number,
    private readonly reach = 1,
  ) {}

  /** Takes one detection's boxes; answers the boxes for the frames since the previous one. */
  advance(found: readonly Box[]): Interval {
    const before = this.tracks;
    const unmatched = new Set(found.keys());
    const pieces: ((t: number) => Box)[] = [];
    const after: Track[] = [];
    // every track and box that may be one face, nearest first: a face is never
    // given to a farther track while its own is still looking
    const pairs: { track: number; box: number; distance: number }[] = [];
    for (const [t, track] of before.entries()) {
      const expected = moved(track.box, track.dx, track.dy);
      for (const [i, box] of found.entries()) {
        if (!sameFace(expected, box, this.reach) && !sameFace(track.box, box, this.reach)) continue;
        const distance = Math.hypot(
          centre(expected).x - centre(box).x,
          centre(expected).y - centre(box).y,
        );
        pairs.push({ track: t, box: i, distance });
      }
    }
    const matchOf = new Map<number, number>();
    for (const pair of pairs.sort((a, b) => a.distance - b.distance)) {
      if (matchOf.has(pair.track) || !unmatched.has(pair.box)) continue;
      matchOf.set(pair.track, pair.box);
      unmatched.delete(pair.box);
    }
    for (const [t, track] of before.entries()) {
      const expected = moved(track.box, track.dx, track.dy);
      const seen = found[matchOf.get(t) ?? -1];
      // a face found much smaller than a moment before is partly hidden or leaving the
      // frame: the box its detector drew holds only part of it, so the blur also covers
      // where the whole face was expected
      const next =
        seen !== undefined && area(seen) < SHRUNK * area(track.box) ? union(seen, expected) : seen;
      if (next !== undefined) {
        const from = track.box;
        pieces.push((t) => lerp(from, next, t));
        after.push({ box: next, dx: next.x - from.x, dy: next.y - from.y, missed: 0 });
      } else {
        // not found this time: held, moving as it last moved
        pieces.push((t) => moved(track.box, track.dx * t, track.dy * t));
        if (track.missed < this.holdDetections) {
          after.push({ ...track, box: expected, missed: track.missed + 1 });
        }
      }
    }
    for (const i of unmatched) {
      const box = found[i];
      if (box === undefined) continue;
      // a face found now was most likely there a moment before
      pieces.push(() => box);
      after.push({ box, dx: 0, dy: 0, missed: 0 });
    }
    this.tracks = after;
    return { boxesAt: (t) => pieces.map((piece) => piece(t)) };
  }

  /** Boxes at the detection itself (its faces and those held). */
  current(): Box[] {
    return this.tracks.map((track) => track.box);
  }
}
