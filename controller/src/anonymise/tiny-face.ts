/**
 * The tiny face detector's input and output, done here instead of by
 * face-api. face-api pads every frame to a square, resizes it on tfjs and
 * subtracts the model's mean colour with a channel `concat` that the wasm
 * backend runs as a JavaScript loop: on a 1280×720 frame that was more time
 * than the network itself (bench:anonymise's profile). Here the frame is
 * resampled once, straight into the network's normalised input, only padded
 * up to the next multiple of 32 (the network is convolutional: it takes any
 * such width and height, so a wide frame is not padded to a square), and the
 * grid the network answers is read back into boxes in the frame's pixels.
 * Pure functions: no tfjs.
 */
import { meanRgb } from "./pixels.js";

/** A face the network found, in the frame's pixels (as `detector.ts`'s `FaceBox`). */
export interface FoundFace {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

/** The network's cell: it halves the input five times. */
export const CELL = 32;

/** The tiny face detector's mean colour (face-api's TinyFaceDetector config). */
export const TINY_MEAN_RGB: readonly [number, number, number] = [117.001, 114.697, 97.404];

/** Its anchors, in cells (face-api's TinyFaceDetector config). */
export const TINY_ANCHORS: readonly { x: number; y: number }[] = [
  { x: 1.603231, y: 2.094468 },
  { x: 6.041143, y: 7.080126 },
  { x: 2.882459, y: 3.518061 },
  { x: 4.266906, y: 5.178857 },
  { x: 9.041765, y: 10.66308 },
];

/** Boxes overlapping more than this (intersection over union) are one face. */
export const TINY_IOU = 0.4;

export interface ModelInput {
  /** `width × height × 3` floats, (value − mean) / 255, rows top to bottom. */
  data: Float32Array;
  width: number;
  height: number;
  /** Input pixels per frame pixel. */
  scale: number;
}

/**
 * The frame scaled so its longer side is `size` pixels, padded (with the mean
 * colour, which normalises to 0) up to multiples of 32. Shrinking averages the
 * frame pixels each input pixel covers; enlarging interpolates between the
 * four nearest.
 */
export function modelInput(
  frame: Uint8Array,
  width: number,
  height: number,
  size: number,
  mean: readonly [number, number, number] = TINY_MEAN_RGB,
): ModelInput {
  const scale = size / Math.max(width, height);
  const usedW = Math.max(1, Math.round(width * scale));
  const usedH = Math.max(1, Math.round(height * scale));
  const inW = Math.ceil(usedW / CELL) * CELL;
  const inH = Math.ceil(usedH / CELL) * CELL;
  const data = new Float32Array(inW * inH * 3); // zero: the mean colour
  const [m0, m1, m2] = mean;
  const sx = width / usedW;
  const sy = height / usedH;
  if (sx > 1 || sy > 1) {
    // shrinking: each input pixel is the average of the frame pixels it covers
    const xs = new Int32Array(usedW + 1);
    for (let x = 0; x <= usedW; x++) xs[x] = Math.min(width, Math.round(x * sx));
    for (let oy = 0; oy < usedH; oy++) {
      const y0 = Math.min(height - 1, Math.round(oy * sy));
      const y1 = Math.max(y0 + 1, Math.min(height, Math.round((oy + 1) * sy)));
      let o = oy * inW * 3;
      for (let ox = 0; ox < usedW; ox++, o += 3) {
        const x0 = Math.min(width - 1, xs[ox] ?? 0);
        const x1 = Math.max(x0 + 1, xs[ox + 1] ?? width);
        meanRgb(frame, width, x0, y0, x1, y1, data, o);
        data[o] = ((data[o] ?? 0) - m0) / 255;
        data[o + 1] = ((data[o + 1] ?? 0) - m1) / 255;
        data[o + 2] = ((data[o + 2] ?? 0) - m2) / 255;
      }
    }
  } else {
    // enlarging: bilinear between the four nearest frame pixels
    for (let oy = 0; oy < usedH; oy++) {
      const fy = Math.min(height - 1, Math.max(0, (oy + 0.5) * sy - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(height - 1, y0 + 1);
      const wy = fy - y0;
      let o = oy * inW * 3;
      for (let ox = 0; ox < usedW; ox++, o += 3) {
        const fx = Math.min(width - 1, Math.max(0, (ox + 0.5) * sx - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(width - 1, x0 + 1);
        const wx = fx - x0;
        const a = (y0 * width + x0) * 3;
        const b = (y0 * width + x1) * 3;
        const c = (y1 * width + x0) * 3;
        const d = (y1 * width + x1) * 3;
        for (let k = 0; k < 3; k++) {
          const top = (frame[a + k] ?? 0) * (1 - wx) + (frame[b + k] ?? 0) * wx;
          const bottom = (frame[c + k] ?? 0) * (1 - wx) + (frame[d + k] ?? 0) * wx;
          data[o + k] = (top * (1 - wy) + bottom * wy - (k === 0 ? m0 : k === 1 ? m1 : m2)) / 255;
        }
      }
    }
  }
  return { data, width: inW, height: inH, scale };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function iou(a: FoundFace, b: FoundFace): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * The faces in the network's answer: `grid` is its output, `rows × cols`
 * cells, each with 5 numbers (x, y, width, height, score) per anchor. Boxes
 * scoring above `minScore`, overlapping ones kept once (the best), in the
 * frame's pixels (divided by the input's `scale`).
 */
export function facesInGrid(
  grid: Float32Array,
  rows: number,
  cols: number,
  scale: number,
  minScore: number,
  anchors: readonly { x: number; y: number }[] = TINY_ANCHORS,
): FoundFace[] {
  const found: FoundFace[] = [];
  const per = anchors.length * 5;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      for (const [a, anchor] of anchors.entries()) {
        const i = (row * cols + col) * per + a * 5;
        const score = sigmoid(grid[i + 4] ?? -Infinity);
        if (!(score > minScore)) continue;
        const cx = (col + sigmoid(grid[i] ?? 0)) * CELL;
        const cy = (row + sigmoid(grid[i + 1] ?? 0)) * CELL;
        const w = Math.exp(grid[i + 2] ?? 0) * anchor.x * CELL;
        const h = Math.exp(grid[i + 3] ?? 0) * anchor.y * CELL;
        found.push({
          x: (cx - w / 2) / scale,
          y: (cy - h / 2) / scale,
          width: w / scale,
          height: h / scale,
          score,
        });
      }
    }
  }
  const kept: FoundFace[] = [];
  for (const box of found.sort((a, b) => b.score - a.score)) {
    if (!kept.some((k) => iou(k, box) > TINY_IOU)) kept.push(box);
  }
  return kept;
}
