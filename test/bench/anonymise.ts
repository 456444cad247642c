/**
 * bench:anonymise — how well and how fast the anonymiser blurs faces, on the
 * evaluation set (test/fixtures/anonymise/): for each detector setting, the
 * recall of faces covered (≥ 90 % of the face's box blurred) by size band,
 * the frames where a labelled face ≥ 32 px is left uncovered, the share of
 * the blurred area that holds no face, and the time to make the rendition as
 * a ratio to real time and to a plain ffmpeg re-encode of the same footage,
 * the load average printed beside each.
 *
 *   npm run bench:anonymise            # a 60-second clip per setting, 10 minutes for the default
 *   npm run bench:anonymise -- --ci    # a 10-second clip per setting, no long run
 *   npm run bench:anonymise -- --seconds=30 --long=600
 *   npm run bench:anonymise -- --only=default   # the settings whose label holds the word
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { DetectorSettings } from "../../controller/src/anonymise/detector.js";
import { DEFAULT_ANONYMISER } from "../../controller/src/anonymise/anonymiser.js";
import {
  DEFAULT_RENDITION,
  makeRendition,
  type RenditionSettings,
} from "../../controller/src/anonymise/rendition.js";
import type { Box } from "../../controller/src/anonymise/blur.js";
import { loadTiledDetector, type Tiling } from "../../controller/src/anonymise/tiles.js";
import { writeKeyInfo } from "../../controller/src/domain/copy-keys.js";
import { newContentKey } from "@classcam/protocol";
import { classroom, makeClip } from "../fixtures/anonymise/evaluation-set.js";

const ci = process.argv.includes("--ci");
/** `--seconds=N`: the accuracy clip's length; `--long=N`: the timing run's (0: none). */
const flag = (name: string) => {
  const value = process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  return value === undefined ? undefined : Number(value);
};
const SHORT = flag("seconds") ?? (ci ? 10 : 60);
const LONG = flag("long") ?? (ci ? 0 : 600);
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);

interface Setting {
  label: string;
  detector: DetectorSettings;
  tiling: Tiling;
  rendition: RenditionSettings;
}

const whole: Tiling = { cols: 1, rows: 1, overlap: 0 };
const SETTINGS: Setting[] = [
  {
    label: "tiny-608, whole frame",
    detector: { kind: "tiny", inputSize: 608, minScore: 0.3 },
    tiling: whole,
    rendition: DEFAULT_RENDITION,
  },
  {
    label: "ssd, whole frame",
    detector: { kind: "ssd", inputSize: 512, minScore: 0.3 },
    tiling: whole,
    rendition: DEFAULT_RENDITION,
  },
  {
    label: "tiny-416, 3×2 tiles",
    detector: { kind: "tiny", inputSize: 416, minScore: 0.3 },
    tiling: { cols: 3, rows: 2, overlap: 0.15 },
    rendition: DEFAULT_RENDITION,
  },
  {
    label: "tiny-416, 4×3 tiles",
    detector: { kind: "tiny", inputSize: 416, minScore: 0.3 },
    tiling: { cols: 4, rows: 3, overlap: 0.15 },
    rendition: DEFAULT_RENDITION,
  },
  { label: "default (the anonymiser's settings)", ...DEFAULT_ANONYMISER },
];

/** CPU seconds of this process's waited-for children (ffmpeg), from /proc (100 ticks a second). */
function childrenCpu(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  // after the command: state is field 3, cutime 16 and cstime 17
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

const BANDS = [
  { name: "20–31 px", min: 0, max: 32 },
  { name: "32–63 px", min: 32, max: 64 },
  { name: "64–120 px", min: 64, max: Infinity },
];

/** Share of `face` inside the union of `blurred` (counted on whole pixels). */
function covered(face: Box, blurred: readonly Box[]): number {
  const x0 = Math.floor(face.x);
  const y0 = Math.floor(face.y);
  const x1 = Math.ceil(face.x + face.width);
  const y1 = Math.ceil(face.y + face.height);
  let inside = 0;
  let all = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      all++;
      if (blurred.some((b) => x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height)) {
        inside++;
      }
    }
  }
  return all === 0 ? 1 : inside / all;
}

/** Blurred pixels, and those of them outside every face (on a 4-pixel grid). */
function spill(blurred: readonly Box[], faces: readonly Box[]): { blurred: number; empty: number } {
  let total = 0;
  let empty = 0;
  for (let y = 0; y < 720; y += 4) {
    for (let x = 0; x < 1280; x += 4) {
      const inBox = (b: Box) => x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height;
      if (!blurred.some(inBox)) continue;
      total++;
      if (!faces.some(inBox)) empty++;
    }
  }
  return { blurred: total, empty };
}

function plainReencode(source: string, out: string): number {
  const start = performance.now();
  execFileSync("ffmpeg", [
    ...["-v", "error", "-y", "-f", "hls", "-i", source, "-c:v", "libx264", "-preset", "veryfast"],
    ...["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod"],
    ...["-hls_segment_filename", join(out, "seg-%05d.ts"), join(out, "index.m3u8")],
  ]);
  return (performance.now() - start) / 1000;
}

