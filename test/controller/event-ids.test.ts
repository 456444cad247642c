// An event is deduplicated by its id, not by the id's spelling: the same UUID
// in upper case or as `urn:uuid:…` is not a second event. Only the canonical
// form (lower case, no prefix) is accepted, for the event's id and for every
// UUID inside it; the others are refused with a reason that says so, named in
// the ack exactly as the device spelt them, so it can drop them.
import t from "tap";
import { randomUUID } from "node:crypto";
import { startController } from "../helpers/controller.js";
import { ackedDevice } from "../helpers/acked-device.js";

const CANONICAL = /lower-case UUID/;

void t.test("one event in three spellings is stored once", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const box = await ackedDevice(t, controller, "room-ids");
  const event = box.event("recording.refused", { reason: "no-booking", bookingId: null });

  t.same(await box.send(event), { accepted: true }, "the canonical spelling is accepted");
  const upper = { ...event, id: event.id.toUpperCase() };
  t.match(
    await box.send(upper),
    { accepted: false, reason: CANONICAL },
    "upper case is refused, named as sent",
  );
  const urn = { ...event, id: `urn:uuid:${event.id}` };
  t.match(await box.send(urn), { accepted: false, reason: CANONICAL }, "urn:uuid: is refused");
  t.same(await box.send(event), { accepted: true }, "a resend of the canonical one is acked");

  const rows = await controller.app.db.all<{ id: string }>(
    "SELECT id FROM events WHERE device_id = 'room-ids'",
  );
  t.same(rows, [{ id: event.id }], "stored once");
  const refused = await controller.app.db.all<{ event_id: string }>(
    "SELECT event_id FROM rejected_messages WHERE device_id = 'room-ids' ORDER BY id",
  );
  t.same(
    refused.map((row) => row.event_id),
    [upper.id, urn.id],
    "the refusals are kept, each under the id as it was sent",
  );
});

void t.test("a recording id inside an event must be canonical too", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const box = await ackedDevice(t, controller, "room-ids");
  const recordingId = randomUUID();
  const started = box.event("recording.started", {
    recordingId,
    bookingId: null,
    audio: true,
    encoder: "libx264",
  });
  t.same(await box.send(started), { accepted: true });
  for (const spelling of [recordingId.toUpperCase(), `urn:uuid:${recordingId}`]) {
    const again = box.event("recording.started", {
      recordingId: spelling,
      bookingId: null,
      audio: true,
      encoder: "libx264",
    });
    t.match(
      await box.send(again),
      { accepted: false, reason: /data\.recordingId: .*lower-case UUID/ },
      `'${spelling}' is refused`,
    );
  }
  await controller.app.projector.catchUp();
  const recordings = await controller.app.db.all<{ id: string }>("SELECT id FROM recordings");
  t.same(recordings, [{ id: recordingId }], "one recording, under its canonical id");
});
