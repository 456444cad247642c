/**
 * v4l2-camera against its fake binding: the shared camera suite (the same
 * one real.test.ts runs against vivid), then what only a fake can stage —
 * a camera pulled out mid-stream, frames the driver loses or marks broken,
 * and proof that bad arguments never reach the binding.
 */
import t from "tap";
import {
  V4l2Error,
  bindingProblem,
  controlKey,
  createFakeBinding,
  listDevices,
  openDevice,
  type CameraBinding,
  type Frame,
} from "v4l2-camera";
import { rejectsWith, runCameraSuite } from "./suite.js";

void t.test("the camera suite, on the fake", async (t) => {
  runCameraSuite(t, {
    binding: createFakeBinding({ devices: [{ path: "/dev/video0", frameIntervalMs: 5 }] }),
    devicePath: "/dev/video0",
    driver: "fake",
  });
});

void t.test(
  "a camera pulled out mid-stream: an error event with ENODEV, then end; no crash",
  async (t) => {
    const binding = createFakeBinding({ devices: [{ path: "/dev/video0", frameIntervalMs: 5 }] });
    const device = await openDevice("/dev/video0", { binding });
    const stream = await device.stream();
    const frames: Frame[] = [];
    const errors: Error[] = [];
    const ended = new Promise<void>((resolve) => stream.once("end", resolve));
    stream.on("frame", (frame) => {
      frames.push(frame);
      if (frames.length === 3) binding.unplug("/dev/video0");
    });
    stream.on("error", (error) => errors.push(error));
    await ended;
    t.equal(frames.length, 3, "the frames before the unplug arrived");
    t.equal(errors.length, 1, "one error event");
    const [error] = errors;
    t.ok(error instanceof V4l2Error, "a V4l2Error");
    t.match(error, { code: "ENODEV", errno: 19, syscall: "VIDIOC_DQBUF", path: "/dev/video0" });
    t.ok(stream.ended, "the stream has ended");
    await rejectsWith(
      t,
      device.getFormat(),
      { code: "ENODEV", syscall: "VIDIOC_G_FMT", path: "/dev/video0" },
      "the gone camera",
    );
    await device.close();
    t.equal(binding.openHandles, 0, "closing still closes");
    t.same(await listDevices({ binding }), [], "the node is gone from the list");
  },
);

void t.test("an unplug seen by an async iterator rejects the loop with the error", async (t) => {
  const binding = createFakeBinding({
    devices: [{ path: "/dev/video0", frameIntervalMs: 5, unplugAfterFrames: 4 }],
  });
  const device = await openDevice("/dev/video0", { binding });
  const stream = await device.stream();
  const frames: Frame[] = [];
  await t.rejects(
    (async () => {
      for await (const frame of stream) frames.push(frame);
    })(),
    { code: "ENODEV", syscall: "VIDIOC_DQBUF" },
    "the loop ends with ENODEV",
  );
  t.equal(frames.length, 4, "after the frames that came first");
  await device.close();
});

void t.test("frames the driver loses or marks broken count as dropped", async (t) => {
  const binding = createFakeBinding({
    devices: [
      { path: "/dev/video0", frameIntervalMs: 2, dropSequences: [3, 4, 9], errorSequences: [6] },
    ],
  });
  const device = await openDevice("/dev/video0", { binding });
  t.teardown(() => device.close());
  const stream = await device.stream({ queue: 100 });
  const frames: Frame[] = [];
  for await (const frame of stream) {
    frames.push(frame);
    if (frame.sequence >= 12) break;
  }
  t.same(
    frames.map((frame) => frame.sequence),
    [0, 1, 2, 5, 7, 8, 10, 11, 12],
    "lost (3, 4, 9) and broken (6) frames are not delivered",
  );
  t.same(stream.stats, { frames: 9, dropped: 4 }, "9 delivered, 4 dropped");
});

void t.test("sequence numbers that wrap at 2^32 are not counted as drops", async (t) => {
  const { CameraFrameStream } = await import("v4l2-camera");
  const stream = new CameraFrameStream(
    {
      pause: () => undefined,
      resume: () => undefined,
      release: () => undefined,
      stop: () => Promise.resolve(),
    },
    {
      width: 2,
      height: 2,
      fourcc: "YUYV",
      bytesPerLine: 4,
      sizeImage: 8,
      field: "none",
      colorspace: 0,
    },
    8,
  );
  const frame = (sequence: number) => ({
    data: Buffer.alloc(8),
    bytesUsed: 8,
    timestampUs: sequence,
    sequence,
    flags: 0,
  });
  for (const sequence of [0xfffffffe, 0xffffffff, 0, 2]) stream.deliver(frame(sequence));
  t.same(
    stream.stats,
    { frames: 4, dropped: 1 },
    "only 1 is missing: 0xfffffffe, 0xffffffff, 0, _, 2",
  );
  await stream.stop();
});

