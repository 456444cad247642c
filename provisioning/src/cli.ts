/**
 * `classcam-provision`: IT's tool to enrol, rotate, retire and check classroom
 * boxes against the school's controller, and to set up the school's TLS.
 * Every argument is checked before anything happens; a bad one exits 2 naming
 * it; the controller's refusals are shown in its words.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { deviceIdProblem } from "@classcam/protocol";
import { ControllerClient, ControllerError } from "./api.js";
import {
  BundleExists,
  CA_FILE,
  DEFAULT_DATA_DIR,
  PLACEHOLDER_SECRET,
  SETTINGS_FILE,
  bundleProblem,
  destinationProblem,
  readBundle,
  replaceSecret,
  writeBundle,
  type BundleInput,
  type CameraIdentity,
} from "./bundle.js";
import { CsvError, bulkEnrol, problemLine, readRooms, summary, type BulkDefaults } from "./bulk.js";
import { checkBundle } from "./check.js";
import { COLUMNS, pinProblem, roomProblem } from "./csv.js";
import { askPassword } from "./prompt.js";
import { TlsError, hostProblem, tlsImport, tlsInit, tlsInstructions } from "./tls.js";
import { isIP } from "node:net";

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Redraws the progress line (a terminal only). */
  progress: (text: string) => void;
  /** Whether stdout is a terminal (progress bar) or not (plain lines). */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  askPassword: (question: string) => Promise<string | null>;
}

export const processIo = (): Io => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: (text) => process.stderr.write(`\r${text}\x1b[K`),
  isTTY: process.stdout.isTTY && process.stderr.isTTY,
  env: process.env,
  askPassword,
});

/** Whether the controller serves HTTPS itself (http.tls in its config). */
export const CONTROLLER_HTTPS = true;

const NAME = "classcam-provision";

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

// ------------------------------------------------------------------ help

const CONTROLLER_OPTIONS = `Controller (where the devices are enrolled):
  --controller URL     the controller's HTTP(S) address, e.g. https://controller.school.local:8443
                       (or CLASSCAM_CONTROLLER)
  --user ID            an account with the IT role (or CLASSCAM_USER); its password comes from
                       CLASSCAM_PASSWORD or is asked on the terminal — never as an argument
  --ca FILE            the school CA (tls init): trusted for the controller's HTTPS, and put in
                       each bundle as ca.pem — the device then trusts that CA and nothing else
                       (or CLASSCAM_CA)
  --mqtt URL           the address devices connect to; default mqtts://HOST:8883 with --ca,
                       else mqtt://HOST:1883 (HOST from --controller)`;

const HARDWARE_OPTIONS = `Box (written into the bundle; the daemon's defaults otherwise):
  --lamp-pin N             GPIO (BCM) line of the recording lamp (default 17)
  --lamp-active-low        the lamp lights on a low output
  --button-pin N           GPIO (BCM) line of the record button (default 27)
  --button-active-high     a press drives the line high (default: pulls it low)
  --camera-card NAME       which camera: its V4L2 card name (v4l2-ctl --info)
  --camera-driver NAME     … its V4L2 driver, e.g. uvcvideo
  --camera-bus INFO        … its V4L2 bus info, e.g. usb-0000:01:00.0-1.2 (the USB port)
  --camera-device PATH     a fixed node instead, e.g. /dev/video0 (not with the three above)
  --data-dir DIR           the buffer's folder on the box (default ${DEFAULT_DATA_DIR})
  --backend linux|sim      the box's hardware (default linux; sim for demos and tests)`;

