// The blur (anonymise/blur.ts) on raw frames: "blur the background" leaves no
// detail a face could be made of in what lies outside the teacher zones, even
// in a thin strip, where a face's block size (a sixth of the strip) would.
import t from "tap";
import { blurBackground, pixelateBlur } from "../../controller/src/anonymise/blur.js";

const WIDTH = 1280;
const HEIGHT = 720;

/** A frame of upright stripes 8 px wide: detail at about a small face's scale. */
function striped(): Uint8Array {
  const frame = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++)
      frame.fill(
        Math.floor(x / 8) % 2 === 0 ? 40 : 220,
        (y * WIDTH + x) * 3,
        (y * WIDTH + x + 1) * 3,
      );
  }
  return frame;
}

/** The most two pixels 16 apart along a row of `area` differ: what is left of the stripes. */
function stripesLeft(
  frame: Uint8Array,
  area: { x: number; y: number; width: number; height: number },
): number {
  let most = 0;
  for (let y = area.y; y < area.y + area.height; y++) {
    for (let x = area.x + 16; x < area.x + area.width - 16; x++) {
      const a = frame[(y * WIDTH + x) * 3] ?? 0;
      const b = frame[(y * WIDTH + x + 8) * 3] ?? 0;
      most = Math.max(most, Math.abs(a - b));
    }
  }
  return most;
}

void t.test("blur the background: no face-sized detail left, even in a thin strip", async (t) => {
  const strip = { x: 0, y: 300, width: WIDTH, height: 24 };
  const wide = { x: 0, y: 0, width: WIDTH, height: 200 };
  const frame = striped();
  t.ok(stripesLeft(frame, strip) > 150, "stripes before");
  blurBackground(frame, WIDTH, [strip, wide]);
  t.ok(stripesLeft(frame, wide) < 20, `a wide area: gone (${stripesLeft(frame, wide)})`);
  t.ok(stripesLeft(frame, strip) < 20, `a thin strip: gone too (${stripesLeft(frame, strip)})`);
  const outside = { x: 0, y: 400, width: WIDTH, height: 50 };
  t.ok(stripesLeft(frame, outside) > 150, "and nothing else is touched");
});

void t.test("a face's box: its own block size (a sixth of it, at least 6 px)", async (t) => {
  const frame = striped();
  const face = { x: 100, y: 100, width: 120, height: 120 };
  pixelateBlur(frame, WIDTH, face);
  t.ok(stripesLeft(frame, face) < 20, "a 120-px face's stripes are gone");
});
