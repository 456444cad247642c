/**
 * The hardware-in-the-loop rig: a QEMU guest running Debian's own kernel, with
 * the kernel's virtual drivers standing in for the classroom box's hardware —
 * `vivid` as the camera (/dev/video0), `snd-aloop` as the microphone (ALSA card
 * `Loopback`: what is played into hw:Loopback,0,0 is captured from
 * hw:Loopback,1,0). The guest sees the host's whole root read-only over 9p
 * under a tmpfs overlay, so it runs the host's own node, ffmpeg and checkout,
 * and may write anywhere without changing the host. An optional output
 * directory is shared writable, at the same path on both sides, to carry
 * files out.
 *
 * `prepareRig()` installs what is missing (QEMU, busybox-static, kmod, the
 * kernel package) and builds the initramfs, cached under `cacheDirectory()`;
 * `runInGuest()` boots a guest, runs one command in it and powers it off.
 * Booting is the slow part (about 10 s under TCG), so a test does all its
 * guest work in one command.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpioArchive, entriesOf } from "./cpio.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const INIT_SCRIPT = join(HERE, "guest-init.sh");
const MOCK_GPIO_SOURCE = join(HERE, "classcam-gpio.c");

/** Bumped whenever the initramfs layout changes in a way its inputs do not show. */
const INITRAMFS_FORMAT = 2;

export type Accelerator = "tcg" | "kvm";

/** What differs between the architectures the rig runs on; nothing else assumes x86. */
interface Platform {
  /** Debian's name for the architecture. */
  arch: string;
  /** The kernel's name for it (ARCH= for kbuild). */
  kernelArch: string;
  qemu: string;
  qemuPackage: string;
  kernelMetaPackage: string;
  console: string;
  machine: (accel: Accelerator) => string[];
}

const QBOOT = "/usr/share/qemu/qboot.rom";

const PLATFORMS: Partial<Record<string, Platform>> = {
  x64: {
    arch: "amd64",
    kernelArch: "x86",
    qemu: "qemu-system-x86_64",
    qemuPackage: "qemu-system-x86",
    kernelMetaPackage: "linux-image-amd64",
    console: "ttyS0",
    // qboot starts a -kernel guest a few seconds sooner than SeaBIOS
    machine: (accel) => [
      "-M",
      "pc",
      ...(existsSync(QBOOT) ? ["-bios", QBOOT] : []),
      ...(accel === "kvm" ? ["-cpu", "host"] : []),
    ],
  },
  arm64: {
    arch: "arm64",
    kernelArch: "arm64",
    qemu: "qemu-system-aarch64",
    qemuPackage: "qemu-system-arm",
    kernelMetaPackage: "linux-image-arm64",
    console: "ttyAMA0",
    machine: (accel) => ["-M", "virt", "-cpu", accel === "kvm" ? "host" : "max"],
  },
};

/** A kernel module the guest loads, with the dependencies the rig resolves for it. */
export interface GuestModule {
  name: string;
  /** Parameters as `modprobe` takes them. */
  params: string;
  /** A required module that fails to load stops the guest; an optional one is skipped. */
  need: "required" | "optional";
}

export const GUEST_MODULES: readonly GuestModule[] = [
  { name: "virtio_pci", params: "", need: "required" },
  { name: "9pnet_virtio", params: "", need: "required" },
  { name: "9p", params: "", need: "required" },
  { name: "overlay", params: "", need: "required" },
  // one capture node (/dev/video0) with one input, a webcam (input type 0)
  {
    name: "vivid",
    params: "n_devs=1 node_types=0x1 num_inputs=1 input_types=0x0",
    need: "required",
  },
  { name: "snd-aloop", params: "", need: "required" },
  // Debian's kernels build neither of these today; loaded if a kernel has them
  {
    name: "gpio-mockup",
    params: "gpio_mockup_ranges=-1,32 gpio_mockup_named_lines=1",
    need: "optional",
  },
  { name: "gpio-sim", params: "", need: "optional" },
];

