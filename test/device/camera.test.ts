/**
 * The classroom camera through the v4l2-camera addon's binding seam: found by
 * identity, the best mode chosen, the school's controls applied, unplug and
 * replug noticed, a self-test frame read. Runs against the addon's fake
 * binding here; the same daemon runs against the kernel's vivid driver in the
 * QEMU rig (test/hil).
 */
import t from "tap";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createFakeBinding,
  type BindingDevice,
  type CameraBinding,
  type DeviceInfo,
  type FrameInterval,
  type FrameSize,
} from "v4l2-camera";
import { checkSettings, HardwareMissing, type DeviceSettings } from "@classcam/device";
import { chooseCameraMode, type FormatOffer } from "../../device/src/hw/linux/camera-mode.js";
import { pickCamera, V4l2Camera, yuyvMeanLuma } from "../../device/src/hw/linux/camera.js";
import { captureLogger, tempDir } from "../helpers/controller.js";
import { until } from "../helpers/device.js";

type CameraSettings = DeviceSettings["hardware"]["camera"];

/** The settings check on a box whose camera section is `camera`. */
const checkCamera = (camera: Record<string, unknown>) =>
  checkSettings({
    deviceId: "room-1",
    secret: "0123456789abcdef0123",
    dataDir: "/tmp/x",
    controller: { mqttUrl: "mqtt://127.0.0.1:1883" },
    hardware: { camera },
  });

function cameraSettings(camera: Record<string, unknown>): CameraSettings {
  const checked = checkCamera(camera);
  if (!checked.ok) throw new Error(checked.error);
  return checked.settings.hardware.camera;
}

const discrete = (width: number, height: number): FrameSize => ({
  type: "discrete",
  width,
  height,
});
const rates =
  (...fps: number[]) =>
  (): Promise<FrameInterval[]> =>
    Promise.resolve(
      fps.map((each) => ({ type: "discrete", fps: each, numerator: 1, denominator: each })),
    );

void t.test("the mode: the camera's own H.264 first, then MJPEG, then raw", async (t) => {
  const offers: FormatOffer[] = [
    { format: "yuyv422", sizes: [discrete(1280, 720)], intervals: rates(10, 5) },
    { format: "mjpeg", sizes: [discrete(1280, 720)], intervals: rates(30, 15) },
    { format: "h264", sizes: [discrete(1280, 720)], intervals: rates(30) },
  ];
  const wanted = { inputFormat: "auto" as const, width: 1280, height: 720, fps: 30 };
  t.same(await chooseCameraMode(offers, wanted), {
    format: "h264",
    width: 1280,
    height: 720,
    fps: 30,
    compromise: "",
  });
  t.equal((await chooseCameraMode(offers.slice(0, 2), wanted))?.format, "mjpeg");
  // an exact rate in a lesser format beats a near rate in a better one
  const slowH264: FormatOffer[] = [
    { format: "h264", sizes: [discrete(1280, 720)], intervals: rates(15) },
    { format: "mjpeg", sizes: [discrete(1280, 720)], intervals: rates(30) },
  ];
  t.equal((await chooseCameraMode(slowH264, wanted))?.format, "mjpeg");
  // asked for raw: raw it is, at the nearest rate below
  const raw = await chooseCameraMode(offers, { ...wanted, inputFormat: "yuyv422" });
  t.same(raw && { format: raw.format, fps: raw.fps }, { format: "yuyv422", fps: 10 });
  t.match(raw?.compromise, /cannot give 30 fps at 1280x720; 10 fps instead/);
});

void t.test("the mode: a size the camera lacks falls back to the largest that fits", async (t) => {
  const offers: FormatOffer[] = [
    {
      format: "mjpeg",
      sizes: [discrete(640, 480), discrete(1920, 1080), discrete(1024, 576)],
      intervals: rates(30),
    },
  ];
  const mode = await chooseCameraMode(offers, {
    inputFormat: "auto",
    width: 1280,
    height: 720,
    fps: 30,
  });
  t.same(mode && [mode.width, mode.height, mode.fps], [1024, 576, 30]);
  t.match(mode?.compromise, /cannot give 1280x720/);
  // stepwise sizes are clamped to their steps
  const stepwise: FormatOffer[] = [
    {
      format: "yuyv422",
      sizes: [
        {
          type: "stepwise",
          minWidth: 16,
          maxWidth: 800,
          stepWidth: 16,
          minHeight: 16,
          maxHeight: 600,
          stepHeight: 16,
        },
      ],
      intervals: () =>
        Promise.resolve([
          {
            type: "continuous",
            min: { numerator: 1, denominator: 60 },
            max: { numerator: 1, denominator: 1 },
            step: { numerator: 1, denominator: 1 },
            maxFps: 60,
            minFps: 1,
          },
        ]),
    },
  ];
  const clamped = await chooseCameraMode(stepwise, {
    inputFormat: "auto",
    width: 1280,
    height: 720,
    fps: 25,
  });
  t.same(clamped && [clamped.width, clamped.height, clamped.fps], [800, 592, 25]);
  // none of the formats the recorder reads
  t.equal(
    await chooseCameraMode(offers, { inputFormat: "h264", width: 640, height: 480, fps: 30 }),
    null,
  );
});

