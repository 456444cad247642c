/**
 * v4l2-camera: V4L2 capture devices from Node — list them, read and set their
 * formats, frame rates and controls, and stream frames.
 *
 *     const camera = await openDevice("/dev/video0");
 *     await camera.setFormat({ fourcc: "YUYV", width: 640, height: 480 });
 *     const stream = await camera.stream({ buffers: 4 });
 *     for await (const frame of stream) { … }
 *     await camera.close();
 *
 * The native addon is optional at install time (it builds only on Linux);
 * `loadBinding()` says clearly when it is missing. Every function takes a
 * `binding` option so tests can pass the fake from `createFakeBinding`.
 */
export type * from "./types.js";
export { V4l2Error, errnoName, type V4l2ErrorFields } from "./errors.js";
export { loadBinding, bindingProblem, BindingMissing, ADDON_PATH } from "./binding.js";
export { controlKey, isFourcc } from "./names.js";
export { V4l2Device, openDevice, listDevices } from "./device.js";
export { CameraFrameStream } from "./stream.js";
export {
  createFakeBinding,
  type FakeBinding,
  type FakeCamera,
  type FakeBindingOptions,
} from "./fake.js";
