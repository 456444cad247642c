/**
 * The box's skeleton: its parts start in order and stop in reverse; a part
 * that fails to start is logged and the rest go on, but an essential one (the
 * lamp interlock) stops the box from recording; the event bus hands each
 * event to every listener even when one of them throws.
 */
import t from "tap";
import { EventBus, Parts, type Part } from "@classcam/device";
import { captureLogger } from "../helpers/controller.js";
import { boxDir, boxSettings, cacheBoxConfig, startBox, until } from "../helpers/device.js";

function part(name: string, log: string[], fails?: "start" | "stop", essential = false): Part {
  return {
    name,
    essential,
    start: () => {
      log.push(`start ${name}`);
      return fails === "start" ? Promise.reject(new Error(`${name} broke`)) : Promise.resolve();
    },
    stop: () => {
      log.push(`stop ${name}`);
      return fails === "stop" ? Promise.reject(new Error(`${name} stuck`)) : Promise.resolve();
    },
  };
}

void t.test("parts start in order and stop in reverse; a failure is logged", async (t) => {
  const { logger, lines } = captureLogger("info");
  const log: string[] = [];
  const unsafe: string[] = [];
  const parts = new Parts({ logger, unsafe: (p) => unsafe.push(p.name) });
  await parts.start([part("a", log), part("b", log, "start"), part("c", log, "stop")]);
  await parts.start([part("d", log)]);
  t.same(log, ["start a", "start b", "start c", "start d"], "every part started, in order");
  t.same(unsafe, [], "a part that is not essential does not make the box unsafe");
  t.match(lines, [{ part: "b", msg: /b failed to start; the other parts go on/ }]);
  await parts.stop();
  t.same(
    log.slice(4),
    ["stop d", "stop c", "stop b", "stop a"],
    "stopped in reverse, one that fails to stop does not stop the rest",
  );
  t.match(lines, [{}, { part: "c", msg: /c failed to stop/ }]);
});

void t.test("a part that is slow to stop is named in the log while the box waits", async (t) => {
  const { logger, lines } = captureLogger("info");
  const parts = new Parts({ logger, unsafe: () => undefined, stopWarnMs: 20 });
  const named = () =>
    lines.some((line) => line.part === "stuck speaker" && /still waiting/.test(String(line.msg)));
  await parts.start([
    part("quick", []),
    {
      name: "stuck speaker",
      start: () => Promise.resolve(),
      // ends only once the log has named it
      stop: () => until(named, "the log to name the part being waited on"),
    },
  ]);
  await parts.stop();
  t.match(lines, [
    { level: 40, part: "stuck speaker", msg: "still waiting for stuck speaker to stop" },
  ]);
});

void t.test("an essential part that fails to start makes the box unsafe", async (t) => {
  const { logger, lines } = captureLogger("info");
  const log: string[] = [];
  const unsafe: { name: string; error: unknown }[] = [];
  const parts = new Parts({ logger, unsafe: (p, error) => unsafe.push({ name: p.name, error }) });
  await parts.start([part("lamp", log, "start", true), part("link", log)]);
  t.same(log, ["start lamp", "start link"], "the others still start (the link reports it)");
  t.match(unsafe, [{ name: "lamp", error: { message: "lamp broke" } }]);
  t.match(lines, [{ part: "lamp", essential: true, msg: /the box will not record/ }]);
});

void t.test("the bus: a listener that throws is logged, the others still hear", async (t) => {
  const { logger, lines } = captureLogger("info");
  const bus = new EventBus(logger);
  const heard: string[] = [];
  bus.on("press", () => {
    throw new Error("listener broke");
  });
  bus.on("press", () => Promise.reject(new Error("listener rejected")));
  const off = bus.on("press", (press) => void heard.push(press));
  bus.emit("press", "short");
  off();
  bus.emit("press", "long");
  t.same(heard, ["short"], "heard once, not after it stopped listening");
  await new Promise<void>((resolve) => setImmediate(resolve)); // the rejection is logged next turn
  const failures = lines.map((line) => (line.err as { message?: string } | undefined)?.message);
  t.same(
    failures.sort(),
    ["listener broke", "listener broke", "listener rejected", "listener rejected"],
    "each failure logged, on both events",
  );
  t.ok(
    lines.every((line) => line.event === "press"),
    "the log names the event",
  );
});

void t.test("a box whose interlock failed to start refuses every press", async (t) => {
  const dir = boxDir();
  cacheBoxConfig(dir.path);
  const b = await startBox(
    boxSettings("room-parts", "p".repeat(32), "mqtt://127.0.0.1:9", dir.path),
  );
  t.teardown(async () => {
    await b.stop();
    dir.remove();
  });
  b.daemon.session.forbid("lamp interlock failed to start: injected");
  await b.daemon.press("short");
  t.equal(b.daemon.session.phase, "idle", "nothing records");
  const refused = await b.daemon.db.all<{ payload: string }>(
    "SELECT payload FROM outbox WHERE kind = 'recording.refused'",
  );
  t.match(
    refused.map((row) => (JSON.parse(row.payload) as { data: unknown }).data),
    [{ reason: "lamp-fault" }],
  );
  t.equal(b.hw.lamp.level, "off", "the lamp never lit");
});
