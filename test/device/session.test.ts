/**
 * The recording session on the sim box, through its physical button: the
 * booking check, the lamp's patterns, the booking's end, a lost camera, a
 * privacy mask burned into the picture, and a long press asking to keep.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import t, { type Test } from "tap";
import type { EventKind } from "@classcam/protocol";
import { REFUSED_BLINKS, WINK_PERIOD_MS, devicePaths, simHardware } from "@classcam/device";
import {
  boxDir,
  boxSettings,
  cacheBoxConfig,
  processesMentioning,
  startBox,
  until,
  type TestBox,
} from "../helpers/device.js";
import { grayFrame, luma, probe } from "../helpers/media.js";

const OFFLINE = "mqtt://127.0.0.1:9";

async function box(t: Test, config: Parameters<typeof cacheBoxConfig>[1] = {}): Promise<TestBox> {
  const dir = boxDir();
  cacheBoxConfig(dir.path, config);
  const started = await startBox(boxSettings("room-session", "x".repeat(32), OFFLINE, dir.path));
  t.teardown(async () => {
    await started.stop();
    dir.remove();
  });
  return started;
}

async function events(b: TestBox, kind: EventKind): Promise<Record<string, unknown>[]> {
  const rows = await b.daemon.db.all<{ payload: string }>(
    "SELECT payload FROM outbox WHERE kind = ? ORDER BY seq",
    [kind],
  );
  return rows.map((row) => (JSON.parse(row.payload) as { data: Record<string, unknown> }).data);
}

/**
 * A press of the physical button: down, held, up — through the debounce and
 * the press detector. A person cannot press again within the debounce time
 * (a second edge that soon is bounce), so neither does the test.
 */
async function pressButton(b: TestBox, holdMs = 60): Promise<void> {
  await b.hw.button.press(holdMs);
  await new Promise((resolve) => setTimeout(resolve, b.settings.hardware.button.debounceMs * 2));
}

async function recordingStarted(b: TestBox): Promise<string> {
  await until(() => b.daemon.session.phase === "recording", "the recording to start");
  return b.daemon.session.recording?.recordingId ?? "";
}

void t.test(
  "outside any booking the button is refused, with a blink burst and an event",
  async (t) => {
    const b = await box(t, { schedule: [] });
    const changesBefore = b.hw.lamp.changes.length;
    await pressButton(b);
    await until(async () => (await events(b, "recording.refused")).length === 1, "the refusal");
    await until(() => b.daemon.lamp.mode === "off", "the blink burst to end");
    t.equal(b.daemon.session.phase, "idle", "nothing records");
    t.same(await events(b, "recording.refused"), [{ reason: "no-booking", bookingId: null }]);
    const lit = b.hw.lamp.changes.slice(changesBefore).filter((c) => c.level === "on").length;
    t.equal(lit, REFUSED_BLINKS, `the lamp blinked ${REFUSED_BLINKS} times`);
    t.equal(b.hw.lamp.level, "off", "and is dark again");
  },
);

void t.test("a booking without audio: the lamp winks, the footage has no sound", async (t) => {
  const now = Date.now();
  const bookingId = randomUUID();
  const b = await box(t, {
    schedule: [
      {
        bookingId,
        start: new Date(now - 60_000).toISOString(),
        end: new Date(now + 3600_000).toISOString(),
        purpose: "coaching",
        audio: false,
      },
    ],
  });
  await pressButton(b);
  const recordingId = await recordingStarted(b);
  t.equal(b.daemon.lamp.mode, "video-only", "the lamp shows video only");
  const from = b.hw.lamp.changes.length;
  await until(
    () => b.hw.lamp.changes.slice(from).some((c) => c.level === "off"),
    "a wink",
    WINK_PERIOD_MS * 3,
  );
  await until(() => b.hw.lamp.level === "on", "the lamp back on after the wink");
  await pressButton(b);
  await until(() => b.daemon.session.phase === "idle", "the stop");
  const row = await b.daemon.index.get(recordingId);
  t.equal(row?.bookingId, bookingId, "the recording belongs to the booking");
  t.equal(row?.audio, false, "recorded without audio");
  const segments = await b.daemon.index.segments(recordingId);
  t.ok(segments.length >= 1, "segments were written");
  for (const segment of segments) {
    const probed = await probe(join(row?.dir ?? "", segment.name));
    t.same(
      probed.streams.map((s) => s.codec_type),
      ["video"],
      `${segment.name} has a picture and no sound`,
    );
  }
  const started = await events(b, "recording.started");
  t.same(started, [{ recordingId, bookingId, audio: false, encoder: "libx264" }]);
});

