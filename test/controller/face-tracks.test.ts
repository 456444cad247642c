// Faces between detections (anonymise/tracker.ts) when the detector looks only
// once a second: a face walking across the room is still covered on every
// frame between two sightings, beside a face sitting still, and each keeps
// its own track (the walker's box is not given to the sitter). The rendition
// looks once a second by default, whatever the frame rate.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { expand, type Box } from "../../controller/src/anonymise/blur.js";
import type { FaceDetector } from "../../controller/src/anonymise/detector.js";
import { DEFAULT_RENDITION, makeRendition } from "../../controller/src/anonymise/rendition.js";
import { FaceTracks } from "../../controller/src/anonymise/tracker.js";
import { makeClip } from "../fixtures/anonymise/evaluation-set.js";
import { tempDir } from "../helpers/controller.js";

const FPS = 25;
const STRIDE = 25; // one detection a second

/** Share of `face` inside the union of `boxes`. */
function covered(face: Box, boxes: readonly Box[]): number {
  let inside = 0;
  let all = 0;
  for (let y = Math.floor(face.y); y < Math.ceil(face.y + face.height); y++) {
    for (let x = Math.floor(face.x); x < Math.ceil(face.x + face.width); x++) {
      all++;
      if (boxes.some((b) => x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height)) {
        inside++;
      }
    }
  }
  return inside / all;
}

/** The faces on frame `n`: one walking right at 5 of its sizes a second, one sitting near its path. */
function facesAt(n: number): Box[] {
  const t = n / FPS;
  return [
    { x: 100 + 160 * t, y: 300, width: 32, height: 36 },
    { x: 420, y: 350, width: 32, height: 36 },
  ];
}

void t.test("a walking face is covered on every frame between detections a second apart", (t) => {
  const tracks = new FaceTracks(
    DEFAULT_RENDITION.holdDetections,
    DEFAULT_RENDITION.faceSpeed * (STRIDE / FPS),
  );
  const uncovered: string[] = [];
  const check = (n: number, boxes: readonly Box[]) => {
    const widened = boxes.map((b) => expand(b, DEFAULT_RENDITION.margin, 1280, 720));
    for (const [i, face] of facesAt(n).entries()) {
      const share = covered(face, widened);
      if (share < 0.9) uncovered.push(`frame ${n}, face ${i}: ${share.toFixed(2)}`);
    }
  };
  // as the rendition does: the frames since the last detection wait for the next
  let waiting: number[] = [];
  for (let n = 0; n <= 5 * FPS; n++) {
    if (n % STRIDE !== 0) {
      waiting.push(n);
      continue;
    }
    const interval = tracks.advance(facesAt(n));
    for (const [i, frame] of waiting.entries()) {
      check(frame, interval.boxesAt((i + 1) / (waiting.length + 1)));
    }
    waiting = [];
    check(n, tracks.current());
  }
  t.same(uncovered, [], "no frame leaves a face uncovered");
  t.end();
});

void t.test("a face leaving the frame stays covered while the detector sees part of it", (t) => {
  // bench:anonymise's 90-px face walking off the right edge (40 px a second right, 15 up),
  // with the boxes the detector drew on its frames 150, 175 and 200 (half out: a smaller
  // box on the part still in), and nothing at 225
  const truth = (n: number): Box => {
    const x = 910 + (40 * n) / FPS;
    return { x, y: 430 - (15 * n) / FPS, width: Math.min(80.3, 1280 - x), height: 90 };
  };
  const sightings = new Map<number, Box[]>([
    [150, [{ x: 1141, y: 320.06, width: 95.97, height: 88.46 }]],
    [175, [{ x: 1193.48, y: 338.58, width: 85.45, height: 76.23 }]],
    [200, [{ x: 1222.13, y: 318.67, width: 54.34, height: 56.83 }]],
    [225, []],
  ]);
  const tracks = new FaceTracks(
    DEFAULT_RENDITION.holdDetections,
    DEFAULT_RENDITION.faceSpeed * (STRIDE / FPS),
  );
  const uncovered: string[] = [];
  const check = (n: number, boxes: readonly Box[]) => {
    const face = truth(n);
    // counted as the bench counts it: while a third of its width is in the frame
    if (face.width < 80.3 / 3) return;
    const widened = boxes.map((b) => expand(b, DEFAULT_RENDITION.margin, 1280, 720));
    const share = covered(face, widened);
    if (share < 0.9) uncovered.push(`frame ${n}: ${share.toFixed(2)}`);
  };
  for (const [n, found] of sightings) {
    const interval = tracks.advance(found);
    if (n > 150) {
      for (let i = 1; i < STRIDE; i++) check(n - STRIDE + i, interval.boxesAt(i / STRIDE));
    }
    check(n, tracks.current());
  }
  t.same(uncovered, [], "no frame leaves it uncovered");
  t.end();
});

void t.test("the rendition looks at one frame a second", async (t) => {
  const work = tempDir("classcam-face-tracks-");
  t.teardown(work.remove);
  const seconds = 4;
  await makeClip(join(work.path, "clip"), {
    seconds,
    fps: FPS,
    width: 320,
    height: 180,
    faces: [{ face: "collins", pose: "front", height: 60, x: 100, y: 40 }],
  });
  const keyFile = join(work.path, "copy.key");
  writeFileSync(keyFile, randomBytes(16));
  const keyInfo = join(work.path, "key-info");
  writeFileSync(keyInfo, `key\n${keyFile}\n${randomBytes(16).toString("hex")}\n`);
  let looked = 0;
  const detector: FaceDetector = {
    name: "counting",
    detect: () => {
      looked++;
      return Promise.resolve([]);
    },
  };
  await makeRendition({
    source: {
      input: join(work.path, "clip", "source.m3u8"),
      inputOptions: ["-f", "hls"],
      close: () => Promise.resolve(),
    },
    dir: join(work.path, "copy"),
    detector,
    settings: DEFAULT_RENDITION,
    keyInfoFile: keyInfo,
  });
  t.equal(looked, seconds + 1, "one a second, and the last frame");
});
