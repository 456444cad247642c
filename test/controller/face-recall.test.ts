// Issue 19's recall target on still frames: the detector as the anonymiser
// sets it up (DEFAULT_ANONYMISER: model, input size and tiling, as the worker
// builds it) finds every face of 32 px or more in a 1280×720 frame, wherever
// it stands — on a seam between two tiles too — closely enough that the
// rendition's widened box covers ≥ 90 % of the face (the bench's "covered").
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import t from "tap";
import { DEFAULT_ANONYMISER } from "../../controller/src/anonymise/anonymiser.js";
import { expand } from "../../controller/src/anonymise/blur.js";
import { loadTiledDetector } from "../../controller/src/anonymise/tiles.js";
import { makeClip, type Box, type ClipSpec } from "../fixtures/anonymise/evaluation-set.js";
import { tempDir } from "../helpers/controller.js";

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 10;
/** Every fifth frame is looked at: the faces have moved 75 px between two. */
const EVERY = 5;

/**
 * Faces of 32 to 120 px in two rows, sweeping right at 150 px a second, so
 * over the frames looked at each stands at many places across the frame.
 */
const SWEEP: ClipSpec = {
  seconds: 4,
  fps: FPS,
  faces: [32, 36, 40, 48, 56, 64, 90, 120].map((height, i) => ({
    face: i % 2 === 0 ? "collins" : "hopper",
    pose: (["front", "mirrored", "tilted", "dim"] as const)[i % 4] ?? "front",
    height,
    x: 20 + (i % 4) * 300,
    y: i < 4 ? 150 + (i % 2) * 40 : 430 + (i % 2) * 40,
    vx: 150,
  })),
};

/** Share of `face` inside the union of `boxes` (whole pixels). */
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
  return all === 0 ? 1 : inside / all;
}

void t.test("every face of 32 px or more is found, on a tile's seam too", async (t) => {
  const work = tempDir("classcam-face-recall-");
  t.teardown(work.remove);
  const truth = await makeClip(join(work.path, "clip"), SWEEP);
  const raw = execFileSync(
    "ffmpeg",
    [
      ...["-v", "error", "-i", join(work.path, "clip", "source.m3u8")],
      ...["-vf", `select=not(mod(n\\,${EVERY}))`, "-vsync", "0"],
      ...["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const settings = DEFAULT_ANONYMISER;
  const detector = await loadTiledDetector(settings.detector, settings.tiling);
  const frameBytes = WIDTH * HEIGHT * 3;
  const missed: string[] = [];
  let looked = 0;
  for (let n = 0; n * frameBytes < raw.length; n++) {
    const frame = new Uint8Array(raw.buffer, raw.byteOffset + n * frameBytes, frameBytes);
    const found = await detector.detect(frame, WIDTH, HEIGHT);
    const widened = found.map((b) => expand(b, settings.rendition.margin, WIDTH, HEIGHT));
    for (const [i, face] of (truth[n * EVERY] ?? []).entries()) {
      const size = SWEEP.faces[i]?.height ?? 0;
      // only faces whole in the frame
      if (face.x <= 0 || face.x + face.width >= WIDTH || face.height < size) continue;
      looked++;
      const share = covered(face, widened);
      if (share < 0.9) {
        missed.push(
          `${size} px at ${Math.round(face.x)},${Math.round(face.y)} (${share.toFixed(2)})`,
        );
      }
    }
  }
  t.ok(looked > 50, `looked at ${looked} faces`);
  t.same(missed, [], "no face of 32 px or more left uncovered");
});