export const HELP: Record<string, string> = {
  main: `Usage: ${NAME} <command> [options]

Enrol, rotate, retire and check classroom boxes against the school's
controller, and set up the school's TLS.

Commands:
  enrol ID --room ROOM --out DIR   enrol one box; write its configuration bundle
  bulk --csv FILE --out DIR        enrol many rooms from a CSV, with a summary
  rotate ID --bundle DIR           issue a new secret; the old one stops working
  retire ID --yes                  retire a box for good: it wipes its buffer
  check BUNDLE                     check a bundle and that the box can reach the controller
  tls init --out DIR --host NAME   create the school CA and the controller's certificate
  tls import --cert F --key F --ca F --out DIR
                                   take the school's own certificate, key and CA

Run '${NAME} <command> --help' for a command's options and examples.

Exit status: 0 done, 1 refused or failed (said why), 2 bad arguments,
3 (check) the box is retired.`,

  enrol: `Usage: ${NAME} enrol ID --room ROOM (--out DIR | --boot MOUNT) [options]

Enrols the box ID for ROOM: the controller issues a new secret, shown to no
one and stored there only as a hash; it goes straight into the box's
configuration bundle (device.json, and ca.pem with --ca). Everything is
checked before the controller is asked; a bundle is written whole or not at
all, never over another.

  ID                   the device id: lower-case letters, digits, hyphens (e.g. room-12)
  --room ROOM          the room's name as staff know it
  --out DIR            write the bundle into DIR (a new or empty folder)
  --boot MOUNT         write it to a Raspberry Pi SD card's boot partition (MOUNT/classcam);
                       install-device.sh picks it up there and removes it

${CONTROLLER_OPTIONS}

${HARDWARE_OPTIONS}

Examples:
  export CLASSCAM_CONTROLLER=https://controller.school.local:8443 CLASSCAM_USER=it-jo
  ${NAME} enrol room-12 --room "Room 12" --ca school-tls/ca.pem --boot /media/jo/bootfs
  ${NAME} enrol lab-2 --room "Science lab 2" --out bundles/lab-2 --ca school-tls/ca.pem \\
      --camera-card "HD Pro Webcam C920" --lamp-pin 22`,

  bulk: `Usage: ${NAME} bulk --csv FILE --out DIR [--all-or-nothing] [options]

Enrols every room of the CSV and writes each box's bundle to DIR/<device id>.
Every row is checked first (its fields, a bundle the box accepts, device ids
repeated in the CSV or already on the controller, a bundle already in DIR);
each problem is reported with its line number. The good rows then go
through, unless --all-or-nothing is given: then one bad row means nothing is
enrolled and nothing is written. A progress bar shows on a terminal, plain
lines otherwise; a summary closes.

  --csv FILE           the rooms; a header line, then one room per line
  --out DIR            where the bundles go (one folder per device)
  --all-or-nothing     enrol nothing unless every row is good

CSV columns (header names; room and deviceId required, the rest may be empty):
${Object.entries(COLUMNS)
  .map(([name, help]) => `  ${name.padEnd(16)} ${help}`)
  .join("\n")}
The options below give the values for columns a row leaves empty.

${CONTROLLER_OPTIONS}

${HARDWARE_OPTIONS}

Example (rooms.csv):
  room,deviceId,lampPin,cameraBus
  Room 1,room-1,,
  "Science lab 2, north",lab-2,22,usb-0000:01:00.0-1.2

  ${NAME} bulk --csv rooms.csv --out bundles --ca school-tls/ca.pem --all-or-nothing`,

  rotate: `Usage: ${NAME} rotate ID (--bundle DIR | --out DIR [options])

Issues a new secret for the box ID; the old one stops working at once (the
box is disconnected). The new secret goes into the box's bundle: --bundle
replaces it in an existing bundle folder (nothing else changes), --out
writes a new bundle from the options, as enrol does.

  --bundle DIR         the box's current bundle folder (or its device.json)
  --out DIR            a new bundle instead (with the box options below)

${CONTROLLER_OPTIONS}

${HARDWARE_OPTIONS}

Examples:
  ${NAME} rotate room-12 --bundle bundles/room-12
  ${NAME} rotate room-12 --out /media/jo/bootfs/classcam --ca school-tls/ca.pem`,

  retire: `Usage: ${NAME} retire ID --yes

Retires the box ID for good: its credentials stop working for anything but
being told it is retired. When it next connects (at once if it is online, or
at its next start) it stops recording, wipes its buffer, reports the wipe
(the controller's audit log records it) and never records again. Its id is
never reused. Footage still only on the box is lost: hold or upload what
must be kept first.

  --yes                retiring cannot be undone: say so

${CONTROLLER_OPTIONS}

Example:
  ${NAME} retire room-12 --yes`,

  check: `Usage: ${NAME} check BUNDLE [--no-connect] [--timeout SECONDS]

Checks a bundle (a folder with device.json, or the file itself) as the box
will load it, then connects to the controller as the box would — its
address, TLS trusting only the bundle's CA, its own secret — and says what
the controller answered: accepted, wrong or rotated-away secret, disabled,
retired, unreachable, or a TLS certificate from another CA. Run on the box
itself, it also finds a box that has retired itself.
Connecting replaces the box's own connection for a moment if it is running.

  --no-connect         check the bundle only
  --timeout SECONDS    how long to wait for the controller (default 10)

Exit status: 0 good, 1 a problem (said which), 2 bad arguments, 3 retired.

Example:
  ${NAME} check /media/jo/bootfs/classcam`,

  tls: `Usage: ${NAME} tls init --out DIR --host NAME [--host NAME…] [--ip ADDRESS…]
                         [--school NAME] [--days N]
       ${NAME} tls import --cert FILE --key FILE --ca FILE --out DIR

init creates a school CA (ca.pem, and its key ca.key, readable by you only)
and the controller's certificate (controller.pem, controller.key) signed by
it, for the host names and addresses given. import takes the school's own
certificate, key and CA instead, checks that they belong together (the key
is the certificate's, the certificate chains to the CA and is valid now),
and copies them into DIR. Both print the controller config lines to use them.

  --out DIR            a new or empty folder (a CA is never written over)
  --host NAME          a name the devices and browsers use for the controller (repeatable)
  --ip ADDRESS         an address they use (repeatable)
  --school NAME        shown in the certificates (default "School")
  --days N             the controller certificate's lifetime (default 825; the CA's is 10 years)

Examples:
  ${NAME} tls init --out school-tls --host controller.school.local --ip 10.0.0.5 \\
      --school "Hilltop Academy"
  ${NAME} tls import --cert server.crt --key server.key --ca school-root.pem --out school-tls`,
};