export interface Rig {
  platform: Platform;
  /** The Debian package the kernel came from, e.g. `linux-image-6.1.0-56-amd64`. */
  kernelPackage: string;
  kernelPackageVersion: string;
  /** `uname -r` in the guest. */
  kernelRelease: string;
  kernel: string;
  initramfs: string;
  /** The modules the guest loads, in order. */
  modules: GuestModule[];
  /** Modules in GUEST_MODULES that this kernel package does not have. */
  absentModules: string[];
  /** The kernel's configuration for the GPIO options the device daemon cares about. */
  gpio: { sysfs: boolean; cdev: boolean; mockup: boolean; sim: boolean };
  /** The rig's own GPIO chip (classcam-gpio.c), when the kernel has sysfs GPIO. */
  mockGpio: MockGpio | null;
  /** Why there is no mockGpio, if there is none. */
  mockGpioProblem: string | null;
  accel: Accelerator;
  cacheDir: string;
}

/**
 * The GPIO chip the rig builds for the guest (classcam-gpio.c): a Pi's pin
 * controller as far as the device daemon can tell. Writing 1 or 0 to
 * `${debugfs}/<line>` sets what an input line sees (and raises its edge
 * interrupt); reading it gives the line's level, driven or seen.
 */
export interface MockGpio {
  module: string;
  label: string;
  lines: number;
  debugfs: string;
}

export const MOCK_GPIO: MockGpio = {
  module: "classcam-gpio",
  label: "pinctrl-bcm2835",
  lines: 54,
  debugfs: "/sys/kernel/debug/classcam-gpio",
};

export interface PrepareOptions {
  cacheDir?: string;
  /** `tcg` (the default), `kvm`, or `auto`; CLASSCAM_HIL_ACCEL when not given. */
  accel?: Accelerator | "auto";
  /** Progress messages (package installs, downloads, builds). */
  log?: (message: string) => void;
}

export interface GuestRun {
  /** An argument vector, or one string run by /bin/sh -c. */
  command: string | readonly string[];
  /** Added to the guest command's environment (PATH, HOME, LANG are set already). */
  env?: Record<string, string>;
  /** Working directory in the guest; the host's cwd by default (the guest sees the same tree). */
  cwd?: string;
  /**
   * A host directory shared writable with the guest at the same absolute path
   * (created if missing); the guest command finds it in CLASSCAM_HIL_OUTPUT.
   */
  outputDir?: string;
  timeoutSeconds?: number;
  memoryMiB?: number;
  cpus?: number;
  /** Each line the guest prints, as it comes: the kernel's and /init's, then the command's. */
  onOutput?: (line: string, from: "boot" | "command") => void;
  /** A rig from prepareRig(); prepared with its defaults when not given. */
  rig?: Rig;
  /** Aborting it powers the guest off at once (QEMU is killed) and rejects with a GuestError. */
  signal?: AbortSignal;
}

export interface GuestResult {
  /** The guest command's exit status. */
  status: number;
  /** What the command printed (stdout and stderr together). */
  output: string;
  /** What the kernel and /init printed before the command started. */
  bootLog: string;
  outputDir: string | undefined;
  /** Seconds from starting QEMU until the command started. */
  bootSeconds: number;
  /** Seconds from starting QEMU until it exited. */
  seconds: number;
}

/** The guest did not report an exit status: it timed out, failed to boot, or QEMU failed. */
export class GuestError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = "GuestError";
  }
}

/** Whether this host can run the rig at all, and why not. */
export function hilSupport(): { supported: true } | { supported: false; reason: string } {
  if (process.platform !== "linux") {
    return { supported: false, reason: `the HIL rig needs Linux (this is ${process.platform})` };
  }
  if (PLATFORMS[process.arch] === undefined) {
    return {
      supported: false,
      reason: `the HIL rig knows x64 and arm64 hosts, not ${process.arch}`,
    };
  }
  if (!hasCommand("apt-get") && !hasCommand("dpkg")) {
    return {
      supported: false,
      reason: "the HIL rig takes its kernel and QEMU from Debian packages",
    };
  }
  return { supported: true };
}

export function cacheDirectory(): string {
  const explicit = process.env.CLASSCAM_HIL_CACHE;
  if (explicit !== undefined && explicit !== "") return resolve(explicit);
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".cache"), "classcam-hil");
}

// ---------------------------------------------------------------------------
// host commands

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], cwd?: string): Ran {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C" },
  });
  if (result.error !== undefined) {
    return { status: null, stdout: "", stderr: `${command}: ${result.error.message}` };
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function must(command: string, args: readonly string[], cwd?: string): string {
  const result = run(command, args, cwd);
  if (result.status !== 0) {
    const said = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-8).join("\n");
    throw new Error(`'${command} ${args.join(" ")}' failed (exit ${result.status}): ${said}`);
  }
  return result.stdout;
}

