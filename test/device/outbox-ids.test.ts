// The box writes every UUID in the one spelling the controller accepts: an
// event's own id is canonical, and an event naming a recording in another
// spelling fails loudly on the box, before it reaches the outbox.
import t from "tap";
import { randomUUID } from "node:crypto";
import { UUID_PATTERN } from "@classcam/protocol";
import { Outbox } from "../../device/src/link/outbox.js";
import { openDevice, removeDir } from "./buffer-helpers.js";

void t.test("events leave the box with canonical UUIDs only", async (t) => {
  const device = await openDevice(new Date("2026-11-23T09:00:00Z"));
  t.teardown(async () => {
    await device.close();
    removeDir(device.dataDir);
  });
  const outbox = new Outbox(device.db);
  const recordingId = randomUUID();
  const event = await outbox.raise(
    "recording.deleted",
    { recordingId, reason: "retention", bytes: 1 },
    device.clock.now(),
  );
  t.match(event.id, new RegExp(UUID_PATTERN), "the event's id is canonical");
  for (const spelling of [recordingId.toUpperCase(), `urn:uuid:${recordingId}`]) {
    await t.rejects(
      outbox.raise(
        "recording.deleted",
        { recordingId: spelling, reason: "retention", bytes: 1 },
        device.clock.now(),
      ),
      /recording\.deleted is malformed: .*data\.recordingId: must be a lower-case UUID/,
      `'${spelling}' never reaches the outbox`,
    );
  }
  t.equal(await outbox.depth(), 1, "only the canonical event is waiting");
});
