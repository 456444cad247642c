/**
 * The install scripts in a throwaway Debian bookworm root (debootstrap
 * --variant=minbase, cached between runs outside the checkout), run with
 * chroot, twice: they leave the files, users, groups and enabled units they
 * promise, the installed daemon runs there from what was installed, and the
 * second run changes nothing (a manifest of every promised path's type, mode,
 * owner, size, mtime and link target, and the passwd/group lines, compared).
 *
 * Needs root (chroot, mount), debootstrap (installed with apt-get if
 * missing) and Debian's mirror. Node is not downloaded: CLASSCAM_NODE hands
 * the script this machine's Node binary.
 */
import t from "tap";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { tlsInit, writeBundle } from "@classcam/provisioning";
import { REPO, tempDir } from "../helpers/controller.js";

const CACHE =
  process.env.CLASSCAM_CACHE_DIR ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "classcam");
const BASE = join(CACHE, "bookworm-minbase");
/** What these helpers need of a tap test. */
interface TestLike {
  comment: (message: string) => void;
  teardown: (fn: () => void) => void;
}

const CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    encoding: "utf8",
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
}

function must(command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** The Debian mirror this machine's apt uses (so the test reaches what apt reaches). */
function debianMirror(): string {
  for (const file of ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822?.[1] !== undefined) return deb822[1];
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\b/m.exec(text);
    if (oneLine?.[1] !== undefined) return oneLine[1];
  }
  return "http://deb.debian.org/debian";
}

