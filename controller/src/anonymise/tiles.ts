/**
 * Small faces through a detector that shrinks its input: the frame is cut into
 * overlapping tiles, each given to the detector alone (so a 20 px face is not
 * shrunk to a few pixels), the boxes moved back to the frame's pixels and the
 * same face found in two tiles kept once. The whole frame is looked at too: a
 * face larger than the overlap is whole in no tile. A `FaceDetector` itself, so the
 * rendition does not know whether it tiles.
 */
import {
  loadFaceApiDetector,
  type DetectorSettings,
  type FaceBox,
  type FaceDetector,
} from "./detector.js";

export interface Tiling {
  /** Tiles across and down the frame (1 × 1: the whole frame at once). */
  cols: number;
  rows: number;
  /** How much neighbouring tiles overlap, as a share of a tile (a face on a seam is whole in one). */
  overlap: number;
  /**
   * The whole frame's look at faces too large for a tile's overlap: its longer
   * side scaled to this many pixels (default: the tiles' input size).
   */
  wholeInputSize?: number;
}

/** Where each tile is, in the frame's pixels. */
export function tilesOf(width: number, height: number, tiling: Tiling) {
  const tileW = Math.ceil(width / (tiling.cols - (tiling.cols - 1) * tiling.overlap));
  const tileH = Math.ceil(height / (tiling.rows - (tiling.rows - 1) * tiling.overlap));
  const tiles: { x: number; y: number; width: number; height: number }[] = [];
  for (let r = 0; r < tiling.rows; r++) {
    for (let c = 0; c < tiling.cols; c++) {
      const x = tiling.cols === 1 ? 0 : Math.round(((width - tileW) * c) / (tiling.cols - 1));
      const y = tiling.rows === 1 ? 0 : Math.round(((height - tileH) * r) / (tiling.rows - 1));
      tiles.push({ x, y, width: Math.min(tileW, width - x), height: Math.min(tileH, height - y) });
    }
  }
  return tiles;
}

const area = (b: FaceBox) => b.width * b.height;

function overlapShare(a: FaceBox, b: FaceBox): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min(area(a), area(b));
}

/** The same face found twice (mostly inside one another): the higher score stays. */
export function mergeDuplicates(boxes: readonly FaceBox[]): FaceBox[] {
  const kept: FaceBox[] = [];
  for (const box of [...boxes].sort((a, b) => b.score - a.score)) {
    if (!kept.some((k) => overlapShare(k, box) > 0.6)) kept.push(box);
  }
  return kept;
}

/** `inner` on each tile, and `whole` (default: `inner`) on the whole frame. */
export function tiledDetector(
  inner: FaceDetector,
  tiling: Tiling,
  whole: FaceDetector = inner,
): FaceDetector {
  if (tiling.cols === 1 && tiling.rows === 1) return inner;
  return {
    name: `${inner.name}@${tiling.cols}x${tiling.rows}${whole === inner ? "" : `+${whole.name}`}`,
    async detect(frame, width, height) {
      const found: FaceBox[] = await whole.detect(frame, width, height);
      for (const tile of tilesOf(width, height, tiling)) {
        const pixels = new Uint8Array(tile.width * tile.height * 3);
        for (let y = 0; y < tile.height; y++) {
          const from = ((tile.y + y) * width + tile.x) * 3;
          pixels.set(frame.subarray(from, from + tile.width * 3), y * tile.width * 3);
        }
        for (const box of await inner.detect(pixels, tile.width, tile.height)) {
          found.push({ ...box, x: box.x + tile.x, y: box.y + tile.y });
        }
      }
      return mergeDuplicates(found);
    },
  };
}

/** The detector as the anonymiser uses it: the model on tiles, and on the whole frame. */
export async function loadTiledDetector(detector: DetectorSettings, tiling: Tiling) {
  const inner = await loadFaceApiDetector(detector);
  const { wholeInputSize } = tiling;
  const whole =
    wholeInputSize === undefined || wholeInputSize === detector.inputSize
      ? inner
      : await loadFaceApiDetector({ ...detector, inputSize: wholeInputSize });
  return tiledDetector(inner, tiling, whole);
}
