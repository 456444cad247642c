// `npm start`: the controller on embedded defaults, with its data in ./data.
// (The simulated classroom joins it when the device daemon lands.)
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT, TS_NODE_ARGS, ensureNodeModules, requireNode } from "./setup.mjs";

try {
  requireNode();
  ensureNodeModules();
} catch (error) {
  process.stderr.write(`classcam: ${error.message}\n`);
  process.exit(1);
}

const env = {
  CLASSCAM_DATA_DIR: join(ROOT, "data", "controller"),
  ...process.env,
};
const child = spawn(
  process.execPath,
  [...TS_NODE_ARGS, join(ROOT, "controller/src/main.ts"), ...process.argv.slice(2)],
  { cwd: ROOT, env, stdio: "inherit" },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
