// The tiny face detector's own input and output (anonymise/tiny-face.ts):
// the frame is scaled and padded only to multiples of 32, padding reads as
// the mean colour, and on a square frame the detector finds the very faces
// face-api's own path finds, with the same boxes and scores.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import t from "tap";
import { loadFaceApiDetector } from "../../controller/src/anonymise/detector.js";
import { modelInput, TINY_MEAN_RGB } from "../../controller/src/anonymise/tiny-face.js";
import { FACES } from "../fixtures/anonymise/evaluation-set.js";

void t.test("a wide frame is padded to multiples of 32, not to a square", (t) => {
  const frame = new Uint8Array(1280 * 720 * 3).fill(200);
  const input = modelInput(frame, 1280, 720, 416);
  t.equal(input.width, 416);
  t.equal(input.height, 256, "234 rows of picture, padded to 256");
  t.equal(input.scale, 416 / 1280);
  const [r] = TINY_MEAN_RGB;
  t.ok(Math.abs((input.data[0] ?? 0) - (200 - r) / 255) < 1e-6, "picture: (value − mean) / 255");
  t.equal(input.data[(255 * 416 + 10) * 3], 0, "padding: the mean colour, 0 once normalised");
  t.end();
});

void t.test("an enlarged tile keeps its picture", (t) => {
  const frame = new Uint8Array(100 * 50 * 3);
  for (let i = 0; i < 100 * 50; i++) frame[i * 3 + 1] = i % 100 < 50 ? 0 : 255;
  const input = modelInput(frame, 100, 50, 200);
  t.equal(input.width, 224);
  t.equal(input.height, 128);
  const green = (x: number, y: number) => input.data[(y * 224 + x) * 3 + 1] ?? NaN;
  t.ok(green(10, 10) < green(190, 10), "the left half dark, the right half bright");
  t.end();
});

void t.test("on a square frame: the same faces as face-api's own path", async (t) => {
  const size = 416;
  const detector = await loadFaceApiDetector({ kind: "tiny", inputSize: size, minScore: 0.3 });
  const require = createRequire(import.meta.url);
  const api =
    require("@vladmandic/face-api/dist/face-api.node-wasm.js") as typeof import("@vladmandic/face-api");
  for (const [name, height] of [
    ["hopper", 48],
    ["collins", 90],
  ] as const) {
    const source = FACES[name];
    const scale = height / source.face.height;
    const frame = execFileSync("ffmpeg", [
      ...["-v", "error", "-i", source.file, "-vf"],
      `scale=iw*${scale}:ih*${scale}:flags=area,pad=${size}:${size}:(ow-iw)/2:(oh-ih)/2:0x969696`,
      ...["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
    ]);
    const ours = await detector.detect(new Uint8Array(frame), size, size);
    const tensor = api.tf.tensor3d(new Uint8Array(frame), [size, size, 3], "int32");
    const theirs = await api.detectAllFaces(
      tensor,
      new api.TinyFaceDetectorOptions({ inputSize: size, scoreThreshold: 0.3 }),
    );
    tensor.dispose();
    t.equal(ours.length, theirs.length, `${name}: as many faces`);
    t.ok(ours.length > 0, `${name}: found`);
    for (const [i, face] of theirs.entries()) {
      const mine = ours[i];
      t.ok(
        mine !== undefined &&
          Math.abs(mine.x - face.box.x) < 1 &&
          Math.abs(mine.y - face.box.y) < 1 &&
          Math.abs(mine.width - face.box.width) < 1 &&
          Math.abs(mine.height - face.box.height) < 1 &&
          Math.abs(mine.score - face.score) < 0.01,
        `${name}: the same box and score (${JSON.stringify(mine)} against ${JSON.stringify(face.box)} ${face.score})`,
      );
    }
  }
});
