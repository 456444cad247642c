/**
 * Runs one command in the HIL guest (see rig.ts) and exits with its status:
 *
 *   node --import=tsx test/hil/run.ts [options] -- <command...>
 */
import { parseArgs } from "node:util";
import { GuestError, prepareRig, runInGuest } from "./rig.js";

const HELP = `Usage: node --import=tsx test/hil/run.ts [options] -- <command...>

Boots a QEMU guest on Debian's kernel with the vivid camera (/dev/video0) and
the ALSA loopback card (Loopback) loaded, the host's root mounted read-only
under a tmpfs overlay, and runs <command...> in it as root, in the current
directory. Prints what the guest prints and exits with the command's status.

Options:
  --timeout S     kill the guest after S seconds (default 600); exit 124
  --mem M         guest memory in MiB (default 2048)
  --cpus N        guest CPUs (default 2)
  --output DIR    share DIR writable with the guest, at the same path
                  (the command finds it in CLASSCAM_HIL_OUTPUT)
  --accel A       tcg (default), kvm, or auto (probe KVM once per host boot);
                  CLASSCAM_HIL_ACCEL sets the default
  --quiet         do not print the kernel's boot messages
  --help          show this

A guest that fails to boot exits 125. The first run installs QEMU,
busybox-static and kmod with apt-get and downloads the kernel package into
the cache (CLASSCAM_HIL_CACHE, default ~/.cache/classcam-hil).`;

function fail(message: string, code: number): never {
  process.stderr.write(`hil: ${message}\n`);
  process.exit(code);
}

const split = process.argv.indexOf("--", 2);
const own = split === -1 ? process.argv.slice(2) : process.argv.slice(2, split);
const command = split === -1 ? [] : process.argv.slice(split + 1);

let parsed;
try {
  parsed = parseArgs({
    args: own,
    options: {
      timeout: { type: "string" },
      mem: { type: "string" },
      cpus: { type: "string" },
      output: { type: "string" },
      accel: { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean" },
    },
    allowPositionals: false,
    strict: true,
  }).values;
} catch (error) {
  fail(`${(error as Error).message}\n\n${HELP}`, 2);
}
if (parsed.help === true) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
if (command.length === 0) fail(`no command given after --\n\n${HELP}`, 2);

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    fail(`--${name} wants a positive number, not '${value}'`, 2);
  return number;
}
const timeoutSeconds = positive("timeout", parsed.timeout, 600);
const memoryMiB = positive("mem", parsed.mem, 2048);
const cpus = positive("cpus", parsed.cpus, 2);
const accel = parsed.accel;
if (accel !== undefined && accel !== "tcg" && accel !== "kvm" && accel !== "auto") {
  fail(`--accel wants tcg, kvm or auto, not '${accel}'`, 2);
}

// Ctrl-C or a SIGTERM powers the guest off rather than leaving QEMU behind
const stop = new AbortController();
const interrupted = { signal: "" };
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted.signal = signal;
    stop.abort();
  });
}

try {
  const rig = await prepareRig({
    log: (message) => process.stderr.write(`hil: ${message}\n`),
    ...(accel === undefined ? {} : { accel }),
  });
  process.stderr.write(
    `hil: booting ${rig.kernelPackage} ${rig.kernelPackageVersion} under ${rig.accel}…\n`,
  );
  const result = await runInGuest({
    rig,
    command,
    timeoutSeconds,
    memoryMiB,
    cpus,
    signal: stop.signal,
    ...(parsed.output === undefined ? {} : { outputDir: parsed.output }),
    onOutput: (line, from) => {
      if (from === "boot" && parsed.quiet === true) return;
      process.stdout.write(`${line}\n`);
    },
  });
  process.stderr.write(
    `hil: exit ${result.status} (booted in ${result.bootSeconds.toFixed(1)} s, ${result.seconds.toFixed(1)} s in all)\n`,
  );
  process.exitCode = result.status;
} catch (error) {
  if (interrupted.signal !== "") fail(`stopped by ${interrupted.signal}`, 130);
  if (error instanceof GuestError) {
    fail(error.message, error.message.includes("did not finish within") ? 124 : 125);
  }
  fail((error as Error).message, 125);
}
