// Devices connecting and disconnecting are counted in one info line per
// second, not a line each (issue 21: a fleet's reconnect wrote 1,000 lines);
// each stays visible at debug, and a refused connection keeps its own line.
import t from "tap";
import { ConnectionLog } from "../../controller/src/broker/connection-log.js";
import {
  captureLogger,
  connectDevice,
  eventually,
  startController,
} from "../helpers/controller.js";

void t.test("a few devices connecting make one info line that names them", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const ids = ["cam-log-1", "cam-log-2", "cam-log-3"];
  const secrets = await Promise.all(ids.map((id) => controller.enrol(id)));
  const devices = await Promise.all(
    ids.map((id, i) => connectDevice(controller.url, id, secrets[i] ?? "")),
  );
  t.teardown(() => Promise.all(devices.map((device) => device.endAsync())));
  const summaries = () =>
    controller.lines.filter((line) => line.connected !== undefined && line.level === 30);
  await eventually(
    () => summaries().reduce((n, line) => n + (line.connected as { count: number }).count, 0) >= 3,
    10_000,
    "the summary of three connections",
  );
  const named = summaries().flatMap(
    (line) => (line.connected as { deviceIds?: string[] }).deviceIds ?? [],
  );
  t.same(named.sort(), ids, "the summary names each device");
  t.same(
    controller.lines.filter((line) => line.msg === "device connected"),
    [],
    "no info line per device",
  );

  // a refusal is not summed up: it has its own line at once
  await t.rejects(connectDevice(controller.url, "cam-log-1", "wrong-secret"));
  t.ok(
    controller.lines.some(
      (line) => line.msg === "connection refused" && line.clientId === "cam-log-1",
    ),
    "the refused connection has its own line",
  );
});

void t.test("a thousand connections make one summary line, each one a debug line", (t) => {
  const { logger, lines } = captureLogger("debug");
  const log = new ConnectionLog(logger);
  for (let i = 0; i < 1000; i += 1) log.connection(`cam-${i}`, true);
  log.connection("cam-7", false);
  log.flush();
  t.equal(lines.filter((line) => line.msg === "device connected").length, 1000, "debug: each");
  const info = lines.filter((line) => line.level === 30);
  t.equal(info.length, 1, "one info line");
  t.same(info[0]?.connected, { count: 1000 }, "a thousand are counted, not named");
  t.same(info[0]?.disconnected, { count: 1, deviceIds: ["cam-7"] }, "one is named");
  log.flush();
  t.equal(lines.filter((line) => line.level === 30).length, 1, "nothing new, nothing written");
  t.end();
});
