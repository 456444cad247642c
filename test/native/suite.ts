/**
 * The one camera suite, run against the fake binding (fake.test.ts, always)
 * and against the real addon on a vivid device (real.test.ts, in the HIL
 * rig). It asks only what any V4L2 capture device must answer, and reads
 * the device's own lists to know what to expect, so the same assertions
 * hold for the fake and for the kernel's driver.
 */
import { constants } from "node:os";
import type { Test } from "tap";
import {
  V4l2Error,
  controlKey,
  isFourcc,
  listDevices,
  openDevice,
  type CameraBinding,
  type ControlInfo,
  type Frame,
  type FrameSize,
  type FrameStream,
  type V4l2Device,
} from "v4l2-camera";

export interface CameraSuite {
  /** The binding under test: the real addon or the fake. */
  binding: CameraBinding;
  /** The capture node to test, e.g. /dev/video0. */
  devicePath: string;
  /** The driver it must report, e.g. `vivid`. */
  driver: string;
}

/** Asserts a V4L2 failure: a V4l2Error with errno, code, syscall and path. */
export async function rejectsWith(
  t: Test,
  promise: Promise<unknown>,
  expected: { code: string | string[]; syscall: string; path: string; message?: RegExp },
  what: string,
): Promise<V4l2Error | undefined> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof V4l2Error)) {
      t.fail(`${what}: a V4l2Error, not ${String(error)}`);
      return undefined;
    }
    const codes = Array.isArray(expected.code) ? expected.code : [expected.code];
    t.ok(codes.includes(error.code), `${what}: code ${error.code} is one of ${codes.join("/")}`);
    t.equal(
      error.errno,
      (constants.errno as Record<string, number | undefined>)[error.code],
      `${what}: errno ${error.errno} is ${error.code}'s number`,
    );
    t.equal(error.syscall, expected.syscall, `${what}: syscall`);
    t.equal(error.path, expected.path, `${what}: path`);
    if (expected.message !== undefined)
      t.match(error.message, expected.message, `${what}: message`);
    return error;
  }
  t.fail(`${what}: should have failed with ${String(expected.code)}`);
  return undefined;
}

/** Microseconds on CLOCK_MONOTONIC, the clock V4L2 stamps frames with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function sizeOffered(sizes: FrameSize[], width: number, height: number): boolean {
  return sizes.some((size) =>
    size.type === "discrete"
      ? size.width === width && size.height === height
      : width >= size.minWidth &&
        width <= size.maxWidth &&
        height >= size.minHeight &&
        height <= size.maxHeight &&
        (width - size.minWidth) % Math.max(1, size.stepWidth) === 0 &&
        (height - size.minHeight) % Math.max(1, size.stepHeight) === 0,
  );
}

/** Sum of the gaps between consecutive sequence numbers. */
function gaps(frames: Frame[]): number {
  let missing = 0;
  for (let at = 1; at < frames.length; at++) {
    const previous = frames[at - 1];
    const frame = frames[at];
    if (previous !== undefined && frame !== undefined)
      missing += frame.sequence - previous.sequence - 1;
  }
  return missing;
}

async function take(stream: FrameStream, count: number): Promise<Frame[]> {
  const frames: Frame[] = [];
  if (count === 0) return frames;
  for await (const frame of stream) {
    frames.push(frame);
    if (frames.length === count) break;
  }
  return frames;
}

