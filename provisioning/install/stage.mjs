#!/usr/bin/env node
// Installs classcam's built code from a checkout into a folder (/opt/classcam):
// the workspaces asked for (their package.json, dist/, bin/ and native build)
// and exactly the npm packages they need at run time, found by walking
// package-lock.json from their dependencies. Works offline: everything comes
// from the checkout, which must be installed and built on a machine of the
// same architecture (npm ci && npm run build).
//
// The folder is brought to that state file by file: what is already right is
// not touched (a second run changes nothing), what differs is replaced whole
// (written aside, then renamed), what is no longer wanted is removed.
// Everything belongs to root; files 0644 (0755 for programs), folders 0755.
//
// Usage: node stage.mjs --from CHECKOUT --to DIR --workspaces a,b,c
// Only Node's built-ins are used: this runs before anything is installed.
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { Buffer } from "node:buffer";
import { dirname, join, posix } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    from: { type: "string" },
    to: { type: "string" },
    workspaces: { type: "string" },
  },
});
const fail = (message) => {
  process.stderr.write(`stage: ${message}\n`);
  process.exit(2);
};
if (!values.from || !values.to || !values.workspaces) {
  fail("usage: node stage.mjs --from CHECKOUT --to DIR --workspaces a,b,c");
}
const from = values.from;
const to = values.to;
const lock = JSON.parse(readFileSync(join(from, "package-lock.json"), "utf8"));
const packages = lock.packages ?? {};

/** What belongs to a workspace at run time. */
const WORKSPACE_PARTS = ["package.json", "dist", "bin", "build/Release", "web/dist", "public"];

/** The lock key a dependency `name` of the package at lock key `at` resolves to. */
function resolveDependency(at, name) {
  let base = at;
  for (;;) {
    const key = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[key] !== undefined) return key;
    if (base === "") return null;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut < 0 ? "" : base.slice(0, cut);
  }
}

// the closure of the workspaces' run-time dependencies
const wanted = new Map(); // lock key -> { workspace: boolean }
const queue = [];
for (const name of values.workspaces.split(",")) {
  const key = name.trim();
  if (packages[key] === undefined) fail(`no workspace '${key}' in ${from}/package-lock.json`);
  queue.push(key);
}
while (queue.length > 0) {
  const key = queue.shift();
  if (wanted.has(key)) continue;
  const entry = packages[key];
  if (entry.link === true) {
    wanted.set(key, { link: entry.resolved });
    queue.push(entry.resolved);
    continue;
  }
  const workspace = !key.startsWith("node_modules/") && !key.includes("/node_modules/");
  wanted.set(key, { workspace });
  // a workspace's own package.json is the word on what it needs (the lock may lag behind it)
  const own = workspace ? JSON.parse(readFileSync(join(from, key, "package.json"), "utf8")) : {};
  const deps = {
    ...entry.dependencies,
    ...entry.optionalDependencies,
    ...own.dependencies,
    ...own.optionalDependencies,
  };
  for (const name of Object.keys(deps)) {
    const found = resolveDependency(key, name);
    if (found === null) {
      if (entry.optionalDependencies?.[name] !== undefined) continue;
      fail(`'${key}' needs '${name}', which package-lock.json does not have`);
    }
    queue.push(found);
  }
}

