/**
 * Masks per booking (issue 19) on the sim box: a recording under a booking is
 * made with the room's masks and the booking's own burned in (both black in
 * its frames), and a booking whose masks did not reach the box — they came in
 * a config it refused — is not recorded at all, saying why, rather than
 * recorded unmasked under the config still in force.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import t, { type Test } from "tap";
import type { DeviceConfig, PrivacyMask } from "@classcam/protocol";
import {
  boxDir,
  boxSettings,
  cacheBoxConfig,
  startBox,
  until,
  type TestBox,
} from "../helpers/device.js";
import { grayFrame, luma } from "../helpers/media.js";

const OFFLINE = "mqtt://127.0.0.1:9";
const ROOM_MASK: PrivacyMask = { x: 0, y: 0, width: 0.25, height: 0.5 };
const SEAT: PrivacyMask = { x: 0.5, y: 0.5, width: 0.5, height: 0.5 };

function booking(masks?: PrivacyMask[]): DeviceConfig["schedule"][number] {
  const now = Date.now();
  return {
    bookingId: randomUUID(),
    start: new Date(now - 60_000).toISOString(),
    end: new Date(now + 3600_000).toISOString(),
    purpose: "coaching",
    audio: false,
    ...(masks === undefined ? {} : { masks }),
  };
}

async function box(t: Test, config: Partial<DeviceConfig>, dir = boxDir()): Promise<TestBox> {
  cacheBoxConfig(dir.path, config);
  const started = await startBox(boxSettings("room-masks", "x".repeat(32), OFFLINE, dir.path));
  t.teardown(async () => {
    await started.stop();
    dir.remove();
  });
  return started;
}

async function refusals(b: TestBox): Promise<Record<string, unknown>[]> {
  const rows = await b.daemon.db.all<{ payload: string }>(
    "SELECT payload FROM outbox WHERE kind = 'recording.refused' ORDER BY seq",
  );
  return rows.map((row) => (JSON.parse(row.payload) as { data: Record<string, unknown> }).data);
}

async function press(b: TestBox): Promise<void> {
  await b.hw.button.press(60);
  await new Promise((resolve) => setTimeout(resolve, b.settings.hardware.button.debounceMs * 2));
}

void t.test(
  "a recording under a booking burns in the room's masks and the booking's",
  async (t) => {
    const under = booking([SEAT]);
    const b = await box(t, { masks: [ROOM_MASK], schedule: [under] });
    await press(b);
    await until(() => b.daemon.session.phase === "recording", "the recording to start");
    const recordingId = b.daemon.session.recording?.recordingId ?? "";
    t.equal(b.daemon.session.recording?.bookingId, under.bookingId, "under the booking");
    await until(
      async () => ((await b.daemon.index.get(recordingId))?.segments ?? 0) >= 1,
      "a segment",
    );
    await press(b);
    await until(() => b.daemon.session.phase === "idle", "the stop");
    const row = await b.daemon.index.get(recordingId);
    const width = b.settings.hardware.camera.width;
    const height = b.settings.hardware.camera.height;
    for (const segment of await b.daemon.index.segments(recordingId)) {
      const frame = await grayFrame(join(row?.dir ?? "", segment.name));
      t.equal(frame.length, width * height, `${segment.name}: a whole frame decoded`);
      // 2 px clear of each mask's edges (compression blurs them)
      const seat = { left: width / 2 + 2, top: height / 2 + 2, right: width, bottom: height };
      const room = { left: 0, top: 0, right: width / 4 - 2, bottom: height / 2 - 2 };
      const neither = { left: width / 4 + 2, top: 2, right: width - 2, bottom: height / 2 - 2 };
      const inSeat = luma(frame, width, seat, true);
      const inRoom = luma(frame, width, room, true);
      const elsewhere = luma(frame, width, neither, true);
      t.ok(inSeat.max <= 24, `${segment.name}: the booking's mask is black (${inSeat.max})`);
      t.ok(inRoom.max <= 24, `${segment.name}: the room's mask is black (${inRoom.max})`);
      t.ok(elsewhere.mean > 40, `${segment.name}: the rest is picture (${elsewhere.mean})`);
    }
  },
);

void t.test(
  "a booking whose masks came in a refused config is not recorded, saying why",
  async (t) => {
    const dir = boxDir();
    const plain = booking();
    const b = await box(t, { version: 4, schedule: [plain] }, dir);
    // the controller sends the booking with masks the box cannot burn in
    const outcome = b.daemon.config.receive(
      JSON.stringify({
        ...b.daemon.config.current,
        version: 5,
        schedule: [{ ...plain, masks: [{ ...SEAT, x: 1.5 }] }],
      }),
    );
    t.match(outcome, { outcome: "rejected", reason: /schedule.0.masks.0.x: must be <= 1/ });
    t.equal(b.daemon.config.current?.version, 4, "the config in force has the booking unmasked");
    await press(b);
    await until(async () => (await refusals(b)).length === 1, "the refusal");
    t.same(await refusals(b), [{ reason: "masks-unusable", bookingId: plain.bookingId }]);
    t.equal(b.daemon.session.phase, "idle", "nothing records");
    t.same(await b.daemon.index.recordings(), [], "nothing reached the disk");

    // the box restarts with the old config on its card: still not recorded
    await b.stop();
    const again = await startBox(boxSettings("room-masks", "x".repeat(32), OFFLINE, dir.path));
    t.teardown(() => again.stop());
    await press(again);
    await until(async () => (await refusals(again)).length === 2, "the refusal after a restart");
    t.equal((await refusals(again))[1]?.reason, "masks-unusable", "after a restart too");

    // a config that carries the masks well: the booking records, masked
    const applied = again.daemon.config.receive(
      JSON.stringify({
        ...again.daemon.config.current,
        version: 6,
        schedule: [{ ...plain, masks: [SEAT] }],
      }),
    );
    t.match(applied, { outcome: "applied" });
    await press(again);
    await until(() => again.daemon.session.phase === "recording", "the recording to start");
    t.equal(again.daemon.session.recording?.bookingId, plain.bookingId, "now it records");
    await press(again);
    await until(() => again.daemon.session.phase === "idle", "the stop");
  },
);

void t.test("a refused config for another reason keeps masks already in force", async (t) => {
  const masked = booking([SEAT]);
  const b = await box(t, { version: 4, schedule: [masked] });
  const outcome = b.daemon.config.receive(
    JSON.stringify({ ...b.daemon.config.current, version: 5, holds: ["not-a-uuid"] }),
  );
  t.match(outcome, { outcome: "rejected" });
  await press(b);
  await until(() => b.daemon.session.phase === "recording", "the recording to start");
  t.equal(b.daemon.session.recording?.bookingId, masked.bookingId, "its masks are in force");
  await press(b);
  await until(() => b.daemon.session.phase === "idle", "the stop");
});
