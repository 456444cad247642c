/**
 * The install script of v4l2-camera: off Linux it builds nothing, says why in
 * one line and succeeds, so `npm install` works on a developer's Mac. (On
 * Linux it runs node-gyp; real.test.ts checks the result loads.)
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import t from "tap";

const script = fileURLToPath(new URL("../../native/scripts/install.mjs", import.meta.url));

for (const platform of ["darwin", "win32"]) {
  void t.test(`on ${platform}: one line, exit 0, nothing built`, async (t) => {
    const pretend = `data:text/javascript,Object.defineProperty(process,"platform",{value:${JSON.stringify(platform)}})`;
    const run = spawnSync(process.execPath, ["--import", pretend, script], {
      encoding: "utf8",
      env: { ...process.env, npm_config_node_gyp: "/nonexistent/node-gyp.js" },
    });
    t.equal(run.status, 0, "the install does not fail");
    t.equal(
      run.stdout,
      `v4l2-camera: not built: V4L2 exists only on Linux (this is ${platform}); the classcam device daemon needs Linux\n`,
    );
    t.equal(run.stderr, "", "and says nothing else");
  });
}
