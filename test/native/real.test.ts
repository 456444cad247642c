/**
 * v4l2-camera's real addon. On any Linux host: it loads, lists what is there
 * and reports open failures with errno and syscall. On a vivid device (the
 * kernel's virtual camera, loaded by the HIL rig in test/hil): the shared
 * camera suite, then what only the real driver can show — frames vivid drops
 * or marks broken, a fatal streaming error, and the addon cleaning up after a
 * process that exits, a worker that ends and a device nobody closed.
 *
 * Without vivid the vivid part is skipped, saying why; CLASSCAM_REQUIRE_VIVID=1
 * (set by the rig) turns that skip into a failure. CLASSCAM_VIVID_DISCONNECT=1
 * also presses vivid's "Disconnect" button, which removes the device until
 * the module is reloaded — run it last, on its own:
 *   node --import=tsx test/hil/run.ts -- env CLASSCAM_VIVID_DISCONNECT=1 node_modules/.bin/tap test/native/real.test.ts
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { Worker } from "node:worker_threads";
import t, { type Test } from "tap";
import {
  ADDON_PATH,
  V4l2Error,
  listDevices,
  loadBinding,
  openDevice,
  bindingProblem,
  type CameraBinding,
  type DeviceInfo,
  type Frame,
  type V4l2Device,
} from "v4l2-camera";
import { rejectsWith, runCameraSuite } from "./suite.js";

const RUN_IN_RIG =
  "no vivid device: run inside the test/hil rig (node --import=tsx test/hil/run.ts -- node_modules/.bin/tap test/native/real.test.ts)";

// Off Linux there is no addon to test (the install script built nothing, on purpose).
const offLinux = process.platform === "linux" ? undefined : bindingProblem(process.platform);

void t.test("the built addon loads", { skip: offLinux ?? false }, async (t) => {
  const binding: CameraBinding = loadBinding();
  t.equal(binding.name, "v4l2-camera");
  t.equal(loadBinding(), binding, "once");
});

void t.test(
  "on this host: the list, and open failures with errno and syscall",
  { skip: offLinux ?? false },
  async (t) => {
    const real = loadBinding();
    const paths = await real.devicePaths();
    t.ok(
      paths.every((path) => /^\/dev\/video\d+$/.test(path)),
      `nodes: ${paths.join(", ") || "none"}`,
    );
    const skipped: string[] = [];
    const devices = await listDevices({
      binding: real,
      onSkip: (path, error) => skipped.push(`${path}: ${error.message}`),
    });
    t.ok(
      devices.every((device) => device.capabilities.includes("video-capture")),
      `capture devices: ${devices.map((device) => `${device.path} (${device.driver})`).join(", ") || "none"}`,
    );
    t.ok(
      devices.length + skipped.length <= paths.length,
      `skipped: ${skipped.join("; ") || "none"}`,
    );
    await rejectsWith(
      t,
      openDevice("/dev/null", { binding: real }),
      {
        code: "ENOTTY",
        syscall: "VIDIOC_QUERYCAP",
        path: "/dev/null",
        message: /not a V4L2 device/,
      },
      "/dev/null",
    );
    await rejectsWith(
      t,
      openDevice("/dev/video-classcam-missing", { binding: real }),
      { code: "ENOENT", syscall: "open", path: "/dev/video-classcam-missing" },
      "a missing node",
    );
    await rejectsWith(
      t,
      openDevice("/proc", { binding: real }),
      { code: "EISDIR", syscall: "open", path: "/proc" },
      "a directory",
    );
  },
);

/** The first vivid device, when the addon is there to find it. */
async function findVivid(): Promise<DeviceInfo | undefined> {
  if (offLinux !== undefined) return undefined;
  try {
    const devices = await listDevices({ binding: loadBinding() });
    return devices.find((device) => device.driver === "vivid");
  } catch {
    return undefined; // "the built addon loads" says why
  }
}
const vivid = await findVivid();
const required = process.env.CLASSCAM_REQUIRE_VIVID === "1";