async function measure(seconds: number, setting: Setting, accuracy: boolean): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "classcam-bench-anonymise-"));
  try {
    const spec = classroom(seconds);
    const truth = await makeClip(join(work, "source"), spec);
    const inner = await loadTiledDetector(setting.detector, setting.tiling);
    // the detector's share of the work: its wall time and this process's CPU while it runs
    let detections = 0;
    let detectMs = 0;
    const detector: typeof inner = {
      name: inner.name,
      async detect(frame, width, height) {
        const begun = performance.now();
        try {
          return await inner.detect(frame, width, height);
        } finally {
          detections++;
          detectMs += performance.now() - begun;
        }
      },
    };
    const bands = BANDS.map(() => ({ faces: 0, covered: 0 }));
    let uncoveredFrames = 0;
    /** Frames each labelled face was left uncovered on. */
    const missedOf = new Map<number, number[]>();
    let blurredCells = 0;
    let emptyCells = 0;
    const loadBefore = load();
    // as the controller makes it: encrypted at rest with the copy's own key
    // a copy's key carries one IV for all its segments
    const key = await writeKeyInfo({ ...newContentKey(), iv: randomBytes(16) });
    const start = performance.now();
    const cpuBefore = process.cpuUsage();
    const childrenBefore = childrenCpu();
    await makeRendition({
      source: {
        input: join(work, "source", "source.m3u8"),
        inputOptions: ["-f", "hls"],
        close: async () => {},
      },
      dir: join(work, "rendition"),
      detector,
      settings: setting.rendition,
      keyInfoFile: key.infoFile,
      blurred: (n, boxes) => {
        if (!accuracy) return;
        const labelled = (truth[n] ?? []).map((face, i) => ({
          face,
          size: spec.faces[i]?.height ?? 0,
          index: i,
        }));
        // a face mostly out of the frame is not counted
        const inFrame = labelled.filter(
          ({ face, size }) => face.height > size / 2 && face.width > size / 3,
        );
        const faces = inFrame.map(({ face }) => face);
        let missed = false;
        for (const { face, size, index } of inFrame) {
          const band = BANDS.findIndex((b) => size >= b.min && size < b.max);
          const ok = covered(face, boxes) >= 0.9;
          if (!ok) missedOf.set(index, [...(missedOf.get(index) ?? []), n]);
          const tally = bands[band];
          if (tally) {
            tally.faces++;
            if (ok) tally.covered++;
          }
          if (!ok && size >= 32) missed = true;
        }
        if (missed) uncoveredFrames++;
        if (n % 5 === 0) {
          const s = spill(boxes, faces);
          blurredCells += s.blurred;
          emptyCells += s.empty;
        }
      },
    });
    const took = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const ffmpegCpu = childrenCpu() - childrenBefore;
    await key.remove();
    const loadAfter = load();
    const plain = plainReencode(
      join(work, "source", "source.m3u8"),
      mkdtempSync(join(work, "plain-")),
    );
    console.log(
      `\n${setting.label} (${detector.name}), ${seconds} s of 1280×720 at ${spec.fps} fps` +
        `\n  rendition ${took.toFixed(1)} s = ${(took / seconds).toFixed(2)} × real time, ` +
        `${(took / plain).toFixed(2)} × a plain re-encode (${plain.toFixed(1)} s); ` +
        `load ${loadBefore} → ${loadAfter}` +
        `\n  detector ${detections} calls, ${(detectMs / 1000).toFixed(1)} s wall ` +
        `(${(detectMs / Math.max(1, detections)).toFixed(0)} ms each); ` +
        `this process's CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, ffmpeg's ${ffmpegCpu.toFixed(1)} s`,
    );
    if (accuracy) {
      for (const [i, band] of BANDS.entries()) {
        const tally = bands[i];
        if (!tally || tally.faces === 0) continue;
        console.log(
          `  recall ${band.name}: ${(tally.covered / tally.faces).toFixed(3)} (${tally.covered}/${tally.faces} face-frames)`,
        );
      }
      console.log(
        `  frames with a face ≥ 32 px uncovered: ${uncoveredFrames} of ${truth.length}; ` +
          `blurred area holding no face: ${((100 * emptyCells) / Math.max(1, blurredCells)).toFixed(1)} %`,
      );
      const which = [...missedOf.entries()]
        .sort(([a], [b]) => a - b)
        .map(([i, frames]) => {
          const f = spec.faces[i];
          const span = `${frames.length} (frames ${frames[0]}–${frames.at(-1)})`;
          return `${f?.height} px ${f?.pose}${f?.vx ? " moving" : ""}: ${span}`;
        });
      if (which.length > 0) console.log(`  frames uncovered per face: ${which.join("; ")}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

console.log(`bench:anonymise${ci ? " --ci" : ""}, load ${load()}`);
for (const setting of SETTINGS) {
  if (ONLY === undefined || setting.label.includes(ONLY)) await measure(SHORT, setting, true);
}
const chosen = SETTINGS.at(-1);
if (LONG > 0 && chosen) await measure(LONG, chosen, false);
