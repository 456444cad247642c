/**
 * The face detector behind one seam: `detect(frame, width, height)` takes one
 * RGB frame (3 bytes a pixel, rows top to bottom) and answers the faces in it
 * as boxes in that frame's pixels, each with a score. A better model replaces
 * `loadFaceApiDetector` and nothing else.
 *
 * Today's detector is `@vladmandic/face-api` (MIT) on tfjs with the WebAssembly
 * backend (tfjs's plain CPU backend was measured 6–25 × slower on this
 * machine). Its weights are read from the package's own `model/` folder:
 * nothing is downloaded, at install or at run time. A missing or corrupt model
 * file is a `DetectorUnavailable` naming the file, thrown by the load.
 */
import { access, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { facesInGrid, modelInput } from "./tiny-face.js";

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** The detector's confidence, 0 to 1. */
  score: number;
}

export interface FaceDetector {
  /** Faces in one RGB frame (`width × height × 3` bytes), in that frame's pixels. */
  detect(frame: Uint8Array, width: number, height: number): Promise<FaceBox[]>;
  /** What it is, for logs and the benchmark: `tiny-416`, `ssd`… */
  readonly name: string;
}

/** The detector could not start: the message says which file and why. */
export class DetectorUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DetectorUnavailable";
  }
}

export type DetectorKind = "tiny" | "ssd";

export interface DetectorSettings {
  /** `tiny`: the tiny face detector (fast); `ssd`: SSD MobileNet v1 (slower, finds smaller faces). */
  kind: DetectorKind;
  /** The tiny detector's input size in pixels (a multiple of 32); SSD always works at 512. */
  inputSize: number;
  /** The lowest score kept: a face missed is worse than a wall blurred. */
  minScore: number;
  /** Where the weights are; default: the package's own `model/` folder. */
  modelDir?: string;
}

export const DEFAULT_DETECTOR: DetectorSettings = { kind: "tiny", inputSize: 608, minScore: 0.3 };

const MODEL_FILES: Record<DetectorKind, string> = {
  tiny: "tiny_face_detector_model",
  ssd: "ssd_mobilenetv1_model",
};

type FaceApi = typeof import("@vladmandic/face-api");

const require = createRequire(import.meta.url);

/** The package's own model folder. */
export function packagedModelDir(): string {
  return join(dirname(require.resolve("@vladmandic/face-api/package.json")), "model");
}

let loaded: Promise<FaceApi> | null = null;

/** face-api on the wasm backend, loaded once per process. */
function faceApi(): Promise<FaceApi> {
  loaded ??= (async () => {
    const api = require("@vladmandic/face-api/dist/face-api.node-wasm.js") as FaceApi;
    // registers the backend; in Node it reads its .wasm from its own folder
    require("@tensorflow/tfjs-backend-wasm");
    const tf = api.tf as unknown as typeof import("@tensorflow/tfjs-core");
    await tf.setBackend("wasm");
    await tf.ready();
    return api;
  })();
  return loaded;
}

/**
 * Checks the model's files before tfjs reads them, so a missing or corrupt
 * one is named: the manifest must parse and every weight file it lists must
 * be there with the bytes the manifest says.
 */
async function checkModelFiles(dir: string, kind: DetectorKind): Promise<void> {
  const manifestPath = join(dir, `${MODEL_FILES[kind]}-weights_manifest.json`);
  let manifest: unknown;
  try {
    await access(manifestPath);
  } catch {
    throw new DetectorUnavailable(`the face model's file ${manifestPath} is missing`);
  }
  try {
    manifest = JSON.parse(await readFile(manifestPath, "utf8"));
  } catch {
    throw new DetectorUnavailable(`the face model's file ${manifestPath} is corrupt (not JSON)`);
  }
  const groups = Array.isArray(manifest) ? (manifest as unknown[]) : [];
  if (groups.length === 0) {
    throw new DetectorUnavailable(`the face model's file ${manifestPath} lists no weights`);
  }
  for (const group of groups) {
    const { paths, weights } = group as {
      paths?: unknown;
      weights?: { shape?: number[]; dtype?: string }[];
    };
    if (!Array.isArray(paths) || !Array.isArray(weights)) {
      throw new DetectorUnavailable(`the face model's file ${manifestPath} is corrupt`);
    }
    const expected = weights.reduce((sum, w) => {
      const count = (w.shape ?? []).reduce((a, b) => a * b, 1);
      return sum + count * (w.dtype === "float32" || w.dtype === undefined ? 4 : 1);
    }, 0);
    let bytes = 0;
    for (const name of paths) {
      const file = join(dir, String(name));
      try {
        bytes += (await readFile(file)).length;
      } catch {
        throw new DetectorUnavailable(`the face model's file ${file} is missing`);
      }
    }
    // float32 weights must fill the file exactly; quantised ones are smaller than counted
    if (bytes === 0 || bytes > expected) {
      throw new DetectorUnavailable(
        `the face model's weights for ${MODEL_FILES[kind]} in ${dir} are corrupt ` +
          `(${bytes} bytes where the manifest allows ${expected})`,
      );
    }
  }
}

