// `npm test`: installs what the suite needs, runs every test with tap, and
// ends with the line `N passed, N failed, N skipped` — N counts each
// top-level test of each file (a file that dies outside any test counts as
// one failure). Extra arguments are passed to tap (e.g. a file to run alone).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, ensureCommands, ensureNodeModules, requireNode } from "./setup.mjs";

try {
  requireNode();
  ensureNodeModules();
  ensureCommands({
    mosquitto_pub: "mosquitto-clients",
    mosquitto_sub: "mosquitto-clients",
    openssl: "openssl",
    ffmpeg: "ffmpeg",
    ffprobe: "ffmpeg",
    setpriv: "util-linux",
    "systemd-analyze": "systemd",
    socat: "socat",
    debootstrap: "debootstrap",
    chromium: "chromium",
  });
} catch (error) {
  process.stderr.write(`classcam: ${error.message}\n`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

// tap compiles its plugin set into node_modules when it is built; a fresh
// install still carries the ts-node TypeScript plugin that package.json turns
// off (tests run through tsx), and the two together break every ESM test file.
// So build tap once per install and plugin set, remembered in a marker file.
const tapBin = join(ROOT, "node_modules/.bin/tap");
const marker = join(ROOT, "node_modules", ".classcam-tap-build");
const wanted = JSON.stringify({
  plugins: JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).tap?.plugin ?? [],
  tap: JSON.parse(readFileSync(join(ROOT, "node_modules/tap/package.json"), "utf8")).version,
});
if (!existsSync(marker) || readFileSync(marker, "utf8") !== wanted) {
  process.stderr.write("classcam: building tap with the project's plugin set…\n");
  const built = spawnSync(tapBin, ["build"], { cwd: ROOT, stdio: "inherit" });
  if (built.status !== 0) {
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  writeFileSync(marker, wanted);
}

const results = join(ROOT, ".tap", "test-results");
rmSync(results, { recursive: true, force: true });
const tap = spawnSync(tapBin, process.argv.slice(2), {
  cwd: ROOT,
  stdio: "inherit",
});

/** Counts the top-level tests in each file's saved TAP output. */
function count(dir, totals = { passed: 0, failed: 0, skipped: 0, files: 0 }) {
  if (!existsSync(dir)) return totals;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      count(path, totals);
      continue;
    }
    if (!entry.name.endsWith(".tap")) continue;
    totals.files += 1;
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let bailedOut = false;
    let planned = null;
    for (const line of readFileSync(path, "utf8").split("\n")) {
      const result = /^(not ok|ok) \d+/.exec(line);
      if (result) {
        if (/# (SKIP|TODO)\b/i.test(line)) skipped += 1;
        else if (result[1] === "ok") passed += 1;
        else failed += 1;
      }
      const plan = /^1\.\.(\d+)/.exec(line);
      if (plan) planned = Number(plan[1]);
      if (line.startsWith("Bail out!")) bailedOut = true;
    }
    const seen = passed + failed + skipped;
    // a crash, a timeout or a missing plan is a failure even if no test said so
    if (bailedOut || planned === null || seen < planned)
      failed += Math.max(1, (planned ?? 0) - seen);
    totals.passed += passed;
    totals.failed += failed;
    totals.skipped += skipped;
  }
  return totals;
}

const totals = count(results);
if (tap.status !== 0 && totals.failed === 0) totals.failed = 1; // tap failed in a way no file recorded
if (totals.files === 0) totals.failed = Math.max(totals.failed, 1); // ran no test: that is a failure
const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : "";
console.log(`\n${totals.passed} passed, ${totals.failed} failed${skipped}`);
process.exit(totals.failed > 0 ? 1 : 0);