const info = (path: string, card: string, busInfo: string, driver = "uvcvideo"): DeviceInfo => ({
  path,
  driver,
  card,
  busInfo,
  kernelVersion: "6.1.0",
  capabilities: ["video-capture", "streaming"],
  deviceCaps: 0x04000001,
  physicalCaps: 0x84a00001,
});

void t.test("which camera: by identity, never by /dev/videoN order", async (t) => {
  const webcam = info("/dev/video2", "HD Pro Webcam C920", "usb-0000:01:00.0-1.2");
  const isp = info("/dev/video13", "bcm2835-isp", "platform:bcm2835-isp", "bcm2835-isp");
  const other = info("/dev/video0", "USB Camera", "usb-0000:01:00.0-1.3");
  const pick = (camera: Record<string, unknown>, present: DeviceInfo[]) =>
    pickCamera(cameraSettings(camera), present);

  t.same(pick({ match: { card: "HD Pro Webcam C920" } }, [other, isp, webcam]), { info: webcam });
  t.same(pick({ match: { busInfo: "usb-0000:01:00.0-1.3" } }, [other, webcam]), { info: other });
  // no match given: the one USB camera, the Pi's own ISP nodes are not cameras
  t.same(pick({}, [isp, webcam]), { info: webcam });
  const two = pick({}, [other, isp, webcam]);
  t.match(two, { problem: /2 cameras fit the USB camera: .*name one in hardware.camera.match/ });
  const none = pick({ match: { card: "HD Pro Webcam C920" } }, [other, isp]);
  t.match(none, {
    problem:
      /the camera with card "HD Pro Webcam C920" is not there \(is it plugged in\?\); seen: USB Camera/,
  });
  t.match(pick({}, []), { problem: /seen: no cameras at all/ });
  t.same(pick({ device: "/dev/video0" }, [other, webcam]), { info: other });
  // both ways at once is a settings mistake, named
  t.match(checkCamera({ match: { card: "X" }, device: "/dev/video0" }), {
    ok: false,
    error: /give either match .* or device/,
  });
  t.match(checkCamera({ controls: { "Power Line": 1 } }), { ok: false, error: /controls/ });
});

/** A binding whose cameras can be swapped underneath, as when a camera moves to another port. */
function swappable(initial: CameraBinding): {
  binding: CameraBinding;
  swap: (b: CameraBinding) => void;
} {
  let current = initial;
  return {
    binding: {
      name: "swappable fake",
      devicePaths: () => current.devicePaths(),
      open: (path): Promise<BindingDevice> => current.open(path),
    },
    swap: (next) => (current = next),
  };
}

