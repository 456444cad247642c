/**
 * Loads the native addon. It exists only where it was built: on Linux, by
 * `npm install` (scripts/install.mjs runs node-gyp). Anywhere else, or when
 * the build failed, `loadBinding()` says so plainly.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { BindingDevice, CameraBinding } from "./types.js";

/** The native addon is not there: not Linux, or not built. */
export class BindingMissing extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BindingMissing";
  }
}

/** What `build/Release/v4l2_camera.node` exports. */
interface NativeModule {
  devicePaths(): Promise<string[]>;
  open(path: string): Promise<BindingDevice>;
}

/** Where the addon lands, from `src/` and from `dist/` alike. */
export const ADDON_PATH = fileURLToPath(
  new URL("../build/Release/v4l2_camera.node", import.meta.url),
);

let loaded: CameraBinding | undefined;

/** Why the addon cannot be had on `platform`, or undefined when it can be loaded. */
export function bindingProblem(platform: string, addonPath = ADDON_PATH): string | undefined {
  if (platform !== "linux") {
    return `v4l2-camera: not built: V4L2 exists only on Linux (this is ${platform}); the classcam device daemon needs Linux`;
  }
  if (!existsSync(addonPath)) {
    return `v4l2-camera: not built: ${addonPath} is missing; build it with \`npm rebuild v4l2-camera\` (needs python3, make and g++)`;
  }
  return undefined;
}

/** The real addon as a `CameraBinding`; throws `BindingMissing` saying why it cannot be had. */
export function loadBinding(): CameraBinding {
  if (loaded !== undefined) return loaded;
  const problem = bindingProblem(process.platform);
  if (problem !== undefined) throw new BindingMissing(problem);
  let native: NativeModule;
  try {
    native = createRequire(import.meta.url)(ADDON_PATH) as NativeModule;
  } catch (error) {
    throw new BindingMissing(
      `v4l2-camera: cannot load ${ADDON_PATH} (${(error as Error).message}); rebuild it with \`npm rebuild v4l2-camera\``,
    );
  }
  loaded = {
    name: "v4l2-camera",
    devicePaths: () => native.devicePaths(),
    open: (path) => native.open(path),
  };
  return loaded;
}
