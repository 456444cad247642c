// What `npm start` and `npm test` need before they can run, installed on
// demand: the npm dependencies (npm ci, which also builds sqlite3), and the
// Debian packages named by the caller. Only Node's built-ins are used here,
// because this runs before anything is installed.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

const say = (message) => process.stderr.write(`classcam: ${message}\n`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", cwd: ROOT, ...options });
  if (result.status !== 0) {
    throw new Error(
      `'${command} ${args.join(" ")}' failed (exit ${result.status ?? result.signal})`,
    );
  }
}

/** Installs the npm dependencies when node_modules is missing or older than the lockfile. */
export function ensureNodeModules() {
  const marker = join(ROOT, "node_modules", ".package-lock.json");
  const lock = join(ROOT, "package-lock.json");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say(
    "installing npm dependencies (npm ci; sqlite3 builds from source if no prebuilt binary fits)…",
  );
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

const has = (command) =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;

/**
 * Makes sure each command exists, installing its Debian package if not.
 * `needs` maps a command to the package that provides it.
 */
export function ensureCommands(needs) {
  const missing = Object.entries(needs).filter(([command]) => !has(command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const sudo = isRoot ? [] : has("sudo") ? ["sudo", "-n"] : null;
  if (sudo === null || !has("apt-get")) {
    throw new Error(
      `missing ${missing.map(([c]) => c).join(", ")}; install the Debian packages: ${packages.join(" ")}`,
    );
  }
  say(`installing ${packages.join(" ")} with apt-get…`);
  const apt = (args) =>
    sudo.length === 0 ? run("apt-get", args) : run(sudo[0], [...sudo.slice(1), "apt-get", ...args]);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  apt(["update", "-qq"], { env });
  apt(["install", "-y", "-qq", "--no-install-recommends", ...packages], { env });
}

/** Node arguments that run the TypeScript sources directly. */
export const TS_NODE_ARGS = ["--conditions=classcam-source", "--import=tsx"];

export function nodeVersionOk() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 20 || (major === 20 && minor >= 17);
}

export function requireNode() {
  if (!nodeVersionOk()) {
    throw new Error(`Node ${process.versions.node} is too old; classcam needs Node 20.17 or newer`);
  }
}

export { execFileSync };