void t.test("the booking's end stops the recording", async (t) => {
  const now = Date.now();
  const b = await box(t, {
    schedule: [
      {
        bookingId: randomUUID(),
        start: new Date(now - 60_000).toISOString(),
        end: new Date(now + 3500).toISOString(),
        purpose: "self-reflection",
        audio: true,
      },
    ],
  });
  await pressButton(b);
  const recordingId = await recordingStarted(b);
  await until(() => b.daemon.session.phase === "idle", "the booking's end", 15_000);
  t.equal(b.daemon.lamp.mode, "off", "the lamp is off");
  const row = await b.daemon.index.get(recordingId);
  t.equal(row?.stopReason, "booking-ended", "stopped because the booking ended");
  t.ok((row?.segments ?? 0) >= 1, "its footage is kept");
});

void t.test("the camera lost mid-recording: the recording is closed cleanly", async (t) => {
  const b = await box(t);
  await pressButton(b);
  const recordingId = await recordingStarted(b);
  await until(
    async () => ((await b.daemon.index.get(recordingId))?.segments ?? 0) >= 1,
    "a segment",
  );
  b.hw.camera.setPresent(false);
  await until(() => b.daemon.session.phase === "idle", "the recording to close");
  t.equal(b.daemon.lamp.mode, "off", "the lamp is off");
  const row = await b.daemon.index.get(recordingId);
  t.equal(row?.stopReason, "camera-lost");
  for (const segment of await b.daemon.index.segments(recordingId)) {
    const probed = await probe(join(row?.dir ?? "", segment.name));
    t.equal(probed.errors, "", `${segment.name} decodes cleanly`);
  }
  t.same(await events(b, "camera.lost"), [{ detail: "simulated camera unplugged" }]);
  const stopped = await events(b, "recording.stopped");
  t.equal(stopped[0]?.reason, "camera-lost", "reported with its reason");

  await pressButton(b);
  await until(async () => (await events(b, "recording.refused")).length === 1, "the refusal");
  t.equal((await events(b, "recording.refused"))[0]?.reason, "camera-missing");
  b.hw.camera.setPresent(true);
  await until(async () => (await events(b, "camera.restored")).length === 1, "camera.restored");
});

void t.test("the microphone lost mid-recording: reported as such, closed cleanly", async (t) => {
  const b = await box(t);
  await pressButton(b);
  const recordingId = await recordingStarted(b);
  t.equal(b.daemon.lamp.mode, "recording", "recording with sound");
  await until(
    async () => ((await b.daemon.index.get(recordingId))?.segments ?? 0) >= 1,
    "a segment",
  );
  b.hw.microphone.setPresent(false);
  await until(() => b.daemon.session.phase === "idle", "the recording to close");
  t.equal(b.daemon.lamp.mode, "off", "the lamp is off");
  t.equal(b.hw.lamp.level, "off", "and dark");
  const row = await b.daemon.index.get(recordingId);
  t.equal(row?.stopReason, "microphone-lost", "not a generic error");
  t.ok((row?.segments ?? 0) >= 1, "its footage is kept");
  for (const segment of await b.daemon.index.segments(recordingId)) {
    const probed = await probe(join(row?.dir ?? "", segment.name));
    t.equal(probed.errors, "", `${segment.name} decodes cleanly`);
  }
  t.same(await events(b, "microphone.lost"), [{ detail: "simulated microphone unplugged" }]);
  t.equal((await events(b, "recording.stopped"))[0]?.reason, "microphone-lost");

  await pressButton(b);
  await until(async () => (await events(b, "recording.refused")).length === 1, "the refusal");
  t.equal((await events(b, "recording.refused"))[0]?.reason, "microphone-missing");
  b.hw.microphone.setPresent(true);
  await until(
    async () => (await events(b, "microphone.restored")).length === 1,
    "microphone.restored",
  );
});