/** The cached minbase root, made once (debootstrap into a side folder, then renamed). */
function baseRoot(t: TestLike): string {
  if (existsSync(join(BASE, "etc/debian_version"))) return BASE;
  if (run("sh", ["-c", "command -v debootstrap"]).status !== 0) {
    must("apt-get", ["update", "-qq"]);
    must("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "debootstrap"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  }
  mkdirSync(CACHE, { recursive: true });
  const partial = `${BASE}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const started = Date.now();
  must("debootstrap", ["--variant=minbase", "bookworm", partial, debianMirror()]);
  renameSync(partial, BASE);
  t.comment(
    `debootstrap --variant=minbase bookworm took ${Math.round((Date.now() - started) / 1000)} s (cached in ${BASE})`,
  );
  return BASE;
}

/** Mounts under a throwaway root, undone in reverse order; the root is removed only when none is left. */
class Throwaway {
  private mounts: string[] = [];
  constructor(readonly root: string) {}

  mount(args: string[], target: string): void {
    mkdirSync(target, { recursive: true });
    must("mount", [...args, target]);
    this.mounts.push(target);
  }

  close(): void {
    for (const target of this.mounts.reverse()) {
      if (run("umount", [target]).status !== 0) run("umount", ["-l", target]);
    }
    this.mounts = [];
    const mounted = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .some((line) => line.split(" ")[1]?.startsWith(`${this.root}/`));
    if (mounted) throw new Error(`${this.root} still has mounts; not removing it`);
    run("rm", ["-rf", "--one-file-system", this.root]);
  }
}

function throwawayRoot(t: TestLike, name: string): Throwaway {
  const base = baseRoot(t);
  const dir = tempDir("classcam-root-");
  const root = join(dir.path, name);
  must("cp", ["-a", base, root]);
  const box = new Throwaway(root);
  t.teardown(() => {
    box.close();
    dir.remove();
  });
  copyFileSync("/etc/resolv.conf", join(root, "etc/resolv.conf"));
  box.mount(["-t", "proc", "proc"], join(root, "proc"));
  box.mount(["--bind", REPO], join(root, "mnt/classcam"));
  must("mount", ["-o", "remount,bind,ro", join(root, "mnt/classcam")]);
  mkdirSync(join(root, "tmp/node"), { recursive: true });
  copyFileSync(process.execPath, join(root, "tmp/node/node"));
  return box;
}

function inRoot(root: string, args: string[], userspec?: string): SpawnSyncReturns<string> {
  // tap hands its loader to child processes in NODE_OPTIONS; the root has no such file
  const clean = ["/usr/bin/env", "-u", "NODE_OPTIONS"];
  return run("chroot", [...(userspec ? [`--userspec=${userspec}`] : []), root, ...clean, ...args], {
    env: { PATH: CHROOT_PATH, LANG: "C.UTF-8", HOME: "/root", CLASSCAM_NODE: "/tmp/node/node" },
  });
}

/** Every promised path under `root`: type, mode, owner, size, mtime, link target. */
function manifest(root: string, paths: string[]): string[] {
  const lines: string[] = [];
  const walk = (rel: string) => {
    const path = join(root, rel);
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      lines.push(`${rel} missing`);
      return;
    }
    const kind = stat.isSymbolicLink() ? "link" : stat.isDirectory() ? "dir" : "file";
    const extra =
      kind === "link"
        ? `-> ${readlinkSync(path)}`
        : kind === "file"
          ? `${stat.size} ${stat.mtimeMs}`
          : "";
    lines.push(
      `${rel} ${kind} ${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid} ${extra}`,
    );
    if (kind === "dir") for (const name of readdirSync(path).sort()) walk(`${rel}/${name}`);
  };
  for (const rel of paths) walk(rel);
  for (const file of ["etc/passwd", "etc/group", "etc/shadow", "etc/gshadow"]) {
    for (const line of readFileSync(join(root, file), "utf8").split("\n")) {
      if (/^(classcam|gpio|video|audio):/.test(line)) lines.push(`${file}: ${line}`);
    }
  }
  return lines;
}

function ensureBuilt(t: TestLike): void {
  const started = Date.now();
  must(join(REPO, "node_modules/.bin/tsc"), ["-b", join(REPO, "tsconfig.json")]);
  t.comment(`tsc -b took ${Math.round((Date.now() - started) / 1000)} s`);
}

void t.test("install-device.sh in a throwaway bookworm root, twice", async (t) => {
  ensureBuilt(t);
  const box = throwawayRoot(t, "pi");
  const { root } = box;
  // the box's bundle on the SD card's boot partition, as classcam-provision enrol --boot writes it
  const tls = tempDir();
  t.teardown(tls.remove);
  await tlsInit({
    out: join(tls.path, "tls"),
    hosts: ["controller.school.local"],
    ips: [],
    school: "Test",
    days: 30,
    caDays: 30,
  });
  mkdirSync(join(root, "boot/firmware"), { recursive: true });
  writeBundle(join(root, "boot/firmware/classcam"), {
    deviceId: "room-1",
    secret: randomBytes(32).toString("base64url"),
    mqttUrl: "mqtts://controller.school.local:8883",
    ca: readFileSync(join(tls.path, "tls/ca.pem")),
    camera: { card: "HD Pro Webcam C920" },
  });
  const script = [
    "/bin/bash",
    "/mnt/classcam/provisioning/install/install-device.sh",
    "--from",
    "/mnt/classcam",
  ];

  const started = Date.now();
  const first = inRoot(root, script);
  t.equal(first.status, 0, `${first.stdout}\n${first.stderr}`);
  t.comment(`first run: ${Math.round((Date.now() - started) / 1000)} s`);
  t.match(first.stdout, /installing ffmpeg socat espeak-ng alsa-utils with apt-get/);
  t.match(first.stdout, /bundle installed and removed from \/boot\/firmware\/classcam/);
  t.match(
    first.stdout,
    /classcam-device\.service installed and enabled; it starts at the next boot/,
  );
  t.notOk(
    existsSync(join(root, "boot/firmware/classcam")),
    "the secret is gone from the boot partition",
  );

  const promised = [
    "opt/classcam",
    "etc/classcam",
    "var/lib/classcam",
    "etc/systemd/system/classcam-device.service",
    "etc/systemd/system/multi-user.target.wants",
    "usr/bin/node",
    "usr/local/lib/classcam-node",
  ];
  const before = manifest(root, promised);

  // the user and its groups
  const passwd = readFileSync(join(root, "etc/passwd"), "utf8");
  t.match(passwd, /^classcam:x:(\d+):(\d+):classcam:\/var\/lib\/classcam:\/usr\/sbin\/nologin$/m);
  const uid = Number(/^classcam:x:(\d+):/m.exec(passwd)?.[1]);
  t.ok(uid < 1000, "a system user");
  const groups = readFileSync(join(root, "etc/group"), "utf8");
  const gid = (name: string) => Number(new RegExp(`^${name}:x:(\\d+):`, "m").exec(groups)?.[1]);
  for (const group of ["video", "audio", "gpio"]) {
    t.match(
      groups,
      new RegExp(`^${group}:x:\\d+:(.*,)?classcam(,.*)?$`, "m"),
      `classcam is in ${group}`,
    );
  }
  t.ok(gid("gpio") < 1000, "gpio made as a system group (plain Debian has none)");
  t.equal(
    inRoot(root, ["id", "-nG", "classcam"]).stdout.trim().split(" ").sort().join(" "),
    "audio classcam gpio video",
  );

  // the files and their owners and modes
  const mode = (rel: string) => {
    const stat = lstatSync(join(root, rel));
    return `${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid}`;
  };
  const classcam = gid("classcam");
  t.equal(mode("etc/classcam"), `750 0:${classcam}`);
  t.equal(
    mode("etc/classcam/device.json"),
    `640 0:${classcam}`,
    "the secret: root and classcam only",
  );
  t.equal(mode("etc/classcam/ca.pem"), "644 0:0");
  t.equal(mode("var/lib/classcam"), `750 ${uid}:${classcam}`);
  t.equal(mode("opt/classcam/device/bin/classcam-device.mjs"), "755 0:0");
  t.equal(mode("etc/systemd/system/classcam-device.service"), "644 0:0");
  t.equal(
    readFileSync(join(root, "etc/systemd/system/classcam-device.service"), "utf8"),
    readFileSync(join(REPO, "systemd/classcam-device.service"), "utf8"),
    "the unit from the checkout",
  );
  t.equal(
    readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants/classcam-device.service")),
    "/etc/systemd/system/classcam-device.service",
    "enabled (the symlink systemctl enable makes)",
  );
  t.equal(readlinkSync(join(root, "usr/bin/node")), "/usr/local/lib/classcam-node/bin/node");
  t.notOk(
    existsSync(join(root, "opt/classcam/node_modules/typescript")),
    "no development packages",
  );
  t.notOk(existsSync(join(root, "opt/classcam/controller")), "no controller on a box");
  t.ok(existsSync(join(root, "usr/bin/ffmpeg")), "ffmpeg");
  t.ok(existsSync(join(root, "usr/bin/espeak-ng")), "espeak-ng, for the spoken notice");
  t.ok(existsSync(join(root, "usr/bin/aplay")), "aplay, to play it on the speaker");

  // the installed daemon runs there, from what was installed, as its user
  const check = inRoot(
    root,
    [
      "/usr/bin/node",
      "/opt/classcam/device/bin/classcam-device.mjs",
      "check",
      "--settings",
      "/etc/classcam/device.json",
    ],
    "classcam:classcam",
  );
  t.equal(check.status, 0, check.stderr);
  t.match(
    check.stdout,
    /good \(device room-1, linux hardware, controller mqtts:\/\/controller\.school\.local:8883\)/,
  );
  const nosy = inRoot(root, ["/bin/cat", "/etc/classcam/device.json"], "nobody:nogroup");
  t.not(nosy.status, 0, "another user cannot read the secret");

  // the unit, as systemd reads it with this root's users and files
  // the installed unit as systemd reads it (the minbase root has no systemd of its own)
  const verify = run("systemd-analyze", [
    "verify",
    "--man=no",
    join(root, "etc/systemd/system/classcam-device.service"),
  ]);
  t.equal(verify.status, 0, `systemd-analyze verify: ${verify.stdout}${verify.stderr}`);

  // again: nothing changes
  const second = inRoot(root, script);
  t.equal(second.status, 0, `${second.stdout}\n${second.stderr}`);
  t.notMatch(second.stdout, /installing .* with apt-get/);
  t.match(second.stdout, /\/opt\/classcam: device and \d+ npm packages; nothing to change/);
  t.match(second.stdout, /classcam: nothing changed\n$/);
  t.same(manifest(root, promised), before, "the second run changed nothing");
});

void t.test(
  "install-controller.sh in a throwaway bookworm root, twice, with the school's TLS",
  async (t) => {
    ensureBuilt(t);
    const box = throwawayRoot(t, "server");
    const { root } = box;
    await tlsInit({
      out: join(root, "root/school-tls"),
      hosts: ["controller.school.local"],
      ips: [],
      school: "Test",
      days: 30,
      caDays: 30,
    });
    const script = [
      "/bin/bash",
      "/mnt/classcam/provisioning/install/install-controller.sh",
      "--from",
      "/mnt/classcam",
      "--tls",
      "/root/school-tls",
    ];
    const first = inRoot(root, script);
    t.equal(first.status, 0, `${first.stdout}\n${first.stderr}`);
    t.match(first.stdout, /wrote a starting \/etc\/classcam\/controller\.json/);
    const promised = [
      "opt/classcam",
      "etc/classcam",
      "var/lib/classcam",
      "etc/systemd/system/classcam-controller.service",
      "etc/systemd/system/multi-user.target.wants",
      "usr/bin/node",
    ];
    const before = manifest(root, promised);
    const groups = readFileSync(join(root, "etc/group"), "utf8");
    const classcam = Number(/^classcam:x:(\d+):/m.exec(groups)?.[1]);
    const mode = (rel: string) => {
      const stat = lstatSync(join(root, rel));
      return `${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid}`;
    };
    t.equal(
      mode("etc/classcam/tls/controller.key"),
      `640 0:${classcam}`,
      "the key: root and classcam only",
    );
    t.equal(mode("etc/classcam/controller.json"), `640 0:${classcam}`);
    t.notOk(existsSync(join(root, "etc/classcam/tls/ca.key")), "the CA's key stays with IT");
    t.notMatch(
      readFileSync(join(root, "etc/group"), "utf8"),
      /^gpio:/m,
      "a controller needs no gpio group",
    );
    t.equal(
      readlinkSync(
        join(root, "etc/systemd/system/multi-user.target.wants/classcam-controller.service"),
      ),
      "/etc/systemd/system/classcam-controller.service",
    );
    // the installed controller reads its starting config and the TLS files, as its user
    const list = inRoot(
      root,
      [
        "/usr/bin/env",
        "CLASSCAM_CONFIG=/etc/classcam/controller.json",
        "/usr/bin/node",
        "/opt/classcam/controller/bin/classcam-controller.mjs",
        "device",
        "list",
      ],
      "classcam:classcam",
    );
    t.equal(list.status, 0, list.stderr);
    t.equal(list.stdout, "no devices enrolled\n");
    // the installed unit as systemd reads it (the minbase root has no systemd of its own)
    const verify = run("systemd-analyze", [
      "verify",
      "--man=no",
      join(root, "etc/systemd/system/classcam-controller.service"),
    ]);
    t.equal(verify.status, 0, `systemd-analyze verify: ${verify.stdout}${verify.stderr}`);

    const second = inRoot(root, script);
    t.equal(second.status, 0, `${second.stdout}\n${second.stderr}`);
    t.match(second.stdout, /classcam: nothing changed\n$/);
    t.same(
      manifest(root, promised).filter((l) => !l.startsWith("var/lib/classcam/")),
      before.filter((l) => !l.startsWith("var/lib/classcam/")),
      "the second run changed nothing",
    );
  },
);
