// `npm install` runs this for v4l2-camera: it builds the addon with node-gyp
// on Linux and, anywhere else, says in one line why it does not and succeeds,
// so installing the rest of classcam is not broken on a developer's Mac.
//
// node-gyp is npm's own (npm names it in npm_config_node_gyp for lifecycle
// scripts); npm's `nodedir` setting reaches node-gyp as npm_config_nodedir.
// Run by hand, the script finds npm's node-gyp next to node and builds against
// node's installed headers when they are there, rather than downloading them.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));

if (process.platform !== "linux") {
  console.log(
    `v4l2-camera: not built: V4L2 exists only on Linux (this is ${process.platform}); the classcam device daemon needs Linux`,
  );
  process.exit(0);
}

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(dirname(process.execPath)),
      "lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js",
    ),
  ];
  for (const candidate of candidates) {
    if (candidate !== undefined && candidate !== "" && existsSync(candidate)) return candidate;
  }
  try {
    return createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js");
  } catch {
    return undefined;
  }
}

const gyp = nodeGyp();
if (gyp === undefined) {
  console.error(
    "v4l2-camera: cannot build: node-gyp not found (it comes with npm; run the install through npm)",
  );
  process.exit(1);
}
for (const header of ["/usr/include/linux/videodev2.h"]) {
  if (!existsSync(header)) {
    console.error(
      `v4l2-camera: cannot build: ${header} is missing (Debian/Ubuntu: apt-get install linux-libc-dev)`,
    );
    process.exit(1);
  }
}

const args = [gyp, "rebuild"];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include/node/node_api.h"))) {
  args.push(`--nodedir=${prefix}`);
}
const built = spawnSync(process.execPath, args, { cwd: here, stdio: "inherit" });
if (built.status !== 0) {
  console.error(
    `v4l2-camera: node-gyp failed (${built.error?.message ?? `exit ${built.status ?? built.signal}`}); it needs python3, make and g++`,
  );
  process.exit(built.status || 1);
}
