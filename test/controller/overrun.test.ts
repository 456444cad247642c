// A recording that runs past the start rule's latest end is flagged and
// audited on the controller, booked or not: the booking's end, or the
// unbooked limit after the start (the same `latestEnd` the box stops at).
import t from "tap";
import { randomUUID } from "node:crypto";
import { UNBOOKED_LIMIT_MS } from "@classcam/protocol";
import { startController } from "../helpers/controller.js";
import { ackedDevice } from "../helpers/acked-device.js";

void t.test("an unbooked recording stopped past the unbooked limit is flagged", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  await controller.app.policy.update({ bookings: { allowUnbookedRecording: true } }, "test");
  const box = await ackedDevice(t, controller, "room-a");
  const start = Date.now() - 3 * 3_600_000;
  const stopAt = (ms: number) => new Date(start + ms).toISOString();

  const record = async (stopAfterMs: number) => {
    const recordingId = randomUUID();
    const started = {
      ...box.event("recording.started", {
        recordingId,
        bookingId: null,
        audio: false,
        encoder: "libx264",
      }),
      at: new Date(start).toISOString(),
    };
    t.same(await box.send(started), { accepted: true });
    const stopped = {
      ...box.event("recording.stopped", {
        recordingId,
        reason: "button",
        durationSeconds: Math.round(stopAfterMs / 1000),
        segments: 10,
        bytes: 1000,
      }),
      at: stopAt(stopAfterMs),
    };
    t.same(await box.send(stopped), { accepted: true });
    return recordingId;
  };
  const within = await record(UNBOOKED_LIMIT_MS);
  const past = await record(UNBOOKED_LIMIT_MS + 5 * 60_000);
  await controller.app.projector.catchUp();

  const flagOf = async (id: string) =>
    (
      await controller.app.db.get<{ flag: string | null }>(
        "SELECT flag FROM recordings WHERE id = ?",
        [id],
      )
    )?.flag;
  t.equal(await flagOf(within), null, "stopped at the limit: not flagged");
  t.equal(await flagOf(past), "overran-unbooked-limit");
  const audited = await controller.app.db.all<{ subject: string; detail_json: string }>(
    "SELECT subject, detail_json FROM audit_log WHERE action = 'recording.flag'",
  );
  t.equal(audited.length, 1);
  t.equal(audited[0]?.subject, past);
  t.match(JSON.parse(audited[0]?.detail_json ?? "{}"), {
    flag: "overran-unbooked-limit",
    latestEnd: stopAt(UNBOOKED_LIMIT_MS),
    bookingEnd: null,
  });
});
