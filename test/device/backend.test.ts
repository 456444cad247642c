/**
 * A simulated box cannot pass for a real one: it says `sim` in its state and
 * in `device.started`, and the controller keeps what it said.
 */
import t from "tap";
import { eventually, startController, tempDir } from "../helpers/controller.js";
import { boxDir, boxSettings, startBox } from "../helpers/device.js";

const DEVICE = "room-sim";

void t.test("a sim box reports its backend; the controller keeps it", async (t) => {
  const controllerDir = tempDir();
  const box = boxDir();
  t.teardown(() => {
    controllerDir.remove();
    box.remove();
  });
  const controller = await startController({ dataDir: controllerDir.path });
  t.teardown(() => controller.close());
  const secret = await controller.enrol(DEVICE);
  const device = await startBox(boxSettings(DEVICE, secret, controller.url, box.path));
  t.teardown(() => device.stop());

  t.equal((await device.daemon.state()).backend, "sim", "the box's own state says sim");
  const started = await eventually(
    () =>
      controller.app.db.get<{ data_json: string }>(
        "SELECT data_json FROM events WHERE device_id = ? AND kind = 'device.started'",
        [DEVICE],
      ),
    10_000,
    "device.started at the controller",
  );
  t.equal(
    (JSON.parse(started.data_json) as { backend?: string }).backend,
    "sim",
    "device.started says sim",
  );
  const state = await eventually(
    async () => {
      const row = await controller.app.db.get<{ state_json: string | null }>(
        "SELECT state_json FROM devices WHERE id = ?",
        [DEVICE],
      );
      const parsed = row?.state_json ? (JSON.parse(row.state_json) as { backend?: string }) : null;
      return parsed?.backend === undefined ? null : parsed;
    },
    10_000,
    "a state with its backend at the controller",
  );
  t.equal(state.backend, "sim", "the controller keeps the state's backend");
});
