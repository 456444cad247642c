// A copy with faces blurred begins where the footage begins: from the start,
// the rendition asks ffmpeg for no seek (on HLS input `-ss 0` skipped the
// first segment, and the copy lacked the footage's first second).
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import type { FaceDetector } from "../../controller/src/anonymise/detector.js";
import { DEFAULT_RENDITION, makeRendition } from "../../controller/src/anonymise/rendition.js";
import { makeClip } from "../fixtures/anonymise/evaluation-set.js";
import { tempDir } from "../helpers/controller.js";

void t.test("every frame of the footage is in the copy, the first second too", async (t) => {
  const work = tempDir("classcam-rendition-start-");
  t.teardown(work.remove);
  const seconds = 4;
  const fps = 25;
  await makeClip(join(work.path, "clip"), {
    seconds,
    fps,
    width: 320,
    height: 180,
    faces: [{ face: "collins", pose: "front", height: 60, x: 100, y: 40 }],
  });
  const keyFile = join(work.path, "copy.key");
  writeFileSync(keyFile, randomBytes(16));
  const keyInfo = join(work.path, "key-info");
  writeFileSync(keyInfo, `key\n${keyFile}\n${randomBytes(16).toString("hex")}\n`);
  const nobody: FaceDetector = { name: "none", detect: () => Promise.resolve([]) };
  let frames = 0;
  await makeRendition({
    source: {
      input: join(work.path, "clip", "source.m3u8"),
      inputOptions: ["-f", "hls"],
      close: () => Promise.resolve(),
    },
    dir: join(work.path, "copy"),
    detector: nobody,
    settings: DEFAULT_RENDITION,
    keyInfoFile: keyInfo,
    blurred: () => frames++,
  });
  t.equal(frames, seconds * fps);
});
