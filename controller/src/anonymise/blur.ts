/**
 * The blur itself, on raw RGB frames: each face's box is widened by a margin,
 * pixelated (every block replaced by its average: the detail is gone, not
 * hidden) and then blurred (so the blocks do not draw a face either). Pure
 * functions on a frame's bytes.
 */
import { meanRgb } from "./pixels.js";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * A face's box widened by `margin` of its size on the sides and below, and by
 * twice that above (the tiny detector's box starts about the brows: the
 * forehead and hair above it were left sharp, bench:anonymise), kept inside
 * the frame (whole pixels).
 */
export function expand(box: Box, margin: number, width: number, height: number): Box {
  const dx = box.width * margin;
  const dy = box.height * margin;
  const x0 = Math.max(0, Math.floor(box.x - dx));
  const y0 = Math.max(0, Math.floor(box.y - 2 * dy));
  const x1 = Math.min(width, Math.ceil(box.x + box.width + dx));
  const y1 = Math.min(height, Math.ceil(box.y + box.height + dy));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** The pixelation block for a box: about a sixth of its smaller side, at least 6 pixels. */
export function blockSize(box: Box): number {
  return Math.max(6, Math.round(Math.min(box.width, box.height) / 6));
}

/**
 * Pixelates then blurs `box` of an RGB frame in place. After it, no block of
 * the box carries more than its average colour, smoothed with its neighbours.
 */
export function pixelateBlur(
  frame: Uint8Array,
  width: number,
  box: Box,
  block = blockSize(box),
): void {
  if (box.width <= 0 || box.height <= 0) return;
  const cols = Math.ceil(box.width / block);
  const rows = Math.ceil(box.height / block);
  const means = new Float32Array(cols * rows * 3);
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      const x0 = box.x + bx * block;
      const y0 = box.y + by * block;
      const x1 = Math.min(box.x + box.width, x0 + block);
      const y1 = Math.min(box.y + box.height, y0 + block);
      meanRgb(frame, width, x0, y0, x1, y1, means, (by * cols + bx) * 3);
    }
  }
  // blur: each pixel takes the blocks' means, weighted by its distance to their centres
  // (bilinear between the block centres: smooth, and no finer than a block). A column's
  // two blocks and weight are the same on every row, and a row's blend of two block rows
  // the same for every column: both worked out once (the blur was a tenth of a rendition)
  const c0s = new Int32Array(box.width);
  const c1s = new Int32Array(box.width);
  const wxs = new Float32Array(box.width);
  for (let x = 0; x < box.width; x++) {
    const fx = Math.min(cols - 1, Math.max(0, (x + 0.5) / block - 0.5));
    const c0 = Math.floor(fx);
    c0s[x] = c0 * 3;
    c1s[x] = Math.min(cols - 1, c0 + 1) * 3;
    wxs[x] = fx - c0;
  }
  const row = new Float32Array(cols * 3);
  for (let y = box.y; y < box.y + box.height; y++) {
    const fy = Math.min(rows - 1, Math.max(0, (y - box.y + 0.5) / block - 0.5));
    const r0 = Math.floor(fy);
    const r1 = Math.min(rows - 1, r0 + 1);
    const wy = fy - r0;
    for (let m = 0; m < cols * 3; m++) {
      row[m] = (means[r0 * cols * 3 + m] ?? 0) * (1 - wy) + (means[r1 * cols * 3 + m] ?? 0) * wy;
    }
    let i = (y * width + box.x) * 3;
    for (let x = 0; x < box.width; x++, i += 3) {
      const a = c0s[x] ?? 0;
      const b = c1s[x] ?? 0;
      const wx = wxs[x] ?? 0;
      // values are 0–255: adding a half and dropping the fraction rounds them
      frame[i] = ((row[a] ?? 0) * (1 - wx) + (row[b] ?? 0) * wx + 0.5) | 0;
      frame[i + 1] = ((row[a + 1] ?? 0) * (1 - wx) + (row[b + 1] ?? 0) * wx + 0.5) | 0;
      frame[i + 2] = ((row[a + 2] ?? 0) * (1 - wx) + (row[b + 2] ?? 0) * wx + 0.5) | 0;
    }
  }
}

/**
 * "Blur the background": pixelates then blurs each of `areas` (what lies
 * outside the teacher zones) of a frame `width` pixels wide, in blocks of at
 * least a fortieth of the frame's width (32 px at 1280): a face the detector
 * missed there keeps no features, even in a thin strip, where a sixth of the
 * strip (a face's block) would leave a small face readable.
 */
export function blurBackground(frame: Uint8Array, width: number, areas: readonly Box[]): void {
  const least = Math.max(6, Math.round(width / 40));
  for (const area of areas) pixelateBlur(frame, width, area, Math.max(least, blockSize(area)));
}
