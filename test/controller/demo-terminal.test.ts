// The demo's terminal (issue 16): the set-up code printed as one clear block,
// named as the dashboard's set-up page names it, with the command as README
// spells it; and the request logs at debug in the demo, so the lamp's lines
// are not buried under them (a served controller keeps them at info).
import t, { type Test } from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "../../controller/src/app.js";
import { setupTokenNotice } from "../../controller/src/server.js";
import { REPO, captureLogger, tempDir, testConfig } from "../helpers/controller.js";

void t.test("the set-up code is one block, named as the page names it", async (t) => {
  const token = "k3Q9-example-code";
  const demo = setupTokenNotice("http://127.0.0.1:8080", token, "npm start --");
  const lines = demo.split("\n");
  const rules = lines.filter((line) => /^─{20,}$/.test(line));
  t.equal(rules.length, 2, "a rule above and below");
  const block = demo.slice(demo.indexOf(rules[0] ?? ""), demo.lastIndexOf(rules[1] ?? ""));
  t.match(block, `set-up code:  ${token}`, "the code, inside the block");
  t.match(block, "the dashboard's set-up page (http://127.0.0.1:8080/#/setup)");
  t.notMatch(demo, /setup token/i, "one name for it: the set-up code, as on the page");
  t.match(demo, "npm start -- user add ID --name NAME --roles admin", "the demo's command");
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  t.match(readme, "npm start -- user add ", "README spells the demo's command that way");
  t.match(
    setupTokenNotice("http://127.0.0.1:8080", token),
    "classcam-controller user add ID --name NAME --roles admin",
    "a served controller names its own command",
  );
});

async function requestLines(t: Test, level: string, requestLogLevel?: "info" | "debug") {
  const dir = tempDir();
  const { logger, lines } = captureLogger(level);
  const app = await build({
    config: testConfig(dir.path),
    logger,
    timers: false,
    ...(requestLogLevel !== undefined && { requestLogLevel }),
  });
  t.teardown(async () => {
    await app.close();
    dir.remove();
  });
  const reply = await app.inject({ method: "GET", url: "/healthz" });
  t.equal(reply.statusCode, 200);
  return lines.filter(
    (line) => line.msg === "incoming request" || line.msg === "request completed",
  );
}

void t.test("request logs: at info when served, at debug in the demo", async (t) => {
  const warnings: string[] = [];
  const onWarning = (warning: Error & { code?: string }) =>
    warnings.push(`${warning.code ?? warning.name}: ${warning.message}`);
  process.on("warning", onWarning);
  t.teardown(() => process.off("warning", onWarning));
  const served = await requestLines(t, "info");
  t.same(
    served.map((line) => line.level),
    [30, 30],
    "a served controller logs each request at info",
  );
  t.same(await requestLines(t, "info", "debug"), [], "the demo's terminal shows none at info");
  const debug = await requestLines(t, "debug", "debug");
  t.same(
    debug.map((line) => [line.level, line.msg]),
    [
      [20, "incoming request"],
      [20, "request completed"],
    ],
    "they are still there at debug",
  );
  t.match(debug[1], { res: { statusCode: 200 }, responseTime: Number });
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  t.same(warnings, [], "no deprecation warning printed in the terminal");
});
