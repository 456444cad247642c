/**
 * The room picture a box gives to draw privacy masks on (`roomPicture`): one
 * self-test frame made into a small JPEG in memory, the masks burned in as
 * they are into recordings, always small enough for the self-test's answer —
 * from each of the camera formats the box records from.
 */
import t from "tap";
import { execFile } from "node:child_process";
import { MAX_PICTURE_BYTES } from "@classcam/protocol";
import { roomPicture } from "../../device/src/recorder/still.js";
import type { CameraFrame } from "../../device/src/hw/types.js";

const WIDTH = 320;
const HEIGHT = 240;

function ffmpeg(args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "ffmpeg",
      ["-v", "error", "-nostdin", ...args],
      { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`ffmpeg: ${stderr.toString()}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(input);
  });
}

/** A grey picture, light everywhere (luma 200), as YUYV. */
function lightYuyv(width: number, height: number): Buffer {
  const frame = Buffer.alloc(width * height * 2);
  for (let i = 0; i < frame.length; i += 2) {
    frame[i] = 200;
    frame[i + 1] = 128;
  }
  return frame;
}

/** The JPEG's pixels as 8-bit grey, one byte a pixel. */
function grey(jpeg: Buffer): Promise<Buffer> {
  return ffmpeg(["-i", "pipe:0", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"], jpeg);
}

/** Mean grey of the columns from `from` to `to` (shares of the width) of a `width`-wide picture. */
function mean(pixels: Buffer, width: number, from: number, to: number): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < pixels.length; i += 1) {
    const x = (i % width) / width;
    if (x >= from && x < to) {
      sum += pixels[i] ?? 0;
      count += 1;
    }
  }
  return sum / count;
}

const isJpeg = (picture: Buffer) => picture[0] === 0xff && picture[1] === 0xd8;

void t.test("a YUYV frame: a JPEG with the masks black", async (t) => {
  const frame: CameraFrame = {
    data: lightYuyv(WIDTH, HEIGHT),
    format: "yuyv422",
    width: WIDTH,
    height: HEIGHT,
  };
  const picture = await roomPicture(frame, {
    ffmpeg: "ffmpeg",
    masks: [{ x: 0, y: 0, width: 0.5, height: 1 }],
  });
  t.ok(isJpeg(picture), "a JPEG");
  t.ok(picture.length <= MAX_PICTURE_BYTES, "small enough for the answer");
  const pixels = await grey(picture);
  t.equal(pixels.length, WIDTH * HEIGHT, "at the camera's size (under 960 wide)");
  t.ok(mean(pixels, WIDTH, 0, 0.45) < 30, "the masked half is black");
  t.ok(mean(pixels, WIDTH, 0.55, 1) > 150, "the rest is the room");
});

void t.test("MJPEG and H.264 frames, as a camera that records in them gives", async (t) => {
  const source = ["-f", "lavfi", "-i", `testsrc2=size=${WIDTH}x${HEIGHT}:rate=10`];
  const mjpeg = await ffmpeg([...source, "-frames:v", "1", "-c:v", "mjpeg", "-f", "mjpeg", "-"]);
  const h264 = await ffmpeg([
    ...source,
    ...["-frames:v", "6", "-c:v", "libx264", "-g", "30", "-pix_fmt", "yuv420p", "-f", "h264", "-"],
  ]);
  for (const [format, data] of [
    ["mjpeg", mjpeg],
    ["h264", h264],
  ] as const) {
    const picture = await roomPicture(
      { data, format, width: WIDTH, height: HEIGHT },
      { ffmpeg: "ffmpeg", masks: [{ x: 0.5, y: 0, width: 0.5, height: 1 }] },
    );
    t.ok(isJpeg(picture), `${format}: a JPEG`);
    const pixels = await grey(picture);
    t.equal(pixels.length, WIDTH * HEIGHT, `${format}: one picture`);
    t.ok(mean(pixels, WIDTH, 0.55, 1) < 30, `${format}: the masked half is black`);
    t.ok(mean(pixels, WIDTH, 0, 0.45) > 40, `${format}: the rest is the picture`);
  }
});

void t.test("a large, detailed frame is made smaller until it fits the answer", async (t) => {
  const width = 1920;
  const height = 1080;
  const noise = Buffer.alloc(width * height * 2);
  let seed = 1;
  for (let i = 0; i < noise.length; i += 1) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    noise[i] = seed >> 16;
  }
  const picture = await roomPicture(
    { data: noise, format: "yuyv422", width, height },
    { ffmpeg: "ffmpeg", masks: [] },
  );
  t.ok(isJpeg(picture));
  t.ok(picture.length <= MAX_PICTURE_BYTES, `${picture.length} bytes fit the answer`);

  // a limit nothing can meet: said so, in words
  await t.rejects(
    roomPicture(
      { data: noise, format: "yuyv422", width, height },
      {
        ffmpeg: "ffmpeg",
        masks: [],
        maxBytes: 100,
      },
    ),
    /the picture of the room is too detailed to send/,
  );
  // a frame that is not a picture: said so
  await t.rejects(
    roomPicture(
      { data: Buffer.from("not a picture"), format: "mjpeg", width, height },
      { ffmpeg: "ffmpeg", masks: [] },
    ),
    /the camera's frame could not be made into a picture/,
  );
});
