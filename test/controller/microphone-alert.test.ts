// A box that loses its microphone says so (`microphone.lost`, its recording
// stopped with reason microphone-lost): the controller raises a
// microphone-lost alert, not a generic one, and clears it when the box
// reports the microphone back (`microphone.restored`).
import t from "tap";
import { deviceEvent, startSchool } from "../helpers/school.js";

const START = new Date("2026-11-25T12:00:00.000Z");

void t.test("a lost microphone is an alert of its own, cleared when it is back", async (t) => {
  const school = await startSchool({ start: START, devices: ["room-1"] });
  t.teardown(() => school.close());
  const { app } = school;
  const open = () =>
    app.db.all<{ kind: string; detail: string }>(
      "SELECT kind, detail FROM alerts WHERE device_id = 'room-1' AND cleared_at IS NULL",
    );
  await deviceEvent(
    app,
    "room-1",
    "microphone.lost",
    { detail: "card 'Device' not present" },
    START,
  );
  t.same(await open(), [{ kind: "microphone-lost", detail: "card 'Device' not present" }]);
  await deviceEvent(
    app,
    "room-1",
    "microphone.restored",
    { detail: "ALSA microphone hw:1,0 is back" },
    new Date(START.getTime() + 60_000),
  );
  t.same(await open(), [], "cleared once the box has its microphone back");
});