// ------------------------------------------------------------------ arguments

const HARDWARE_SPEC = {
  "lamp-pin": { type: "string" },
  "lamp-active-low": { type: "boolean" },
  "button-pin": { type: "string" },
  "button-active-high": { type: "boolean" },
  "camera-card": { type: "string" },
  "camera-driver": { type: "string" },
  "camera-bus": { type: "string" },
  "camera-device": { type: "string" },
  "data-dir": { type: "string" },
  backend: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

const CONTROLLER_SPEC = {
  controller: { type: "string" },
  user: { type: "string" },
  ca: { type: "string" },
  mqtt: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

const HELP_SPEC = { help: { type: "boolean", short: "h" } } as const;

type Values = Record<string, string | boolean | string[] | undefined>;

function str(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

function pin(values: Values, name: string): number | undefined {
  const text = str(values, name);
  if (text === undefined) return undefined;
  const problem = pinProblem(`--${name}`, text);
  if (problem !== null) throw new UsageError(problem);
  return Number(text);
}

function readFile(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(
      `cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

interface ControllerChoice {
  url: string;
  user: string;
  ca: Buffer | undefined;
  mqttUrl: string;
}

function controllerChoice(values: Values, env: NodeJS.ProcessEnv): ControllerChoice {
  const url = str(values, "controller") ?? env.CLASSCAM_CONTROLLER;
  if (url === undefined || url === "") {
    throw new UsageError("which controller? give --controller URL (or set CLASSCAM_CONTROLLER)");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `--controller '${url}' is not a URL (e.g. https://controller.school.local:8443)`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`--controller '${url}' must start with http:// or https://`);
  }
  const user = str(values, "user") ?? env.CLASSCAM_USER;
  if (user === undefined || user === "") {
    throw new UsageError(
      "which account? give --user ID (an account with the IT role) or set CLASSCAM_USER",
    );
  }
  const caFile = str(values, "ca") ?? (env.CLASSCAM_CA === "" ? undefined : env.CLASSCAM_CA);
  const ca = caFile === undefined ? undefined : readFile("CA certificate", caFile);
  const mqttUrl =
    str(values, "mqtt") ??
    (ca !== undefined ? `mqtts://${parsed.hostname}:8883` : `mqtt://${parsed.hostname}:1883`);
  if (!/^mqtts?:\/\/[^/]+/.test(mqttUrl)) {
    throw new UsageError(
      `--mqtt '${mqttUrl}' must look like mqtts://host:8883 or mqtt://host:1883`,
    );
  }
  if (mqttUrl.startsWith("mqtts://") && ca === undefined) {
    throw new UsageError("an mqtts:// address needs the school CA: give --ca FILE");
  }
  return { url, user, ca, mqttUrl };
}

function hardwareChoice(values: Values): Omit<BundleInput, "deviceId" | "secret" | "mqttUrl"> {
  const backend = str(values, "backend") ?? "linux";
  if (backend !== "linux" && backend !== "sim") {
    throw new UsageError(`--backend must be linux or sim, not '${backend}'`);
  }
  const camera: CameraIdentity = {};
  const card = str(values, "camera-card");
  const driver = str(values, "camera-driver");
  const busInfo = str(values, "camera-bus");
  const device = str(values, "camera-device");
  if (card !== undefined) camera.card = card;
  if (driver !== undefined) camera.driver = driver;
  if (busInfo !== undefined) camera.busInfo = busInfo;
  if (device !== undefined) camera.device = device;
  const lampPin = pin(values, "lamp-pin");
  const buttonPin = pin(values, "button-pin");
  return {
    backend,
    dataDir: str(values, "data-dir") ?? DEFAULT_DATA_DIR,
    ...(lampPin !== undefined && { lampPin }),
    ...(values["lamp-active-low"] === true && { lampActiveLow: true }),
    ...(buttonPin !== undefined && { buttonPin }),
    ...(values["button-active-high"] === true && { buttonActiveLow: false }),
    ...(Object.keys(camera).length > 0 && { camera }),
  };
}

function deviceId(positionals: readonly string[], command: string): string {
  const [id, ...extra] = positionals;
  if (id === undefined) throw new UsageError(`'${command}' needs a device id, e.g. room-12`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra.join(" ")}'`);
  const problem = deviceIdProblem(id);
  if (problem !== null) throw new UsageError(`device id '${id}': ${problem}`);
  return id;
}

/** The bundle folder from --out or --boot (MOUNT/classcam on a Pi's boot partition). */
/**
 * The bundle `id` will get (its secret comes from the controller later), checked
 * with where it goes before anything is asked of the controller.
 */
function plannedBundle(
  values: Values,
  id: string,
  choice: ControllerChoice,
  target: string,
): BundleInput {
  const input: BundleInput = {
    ...hardwareChoice(values),
    deviceId: id,
    secret: PLACEHOLDER_SECRET,
    mqttUrl: choice.mqttUrl,
    ...(choice.ca !== undefined && { ca: choice.ca }),
  };
  const problem = bundleProblem(input) ?? destinationProblem(target);
  if (problem !== null) throw new UsageError(problem);
  return input;
}

function bundleTarget(values: Values): string {
  const out = str(values, "out");
  const boot = str(values, "boot");
  if (out !== undefined && boot !== undefined)
    throw new UsageError("give --out or --boot, not both");
  if (out !== undefined) return resolve(out);
  if (boot === undefined)
    throw new UsageError("where should the bundle go? give --out DIR or --boot MOUNT");
  if (!existsSync(join(boot, "config.txt")) && !existsSync(join(boot, "cmdline.txt"))) {
    throw new UsageError(
      `${boot} does not look like a Raspberry Pi boot partition (no config.txt or cmdline.txt)`,
    );
  }
  return resolve(boot, "classcam");
}

async function signedIn(choice: ControllerChoice, io: Io): Promise<ControllerClient> {
  const password =
    io.env.CLASSCAM_PASSWORD !== undefined && io.env.CLASSCAM_PASSWORD !== ""
      ? io.env.CLASSCAM_PASSWORD
      : await io.askPassword(`password for ${choice.user} at ${choice.url}: `);
  if (password === null || password === "") {
    throw new UsageError("no password: set CLASSCAM_PASSWORD, or run on a terminal to be asked");
  }
  const client = new ControllerClient({ url: choice.url, ...(choice.ca && { ca: choice.ca }) });
  await client.signIn(choice.user, password);
  return client;
}

function describeBundle(dir: string, ca: boolean): string {
  return `bundle written to ${dir} (${SETTINGS_FILE}${ca ? `, ${CA_FILE}` : ""})`;
}

const SECRET_NOTE =
  "The secret is in the bundle only (the controller keeps just its hash): keep the bundle\n" +
  "safe until it is installed; install-device.sh moves it to /etc/classcam.";

// ------------------------------------------------------------------ commands

type Command = (values: Values, positionals: string[], io: Io) => Promise<number>;

async function enrol(values: Values, positionals: string[], io: Io): Promise<number> {
  const id = deviceId(positionals, "enrol");
  const room = str(values, "room");
  if (room === undefined) throw new UsageError("'enrol' needs --room ROOM");
  const roomIssue = roomProblem(room);
  if (roomIssue !== null) throw new UsageError(`--room: ${roomIssue}`);
  const target = bundleTarget(values);
  const choice = controllerChoice(values, io.env);
  const input = plannedBundle(values, id, choice, target);
  const client = await signedIn(choice, io);
  try {
    const { device, secret } = await client.enrol(id, room);
    io.out(`enrolled ${device.id} (${device.room})`);
    try {
      writeBundle(target, { ...input, secret });
    } catch (error) {
      io.err(
        `${NAME} enrol: ${device.id} is enrolled, but its bundle could not be written: ${(error as Error).message}\n` +
          `Get a new secret into a bundle with '${NAME} rotate ${device.id} --out DIR'.`,
      );
      return 1;
    }
    io.out(describeBundle(target, choice.ca !== undefined));
    io.out(SECRET_NOTE);
    return 0;
  } finally {
    await client.signOut();
  }
}

async function bulk(values: Values, positionals: string[], io: Io): Promise<number> {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals.join(" ")}'`);
  const csv = str(values, "csv");
  const out = str(values, "out");
  if (csv === undefined) throw new UsageError("'bulk' needs --csv FILE");
  if (out === undefined) throw new UsageError("'bulk' needs --out DIR");
  const choice = controllerChoice(values, io.env);
  const defaults: BulkDefaults = {
    ...hardwareChoice(values),
    mqttUrl: choice.mqttUrl,
    ...(choice.ca !== undefined && { ca: choice.ca }),
  };
  const text = readFile("CSV", csv).toString("utf8");
  let rooms;
  try {
    rooms = readRooms(text);
  } catch (error) {
    if (error instanceof CsvError) {
      for (const problem of error.problems) io.err(`${NAME} bulk: ${csv}: ${problem}`);
      return 2;
    }
    throw error;
  }
  const allOrNothing = values["all-or-nothing"] === true;
  const client = await signedIn(choice, io);
  let outcome;
  try {
    const bar = (done: number, total: number, label: string) => {
      const width = 30;
      const filled = Math.round((done / total) * width);
      io.progress(`[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${label}`);
    };
    outcome = await bulkEnrol(
      client,
      rooms.rows,
      rooms.problems,
      { out: resolve(out), defaults, allOrNothing },
      (done, total, row, result) => {
        if (io.isTTY) bar(done, total, row.deviceId);
        else if (result === "enrolled") io.out(`enrolled ${row.deviceId} (${row.room.trim()})`);
      },
    );
  } finally {
    await client.signOut();
  }
  if (io.isTTY && outcome.enrolled.length > 0) io.progress("");
  for (const problem of outcome.problems) io.out(problemLine(problem));
  for (const line of summary(outcome, allOrNothing, resolve(out))) io.out(line);
  return outcome.problems.length === 0 && outcome.notTried.length === 0 ? 0 : 1;
}

async function rotate(values: Values, positionals: string[], io: Io): Promise<number> {
  const id = deviceId(positionals, "rotate");
  const bundle = str(values, "bundle");
  const out = str(values, "out");
  if ((bundle === undefined) === (out === undefined)) {
    throw new UsageError(
      "where should the new secret go? give --bundle DIR (existing) or --out DIR (new)",
    );
  }
  const choice = controllerChoice(values, io.env);
  let write: (secret: string) => string;
  if (bundle !== undefined) {
    let loaded;
    try {
      loaded = readBundle(bundle);
    } catch (error) {
      throw new UsageError(`--bundle: ${(error as Error).message}`);
    }
    if (loaded.settings.deviceId !== id) {
      throw new UsageError(
        `${loaded.file} is the bundle of '${loaded.settings.deviceId}', not '${id}'`,
      );
    }
    write = (secret) => {
      replaceSecret(loaded.dir, secret);
      return `new secret written into ${loaded.file}`;
    };
  } else {
    const target = resolve(out ?? "");
    const input = plannedBundle(values, id, choice, target);
    write = (secret) => {
      writeBundle(target, { ...input, secret });
      return describeBundle(target, choice.ca !== undefined);
    };
  }
  const client = await signedIn(choice, io);
  try {
    const { secret } = await client.act(id, "rotate-secret");
    if (secret === undefined) throw new ControllerError("the controller issued no secret", 200);
    io.out(`new secret issued for ${id}; the old one no longer works`);
    try {
      io.out(write(secret));
    } catch (error) {
      io.err(
        `${NAME} rotate: the new secret could not be written: ${(error as Error).message}\n` +
          `The old secret no longer works: run '${NAME} rotate ${id}' again.`,
      );
      return 1;
    }
    io.out("Install the bundle on the box: it cannot connect until it has the new secret.");
    return 0;
  } finally {
    await client.signOut();
  }
}

async function retire(values: Values, positionals: string[], io: Io): Promise<number> {
  const id = deviceId(positionals, "retire");
  if (values.yes !== true) {
    throw new UsageError(
      `retiring '${id}' cannot be undone and its buffer will be wiped: add --yes`,
    );
  }
  const choice = controllerChoice(values, io.env);
  const client = await signedIn(choice, io);
  try {
    const { device } = await client.act(id, "retire");
    io.out(`${device.id} (${device.room}) is retired: its credentials are revoked.`);
    io.out(
      "When it next connects (now, if it is online; else at its next start) it stops recording,\n" +
        "wipes its buffer and reports it; the audit log records the wipe. Its id is never reused.",
    );
    return 0;
  } finally {
    await client.signOut();
  }
}

async function check(values: Values, positionals: string[], io: Io): Promise<number> {
  const [bundle, ...extra] = positionals;
  if (bundle === undefined)
    throw new UsageError("'check' needs a bundle folder (or its device.json)");
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra.join(" ")}'`);
  const timeout = str(values, "timeout") ?? "10";
  if (!/^\d{1,3}$/.test(timeout) || Number(timeout) < 1) {
    throw new UsageError(`--timeout must be a whole number of seconds, 1–999 (got '${timeout}')`);
  }
  const report = await checkBundle(bundle, {
    connect: values["no-connect"] !== true,
    timeoutMs: Number(timeout) * 1000,
    ...(io.env.CLASSCAM_CHECK_LISTEN_MS !== undefined && {
      listenMs: Number(io.env.CLASSCAM_CHECK_LISTEN_MS),
    }),
  });
  for (const line of report.lines) io.out(line);
  switch (report.status) {
    case "good":
      io.out("good");
      return 0;
    case "retired":
      return 3;
    case "bad-bundle":
    case "unreachable":
    case "refused":
      return 1;
  }
}

async function tls(values: Values, positionals: string[], io: Io): Promise<number> {
  const [action, ...extra] = positionals;
  if (action !== "init" && action !== "import") {
    throw new UsageError(
      action === undefined ? "which? tls init or tls import" : `unknown tls command '${action}'`,
    );
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra.join(" ")}'`);
  const out = str(values, "out");
  if (out === undefined) throw new UsageError(`'tls ${action}' needs --out DIR`);
  const list = (name: string) => {
    const value = values[name];
    return Array.isArray(value) ? value : [];
  };
  let result;
  if (action === "init") {
    const hosts = list("host");
    const ips = list("ip");
    if (hosts.length === 0 && ips.length === 0) {
      throw new UsageError(
        "'tls init' needs at least one --host NAME (or --ip ADDRESS) the controller is reached at",
      );
    }
    for (const host of hosts) {
      const problem = hostProblem(host);
      if (problem !== null) throw new UsageError(`--host ${problem}`);
    }
    for (const ip of ips)
      if (isIP(ip) === 0) throw new UsageError(`--ip '${ip}' is not an IP address`);
    const days = str(values, "days") ?? "825";
    if (!/^\d{1,5}$/.test(days) || Number(days) < 1 || Number(days) > 3650) {
      throw new UsageError(`--days must be 1–3650 (got '${days}')`);
    }
    for (const name of ["cert", "key"]) {
      if (str(values, name) !== undefined) throw new UsageError(`--${name} is for 'tls import'`);
    }
    result = await tlsInit({
      out,
      hosts,
      ips,
      school: str(values, "school") ?? "School",
      days: Number(days),
      caDays: 3650,
    });
    io.out(`school CA and controller certificate written to ${result.dir}`);
  } else {
    const cert = str(values, "cert");
    const key = str(values, "key");
    const ca = str(values, "ca");
    if (cert === undefined || key === undefined || ca === undefined) {
      throw new UsageError("'tls import' needs --cert FILE, --key FILE and --ca FILE");
    }
    for (const name of ["host", "ip"])
      if (list(name).length > 0) throw new UsageError(`--${name} is for 'tls init'`);
    result = await tlsImport({ cert, key, ca, out });
    io.out(`the school's certificate, key and CA belong together; copied to ${result.dir}`);
  }
  io.out(tlsInstructions(result, CONTROLLER_HTTPS));
  return 0;
}

const COMMANDS: Record<string, { run: Command; options: ParseArgsConfig["options"] }> = {
  enrol: {
    run: enrol,
    options: {
      ...CONTROLLER_SPEC,
      ...HARDWARE_SPEC,
      room: { type: "string" },
      out: { type: "string" },
      boot: { type: "string" },
    },
  },
  bulk: {
    run: bulk,
    options: {
      ...CONTROLLER_SPEC,
      ...HARDWARE_SPEC,
      csv: { type: "string" },
      out: { type: "string" },
      "all-or-nothing": { type: "boolean" },
    },
  },
  rotate: {
    run: rotate,
    options: {
      ...CONTROLLER_SPEC,
      ...HARDWARE_SPEC,
      bundle: { type: "string" },
      out: { type: "string" },
    },
  },
  retire: { run: retire, options: { ...CONTROLLER_SPEC, yes: { type: "boolean" } } },
  check: {
    run: check,
    options: { "no-connect": { type: "boolean" }, timeout: { type: "string" } },
  },
  tls: {
    run: tls,
    options: {
      out: { type: "string" },
      host: { type: "string", multiple: true },
      ip: { type: "string", multiple: true },
      school: { type: "string" },
      days: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
      ca: { type: "string" },
    },
  },
};

export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    (command === undefined ? io.err : io.out)(HELP.main ?? "");
    return command === undefined ? 2 : 0;
  }
  if (command === "help") {
    const topic = rest[0] ?? "main";
    const text = HELP[topic];
    if (text === undefined) {
      io.err(`${NAME}: no command '${topic}'\nTry '${NAME} --help'.`);
      return 2;
    }
    io.out(text);
    return 0;
  }
  const entry = COMMANDS[command];
  if (entry === undefined) {
    io.err(`${NAME}: unknown command '${command}'\nTry '${NAME} --help'.`);
    return 2;
  }
  const usage = (message: string) => {
    io.err(`${NAME} ${command}: ${message}\nTry '${NAME} ${command} --help'.`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: { ...entry.options, ...HELP_SPEC },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  if (parsed.values.help === true) {
    io.out(HELP[command] ?? "");
    return 0;
  }
  try {
    return await entry.run(parsed.values, parsed.positionals, io);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    if (
      error instanceof ControllerError ||
      error instanceof TlsError ||
      error instanceof BundleExists
    ) {
      io.err(`${NAME} ${command}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
