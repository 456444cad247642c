/** Reading RGB frames (3 bytes a pixel, row by row), as the blur and the detector's input need. */

/**
 * Writes the mean colour (0–255 a channel) of the rectangle [x0, x1) × [y0, y1)
 * of `frame`, `width` pixels wide, into `out` at `at`, `at + 1`, `at + 2`.
 */
export function meanRgb(
  frame: Uint8Array,
  width: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  out: Float32Array,
  at: number,
): void {
  let r = 0;
  let g = 0;
  let b = 0;
  for (let y = y0; y < y1; y++) {
    let i = (y * width + x0) * 3;
    for (let x = x0; x < x1; x++, i += 3) {
      r += frame[i] ?? 0;
      g += frame[i + 1] ?? 0;
      b += frame[i + 2] ?? 0;
    }
  }
  const n = (x1 - x0) * (y1 - y0);
  out[at] = r / n;
  out[at + 1] = g / n;
  out[at + 2] = b / n;
}