/** Checks the detector's model files without loading tfjs; throws `DetectorUnavailable` naming the file. */
export function checkModel(settings: DetectorSettings): Promise<void> {
  return checkModelFiles(settings.modelDir ?? packagedModelDir(), settings.kind);
}

/** Loads the detector; throws `DetectorUnavailable` naming the file when its model will not load. */
export async function loadFaceApiDetector(settings: DetectorSettings): Promise<FaceDetector> {
  const dir = settings.modelDir ?? packagedModelDir();
  await checkModelFiles(dir, settings.kind);
  const api = await faceApi();
  const net = settings.kind === "tiny" ? api.nets.tinyFaceDetector : api.nets.ssdMobilenetv1;
  try {
    await net.loadFromDisk(dir);
  } catch (error) {
    throw new DetectorUnavailable(
      `the face model ${MODEL_FILES[settings.kind]} in ${dir} would not load: ${(error as Error).message}`,
    );
  }
  if (settings.kind === "tiny") return tinyDetector(api, settings);
  const options = new api.SsdMobilenetv1Options({
    minConfidence: settings.minScore,
    maxResults: 200,
  });
  return {
    name: "ssd",
    async detect(frame, width, height) {
      const tensor = api.tf.tensor3d(frame, [height, width, 3], "int32");
      try {
        const found = await api.detectAllFaces(tensor, options);
        return found.map((d) => ({
          x: d.box.x,
          y: d.box.y,
          width: d.box.width,
          height: d.box.height,
          score: d.score,
        }));
      } finally {
        tensor.dispose();
      }
    },
  };
}

type TinyParams = NonNullable<FaceApi["nets"]["tinyFaceDetector"]["params"]>;
type SeparableParams = Parameters<FaceApi["nets"]["tinyFaceDetector"]["runMobilenet"]>[1];

function isSeparable(params: TinyParams): params is SeparableParams {
  return "depthwise_filter" in params.conv1;
}

/**
 * The tiny face detector with its input made and its output read in
 * `tiny-face.ts` (face-api's own path spent more on padding and a channel
 * concat than on the network): the frame's longer side scaled to
 * `inputSize`, the network run on tfjs-wasm, the grid read back to boxes.
 */
function tinyDetector(api: FaceApi, settings: DetectorSettings): FaceDetector {
  const net = api.nets.tinyFaceDetector;
  const params = net.params;
  // the tiny face detector is the separable-convolution ("mobilenet") kind of tiny YOLO
  if (params === undefined || !isSeparable(params)) {
    throw new DetectorUnavailable("the tiny face model loaded without its separable weights");
  }
  return {
    name: `tiny-${settings.inputSize}`,
    async detect(frame, width, height) {
      const input = modelInput(frame, width, height, settings.inputSize);
      const output = api.tf.tidy(() =>
        net.runMobilenet(
          api.tf.tensor4d(input.data, [1, input.height, input.width, 3], "float32"),
          params,
        ),
      );
      try {
        const [, rows, cols] = output.shape;
        const grid = (await output.data()) as Float32Array;
        return facesInGrid(grid, rows, cols, input.scale, settings.minScore);
      } finally {
        output.dispose();
      }
    },
  };
}