void t.test("set up by the addon: mode, controls, ffmpeg input, warnings said once", async (t) => {
  const fake = createFakeBinding({
    devices: [
      { path: "/dev/video0", driver: "vivid", card: "vivid", busInfo: "platform:vivid-000" },
      { path: "/dev/video1", driver: "uvcvideo", card: "Webcam", busInfo: "usb-1" },
    ],
  });
  const { logger, lines } = captureLogger("info");
  const settings = cameraSettings({
    match: { driver: "vivid" },
    width: 640,
    height: 480,
    fps: 25,
    controls: { power_line_frequency: "50 Hz", brightness: 200, focus_absolute: 10 },
  });
  const camera = new V4l2Camera(settings, { binding: fake, logger });
  t.throws(() => camera.input(), /check\(\) comes before input\(\)/);
  await camera.check();
  t.same(camera.input(), {
    input: "/dev/video0",
    options: [
      "-f",
      "v4l2",
      "-input_format",
      "mjpeg",
      "-video_size",
      "640x480",
      "-framerate",
      "25",
      "-thread_queue_size",
      "512",
    ],
  });
  t.equal(camera.nativeH264, false);
  t.match(
    camera.description,
    /vivid \(vivid, platform:vivid-000\) at \/dev\/video0, mjpeg 640x480@25/,
  );

  // the controls really reached the device
  const { openDevice } = await import("v4l2-camera");
  const device = await openDevice("/dev/video0", { binding: fake });
  t.equal(await device.getControl("power_line_frequency"), 1);
  t.equal(await device.getControl("brightness"), 200);
  t.same(await device.getFormat().then((f) => [f.fourcc, f.width, f.height]), ["MJPG", 640, 480]);
  await device.close();
  // the one it lacks is warned about once, not at every recording
  await camera.check();
  const warnings = lines.filter((line) => String(line.msg).includes("camera control not applied"));
  t.equal(warnings.length, 1);
  t.match(warnings[0]?.msg, /the camera has no control 'focus_absolute'/);
  t.equal(fake.openHandles, 0, "every handle the camera opened is closed");

  // a menu choice that does not exist is named with the choices there are
  const wrong = new V4l2Camera(
    cameraSettings({ match: { driver: "vivid" }, controls: { power_line_frequency: "100 Hz" } }),
    { binding: fake, logger },
  );
  await wrong.check();
  t.ok(
    lines.some((line) =>
      /no choice '100 Hz' \(choices: Disabled, 50 Hz, 60 Hz, Auto\)/.test(String(line.msg)),
    ),
  );

  // asked for H.264 from a camera without it: a clear HardwareMissing
  const h264 = new V4l2Camera(cameraSettings({ match: { driver: "vivid" }, inputFormat: "h264" }), {
    binding: fake,
  });
  const error = await h264.check().then(
    () => null,
    (e: unknown) => e,
  );
  t.type(error, HardwareMissing);
  t.match(
    (error as Error).message,
    /camera missing: vivid offers none of h264 \(it offers YUYV, RGB3, MJPG\)/,
  );
});

void t.test("unplugged and plugged back at another node: noticed both ways", async (t) => {
  const dev = tempDir("classcam-dev-");
  t.teardown(dev.remove);
  const first = createFakeBinding({
    devices: [{ path: "/dev/video0", card: "Webcam", busInfo: "usb-0000:01:00.0-1.2" }],
  });
  const { binding, swap } = swappable(first);
  const camera = new V4l2Camera(cameraSettings({ match: { card: "Webcam" } }), {
    binding,
    devDir: dev.path,
    pollMs: 60_000, // only the /dev watch may notice here
  });
  writeFileSync(join(dev.path, "video0"), "");
  await camera.check();
  const changes: Array<[boolean, string]> = [];
  const stop = camera.watch((present, detail) => changes.push([present, detail]));
  t.teardown(stop);

  // the kernel removes the node as the camera goes (perhaps before the watcher's first look:
  // the camera the check found is what it compares with)
  first.unplug("/dev/video0");
  rmSync(join(dev.path, "video0"));
  await until(() => changes.length === 1, "the unplug to be noticed", 10_000);
  t.equal(changes[0]?.[0], false);
  t.match(changes[0]?.[1], /the camera with card "Webcam" is not there/);
  await t.rejects(camera.check(), HardwareMissing);

  swap(
    createFakeBinding({
      devices: [{ path: "/dev/video4", card: "Webcam", busInfo: "usb-0000:01:00.0-1.4" }],
    }),
  );
  writeFileSync(join(dev.path, "video4"), "");
  await until(() => changes.length === 2, "the replug to be noticed", 10_000);
  t.same(changes[1], [true, "Webcam (fake, usb-0000:01:00.0-1.4) at /dev/video4 is back"]);
  await camera.check();
  t.equal(camera.input().input, "/dev/video4", "recorded from where it is now");
});

void t.test("the self-test frame: a picture, or a black one named", async (t) => {
  const fake = createFakeBinding({
    devices: [
      { path: "/dev/video0", driver: "vivid", card: "vivid", busInfo: "platform:vivid-000" },
    ],
  });
  const camera = new V4l2Camera(
    cameraSettings({ match: { driver: "vivid" }, inputFormat: "yuyv422", width: 640, height: 480 }),
    { binding: fake },
  );
  const result = await camera.selfTest();
  t.match(result, {
    format: "yuyv422",
    width: 640,
    height: 480,
    bytes: 640 * 480 * 2,
    camera: /vivid \(vivid, platform:vivid-000\) at \/dev\/video0/,
  });
  // the fake fills each frame with its sequence number: an almost black picture
  t.ok(result.meanLuma !== null && result.meanLuma < 16);
  t.equal(result.ok, false);
  t.match(result.detail, /the picture is black .*is the lens covered\?/);
  t.equal(fake.openHandles, 0);
  t.equal(yuyvMeanLuma(Buffer.from([200, 1, 100, 2])), 150);
});
