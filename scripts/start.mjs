// `npm start`: the demo — the controller on embedded defaults plus a simulated
// classroom box, data in ./data/demo (scripts/demo.ts).
// `npm start -- <command>` runs the controller's CLI instead (e.g. `user add`),
// on the same data folder.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT, TS_NODE_ARGS, ensureCommands, ensureNodeModules, requireNode } from "./setup.mjs";

try {
  requireNode();
  ensureNodeModules();
  // the simulated box records with ffmpeg, and its capture dies with it through setpriv
  if (process.argv.length === 2) {
    ensureCommands({ ffmpeg: "ffmpeg", ffprobe: "ffmpeg", setpriv: "util-linux" });
  }
} catch (error) {
  process.stderr.write(`classcam: ${error.message}\n`);
  process.exit(1);
}

const env = {
  CLASSCAM_DATA_DIR: join(ROOT, "data", "demo", "controller"),
  ...process.env,
};
const args = process.argv.slice(2);
const program = args.length === 0 ? "scripts/demo.ts" : "controller/src/main.ts";
const child = spawn(process.execPath, [...TS_NODE_ARGS, join(ROOT, program), ...args], {
  cwd: ROOT,
  env,
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
