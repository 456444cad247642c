// The README's quick start, `npm start` (scripts/demo.ts), as a school trying
// classcam first meets it: the controller and its simulated classroom box come
// up on their own, the box's button records, and the box seals its footage to
// the controller as an enrolled box does (issue 20 §1) — the recording's key
// sealed in the box's index, its segments ciphertext in the demo's folder, no
// open key left behind.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { Database } from "@classcam/sqlite";
import { eventually, freePort, REPO, tempDir } from "../helpers/controller.js";
import { decodesAsIs } from "../helpers/sealed.js";

void t.test("the demo's box records, sealed to the demo's controller", async (t) => {
  const dir = tempDir("classcam-demo-test-");
  t.teardown(dir.remove);
  const ram = tempDir("classcam-demo-ram-");
  t.teardown(ram.remove);
  const [http, mqtt, panel] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    ["--conditions=classcam-source", "--import=tsx", join(REPO, "scripts/demo.ts")],
    {
      cwd: REPO,
      env: {
        ...process.env,
        CLASSCAM_DEMO_DIR: dir.path,
        CLASSCAM_DEMO_PANEL_PORT: String(panel),
        CLASSCAM_HTTP_PORT: String(http),
        CLASSCAM_MQTT_PORT: String(mqtt),
        XDG_RUNTIME_DIR: ram.path,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  t.teardown(async () => {
    child.kill("SIGTERM");
    await exited;
  });

  await eventually(
    async () => {
      const health = await fetch(`http://127.0.0.1:${http}/healthz`).catch(() => null);
      if (health?.status !== 200) return null;
      return ((await health.json()) as { devicesConnected: number }).devicesConnected === 1;
    },
    120_000,
    `the demo's box connected (output so far: ${output.slice(-2000)})`,
  );
  // the demo says it is running once its box holds the school's config (a press before is refused)
  await eventually(
    () => output.includes("classcam demo is running."),
    120_000,
    `the demo said it is running (output so far: ${output.slice(-2000)})`,
  );
  t.notMatch(output, /has not received its config/, "the box had its config when the demo said so");
  const press = async () => {
    const reply = await fetch(`http://127.0.0.1:${panel}/button`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ press: "short" }),
    });
    return (await reply.json()) as { mode: string; level: string };
  };
  const pressed = await press();
  if (!t.match(pressed, { mode: "video-only", level: "on" }, "the button records, lamp on")) {
    t.comment(`the demo's output: ${output.slice(-3000)}`);
  }

  const device = join(dir.path, "device");
  const db = await Database.open(join(device, "device.db"));
  t.teardown(() => db.close());
  const recording = await eventually(
    () =>
      db.get<{ id: string; sealed_key: string | null; dir: string }>(
        "SELECT id, sealed_key, dir FROM recordings WHERE segments >= 2",
      ),
    120_000,
    "two segments recorded",
  );
  const keyFolder = join(ram.path, readdirSync(ram.path)[0] ?? "");
  t.same(
    readdirSync(keyFolder),
    [`key-${recording.id}`],
    "while it records, the open key is in the RAM folder",
  );
  t.match(await press(), { mode: "off", level: "off" }, "and stops, lamp off");
  t.match(recording.sealed_key, /^v2\./, "the recording's key is sealed to the controller");
  const folder = join(device, "buffer", recording.dir);
  const segments = readdirSync(folder).filter((name) => name.endsWith(".ts"));
  t.ok(segments.length >= 2, `${segments.length} segments`);
  for (const name of segments) {
    t.notOk(await decodesAsIs(join(folder, name)), `${name} is ciphertext on the card`);
  }
  await eventually(
    () => readdirSync(keyFolder).length === 0,
    30_000,
    "the open key gone once the capture ended",
  );
  t.pass("no open key is left once the capture ends");
});
