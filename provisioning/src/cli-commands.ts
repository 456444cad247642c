/**
 * The subcommands of `classcam-provision`: enrol, bulk and rotate write device
 * bundles; retire, check and tls. Each gets its parsed options and returns the
 * exit code; a bad argument throws a `UsageError` (see cli-args.ts).
 */
import { isIP } from "node:net";
import { resolve } from "node:path";
import { ControllerError } from "./api.js";
import { readBundle, replaceSecret, writeBundle } from "./bundle.js";
import { CsvError, bulkEnrol, problemLine, readRooms, summary, type BulkDefaults } from "./bulk.js";
import { checkBundle } from "./check.js";
import {
  CONTROLLER_HTTPS,
  SECRET_NOTE,
  UsageError,
  bundleTarget,
  controllerChoice,
  describeBundle,
  deviceId,
  hardwareChoice,
  plannedBundle,
  readFile,
  signedIn,
  str,
  type Io,
  type Values,
} from "./cli-args.js";
import { NAME } from "./cli-help.js";
import { roomProblem } from "./csv.js";
import { hostProblem, tlsImport, tlsInit, tlsInstructions } from "./tls.js";

export async function enrol(values: Values, positionals: string[], io: Io): Promise<number> {
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
    const { device, secret, sealingKey } = await client.enrol(id, room);
    io.out(`enrolled ${device.id} (${device.room})`);
    try {
      writeBundle(target, { ...input, secret, sealingKey });
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

export async function bulk(values: Values, positionals: string[], io: Io): Promise<number> {
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

export async function rotate(values: Values, positionals: string[], io: Io): Promise<number> {
  const id = deviceId(positionals, "rotate");
  const bundle = str(values, "bundle");
  const out = str(values, "out");
  if ((bundle === undefined) === (out === undefined)) {
    throw new UsageError(
      "where should the new secret go? give --bundle DIR (existing) or --out DIR (new)",
    );
  }
  const choice = controllerChoice(values, io.env);
  let write: (secret: string, sealingKey?: string) => string;
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
    write = (secret, sealingKey) => {
      replaceSecret(loaded.dir, secret, sealingKey);
      return `new secret written into ${loaded.file}`;
    };
  } else {
    const target = resolve(out ?? "");
    const input = plannedBundle(values, id, choice, target);
    write = (secret, sealingKey) => {
      writeBundle(target, { ...input, secret, sealingKey });
      return describeBundle(target, choice.ca !== undefined);
    };
  }
  const client = await signedIn(choice, io);
  try {
    const { secret, sealingKey } = await client.act(id, "rotate-secret");
    if (secret === undefined) throw new ControllerError("the controller issued no secret", 200);
    io.out(`new secret issued for ${id}; the old one no longer works`);
    try {
      io.out(write(secret, sealingKey));
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

export async function retire(values: Values, positionals: string[], io: Io): Promise<number> {
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

export async function check(values: Values, positionals: string[], io: Io): Promise<number> {
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

export async function tls(values: Values, positionals: string[], io: Io): Promise<number> {
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