function hasCommand(command: string): boolean {
  return run("sh", ["-c", `command -v ${command}`]).status === 0;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

function packageInstalled(name: string): boolean {
  const result = run("dpkg-query", ["-W", "-f=${Status}", name]);
  return result.status === 0 && result.stdout.trim() === "install ok installed";
}

/** apt-get as root: directly when this process is root, else through `sudo -n`. */
function apt(args: readonly string[]): Ran {
  if (isRoot()) return run("apt-get", args);
  if (!hasCommand("sudo")) {
    return { status: null, stdout: "", stderr: "not root, and there is no sudo" };
  }
  return run("sudo", ["-n", "apt-get", ...args]);
}

/** Installs the Debian packages that are missing; `apt-get update` only if the install fails. */
function ensurePackages(names: readonly string[], log: (message: string) => void): void {
  const missing = names.filter((name) => !packageInstalled(name));
  if (missing.length === 0) return;
  const install = ["install", "-y", "-qq", "--no-install-recommends", ...missing];
  log(`installing ${missing.join(" ")} with apt-get…`);
  if (apt(install).status === 0) return;
  log("apt-get install failed; running apt-get update and trying again…");
  apt(["update", "-qq"]);
  const again = apt(install);
  if (again.status !== 0) {
    throw new Error(
      `the HIL rig needs the Debian packages ${missing.join(" ")}, and apt-get could not ` +
        `install them: ${again.stderr.trim()}`,
    );
  }
}

function sbin(command: string): string {
  for (const dir of ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) {
    if (existsSync(join(dir, command))) return join(dir, command);
  }
  return command;
}

// ---------------------------------------------------------------------------
// the kernel package

interface KernelPackage {
  name: string;
  version: string;
}

/** The versioned kernel package the metapackage (linux-image-amd64) currently depends on. */
function kernelCandidate(meta: string): KernelPackage | null {
  const depends = run("apt-cache", ["depends", "--important", meta]);
  const name = /Depends: <?(linux-image-[^\s>]+)/.exec(depends.stdout)?.[1];
  if (depends.status !== 0 || name === undefined) return null;
  const shown = run("apt-cache", ["show", "--no-all-versions", name]);
  const version = /^Version: (\S+)$/m.exec(shown.stdout)?.[1];
  if (shown.status !== 0 || version === undefined) return null;
  return { name, version };
}

function kernelPackage(
  platform: Platform,
  cacheDir: string,
  log: (message: string) => void,
): KernelPackage & { deb: string } {
  const debs = join(cacheDir, "debs");
  mkdirSync(debs, { recursive: true });
  const cached = () =>
    readdirSync(debs)
      .filter((file) => file.startsWith("linux-image-") && file.endsWith(`_${platform.arch}.deb`))
      .sort()
      .reverse();
  let candidate = kernelCandidate(platform.kernelMetaPackage);
  if (candidate === null) {
    log(`apt knows no ${platform.kernelMetaPackage}; running apt-get update…`);
    apt(["update", "-qq"]);
    candidate = kernelCandidate(platform.kernelMetaPackage);
  }
  if (candidate === null) {
    // offline with an empty package list: a kernel downloaded earlier still works
    const newest = cached()[0];
    if (newest === undefined) {
      throw new Error(
        `cannot resolve ${platform.kernelMetaPackage} with apt-cache, and no kernel package is cached in ${debs}`,
      );
    }
    const [name = "", version = ""] = newest.replace(/\.deb$/, "").split("_");
    return { name, version: decodeURIComponent(version), deb: join(debs, newest) };
  }
  // apt-get download names the file name_version_arch.deb, with ':' (an epoch) as %3a
  const file = `${candidate.name}_${candidate.version.replace(/:/g, "%3a")}_${platform.arch}.deb`;
  const deb = join(debs, file);
  if (existsSync(deb)) return { ...candidate, deb };
  log(`downloading ${candidate.name} ${candidate.version} (about 70 MB) with apt-get download…`);
  const download = [
    "-o",
    "APT::Sandbox::User=root",
    "download",
    `${candidate.name}=${candidate.version}`,
  ];
  let fetched = run("apt-get", ["-qq", ...download], debs);
  if (fetched.status !== 0) {
    log("apt-get download failed; running apt-get update and trying again…");
    apt(["update", "-qq"]);
    fetched = run("apt-get", ["-qq", ...download], debs);
  }
  if (fetched.status !== 0 || !existsSync(deb)) {
    throw new Error(`apt-get download ${candidate.name} failed: ${fetched.stderr.trim()}`);
  }
  return { ...candidate, deb };
}

// ---------------------------------------------------------------------------
// the initramfs

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

interface BuiltKernel {
  release: string;
  kernel: string;
  initramfs: string;
  modules: GuestModule[];
  absentModules: string[];
  gpio: Rig["gpio"];
  mockGpio: MockGpio | null;
  mockGpioProblem: string | null;
}

/**
 * Builds classcam-gpio.ko against the guest kernel's headers (Debian's
 * linux-headers-<release>, installed if missing) into `into`.
 */
function buildMockGpio(
  platform: Platform,
  release: string,
  work: string,
  into: string,
  log: (message: string) => void,
): void {
  ensurePackages([`linux-headers-${release}`, "make"], log);
  const headers = `/usr/src/linux-headers-${release}`;
  if (!existsSync(join(headers, "Makefile"))) {
    throw new Error(`linux-headers-${release} is installed but ${headers} has no Makefile`);
  }
  log(`building ${MOCK_GPIO.module}.ko against ${headers}…`);
  const source = join(work, "mock-gpio");
  mkdirSync(source, { recursive: true });
  copyFileSync(MOCK_GPIO_SOURCE, join(source, `${MOCK_GPIO.module}.c`));
  writeFileSync(join(source, "Kbuild"), `obj-m := ${MOCK_GPIO.module}.o\n`);
  must("make", ["-C", headers, `M=${source}`, `ARCH=${platform.kernelArch}`, "modules"]);
  mkdirSync(into, { recursive: true });
  copyFileSync(join(source, `${MOCK_GPIO.module}.ko`), join(into, `${MOCK_GPIO.module}.ko`));
}

/**
 * Unpacks the kernel package (dpkg -x), copies the modules the guest loads
 * with their dependencies (resolved by modprobe against the package's own
 * modules.dep), and writes busybox, /init and those modules as a cpio archive.
 * Everything is cached under `dir`, keyed by what went into it.
 */
function buildKernel(
  platform: Platform,
  pkg: KernelPackage & { deb: string },
  dir: string,
  log: (message: string) => void,
): BuiltKernel {
  const init = readFileSync(INIT_SCRIPT, "utf8");
  const busybox = "/bin/busybox";
  const key = sha256(
    JSON.stringify({
      format: INITRAMFS_FORMAT,
      init,
      modules: GUEST_MODULES,
      busybox: sha256(readFileSync(busybox)),
      mockGpio: [MOCK_GPIO, readFileSync(MOCK_GPIO_SOURCE, "utf8")],
    }),
  ).slice(0, 16);
  const infoFile = join(dir, `initramfs-${key}.json`);
  if (existsSync(infoFile)) {
    const info = JSON.parse(readFileSync(infoFile, "utf8")) as BuiltKernel;
    if (existsSync(info.initramfs) && existsSync(info.kernel)) return info;
  }

  log(`building the guest's initramfs from ${pkg.name} ${pkg.version}…`);
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, ".build-"));
  try {
    const unpacked = join(work, "package");
    must("dpkg", ["-x", pkg.deb, unpacked]);
    // Debian 12 keeps modules in /lib/modules, later releases in /usr/lib/modules
    const modulesRoot = [join(unpacked, "lib/modules"), join(unpacked, "usr/lib/modules")].find(
      (path) => existsSync(path),
    );
    if (modulesRoot === undefined) throw new Error(`${pkg.deb} holds no kernel modules`);
    const [release] = readdirSync(modulesRoot);
    if (release === undefined) throw new Error(`${pkg.deb} holds no kernel modules`);
    const base = dirname(dirname(modulesRoot)); // depmod -b wants the dir above lib/modules
    must(sbin("depmod"), ["-b", base, release]);

    const boot = join(unpacked, "boot");
    const vmlinuz = readdirSync(boot).find((file) => file === `vmlinuz-${release}`);
    if (vmlinuz === undefined) throw new Error(`${pkg.deb} holds no boot/vmlinuz-${release}`);
    const config = readFileSync(join(boot, `config-${release}`), "utf8");
    const configured = (option: string) => new RegExp(`^CONFIG_${option}=[ym]$`, "m").test(config);

    // resolve each module's dependencies with the package's own modules.dep
    const staging = join(work, "initramfs");
    const stagedModules = join(staging, "lib/modules", release);
    mkdirSync(stagedModules, { recursive: true });
    const modules: GuestModule[] = [];
    const absentModules: string[] = [];
    for (const module of GUEST_MODULES) {
      const shown = run(sbin("modprobe"), [
        "-d",
        base,
        "-S",
        release,
        "--show-depends",
        module.name,
      ]);
      if (shown.status !== 0) {
        if (module.need === "required") {
          throw new Error(
            `${pkg.name} has no kernel module ${module.name}: ${shown.stderr.trim()}`,
          );
        }
        absentModules.push(module.name);
        continue;
      }
      let loadable = false;
      for (const line of shown.stdout.split("\n")) {
        const file = /^insmod (\S+)/.exec(line)?.[1];
        if (file === undefined) continue;
        const inside = relative(modulesRoot, file);
        mkdirSync(join(staging, "lib/modules", dirname(inside)), { recursive: true });
        copyFileSync(file, join(staging, "lib/modules", inside));
        loadable = true;
      }
      // a module built into the kernel needs no loading (arm64 builds virtio_pci in)
      if (loadable) modules.push(module);
    }
    // the daemon's button needs edge interrupts through sysfs GPIO: the rig's own chip
    // (a guest without it still has its camera and microphone; the next run tries again)
    let mockGpio: MockGpio | null = null;
    let mockGpioProblem: string | null = null;
    if (!configured("GPIO_SYSFS") || !configured("GPIOLIB_IRQCHIP")) {
      mockGpioProblem = `${pkg.name} is built without sysfs GPIO or GPIO interrupts`;
    } else {
      try {
        buildMockGpio(platform, release, work, join(stagedModules, "extra"), log);
        modules.push({
          name: MOCK_GPIO.module,
          params: `label=${MOCK_GPIO.label} lines=${MOCK_GPIO.lines}`,
          need: "required",
        });
        mockGpio = MOCK_GPIO;
      } catch (error) {
        mockGpioProblem = `could not build ${MOCK_GPIO.module}.ko: ${(error as Error).message}`;
        log(`${mockGpioProblem}; the guest will have no GPIO chip`);
      }
    }
    for (const file of ["modules.order", "modules.builtin", "modules.builtin.modinfo"]) {
      const from = join(modulesRoot, release, file);
      if (existsSync(from)) copyFileSync(from, join(stagedModules, file));
    }
    must(sbin("depmod"), ["-b", staging, release]);

    for (const sub of ["bin", "dev", "proc", "sys", "tmp", "hil", "etc/classcam-hil"]) {
      mkdirSync(join(staging, sub), { recursive: true });
    }
    copyFileSync(busybox, join(staging, "bin/busybox"));
    writeFileSync(join(staging, "init"), init, { mode: 0o755 });
    writeFileSync(
      join(staging, "etc/classcam-hil/modules"),
      modules.map((module) => `${module.need} ${module.name} ${module.params}\n`).join(""),
    );

    const kernel = join(dir, `vmlinuz-${release}`);
    const initramfs = join(dir, `initramfs-${key}.cpio`);
    copyFileSync(join(boot, vmlinuz), `${kernel}.tmp`);
    renameSync(`${kernel}.tmp`, kernel);
    writeFileSync(`${initramfs}.tmp`, cpioArchive(entriesOf(staging)));
    renameSync(`${initramfs}.tmp`, initramfs);
    const built: BuiltKernel = {
      release,
      kernel,
      initramfs,
      modules,
      absentModules,
      gpio: {
        sysfs: configured("GPIO_SYSFS"),
        cdev: configured("GPIO_CDEV"),
        mockup: configured("GPIO_MOCKUP"),
        sim: configured("GPIO_SIM"),
      },
      mockGpio,
      mockGpioProblem,
    };
    if (mockGpio === null && configured("GPIO_SYSFS")) return built; // not cached: retried
    writeFileSync(`${infoFile}.tmp`, JSON.stringify(built, null, 2));
    renameSync(`${infoFile}.tmp`, infoFile);
    // initramfs archives built from older inputs are of no more use
    for (const file of readdirSync(dir)) {
      if (
        /^initramfs-[0-9a-f]+\.(cpio|json)$/.test(file) &&
        !file.startsWith(`initramfs-${key}.`)
      ) {
        rmSync(join(dir, file), { force: true });
      }
    }
    return built;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// the accelerator

function wantedAccel(given: PrepareOptions["accel"]): Accelerator | "auto" {
  const wanted = given ?? process.env.CLASSCAM_HIL_ACCEL ?? "tcg";
  if (wanted === "" || wanted === "tcg") return "tcg";
  if (wanted === "kvm" || wanted === "auto") return wanted;
  throw new Error(`CLASSCAM_HIL_ACCEL is '${wanted}'; use tcg, kvm or auto`);
}

function kvmUsable(): boolean {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `auto`: boots a guest that runs `true` under KVM with a 20 s limit (a nested
 * KVM guest can hang at boot rather than fail), and remembers the answer for
 * as long as this host stays up.
 */
async function probeKvm(rig: Rig, log: (message: string) => void): Promise<Accelerator> {
  if (!kvmUsable()) return "tcg";
  let bootId = "unknown";
  try {
    bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    // no boot id: the probe is simply not remembered across hosts
  }
  const remembered = join(rig.cacheDir, `kvm-${bootId}`);
  if (existsSync(remembered)) {
    return readFileSync(remembered, "utf8").trim() === "kvm" ? "kvm" : "tcg";
  }
  log("probing whether a KVM guest boots here (at most 20 s)…");
  let accel: Accelerator = "tcg";
  try {
    const probe = await runInGuest({
      command: ["true"],
      rig: { ...rig, accel: "kvm" },
      timeoutSeconds: 20,
    });
    if (probe.status === 0) accel = "kvm";
  } catch {
    accel = "tcg";
  }
  log(`KVM ${accel === "kvm" ? "works" : "does not boot a guest"} here; using ${accel}`);
  writeFileSync(remembered, accel);
  return accel;
}

// ---------------------------------------------------------------------------

/** Installs what the rig needs and builds (or finds cached) the guest's kernel and initramfs. */
export async function prepareRig(options: PrepareOptions = {}): Promise<Rig> {
  const support = hilSupport();
  if (!support.supported) throw new Error(support.reason);
  const platform = PLATFORMS[process.arch];
  if (platform === undefined) throw new Error(`no HIL platform for ${process.arch}`);
  const log = options.log ?? (() => undefined);
  const cacheDir = options.cacheDir ?? cacheDirectory();
  const accel = wantedAccel(options.accel);
  if (accel === "kvm" && !kvmUsable()) {
    throw new Error("CLASSCAM_HIL_ACCEL=kvm, but /dev/kvm is missing or not writable");
  }

  // espeak-ng and aplay: the box's speaker, which the guest runs from the host's root
  ensurePackages([platform.qemuPackage, "busybox-static", "kmod", "espeak-ng", "alsa-utils"], log);
  mkdirSync(cacheDir, { recursive: true });
  const pkg = kernelPackage(platform, cacheDir, log);
  const kernels = join(cacheDir, "kernel");
  const current = `${pkg.name}_${pkg.version}`;
  const built = buildKernel(platform, pkg, join(kernels, current), log);
  // a kernel package the metapackage no longer points to is of no more use
  for (const entry of readdirSync(kernels)) {
    if (entry !== current) rmSync(join(kernels, entry), { recursive: true, force: true });
  }
  for (const deb of readdirSync(dirname(pkg.deb))) {
    if (join(dirname(pkg.deb), deb) !== pkg.deb)
      rmSync(join(dirname(pkg.deb), deb), { force: true });
  }
  const rig: Rig = {
    platform,
    kernelPackage: pkg.name,
    kernelPackageVersion: pkg.version,
    kernelRelease: built.release,
    kernel: built.kernel,
    initramfs: built.initramfs,
    modules: built.modules,
    absentModules: built.absentModules,
    gpio: built.gpio,
    mockGpio: built.mockGpio,
    mockGpioProblem: built.mockGpioProblem,
    accel: accel === "auto" ? "tcg" : accel,
    cacheDir,
  };
  if (accel === "auto") rig.accel = await probeKvm(rig, log);
  return rig;
}

/** Quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// eslint-disable-next-line no-control-regex -- the console's escape sequences are what it strips
const TERMINAL_CODES = /\x1b(\[[0-9;?]*[A-Za-z]|[c()][0-9A-B]?)|\r/g;

/** Boots a guest, runs `run.command` in it, and resolves with its exit status and output. */
export async function runInGuest(run: GuestRun): Promise<GuestResult> {
  const rig = run.rig ?? (await prepareRig());
  const argv = typeof run.command === "string" ? ["/bin/sh", "-c", run.command] : [...run.command];
  if (argv.length === 0 || argv[0] === "") throw new Error("runInGuest needs a command");
  const cwd = run.cwd ?? process.cwd();
  if (!isAbsolute(cwd)) throw new Error(`the guest's working directory must be absolute: ${cwd}`);
  const timeoutSeconds = run.timeoutSeconds ?? 300;
  const memoryMiB = run.memoryMiB ?? 2048;
  const cpus = run.cpus ?? 2;
  if (!(timeoutSeconds > 0)) throw new Error(`timeoutSeconds must be positive: ${timeoutSeconds}`);
  if (!Number.isInteger(memoryMiB) || memoryMiB < 256) {
    throw new Error(`memoryMiB must be a whole number of at least 256: ${memoryMiB}`);
  }
  if (!Number.isInteger(cpus) || cpus < 1)
    throw new Error(`cpus must be a whole number ≥ 1: ${cpus}`);
  const env: Record<string, string> = {
    PATH: GUEST_PATH,
    HOME: "/root",
    LANG: "C.UTF-8",
    TERM: "dumb",
    CLASSCAM_HIL: "1",
    ...run.env,
  };
  for (const name of Object.keys(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`'${name}' is not a valid environment variable name`);
    }
  }
  let outputDir: string | undefined;
  if (run.outputDir !== undefined) {
    outputDir = resolve(run.outputDir);
    mkdirSync(outputDir, { recursive: true });
    if (!statSync(outputDir).isDirectory()) throw new Error(`${outputDir} is not a directory`);
    env.CLASSCAM_HIL_OUTPUT = outputDir;
  }

  const nonce = randomBytes(12).toString("hex");
  const settings = [
    `NONCE=${shellQuote(nonce)}`,
    `WORKDIR=${shellQuote(cwd)}`,
    `OUTPUT_DIR=${shellQuote(outputDir ?? "")}`,
  ].join("\n");
  const script = [
    `cd ${shellQuote(cwd)} || { echo ${shellQuote(`classcam-hil: the guest has no directory ${cwd}`)}; exit 125; }`,
    `exec env -i ${Object.entries(env)
      .map(([name, value]) => shellQuote(`${name}=${value}`))
      .join(" ")} ${argv.map(shellQuote).join(" ")}`,
  ].join("\n");
  const work = mkdtempSync(join(tmpdir(), "classcam-hil-"));
  const initrd = join(work, "initrd.cpio");
  writeFileSync(
    initrd,
    Buffer.concat([
      readFileSync(rig.initramfs),
      cpioArchive([
        { path: "hil", kind: "directory", mode: 0o755 },
        { path: "hil/run.conf", kind: "file", mode: 0o644, data: `${settings}\n` },
        { path: "hil/command.sh", kind: "file", mode: 0o755, data: `${script}\n` },
      ]),
    ]),
  );

  const virtfs = (path: string, tag: string, readonly: boolean) =>
    `local,path=${path.replace(/,/g, ",,")},mount_tag=${tag},security_model=none,` +
    `${readonly ? "readonly=on," : ""}multidevs=remap`;
  const args = [
    "-nographic",
    "-nodefaults",
    "-no-user-config",
    "-no-reboot",
    "-serial",
    "stdio",
    ...rig.platform.machine(rig.accel),
    "-accel",
    rig.accel,
    "-m",
    `${memoryMiB}M`,
    "-smp",
    String(cpus),
    "-kernel",
    rig.kernel,
    "-initrd",
    initrd,
    "-append",
    `console=${rig.platform.console} quiet panic=-1`,
    "-virtfs",
    virtfs("/", "hostroot", true),
    ...(outputDir === undefined ? [] : ["-virtfs", virtfs(outputDir, "hilout", false)]),
  ];

  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  // setpriv makes the kernel end QEMU when this process dies, however it dies
  const qemu = hasCommand("setpriv")
    ? spawn("setpriv", ["--pdeathsig", "KILL", "--", rig.platform.qemu, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
      })
    : spawn(rig.platform.qemu, args, { stdio: ["ignore", "pipe", "pipe"] });
  const killQemu = () => qemu.kill("SIGKILL");
  process.once("exit", killQemu);

  const ready = new RegExp(`^@@classcam-hil ready nonce=${nonce}@@$`);
  // the command's last line may lack its newline, so the marker can end a line of output
  const finished = new RegExp(`^(.*)@@classcam-hil exit=(\\d+) nonce=${nonce}@@$`);
  // filled in by the output handlers while QEMU runs
  const seen = {
    bootLog: "",
    output: "",
    bootSeconds: null as number | null,
    status: null as number | null,
    partial: "",
    stderr: "",
  };
  const record = (line: string) => {
    if (seen.bootSeconds === null) seen.bootLog += `${line}\n`;
    else seen.output += `${line}\n`;
    run.onOutput?.(line, seen.bootSeconds === null ? "boot" : "command");
  };
  const onLine = (raw: string) => {
    const line = raw.replace(TERMINAL_CODES, "");
    if (ready.test(line)) {
      seen.bootSeconds = seconds();
      return;
    }
    const exit = finished.exec(line);
    if (exit !== null) {
      const [, before = "", status] = exit;
      if (before !== "") record(before);
      seen.status = Number(status);
      return;
    }
    if (seen.status !== null) return; // the kernel saying "Power down"
    record(line);
  };
  qemu.stdout.setEncoding("utf8");
  qemu.stdout.on("data", (chunk: string) => {
    const lines = (seen.partial + chunk).split("\n");
    seen.partial = lines.pop() ?? "";
    lines.forEach(onLine);
  });
  qemu.stderr.setEncoding("utf8");
  qemu.stderr.on("data", (chunk: string) => {
    seen.stderr += chunk;
  });

  try {
    const stopped = { aborted: false };
    const exited = await new Promise<{ code: number | null; timedOut: boolean; error?: Error }>(
      (done) => {
        const timer = setTimeout(() => {
          killQemu();
          done({ code: null, timedOut: true });
        }, timeoutSeconds * 1000);
        qemu.once("error", (error) => {
          clearTimeout(timer);
          done({ code: null, timedOut: false, error });
        });
        qemu.once("close", (code) => {
          clearTimeout(timer);
          run.signal?.removeEventListener("abort", abort);
          done({ code, timedOut: false });
        });
        const abort = () => {
          killQemu();
          stopped.aborted = true;
        };
        if (run.signal?.aborted === true) abort();
        run.signal?.addEventListener("abort", abort);
      },
    );
    if (seen.partial !== "") onLine(seen.partial);
    const { bootLog, output, bootSeconds, status, stderr } = seen;
    const everything = bootLog + output;
    const tail = everything.split("\n").slice(-40).join("\n");
    if (exited.error !== undefined) {
      throw new GuestError(
        `${rig.platform.qemu} could not start: ${exited.error.message}`,
        everything,
      );
    }
    if (stopped.aborted)
      throw new GuestError("the guest run was aborted; QEMU was killed", everything);
    if (exited.timedOut) {
      throw new GuestError(
        `the guest did not finish within ${timeoutSeconds} s (${bootSeconds === null ? "still booting" : "the command was still running"}); QEMU was killed. Last output:\n${tail}`,
        everything,
      );
    }
    if (status === null || bootSeconds === null) {
      throw new GuestError(
        `the guest stopped without reporting an exit status (QEMU exit ${exited.code})` +
          `${stderr.trim() === "" ? "" : `; QEMU said: ${stderr.trim()}`}. Last output:\n${tail}`,
        everything,
      );
    }
    return { status, output, bootLog, outputDir, bootSeconds, seconds: seconds() };
  } finally {
    process.removeListener("exit", killQemu);
    rmSync(work, { recursive: true, force: true });
  }
}
