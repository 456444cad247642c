/**
 * The systemd units: `systemd-analyze verify` finds nothing wrong, and
 * `systemd-analyze security` rates their exposure (printed; targets ≤ 2.0 for
 * the controller, ≤ 3.5 for the device). The device's unit runs Node with
 * the daemon's flags and environment from device/src/version.ts, is a
 * `Type=notify` service with a watchdog whose notifications its forwarder may
 * send, and its system-call filter lets `setpriv` (the capture's launcher and
 * the forwarder's) work.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { DAEMON_ENVIRONMENT, DAEMON_NODE_FLAGS } from "@classcam/device";
import { CONTROLLER_ENVIRONMENT, CONTROLLER_NODE_FLAGS } from "@classcam/controller";
import { REPO } from "../helpers/controller.js";

const UNITS = [
  { file: "classcam-controller.service", maxExposure: 2.0 },
  { file: "classcam-device.service", maxExposure: 3.5 },
];

for (const unit of UNITS) {
  void t.test(`${unit.file}: verified, exposure ≤ ${unit.maxExposure}`, async (t) => {
    const path = join(REPO, "systemd", unit.file);
    const verify = spawnSync("systemd-analyze", ["verify", "--man=no", path], { encoding: "utf8" });
    const said = `${verify.stdout}${verify.stderr}`;
    t.equal(verify.status, 0, verify.status === 0 ? "systemd-analyze verify" : said);
    // unknown users and missing ExecStart binaries are the install script's business
    const complaints = said
      .split("\n")
      .filter(
        (line) => line.trim() !== "" && !/Command .* is not executable|No such file/.test(line),
      );
    t.same(complaints, [], "no complaints about the unit itself");
    const security = spawnSync("systemd-analyze", ["security", "--offline=true", path], {
      encoding: "utf8",
    });
    const match = /Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout);
    t.ok(match, match ? "systemd-analyze security rated it" : security.stdout + security.stderr);
    const exposure = Number(match?.[1]);
    t.comment(`${unit.file}: exposure ${exposure} (target ≤ ${unit.maxExposure})`);
    t.ok(exposure <= unit.maxExposure, `exposure ${exposure} ≤ ${unit.maxExposure}`);
  });
}

/** The `[Service]` section's settings, each key with its values in order. */
function serviceSettings(file: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = "";
  for (const raw of readFileSync(join(REPO, "systemd", file), "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      section = header[1];
      continue;
    }
    const equals = line.indexOf("=");
    if (section !== "Service" || equals < 0) continue;
    const key = line.slice(0, equals);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(equals + 1)]);
  }
  return settings;
}

/** The system calls of a group (`@system-service`…) or a single name, nested groups expanded. */
function syscalls(name: string, cache = new Map<string, Set<string>>()): Set<string> {
  if (!name.startsWith("@")) return new Set([name]);
  const known = cache.get(name);
  if (known !== undefined) return known;
  const listed = spawnSync("systemd-analyze", ["syscall-filter", name], { encoding: "utf8" });
  if (listed.status !== 0)
    throw new Error(`systemd-analyze syscall-filter ${name}: ${listed.stderr}`);
  const calls = new Set<string>();
  for (const line of listed.stdout.split("\n").slice(1)) {
    const entry = line.trim();
    if (entry === "" || entry.startsWith("#")) continue;
    for (const call of syscalls(entry, cache)) calls.add(call);
  }
  cache.set(name, calls);
  return calls;
}

/** The calls a unit's `SystemCallFilter=` lines allow, applied in order as systemd does. */
function allowedSyscalls(filters: string[]): Set<string> {
  const allowed = new Set<string>();
  for (const filter of filters) {
    const deny = filter.startsWith("~");
    for (const name of (deny ? filter.slice(1) : filter).split(/\s+/).filter(Boolean)) {
      for (const call of syscalls(name)) {
        if (deny) allowed.delete(call);
        else allowed.add(call);
      }
    }
  }
  return allowed;
}

