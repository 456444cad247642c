/**
 * The camera self-test, asked for by IT on the dashboard's API and carried
 * out by the box: a frame is taken only with the lamp lit and read back,
 * never while recording, never when the lamp cannot be driven.
 */
import t from "tap";
import { cacheBoxConfig, until } from "../helpers/device.js";
import { schoolWithBox } from "../helpers/school-box.js";

const DEVICE = "room-1";

void t.test("IT asks the box for a test frame: taken with the lamp lit, audited", async (t) => {
  const { school, box } = await schoolWithBox(t, DEVICE, {
    settings: (settings) => {
      cacheBoxConfig(settings.dataDir); // a booking around now, so a press records
      return settings;
    },
  });
  const { as } = school;
  await until(() => school.app.broker.connectedDevices().includes(DEVICE), "the box to connect");
  const lampChanges = box.hw.lamp.changes.length;

  const asked = await as.it.post(`/api/devices/${DEVICE}/self-test`, {});
  t.equal(asked.status, 200, JSON.stringify(asked.body));
  t.match(asked.json(), {
    result: { ok: true, detail: /test-pattern frame/, width: 320, height: 240 },
  });
  t.same(box.hw.camera.selfTests, ["on"], "the one frame was taken with the lamp on");
  t.equal(box.hw.lamp.level, "off", "and the lamp is dark again");
  t.same(
    box.hw.lamp.changes.slice(lampChanges).map((change) => change.level),
    ["on", "off"],
    "lit for the frame, then dark",
  );

  // only IT may ask
  t.equal((await as["teacher-a"].post(`/api/devices/${DEVICE}/self-test`, {})).status, 403);
  t.equal((await as.it.post("/api/devices/room-404/self-test", {})).status, 404);

  // while recording, the camera is the lesson's: refused, nothing taken
  await box.daemon.press("short");
  t.equal(box.daemon.session.phase, "recording");
  const busy = await as.it.post(`/api/devices/${DEVICE}/self-test`, {});
  t.equal(busy.status, 409);
  t.match(busy.json(), { message: /the box is recording; try the self-test when/ });
  await box.daemon.press("short");
  t.equal(box.hw.camera.selfTests.length, 1);

  // a lamp that cannot be driven: no frame, the fault raised and shown
  box.hw.lamp.fault.failWrites = true;
  const dark = await as.it.post(`/api/devices/${DEVICE}/self-test`, {});
  t.equal(dark.status, 409);
  t.match(dark.json(), { message: /the lamp could not be lit .*no frame was taken/ });
  t.equal(box.hw.camera.selfTests.length, 1, "no frame without the lamp");
  t.equal(box.daemon.lamp.mode, "error");
  await until(async () => (await box.daemon.outbox.depth()) === 0, "the events delivered");
  await school.app.projector.catchUp();
  const faults = await school.app.db.all<{ kind: string }>(
    "SELECT kind FROM events WHERE device_id = ? AND kind = 'lamp.fault'",
    [DEVICE],
  );
  t.equal(faults.length, 1, "the lamp fault reached the controller");

  const audit = await as.dpo.get(`/api/audit?action=device.self-test`);
  t.equal(audit.status, 200, JSON.stringify(audit.body));
  const entries = JSON.stringify(audit.body);
  t.match(entries, /device\.self-test/);

  // not connected: said so, in words
  await box.stop();
  await until(
    () => !school.app.broker.connectedDevices().includes(DEVICE),
    "the box to disconnect",
  );
  const away = await as.it.post(`/api/devices/${DEVICE}/self-test`, {});
  t.equal(away.status, 409);
  t.match(away.json(), { message: "the box in Room room-1 is not connected" });
});