void t.test("a privacy mask is burned into the picture", async (t) => {
  // the left half of the top half of the picture is masked
  const b = await box(t, { masks: [{ x: 0, y: 0, width: 0.5, height: 0.5 }] });
  await pressButton(b);
  const recordingId = await recordingStarted(b);
  await until(
    async () => ((await b.daemon.index.get(recordingId))?.segments ?? 0) >= 1,
    "a segment",
  );
  await pressButton(b);
  await until(() => b.daemon.session.phase === "idle", "the stop");
  const row = await b.daemon.index.get(recordingId);
  const [first] = await b.daemon.index.segments(recordingId);
  const frame = await grayFrame(join(row?.dir ?? "", first?.name ?? ""));
  const width = b.settings.hardware.camera.width;
  const height = b.settings.hardware.camera.height;
  t.equal(frame.length, width * height, "a whole frame decoded");
  const masked = { left: 0, top: 0, right: width / 2, bottom: height / 2 };
  const inside = luma(frame, width, masked, true);
  const outside = luma(frame, width, masked, false);
  t.ok(inside.max <= 24, `the masked region is black (brightest ${inside.max})`);
  t.ok(outside.mean > 40, `the rest of the picture is not (mean ${outside.mean.toFixed(1)})`);
});

void t.test("a long press asks to keep the recording just made", async (t) => {
  const b = await box(t);
  await pressButton(b);
  const recordingId = await recordingStarted(b);
  await pressButton(b);
  await until(() => b.daemon.session.phase === "idle", "the stop");
  await pressButton(b, b.settings.hardware.button.longPressMs + 150);
  await until(async () => (await events(b, "archive.requested")).length === 1, "the ask");
  t.same(await events(b, "archive.requested"), [{ recordingId }]);
  t.equal(b.daemon.session.phase, "idle", "a long press does not start a recording");
});

void t.test("a delete request spares what the buffer rule protects", async (t) => {
  const b = await box(t);
  await pressButton(b);
  const recordingId = await recordingStarted(b);
  await t.rejects(b.daemon.deleteRecording(recordingId), /is in progress/, "the open one");
  await pressButton(b);
  await until(() => b.daemon.session.phase === "idle", "the stop");
  const current = b.daemon.config.current;
  if (current === null) throw new Error("the cached config was not loaded");
  const receive = (changes: Partial<typeof current>) =>
    b.daemon.config.receive(
      JSON.stringify({
        ...current,
        ...changes,
        version: (b.daemon.config.current?.version ?? 0) + 1,
      }),
    );
  t.match(receive({ holds: [recordingId] }), { outcome: "applied" });
  await t.rejects(b.daemon.deleteRecording(recordingId), /is under a hold/, "held");
  t.match(receive({ holds: [], uploads: [recordingId] }), { outcome: "applied" });
  await t.rejects(b.daemon.deleteRecording(recordingId), /is waiting to be uploaded/, "to upload");
  t.match(receive({ uploads: [] }), { outcome: "applied" });
  t.match(await b.daemon.deleteRecording(recordingId), { recordingId }, "unprotected: deleted");
  t.equal(await b.daemon.index.get(recordingId), undefined, "gone from the index");
});

void t.test(
  "a lamp that cannot be driven at start-up: reported, and nothing records",
  async (t) => {
    const dir = boxDir();
    cacheBoxConfig(dir.path);
    const settings = boxSettings("room-session", "x".repeat(32), OFFLINE, dir.path);
    const hw = simHardware(settings.hardware);
    hw.lamp.fault = { failWrites: true, stuckAt: null };
    const b = await startBox(settings, { hw });
    t.teardown(async () => {
      await b.stop();
      dir.remove();
    });
    t.equal(b.daemon.lamp.mode, "error", "the lamp shows the fault pattern (as far as it can)");
    t.match(await events(b, "lamp.fault"), [{ expected: "off", observed: null }]);
    await b.daemon.press("short");
    t.equal(b.daemon.session.phase, "idle", "the press does not record");
    t.match(await events(b, "recording.refused"), [{ reason: "lamp-fault" }]);
    t.equal(processesMentioning(devicePaths(dir.path).buffer).length, 0, "no capture process");
  },
);