void t.test("classcam-device.service runs the daemon as device/src/version.ts says", async (t) => {
  const unit = serviceSettings("classcam-device.service");
  const execStart = unit.get("ExecStart") ?? [];
  t.equal(execStart.length, 1, "one ExecStart");
  const words = (execStart[0] ?? "").split(/\s+/);
  t.equal(words[0], "/usr/bin/node", "Node");
  const script = words.findIndex((word) => !word.startsWith("-") && word !== words[0]);
  t.same(words.slice(1, script), DAEMON_NODE_FLAGS, "the Node flags are DAEMON_NODE_FLAGS");
  t.same(
    words.slice(script),
    [
      "/opt/classcam/device/bin/classcam-device.mjs",
      "run",
      "--settings",
      "/etc/classcam/device.json",
    ],
    "the installed daemon with its settings",
  );
  const environment = new Map(
    (unit.get("Environment") ?? [])
      .flatMap((line) => line.split(/\s+/))
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
  for (const [name, value] of Object.entries(DAEMON_ENVIRONMENT)) {
    t.equal(environment.get(name), value, `Environment= sets ${name} as DAEMON_ENVIRONMENT does`);
  }
});

void t.test(
  "classcam-controller.service runs Node as controller/src/runtime.ts says",
  async (t) => {
    const unit = serviceSettings("classcam-controller.service");
    const execStart = unit.get("ExecStart") ?? [];
    t.equal(execStart.length, 1, "one ExecStart");
    const words = (execStart[0] ?? "").split(/\s+/);
    t.equal(words[0], "/usr/bin/node", "Node");
    const script = words.findIndex((word) => !word.startsWith("-") && word !== words[0]);
    t.same(
      words.slice(1, script),
      CONTROLLER_NODE_FLAGS,
      "the Node flags are CONTROLLER_NODE_FLAGS",
    );
    t.same(
      words.slice(script),
      ["/opt/classcam/controller/bin/classcam-controller.mjs", "serve"],
      "the installed controller, serving",
    );
    const environment = new Map(
      (unit.get("Environment") ?? [])
        .flatMap((line) => line.split(/\s+/))
        .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
    );
    for (const [name, value] of Object.entries(CONTROLLER_ENVIRONMENT)) {
      t.equal(
        environment.get(name),
        value,
        `Environment= sets ${name} as CONTROLLER_ENVIRONMENT does`,
      );
    }
  },
);

void t.test("classcam-device.service: readiness, watchdog, one group, few devices", async (t) => {
  const unit = serviceSettings("classcam-device.service");
  const one = (key: string) => unit.get(key)?.at(-1);
  t.equal(one("Type"), "notify", "READY=1 tells systemd it has started");
  t.equal(one("NotifyAccess"), "all", "the forwarder (not the main process) sends");
  t.match(one("WatchdogSec") ?? "", /^\d+s$/, "a watchdog");
  t.equal(one("Restart"), "always");
  t.equal(one("KillMode"), "control-group", "ffmpeg and the forwarder die with the daemon");
  t.equal(one("User"), "classcam");
  t.equal(one("DevicePolicy"), "closed");
  t.same(unit.get("DeviceAllow"), ["char-video4linux rw", "char-alsa rw"], "camera and microphone");
  t.equal(one("NoNewPrivileges"), "yes");
  t.equal(one("ProtectSystem"), "strict");
  t.equal(one("CapabilityBoundingSet"), "", "no capabilities");
  t.ok(
    (unit.get("ExecPaths") ?? []).join(" ").split(/\s+/).includes("/var/lib/classcam/run"),
    "the capture's launcher may run from the daemon's run folder",
  );
  t.ok(
    (unit.get("StateDirectory") ?? []).join(" ").split(/\s+/).includes("classcam/run"),
    "which exists before the namespace is set up",
  );

  const allowed = allowedSyscalls(unit.get("SystemCallFilter") ?? []);
  // setpriv sets its (empty) capabilities and the parent-death signal; socat sends datagrams
  for (const call of ["capset", "prctl", "execve", "socket", "sendto", "clone"]) {
    t.ok(allowed.has(call), `the filter allows ${call}`);
  }
  for (const call of ["mount", "reboot", "init_module", "setuid", "setrlimit"]) {
    t.notOk(allowed.has(call), `the filter refuses ${call}`);
  }
  t.equal(one("SystemCallErrorNumber"), "EPERM", "a refused call fails instead of killing");
});