if (vivid === undefined) {
  if (required) {
    void t.test("a vivid device is present (CLASSCAM_REQUIRE_VIVID=1)", async (t) => {
      t.fail(`no /dev/video* device with driver vivid (is the vivid module loaded?)`);
    });
  } else {
    void t.test("the camera suite on vivid", { skip: offLinux ?? RUN_IN_RIG }, () => undefined);
  }
} else {
  const path = vivid.path;
  const real = loadBinding();

  void t.test(`the camera suite, on vivid at ${path}`, async (t) => {
    runCameraSuite(t, { binding: real, devicePath: path, driver: "vivid" });
  });

  async function open(t: Test): Promise<V4l2Device> {
    const device = await openDevice(path, { binding: real });
    t.teardown(() => device.close());
    await device.setFormat({ fourcc: "YUYV", width: 640, height: 480 });
    return device;
  }

  void t.test("frames vivid drops show as sequence gaps and count as dropped", async (t) => {
    const device = await open(t);
    await device.setControl("percentage_of_dropped_buffers", 50);
    t.teardown(() =>
      device.setControl("percentage_of_dropped_buffers", 0).then(
        () => undefined,
        () => undefined,
      ),
    );
    const stream = await device.stream({ queue: 64 });
    const frames: Frame[] = [];
    for await (const frame of stream) {
      frames.push(frame);
      if (frames.length === 16) break;
    }
    const first = frames[0]?.sequence ?? 0;
    const last = frames.at(-1)?.sequence ?? 0;
    const missing = last - first + 1 - frames.length;
    t.ok(missing > 0, `${missing} of ${last - first + 1} sequence numbers never arrived`);
    t.ok(stream.stats.dropped >= missing, `stats.dropped = ${stream.stats.dropped}`);
  });

  void t.test(
    "a buffer vivid marks broken (V4L2_BUF_FLAG_ERROR) reaches JS flagged, and counts as dropped",
    async (t) => {
      const device = await open(t);
      const inject = (await device.listControls()).find(
        (control) => control.key === "inject_v4l2_buf_flag_error",
      );
      if (inject === undefined) {
        t.fail("vivid has no inject_v4l2_buf_flag_error control");
        return;
      }
      // What the addon hands over: the driver's flags, the broken buffer's included.
      const handle = await real.open(path);
      const flags: number[] = [];
      const seen = new Promise<void>((resolve, reject) => {
        handle
          .startStreaming(4, {
            frame: (frame) => {
              flags.push(frame.flags);
              if ((frame.flags & 0x40) !== 0 || flags.length === 60) resolve();
              if (flags.length === 2) handle.setControl(inject.id, 1).catch(reject);
            },
            error: reject,
          })
          .catch(reject);
      });
      await seen;
      await handle.stopStreaming();
      await handle.close();
      t.ok(
        flags.some((bits) => (bits & 0x40) !== 0),
        `one of ${flags.length} buffers came flagged V4L2_BUF_FLAG_ERROR`,
      );

      // What the stream makes of it: not a frame, a drop.
      const stream = await device.stream({ queue: 64 });
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      const droppedBefore = stream.stats.dropped;
      await device.setControl(inject.id, 1);
      // the flagged buffer comes after those already filled (up to the queue's 64)
      const after: Frame[] = [];
      for (let count = 0; count < 70 && stream.stats.dropped === droppedBefore; count++) {
        const next = await iterator.next();
        if (next.done === true) break;
        after.push(next.value);
      }
      let afterDrop = 0;
      for (let count = 0; count < 3; count++) {
        const next = await iterator.next();
        if (next.done !== true) afterDrop += 1;
      }
      await stream.stop();
      t.equal(afterDrop, 3, `frames keep coming after the drop (${after.length} before it)`);
      t.ok(
        stream.stats.dropped > droppedBefore,
        `dropped went from ${droppedBefore} to ${stream.stats.dropped}`,
      );
    },
  );

  void t.test(
    "a fatal streaming error ends the stream with an error event, and the device recovers",
    async (t) => {
      const device = await open(t);
      await device.listControls(); // keys resolve from this list: read it before streaming
      const stream = await device.stream();
      const errors: Error[] = [];
      stream.on("error", (error) => errors.push(error));
      const ended = new Promise<void>((resolve) => stream.once("end", resolve));
      await new Promise<void>((resolve) => stream.once("frame", () => resolve()));
      await device.setControl("inject_fatal_streaming_error", 1);
      await ended;
      t.equal(errors.length, 1, "one error event, then end");
      const [error] = errors;
      t.ok(error instanceof V4l2Error, `a V4l2Error: ${error?.message ?? ""}`);
      // vb2 marks the queue in error: the next buffer taken (DQBUF, or poll's POLLERR) or
      // given back (QBUF, once a frame is consumed) fails, whichever the stream reaches first
      t.match(
        error,
        { syscall: /^(VIDIOC_DQBUF|VIDIOC_QBUF|poll)$/, path },
        "from the stream's buffer queue",
      );
      t.ok(
        error instanceof V4l2Error && ["EIO", "EPIPE"].includes(error.code),
        `code ${(error as V4l2Error | undefined)?.code ?? ""}`,
      );
      t.equal(device.activeStream, undefined, "the device is not streaming");
      t.equal((await device.captureFrames(3)).length, 3, "a new stream works");
    },
  );

  function videoFds(pid: number | "self"): number {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    }).length;
  }

  /** Plain JS against the addon, run in a child process or a worker. */
  const streamScript = `
    const addon = require(${JSON.stringify(ADDON_PATH)});
    async function streamFrames(count) {
      const device = await addon.open(${JSON.stringify(path)});
      let frames = 0;
      await new Promise((resolve, reject) => {
        device.startStreaming(4, {
          frame() { frames += 1; if (frames === count) resolve(); },
          error: reject,
        }).catch(reject);
      });
      return device;
    }`;

  void t.test(
    "zero-copy: frames lend the driver's buffer and read empty once given back",
    async (t) => {
      const device = await open(t);
      const format = await device.getFormat();
      const stream = await device.stream({ buffers: 4, zeroCopy: true });
      const kept: Buffer[] = [];
      const sizes: number[] = [];
      const sequences: number[] = [];
      await new Promise<void>((resolve) => {
        const listener = (frame: Frame): void => {
          sizes.push(frame.data.length);
          sequences.push(frame.sequence);
          kept.push(frame.data);
          if (sequences.length === 12) {
            stream.off("frame", listener);
            resolve();
          }
        };
        stream.on("frame", listener);
      });
      t.ok(
        sizes.every((size) => size === format.sizeImage),
        "inside the listener: a whole frame",
      );
      t.ok(
        kept.every((data) => data.length === 0),
        "after it: empty (detached), not a later frame",
      );
      t.ok(
        sequences.every((sequence, at) => at === 0 || sequence > (sequences[at - 1] ?? 0)),
        "12 frames in order: every buffer went back to the driver",
      );
      const iterated: number[] = [];
      let previous: Buffer | undefined;
      let previousEmptied = true;
      for await (const frame of stream) {
        if (previous !== undefined) previousEmptied &&= previous.length === 0;
        iterated.push(frame.data.length);
        previous = frame.data;
        if (iterated.length === 6) break;
      }
      t.ok(
        iterated.every((size) => size === format.sizeImage),
        "iterating: whole frames",
      );
      t.ok(previousEmptied, "each given back at the next step");
      t.equal(previous?.length, 0, "and the last when the loop ended");
      t.ok(stream.ended, "leaving the loop stopped the stream");
    },
  );

  void t.test("a process that exits mid-stream, without closing, exits cleanly", async (t) => {
    const child = spawnSync(
      process.execPath,
      [
        "-e",
        `${streamScript}\nstreamFrames(3).then(() => { console.log("streaming"); process.exit(0); });`,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    t.equal(child.stdout.trim(), "streaming", "it was streaming");
    t.equal(child.status, 0, `exit 0 ${child.stderr}`);
    t.equal(child.signal, null, "no signal (no crash)");
    const natural = spawnSync(
      process.execPath,
      [
        "-e",
        `${streamScript}\nstreamFrames(3).then((device) => { console.log("streaming"); return device.stopStreaming(); });`,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    t.equal(
      natural.status,
      0,
      `stopping without closing lets the process end by itself ${natural.stderr}`,
    );
  });

  void t.test(
    "a worker that ends mid-stream releases the device (environment cleanup hook)",
    async (t) => {
      for (const ending of ["terminate", "exit"] as const) {
        const worker = new Worker(
          `${streamScript}
        const { parentPort } = require("node:worker_threads");
        streamFrames(3).then(() => {
          parentPort.postMessage("streaming");
          ${ending === "exit" ? "process.exit(0);" : ""}
        });`,
          { eval: true },
        );
        const streaming = await new Promise<unknown>((resolve, reject) => {
          worker.once("message", resolve);
          worker.once("error", reject);
        });
        t.equal(streaming, "streaming", `${ending}: the worker streamed`);
        const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
        if (ending === "terminate") await worker.terminate();
        const code = await exited;
        t.equal(
          code,
          ending === "terminate" ? 1 : 0,
          `${ending}: the worker ended (exit code ${code})`,
        );
        t.equal(videoFds("self"), 0, `${ending}: no file descriptor on ${path} is left open`);
      }
      const device = await open(t);
      t.equal(
        (await device.captureFrames(3)).length,
        3,
        "the device streams again: buffers were freed",
      );
    },
  );

  void t.test("a device nobody closed is closed by the garbage collector", async (t) => {
    const child = spawnSync(
      process.execPath,
      [
        "--expose-gc",
        "-e",
        `${streamScript}
        const { readdirSync, readlinkSync } = require("node:fs");
        const open = () => readdirSync("/proc/self/fd").filter((fd) => {
          try { return readlinkSync("/proc/self/fd/" + fd) === ${JSON.stringify(path)}; } catch { return false; }
        }).length;
        (async () => {
          let device = await addon.open(${JSON.stringify(path)});
          await device.getFormat();
          const before = open();
          device = undefined;
          for (let round = 0; round < 20 && open() > 0; round++) {
            globalThis.gc();
            await new Promise((resolve) => setImmediate(resolve));
          }
          console.log(JSON.stringify({ before, after: open() }));
        })();`,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    t.equal(child.status, 0, `the child ran ${child.stderr}`);
    t.same(
      JSON.parse(child.stdout.trim() || "{}"),
      { before: 1, after: 0 },
      "the fd was open, and the collector closed it",
    );
  });

  if (process.env.CLASSCAM_VIVID_DISCONNECT === "1") {
    void t.test(
      "vivid unplugged mid-stream: an error event with ENODEV, then end; no crash",
      async (t) => {
        const device = await openDevice(path, { binding: real });
        await device.listControls();
        const stream = await device.stream();
        const errors: Error[] = [];
        stream.on("error", (error) => errors.push(error));
        const ended = new Promise<void>((resolve) => stream.once("end", resolve));
        await new Promise<void>((resolve) => stream.once("frame", () => resolve()));
        await device.setControl("disconnect", 1);
        await ended;
        t.equal(errors.length, 1, "one error event, then end");
        t.match(
          errors[0],
          { code: "ENODEV", syscall: "VIDIOC_DQBUF", path },
          errors[0]?.message ?? "",
        );
        await rejectsWith(
          t,
          device.getFormat(),
          { code: "ENODEV", syscall: "VIDIOC_G_FMT", path },
          "the gone device",
        );
        await device.close();
        t.pass("and it closes");
      },
    );
  }
}