/** The fake, with every call recorded, to prove validation happens before any of them. */
function spiedBinding(): { binding: CameraBinding; calls: string[] } {
  const fake = createFakeBinding();
  const calls: string[] = [];
  const binding: CameraBinding = {
    name: "spy",
    devicePaths: () => {
      calls.push("devicePaths");
      return fake.devicePaths();
    },
    open: async (path) => {
      calls.push(`open ${path}`);
      const handle = await fake.open(path);
      return new Proxy(handle, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            calls.push(String(property));
            return (value as (...args: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  };
  return { binding, calls };
}

void t.test(
  "bad arguments are refused before the binding is called, naming what is wrong",
  async (t) => {
    const { binding, calls } = spiedBinding();
    await t.rejects(openDevice("", { binding }), TypeError, "an empty path");
    t.same(calls, [], "open was never called");
    const device = await openDevice("/dev/video0", { binding });
    t.teardown(() => device.close());
    calls.length = 0;

    const refusals: Array<[string, () => Promise<unknown>, ErrorConstructor, RegExp]> = [
      [
        "a three-letter fourcc",
        () => device.setFormat({ fourcc: "YUY", width: -1 }),
        TypeError,
        /fourcc.*"YUY"/,
      ],
      [
        "a negative width",
        () => device.setFormat({ fourcc: "YUYV", width: -1 }),
        RangeError,
        /width.*-1/,
      ],
      [
        "a fractional height",
        () => device.setFormat({ height: 480.5 }),
        TypeError,
        /height.*480\.5/,
      ],
      [
        "a misspelt field",
        () => device.setFormat({ fourCC: "YUYV" } as never),
        TypeError,
        /unknown field "fourCC"/,
      ],
      [
        "a format that is not an object",
        () => device.setFormat(null as never),
        TypeError,
        /format must be an object/,
      ],
      ["sizes of a bad fourcc", () => device.listFrameSizes("MJPEG"), TypeError, /fourcc.*"MJPEG"/],
      [
        "intervals at width 0",
        () => device.listFrameIntervals("YUYV", 0, 480),
        RangeError,
        /width.*0/,
      ],
      ["0 fps", () => device.setFrameRate(0), RangeError, /fps.*0/],
      ["NaN fps", () => device.setFrameRate(Number.NaN), TypeError, /fps.*NaN/],
      [
        "a zero denominator",
        () => device.setFrameRate({ numerator: 1, denominator: 0 }),
        RangeError,
        /denominator/,
      ],
      ["0 buffers", () => device.stream({ buffers: 0 }), RangeError, /buffers.*0/],
      ["33 buffers", () => device.stream({ buffers: 33 }), RangeError, /buffers.*33/],
      [
        "a misspelt stream option",
        () => device.stream({ buffer: 4 } as never),
        TypeError,
        /unknown field "buffer"/,
      ],
      ["0 frames", () => device.captureFrames(0), RangeError, /count.*0/],
      [
        "a control name that is not a key",
        () => device.getControl("Brightness"),
        TypeError,
        /did you mean "brightness"/,
      ],
      [
        "a fractional control value",
        () => device.setControl("brightness", 1.5),
        TypeError,
        /whole number.*1\.5/,
      ],
      [
        "an object as control value",
        () => device.setControl("brightness", {} as never),
        TypeError,
        /number, bigint, boolean or string/,
      ],
    ];
    for (const [what, call, type, message] of refusals) {
      await t.rejects(call(), type, `${what}: ${type.name}`);
      await t.rejects(call(), message, `${what}: the message names it`);
    }
    t.same(calls, [], "the binding was never called");
    t.equal(await device.setControl("brightness", 12), 12, "a good call still goes through");
    t.ok(calls.includes("setControl"), "to the binding");
  },
);

void t.test("a value of the wrong type for the control is refused before it is set", async (t) => {
  const { binding, calls } = spiedBinding();
  const device = await openDevice("/dev/video0", { binding });
  t.teardown(() => device.close());
  await t.rejects(device.setControl("brightness", "bright"), /brightness.*takes a number/);
  await t.rejects(device.setControl("string", 5), /string.*takes a string/);
  await t.rejects(
    device.setControl("integer_64_bits", 2 ** 60),
    /not exact as a number; pass a bigint/,
  );
  await t.rejects(device.setControl("brightness", 2 ** 40), RangeError);
  t.notOk(calls.includes("setControl"), "none reached the binding");
  t.equal(await device.setControl("boolean", false), 0, "a boolean sets a boolean control");
});

void t.test("listDevices: capture nodes only; the others are told to onSkip", async (t) => {
  const binding = createFakeBinding({
    devices: [
      { path: "/dev/video2", capabilities: ["video-output", "streaming"] },
      { path: "/dev/video10", card: "Second" },
      { path: "/dev/video0" },
    ],
  });
  const skipped: string[] = [];
  const devices = await listDevices({ binding, onSkip: (path) => skipped.push(path) });
  t.same(
    devices.map((device) => device.path),
    ["/dev/video0", "/dev/video10"],
    "capture nodes, in number order",
  );
  t.same(skipped, [], "nothing failed");
  await rejectsWith(
    t,
    openDevice("/dev/video2", { binding }),
    {
      code: "ENOTSUP",
      syscall: "VIDIOC_QUERYCAP",
      path: "/dev/video2",
      message: /not a video capture device/,
    },
    "opening an output node",
  );
  t.equal(binding.openHandles, 0, "every probe was closed");
});

void t.test("control keys are made as v4l2-ctl makes them", async (t) => {
  t.equal(controlKey("Power Line Frequency"), "power_line_frequency");
  t.equal(controlKey("White Balance, Automatic"), "white_balance_automatic");
  t.equal(controlKey("Y'CbCr Encoding"), "y_cbcr_encoding");
  t.equal(controlKey("  Exposure (Absolute)  "), "exposure_absolute");
  t.equal(controlKey("Inject V4L2_BUF_FLAG_ERROR"), "inject_v4l2_buf_flag_error");
});

void t.test("without the addon, loading it says why in plain words", async (t) => {
  t.equal(
    bindingProblem("darwin"),
    "v4l2-camera: not built: V4L2 exists only on Linux (this is darwin); the classcam device daemon needs Linux",
  );
  t.match(
    bindingProblem("linux", "/nonexistent/v4l2_camera.node"),
    /not built: \/nonexistent\/v4l2_camera\.node is missing; build it with `npm rebuild v4l2-camera`/,
  );
});

void t.test(
  "a camera that streams no frames: captureFrames gives up with ETIMEDOUT and stops",
  async (t) => {
    const binding = createFakeBinding({
      devices: [{ path: "/dev/video0", frameIntervalMs: 600_000 }],
    });
    const device = await openDevice("/dev/video0", { binding });
    t.teardown(() => device.close());
    await rejectsWith(
      t,
      device.grabFrame({ timeoutMs: 20 }),
      {
        code: "ETIMEDOUT",
        syscall: "VIDIOC_DQBUF",
        path: "/dev/video0",
        message: /no frame for 20 ms/,
      },
      "no frame",
    );
    t.equal(device.activeStream, undefined, "the stream was stopped");
    await t.rejects(
      device.grabFrame({ skip: 1, timeoutMs: 20, fps: 5 } as never),
      /unknown field "fps"/,
    );
  },
);

void t.test("zero-copy frames go back to the driver when JS is done with them", async (t) => {
  const { CameraFrameStream } = await import("v4l2-camera");
  const released: number[] = [];
  const stream = new CameraFrameStream(
    {
      pause: () => undefined,
      resume: () => undefined,
      release: (index) => released.push(index),
      stop: () => Promise.resolve(),
    },
    {
      width: 2,
      height: 2,
      fourcc: "YUYV",
      bytesPerLine: 4,
      sizeImage: 8,
      field: "none",
      colorspace: 0,
    },
    8,
  );
  stream.started(4, "monotonic", true);
  const lent = (sequence: number, index: number, flags = 0) => ({
    data: new ArrayBuffer(8),
    bytesUsed: 8,
    timestampUs: sequence,
    sequence,
    flags,
    lent: true,
    index,
  });

  const seen: number[] = [];
  const listener = (frame: Frame) => {
    seen.push(frame.data.length);
    t.same(released, [], "not released while the listener runs");
  };
  stream.on("frame", listener);
  stream.deliver(lent(0, 2));
  t.same(seen, [8], "the listener saw the lent data as a Buffer");
  t.same(released, [2], "released as soon as the listener returned");
  stream.off("frame", listener);

  stream.deliver(lent(1, 3, 0x40));
  t.same(released, [2, 3], "a broken buffer goes straight back");

  const iterator = stream[Symbol.asyncIterator]();
  stream.deliver(lent(2, 0));
  stream.deliver(lent(3, 1));
  const first = await iterator.next();
  t.equal(first.done, false);
  t.same(released, [2, 3], "the frame handed out is still lent");
  await iterator.next();
  t.same(released, [2, 3, 0], "the next step gives the previous frame back");
  stream.deliver(lent(4, 0));
  await iterator.return?.();
  t.same(released, [2, 3, 0, 1], "leaving the loop gives the last one back");
  t.same(stream.stats, { frames: 4, dropped: 1 }, "counted as usual");
});