// the desired tree: relative path -> file | dir | symlink
const desired = new Map();
const addDir = (rel) => {
  for (let d = rel; d !== "." && d !== "" && !desired.has(d); d = posix.dirname(d)) {
    desired.set(d, { type: "dir" });
  }
};
const addFile = (rel, src) => {
  addDir(posix.dirname(rel));
  const mode = statSync(src).mode & 0o111 ? 0o755 : 0o644;
  desired.set(rel, { type: "file", src, mode });
};
function addTree(rel, src, skipNodeModules) {
  const stat = lstatSync(src);
  if (stat.isSymbolicLink()) {
    addDir(posix.dirname(rel));
    desired.set(rel, { type: "symlink", target: readlinkSync(src) });
  } else if (stat.isDirectory()) {
    addDir(rel);
    for (const name of readdirSync(src)) {
      if (skipNodeModules && name === "node_modules") continue;
      if (name.endsWith(".tsbuildinfo")) continue;
      addTree(`${rel}/${name}`, join(src, name), skipNodeModules);
    }
  } else if (stat.isFile()) {
    addFile(rel, src);
  }
}
for (const [key, what] of wanted) {
  if (what.link !== undefined) {
    // a workspace as a dependency: node_modules/<name> -> ../<workspace>
    addDir(posix.dirname(key));
    desired.set(key, { type: "symlink", target: posix.relative(posix.dirname(key), what.link) });
    continue;
  }
  const src = join(from, key);
  if (!existsSync(src)) {
    if (packages[key].optional === true) continue; // for another platform
    fail(`${src} is missing: run 'npm ci' in the checkout first`);
  }
  if (what.workspace) {
    if (!existsSync(join(src, "dist")))
      fail(`${src}/dist is missing: run 'npm run build' in the checkout first`);
    for (const part of WORKSPACE_PARTS) {
      if (existsSync(join(src, part))) addTree(`${key}/${part}`, join(src, part), true);
    }
  } else {
    addTree(key, src, true);
  }
}
// the root: ESM everywhere, as in the checkout
desired.set("package.json", {
  type: "content",
  content: `${JSON.stringify({ name: "classcam-installed", private: true, type: "module", version: lock.version ?? "0.0.0" }, null, 2)}\n`,
  mode: 0o644,
});

// bring `to` to that state
let changed = 0;
let kept = 0;
const same = (path, bytes) => {
  try {
    const stat = lstatSync(path);
    return stat.isFile() && stat.size === bytes.length && readFileSync(path).equals(bytes);
  } catch {
    return false;
  }
};
function owned(path, mode) {
  const stat = lstatSync(path);
  if ((stat.mode & 0o7777) !== mode) {
    chmodSync(path, mode);
    changed += 1;
  }
  if (stat.uid !== 0 || stat.gid !== 0) {
    chownSync(path, 0, 0);
    changed += 1;
  }
}
mkdirSync(to, { recursive: true });
owned(to, 0o755);
// remove what is not wanted (deepest first)
function prune(rel) {
  const path = rel === "" ? to : join(to, rel);
  for (const name of readdirSync(path)) {
    const child = rel === "" ? name : `${rel}/${name}`;
    const want = desired.get(child);
    const stat = lstatSync(join(path, name));
    const kind = stat.isSymbolicLink() ? "symlink" : stat.isDirectory() ? "dir" : "file";
    const wantKind = want === undefined ? null : want.type === "content" ? "file" : want.type;
    if (kind === "dir" && wantKind === "dir") {
      prune(child);
      continue;
    }
    if (kind !== wantKind) {
      rmSync(join(path, name), { recursive: true, force: true });
      changed += 1;
    }
  }
}
prune("");
const ordered = [...desired.keys()].sort();
for (const rel of ordered) {
  const want = desired.get(rel);
  const path = join(to, rel);
  if (want.type === "dir") {
    if (!existsSync(path)) {
      mkdirSync(path);
      changed += 1;
    }
    owned(path, 0o755);
  } else if (want.type === "symlink") {
    let current = null;
    try {
      current = readlinkSync(path);
    } catch {
      // missing
    }
    if (current !== want.target) {
      rmSync(path, { force: true });
      symlinkSync(want.target, path);
      changed += 1;
    } else kept += 1;
  } else {
    const bytes = want.type === "content" ? Buffer.from(want.content) : readFileSync(want.src);
    if (same(path, bytes)) kept += 1;
    else {
      const aside = join(dirname(path), `.${posix.basename(rel)}.classcam-new`);
      writeFileSync(aside, bytes, { mode: want.mode });
      renameSync(aside, path);
      changed += 1;
    }
    owned(path, want.mode);
  }
}
const modules = [...wanted.keys()].filter((k) => k.includes("node_modules/")).length;
process.stdout.write(
  `${to}: ${values.workspaces} and ${modules} npm packages; ` +
    (changed === 0 ? "nothing to change\n" : `${changed} changes, ${kept} files already right\n`),
);