export function runCameraSuite(t: Test, suite: CameraSuite): void {
  const { binding, devicePath: path } = suite;

  async function open(t: Test): Promise<V4l2Device> {
    const device = await openDevice(path, { binding });
    t.teardown(() => device.close());
    return device;
  }

  /** 640×480 YUYV, which vivid's webcam input and the fake both offer. */
  async function vga(device: V4l2Device): Promise<void> {
    const chosen = await device.setFormat({ fourcc: "YUYV", width: 640, height: 480 });
    if (chosen.adjusted.length > 0)
      throw new Error(`the device will not do 640x480 YUYV: ${JSON.stringify(chosen)}`);
  }

  void t.test("lists the camera with who it is and what it can do", async (t) => {
    const devices = await listDevices({ binding });
    const camera = devices.find((device) => device.path === path);
    if (camera === undefined) {
      t.fail(`${path} is not among ${JSON.stringify(devices)}`);
      return;
    }
    t.equal(camera.driver, suite.driver, "driver");
    t.ok(camera.card.length > 0, `card "${camera.card}"`);
    t.ok(camera.busInfo.length > 0, `bus "${camera.busInfo}"`);
    t.match(camera.kernelVersion, /^\d+\.\d+\.\d+$/, "kernel version");
    t.ok(camera.capabilities.includes("video-capture"), "captures video");
    t.ok(camera.capabilities.includes("streaming"), "streams (mmap)");
    t.equal(camera.deviceCaps & 0x1, 0x1, "the capability bits say the same");
    for (const device of devices) {
      t.ok(device.capabilities.includes("video-capture"), `${device.path} is a capture device`);
    }
    const device = await open(t);
    t.same(device.info, camera, "the open device knows itself the same way");
  });

  void t.test("formats: four-character codes with descriptions", async (t) => {
    const device = await open(t);
    const formats = await device.listFormats();
    t.ok(formats.length > 0, `${formats.length} formats`);
    for (const format of formats) {
      t.ok(isFourcc(format.fourcc), `${JSON.stringify(format.fourcc)} is a fourcc`);
      t.ok(format.description.length > 0, `${format.fourcc}: "${format.description}"`);
    }
    t.equal(
      new Set(formats.map((format) => format.fourcc)).size,
      formats.length,
      "no format twice",
    );
    const yuyv = formats.find((format) => format.fourcc === "YUYV");
    t.ok(yuyv !== undefined && !yuyv.compressed && !yuyv.emulated, "YUYV, raw, from the hardware");
  });

  void t.test("frame sizes and frame intervals", async (t) => {
    const device = await open(t);
    const sizes = await device.listFrameSizes("YUYV");
    t.ok(sizes.length > 0, `${sizes.length} size entries for YUYV`);
    for (const size of sizes) {
      if (size.type === "discrete") {
        t.ok(size.width > 0 && size.height > 0, `${size.width}x${size.height}`);
      } else {
        t.ok(
          size.minWidth <= size.maxWidth && size.minHeight <= size.maxHeight,
          `${size.type} range`,
        );
      }
    }
    t.ok(sizeOffered(sizes, 640, 480), "640x480 among them");
    const intervals = await device.listFrameIntervals("YUYV", 640, 480);
    t.ok(intervals.length > 0, `${intervals.length} intervals at 640x480`);
    for (const interval of intervals) {
      if (interval.type === "discrete") {
        t.ok(
          interval.numerator > 0 && interval.denominator > 0,
          `${interval.numerator}/${interval.denominator} s`,
        );
        t.equal(interval.fps, interval.denominator / interval.numerator, "fps is 1 / interval");
      } else {
        t.ok(
          interval.minFps > 0 && interval.minFps <= interval.maxFps,
          `${interval.minFps}–${interval.maxFps} fps`,
        );
      }
    }
    await rejectsWith(
      t,
      device.listFrameSizes("ZZZZ"),
      { code: "EINVAL", syscall: "VIDIOC_ENUM_FRAMESIZES", path, message: /no format "ZZZZ"/ },
      "sizes of a format it lacks",
    );
  });

  void t.test("sets the format and returns what the driver chose", async (t) => {
    const device = await open(t);
    const chosen = await device.setFormat({ fourcc: "YUYV", width: 640, height: 480 });
    t.same(chosen.adjusted, [], "given exactly");
    t.equal(chosen.width, 640);
    t.equal(chosen.height, 480);
    t.equal(chosen.fourcc, "YUYV");
    t.ok(chosen.bytesPerLine >= 640 * 2, `${chosen.bytesPerLine} bytes a line`);
    t.equal(chosen.sizeImage, chosen.bytesPerLine * 480, "one frame's bytes");
    const { width, height, fourcc, bytesPerLine, sizeImage, field, colorspace } = chosen;
    t.same(
      await device.getFormat(),
      { width, height, fourcc, bytesPerLine, sizeImage, field, colorspace },
      "G_FMT agrees",
    );

    const sizes = await device.listFrameSizes("YUYV");
    const odd = await device.setFormat({ width: 1000, height: 700 });
    t.equal(odd.fourcc, "YUYV", "the fourcc left out is kept");
    t.ok(
      sizeOffered(sizes, odd.width, odd.height),
      `the driver chose an offered size: ${odd.width}x${odd.height}`,
    );
    if (!sizeOffered(sizes, 1000, 700)) {
      t.ok(odd.adjusted.length > 0, `the change is reported: ${odd.adjusted.join(", ")}`);
    }
    t.equal((await device.getFormat()).width, odd.width, "and it is in force");
  });

  void t.test("a format the device lacks: the driver's substitute is reported", async (t) => {
    const device = await open(t);
    const offered = (await device.listFormats()).map((format) => format.fourcc);
    const lacking = ["H264", "MJPG", "HEVC", "VP80", "JPEG"].find(
      (fourcc) => !offered.includes(fourcc),
    );
    if (lacking === undefined) {
      t.fail("the device offers every candidate");
      return;
    }
    try {
      const chosen = await device.setFormat({ fourcc: lacking, width: 640, height: 480 });
      t.not(chosen.fourcc, lacking, `the driver substituted ${chosen.fourcc} for ${lacking}`);
      t.ok(offered.includes(chosen.fourcc), "with a format it offers");
      t.ok(chosen.adjusted.includes("fourcc"), "and the result says the fourcc changed");
    } catch (error) {
      // Some drivers refuse instead of substituting; that must be a clear V4L2 error.
      await rejectsWith(
        t,
        Promise.reject(error instanceof Error ? error : new Error(String(error))),
        { code: "EINVAL", syscall: "VIDIOC_S_FMT", path },
        "the driver refused the format",
      );
    }
  });

  void t.test("frame rate: read, set each offered interval, and an impossible one", async (t) => {
    const device = await open(t);
    await vga(device);
    const rate = await device.getFrameRate();
    t.ok(rate.fps > 0 && rate.numerator > 0 && rate.denominator > 0, `${rate.fps} fps now`);
    t.equal(rate.settable, true, "the driver lets it be set");
    const intervals = await device.listFrameIntervals("YUYV", 640, 480);
    let fastest = 0;
    for (const interval of intervals.slice(-4)) {
      if (interval.type !== "discrete") {
        const set = await device.setFrameRate(interval.maxFps);
        t.ok(Math.abs(set.fps - interval.maxFps) < 0.01, `${interval.maxFps} fps set`);
        fastest = Math.max(fastest, interval.maxFps);
        continue;
      }
      const set = await device.setFrameRate({
        numerator: interval.numerator,
        denominator: interval.denominator,
      });
      t.equal(set.fps, interval.fps, `${interval.numerator}/${interval.denominator} s set`);
      t.equal((await device.getFrameRate()).fps, interval.fps, "and in force");
      fastest = Math.max(fastest, interval.fps);
    }
    const impossible = await device.setFrameRate(10_000);
    t.ok(
      impossible.fps > 0 && impossible.fps <= fastest,
      `10000 fps asked, ${impossible.fps} given`,
    );
  });

  void t.test("controls: ranges, flags, menus, values and stable keys", async (t) => {
    const device = await open(t);
    const controls = await device.listControls();
    t.ok(controls.length > 0, `${controls.length} controls`);
    t.equal(new Set(controls.map((control) => control.id)).size, controls.length, "ids are unique");
    for (const control of controls) {
      const label = `${control.name} (${control.type})`;
      t.equal(control.key, controlKey(control.name), `${label}: key ${control.key}`);
      t.notOk(control.flags.includes("disabled"), `${label}: not disabled`);
      if (control.type === "integer") {
        t.ok(control.min <= control.max, `${label}: range ${control.min}..${control.max}`);
        if (typeof control.value === "number") {
          t.ok(
            control.value >= control.min && control.value <= control.max,
            `${label}: value in range`,
          );
        } else {
          t.fail(`${label}: an integer control has a numeric value`);
        }
      }
      if (control.type === "menu" || control.type === "integer-menu") {
        const menu = control.menu ?? [];
        t.ok(menu.length > 0, `${label}: ${menu.length} entries`);
        for (const item of menu) {
          t.ok(
            item.index >= control.min && item.index <= control.max,
            `${label}: entry ${item.index} in range`,
          );
          t.ok(
            "name" in item ? item.name.length > 0 : typeof item.value === "number",
            `${label}: entry ${item.index} named`,
          );
        }
      }
      if (control.type === "button") t.equal(control.value, undefined, `${label}: no value`);
    }
  });

  void t.test("controls: get and set by key and by id; the driver clamps or refuses", async (t) => {
    const device = await open(t);
    const controls = await device.listControls();
    const find = (key: string): ControlInfo | undefined =>
      controls.find((control) => control.key === key);
    const brightness = find("brightness");
    if (brightness === undefined) {
      t.fail("no brightness control");
      return;
    }
    t.equal(await device.getControl("brightness"), brightness.value, "get by key = listed value");
    t.equal(await device.getControl(brightness.id), brightness.value, "get by id = by key");
    const middle =
      brightness.min +
      Math.floor((brightness.max - brightness.min) / 2 / brightness.step) * brightness.step;
    t.equal(await device.setControl("brightness", middle), middle, `set to ${middle}, read back`);
    t.equal(await device.getControl("brightness"), middle, "and it stays");
    try {
      const clamped = await device.setControl(brightness.id, brightness.max + 100);
      t.equal(clamped, brightness.max, "above the range: the driver clamps to the maximum");
    } catch (error) {
      await rejectsWith(
        t,
        Promise.reject(error instanceof Error ? error : new Error(String(error))),
        { code: "ERANGE", syscall: "VIDIOC_S_EXT_CTRLS", path },
        "above the range",
      );
    }
    await device.setControl("brightness", brightness.default);

    const menu = controls.find(
      (control) =>
        control.type === "menu" && !control.flags.includes("read-only") && control.max < 0x7fffffff,
    );
    if (menu === undefined) {
      t.fail("no writable menu control");
      return;
    }
    await rejectsWith(
      t,
      device.setControl(menu.key, menu.max + 1),
      { code: ["ERANGE", "EINVAL"], syscall: "VIDIOC_S_EXT_CTRLS", path },
      `menu "${menu.key}" past its last entry`,
    );
    const entry = menu.menu?.at(-1);
    if (entry !== undefined) {
      t.equal(
        await device.setControl(menu.key, entry.index),
        entry.index,
        `menu "${menu.key}" set to ${entry.index}`,
      );
    }

    const readOnly = controls.find(
      (control) => control.flags.includes("read-only") && control.type === "integer",
    );
    if (readOnly !== undefined) {
      await rejectsWith(
        t,
        device.setControl(readOnly.key, readOnly.min),
        { code: "EACCES", syscall: "VIDIOC_S_EXT_CTRLS", path },
        `read-only "${readOnly.key}"`,
      );
    }
    const text = controls.find(
      (control) => control.type === "string" && !control.flags.includes("read-only"),
    );
    if (text !== undefined) {
      const value = "x".repeat(Math.max(1, text.min));
      t.equal(await device.setControl(text.key, value), value, `string "${text.key}" set`);
    }
    const wide = controls.find(
      (control) => control.type === "integer64" && !control.flags.includes("read-only"),
    );
    if (wide !== undefined) {
      t.equal(
        await device.setControl(wide.key, 5n),
        5n,
        `integer64 "${wide.key}" set, read back as a bigint`,
      );
    }
    await rejectsWith(
      t,
      device.getControl("no_such_control"),
      {
        code: "EINVAL",
        syscall: "VIDIOC_QUERY_EXT_CTRL",
        path,
        message: /no control "no_such_control"/,
      },
      "an unknown key",
    );
  });

  void t.test("streams 30 frames in order, whole, with sane timestamps", async (t) => {
    const device = await open(t);
    await vga(device);
    const format = await device.getFormat();
    const started = monotonicUs();
    const stream = await device.stream({ buffers: 4 });
    t.ok(stream.buffers >= 2, `${stream.buffers} driver buffers`);
    t.same(stream.format, format, "streams in the format in force");
    const ending = { ended: false };
    stream.once("end", () => (ending.ended = true));
    const frames = await take(stream, 30);
    const finished = monotonicUs();
    t.equal(frames.length, 30, "30 frames");
    t.ok(ending.ended && stream.ended, "breaking out of the loop stopped the stream and ended it");
    let inOrder = true;
    let timesInOrder = true;
    for (let at = 1; at < frames.length; at++) {
      const previous = frames[at - 1];
      const frame = frames[at];
      if (previous === undefined || frame === undefined) continue;
      inOrder &&= frame.sequence > previous.sequence;
      timesInOrder &&= frame.timestampUs > previous.timestampUs;
    }
    t.ok(inOrder, "sequence numbers strictly increase");
    t.ok(timesInOrder, "timestamps strictly increase");
    t.ok(
      frames.every((frame) => frame.bytesUsed === format.sizeImage),
      `every frame is ${format.sizeImage} bytes`,
    );
    t.ok(
      frames.every((frame) => frame.data.length === frame.bytesUsed),
      "the data is bytesUsed long",
    );
    t.not(frames[0]?.data.buffer, frames[1]?.data.buffer, "each frame has its own copy");
    if (stream.timestampClock === "monotonic") {
      const first = frames[0]?.timestampUs ?? 0;
      const last = frames.at(-1)?.timestampUs ?? 0;
      t.ok(
        first > started - 1_000_000 && last < finished + 1_000_000,
        "timestamps are on this machine's monotonic clock",
      );
    }
    t.equal(stream.stats.frames >= 30, true, `${stream.stats.frames} frames counted`);
    t.ok(
      stream.stats.dropped >= gaps(frames),
      `${stream.stats.dropped} dropped counted, covering every gap seen`,
    );
  });

  void t.test("frames arrive as events too, and stop() ends the stream", async (t) => {
    const device = await open(t);
    await vga(device);
    const stream = await device.stream();
    const sequences: number[] = [];
    const ended = new Promise<void>((resolve) => stream.once("end", resolve));
    stream.on("frame", (frame) => {
      sequences.push(frame.sequence);
      if (sequences.length === 5) void stream.stop();
    });
    await ended;
    t.equal(sequences.length, 5, "5 frames, then the end");
    t.ok(
      sequences.every((sequence, at) => at === 0 || sequence > (sequences[at - 1] ?? 0)),
      "in order",
    );
    await stream.stop();
    t.pass("stop() again is harmless");
    t.equal(device.activeStream, undefined, "the device no longer streams");
  });

  void t.test("one stream at a time; the format is fixed while it runs", async (t) => {
    const device = await open(t);
    await vga(device);
    const stream = await device.stream();
    await rejectsWith(
      t,
      device.stream(),
      { code: "EBUSY", syscall: "VIDIOC_STREAMON", path },
      "a second stream",
    );
    await rejectsWith(
      t,
      device.setFormat({ width: 320, height: 180 }),
      { code: "EBUSY", syscall: "VIDIOC_S_FMT", path },
      "a new format mid-stream",
    );
    await stream.stop();
    const after = await device.setFormat({ fourcc: "YUYV", width: 640, height: 480 });
    t.same(after.adjusted, [], "after stopping, the format can change again");
    const again = await device.stream();
    t.equal((await take(again, 2)).length, 2, "and a new stream runs");
  });

  void t.test(
    "a consumer that falls behind: capture pauses and the drops are counted",
    async (t) => {
      const device = await open(t);
      await vga(device);
      const rate = await device.getFrameRate();
      const stream = await device.stream({ buffers: 2, queue: 2 });
      const iterator = stream[Symbol.asyncIterator]();
      const first: Frame[] = [];
      const opening = await iterator.next();
      if (opening.done !== true) first.push(opening.value);
      // Read nothing for 20 frame periods: 2 wait in the queue, 2 in the driver, the rest are lost.
      await new Promise((resolve) => setTimeout(resolve, Math.ceil((20 * 1000) / rate.fps)));
      const later: Frame[] = [...first];
      for (let count = 0; count < 8; count++) {
        const next = await iterator.next();
        if (next.done === true) break;
        later.push(next.value);
      }
      await stream.stop();
      t.equal(later.length, 9, "frames still come after the pause");
      t.ok(gaps(later) > 0, `the sequence shows ${gaps(later)} frames lost while nobody read`);
      t.ok(
        stream.stats.dropped >= gaps(later),
        `stats.dropped (${stream.stats.dropped}) counts them`,
      );
    },
  );

  void t.test("grabFrame and captureFrames", async (t) => {
    const device = await open(t);
    await vga(device);
    const format = await device.getFormat();
    const frame = await device.grabFrame();
    t.equal(frame.bytesUsed, format.sizeImage, "one whole frame");
    const frames = await device.captureFrames(3, { skip: 2, buffers: 3 });
    t.equal(frames.length, 3, "three frames after skipping two");
    t.equal(device.activeStream, undefined, "and the stream is stopped");
  });

  void t.test("closing while streaming ends the stream; a closed device says so", async (t) => {
    const device = await openDevice(path, { binding });
    await vga(device);
    const live = await device.stream();
    const ended = new Promise<void>((resolve) => live.once("end", resolve));
    await new Promise<void>((resolve) => live.once("frame", () => resolve()));
    await device.close();
    await ended;
    t.ok(live.ended, "the stream ended with the close");
    t.ok(device.closed, "closed");
    await device.close();
    t.pass("closing twice is harmless");
    await rejectsWith(
      t,
      device.getFormat(),
      { code: "EBADF", syscall: "VIDIOC_G_FMT", path, message: /closed/ },
      "use after close",
    );
    await rejectsWith(
      t,
      device.stream(),
      { code: "EBADF", syscall: "VIDIOC_STREAMON", path, message: /closed/ },
      "stream after close",
    );
    const reopened = await openDevice(path, { binding });
    t.equal((await reopened.captureFrames(2)).length, 2, "the camera works for the next user");
    await reopened.close();
  });

  void t.test("a node that is not a V4L2 device, and a path that is not there", async (t) => {
    await rejectsWith(
      t,
      openDevice("/dev/null", { binding }),
      { code: "ENOTTY", syscall: "VIDIOC_QUERYCAP", path: "/dev/null" },
      "/dev/null",
    );
    await rejectsWith(
      t,
      openDevice("/dev/video-classcam-missing", { binding }),
      { code: "ENOENT", syscall: "open", path: "/dev/video-classcam-missing" },
      "a missing path",
    );
  });
}
