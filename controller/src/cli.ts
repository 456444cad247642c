/**
 * `classcam-controller`: runs the school server, and manages the device fleet
 * on the same database (enrol, list, disable, enable, rotate-secret, retire).
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { ConfigError, ENVIRONMENT, loadConfig, type ControllerConfig } from "./config.js";
import { DATABASE_FILE } from "./app.js";
import { mqttListenOptions } from "./tls-files.js";
import { setupTokenNotice, startController } from "./server.js";
import { createLogger } from "./logger.js";
import { Database } from "./db/database.js";
import { migrate } from "./db/migrations.js";
import { DeviceRegistry, type Device } from "./domain/devices.js";
import { deviceKeyPath, loadDeviceKey } from "./device-key.js";
import { DomainError } from "./domain/errors.js";
import { AuditLog } from "./domain/audit.js";
import { People } from "./domain/people.js";
import type { Role } from "./domain/access.js";
import { EVENTS_HELP, eventsCommand } from "./cli-events.js";
import { DPO_HELP, dpoCommand } from "./cli-dpo.js";
import { KEYS_HELP, keysCommand } from "./cli-keys.js";
import { actionProblem, defaultIo, extraProblem, type Io, usageError } from "./cli-io.js";

export type { Io } from "./cli-io.js";

export const HELP = `Usage: classcam-controller [serve] [--config FILE]
       classcam-controller device <command> [options] [--config FILE] [--json]

The classcam school server: the MQTT broker the classroom devices connect to,
the rules, and the HTTP API.

Commands:
  serve                         run the controller (the default)
  device enrol ID --room ROOM   enrol a device; prints its secret ONCE
  device list                   list devices with status and last contact
  device disable ID             refuse the device's connections until enabled
  device enable ID              let a disabled device connect again
  device rotate-secret ID       issue a new secret; the old one stops working
  device retire ID              retire a device for good (its id is never reused)
  user add ID --name NAME --roles R1,R2
                                add an account; prints a one-time password ONCE
  user reset-password ID        issue a new one-time password; ends the account's sessions
  user list                     list accounts with their roles
  audit verify [--anchor SEQ:HASH]
                                walk the audit log's hash chain; exit 1 naming the
                                first edited, removed or inserted entry. It prints an
                                anchor (the last entry's seq and hash): keep it
                                elsewhere and pass it later, so a truncated or
                                re-forged chain is found too
  audit export --format json|csv
                                print the whole audit log (for the DPO)
${EVENTS_HELP}
${DPO_HELP}
${KEYS_HELP}

Roles: teacher, coach, slt, headteacher, bursar, it, dpo, admin (admin manages
accounts). A new controller has no accounts and no default password: create the
first administrator with 'user add ID --name NAME --roles admin,...' or with the
one-time setup token the controller prints when it starts with no accounts.

Options:
  --config FILE   JSON config file (also CLASSCAM_CONFIG)
  --json          print machine-readable JSON (device commands)
  -h, --help      show this help

Device ids: lower-case letters, digits and hyphens, e.g. room-12.

Environment (overrides the config file):
${ENVIRONMENT.map((v) => `  ${v.name.padEnd(24)} ${v.help}`).join("\n")}
`;

export async function run(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: "string" },
        room: { type: "string" },
        name: { type: "string" },
        roles: { type: "string" },
        format: { type: "string" },
        anchor: { type: "string" },
        // the DPO's requests (cli-dpo.ts)
        as: { type: "string" },
        rooms: { type: "string" },
        class: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        reference: { type: "string" },
        recordings: { type: "string" },
        footage: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    io.err(`classcam-controller: ${(error as Error).message}\nTry 'classcam-controller --help'.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  let config: ControllerConfig;
  try {
    config = loadConfig({ file: values.config });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`classcam-controller: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const [command = "serve", ...rest] = positionals;
  if (command === "serve") {
    if (rest.length > 0 || values.room !== undefined) {
      io.err(`classcam-controller: 'serve' takes no arguments\nTry 'classcam-controller --help'.`);
      return 2;
    }
    return serve(config, io);
  }
  if (command === "device") return deviceCommand(config, rest, values, io);
  if (command === "user") return userCommand(config, rest, values, io);
  if (command === "audit") return auditCommand(config, rest, values, io);
  if (command === "events") return eventsCommand(config, rest, values, io);
  if (command === "dpo") return dpoCommand(config, rest, values, io);
  if (command === "keys") return keysCommand(config, rest, values, io);
  io.err(`classcam-controller: unknown command '${command}'\nTry 'classcam-controller --help'.`);
  return 2;
}

async function serve(config: ControllerConfig, io: Io): Promise<number> {
  const logger = createLogger(config.log.level);
  try {
    mqttListenOptions(config); // reads the TLS files: a bad one is a usage error (exit 2)
  } catch (error) {
    io.err(`classcam-controller: ${(error as Error).message}`);
    return 2;
  }
  let running;
  try {
    running = await startController(config, logger);
  } catch (error) {
    // e.g. EADDRINUSE or a bad TLS file: say which, not a stack trace
    io.err(`classcam-controller: ${(error as Error).message}`);
    return 1;
  }
  if (running.setupToken !== null) io.out(setupTokenNotice(running.address, running.setupToken));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      resolve();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await running.close();
  return 0;
}

function describe(device: Device): string {
  const contact =
    device.wipedAt !== null
      ? `buffer wiped ${device.wipedAt}`
      : device.connected
        ? "connected"
        : `last seen ${device.lastSeenAt ?? "never"}`;
  return `${device.id.padEnd(20)} ${device.status.padEnd(9)} ${device.room.padEnd(20)} ${contact}`;
}

async function deviceCommand(
  config: ControllerConfig,
  args: readonly string[],
  values: { room?: string | undefined; json: boolean },
  io: Io,
): Promise<number> {
  const [action, id, ...extra] = args;
  const usage = (message: string) => usageError(io, "device", message);
  const actions = ["enrol", "list", "disable", "enable", "rotate-secret", "retire"];
  const problem = actionProblem(action, actions);
  if (problem !== null || action === undefined) return usage(problem ?? "which command?");
  if (action === "list" ? id !== undefined : id === undefined) {
    return usage(action === "list" ? "'list' takes no device id" : `'${action}' needs a device id`);
  }
  const extraArgs = extraProblem(extra);
  if (extraArgs !== null) return usage(extraArgs);
  if (action === "enrol" && values.room === undefined) return usage("'enrol' needs --room ROOM");
  if (action !== "enrol" && values.room !== undefined) return usage(`'${action}' takes no --room`);

  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  const db = await Database.open(join(config.dataDir, DATABASE_FILE));
  try {
    await migrate(db);
    const registry = new DeviceRegistry(db, undefined, loadDeviceKey(deviceKeyPath(config)));
    const print = (device: Device, text: string, extraJson: object = {}) => {
      io.out(values.json ? JSON.stringify({ ...device, ...extraJson }) : text);
    };
    switch (action) {
      case "list": {
        const devices = await registry.list();
        if (values.json) io.out(JSON.stringify(devices));
        else if (devices.length === 0) io.out("no devices enrolled");
        else devices.forEach((device) => io.out(describe(device)));
        break;
      }
      case "enrol": {
        const { device, secret } = await registry.enrol({ id: id ?? "", room: values.room ?? "" });
        print(
          device,
          `enrolled ${device.id} (${device.room})\nsecret: ${secret}\n` +
            "This secret is shown once and stored only as a hash. Put it on the device now.",
          { secret },
        );
        break;
      }
      case "rotate-secret": {
        const { secret } = await registry.rotateSecret(id ?? "");
        const device = await registry.require(id ?? "");
        print(
          device,
          `new secret for ${device.id}: ${secret}\nShown once; the old secret no longer works.`,
          {
            secret,
          },
        );
        break;
      }
      case "disable":
      case "enable":
      case "retire": {
        const device = await registry[action](id ?? "");
        print(device, `${device.id} is now ${device.status}`);
        break;
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      io.err(`classcam-controller device ${action}: ${error.message}`);
      return error.code === "not-found" ? 3 : 2;
    }
    throw error;
  } finally {
    await db.close();
  }
}

async function userCommand(
  config: ControllerConfig,
  args: readonly string[],
  values: { name?: string | undefined; roles?: string | undefined; json: boolean },
  io: Io,
): Promise<number> {
  const [action, id, ...extra] = args;
  const usage = (message: string) => usageError(io, "user", message);
  const actions = ["add", "reset-password", "list"];
  const problem = actionProblem(action, actions);
  if (problem !== null || action === undefined) return usage(problem ?? "which command?");
  if (action === "list" ? id !== undefined : id === undefined) {
    return usage(action === "list" ? "'list' takes no user id" : `'${action}' needs a user id`);
  }
  const extraArgs = extraProblem(extra);
  if (extraArgs !== null) return usage(extraArgs);
  if (action === "add" && (values.name === undefined || values.roles === undefined)) {
    return usage("'add' needs --name NAME and --roles R1,R2");
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  const db = await Database.open(join(config.dataDir, DATABASE_FILE));
  try {
    await migrate(db);
    const people = new People(db, new AuditLog(db));
    switch (action) {
      case "list": {
        const users = await people.list();
        if (values.json) io.out(JSON.stringify(users));
        else if (users.length === 0) io.out("no accounts yet");
        else {
          for (const user of users) {
            io.out(
              `${user.id.padEnd(20)} ${user.status.padEnd(9)} ${user.roles.join(",").padEnd(24)} ${user.displayName}`,
            );
          }
        }
        break;
      }
      case "add": {
        const roles = (values.roles ?? "")
          .split(",")
          .map((role) => role.trim())
          .filter((r) => r !== "");
        const { user, temporaryPassword } = await people.add(
          { id: id ?? "", displayName: values.name ?? "", roles: roles as Role[] },
          "cli",
        );
        io.out(
          values.json
            ? JSON.stringify({ ...user, temporaryPassword })
            : `added ${user.id} (${user.roles.join(", ")})\none-time password: ${temporaryPassword}\n` +
                "Shown once; it must be changed at the first sign-in.",
        );
        break;
      }
      case "reset-password": {
        const temporaryPassword = await people.resetPassword(id ?? "", "cli");
        io.out(
          values.json
            ? JSON.stringify({ id, temporaryPassword })
            : `new one-time password for ${id ?? ""}: ${temporaryPassword}\nShown once; it must be changed at the next sign-in.`,
        );
        break;
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      io.err(`classcam-controller user ${action}: ${error.message}`);
      return error.code === "not-found" ? 3 : 2;
    }
    throw error;
  } finally {
    await db.close();
  }
}

/** `--anchor SEQ:HASH`: an entry's seq and hash, as an earlier verify printed them. */
function parseAnchor(text: string): { seq: number; hash: string } | string {
  const match = /^(\d+):(.*)$/.exec(text);
  const seq = Number(match?.[1]);
  if (!match || !Number.isSafeInteger(seq) || seq < 1) {
    return `--anchor must be SEQ:HASH, an entry's number (1 or more) and its hash, not '${text}'`;
  }
  const hash = match[2] ?? "";
  if (!/^[0-9a-f]{64}$/.test(hash)) {
    return `--anchor's hash must be 64 hex digits (lower case), not '${hash}'`;
  }
  return { seq, hash };
}

async function auditCommand(
  config: ControllerConfig,
  args: readonly string[],
  values: { format?: string | undefined; anchor?: string | undefined; json: boolean },
  io: Io,
): Promise<number> {
  const [action, ...extra] = args;
  const usage = (message: string) => usageError(io, "audit", message);
  const problem = actionProblem(action, ["verify", "export"]) ?? extraProblem(extra);
  if (problem !== null) return usage(problem);
  const format = values.format ?? "json";
  if (action === "export" && format !== "json" && format !== "csv") {
    return usage(`--format must be json or csv, not '${format}'`);
  }
  if (action === "export" && values.anchor !== undefined) {
    return usage("--anchor is for 'audit verify'");
  }
  const anchor = values.anchor === undefined ? undefined : parseAnchor(values.anchor);
  if (typeof anchor === "string") return usage(anchor);
  const db = await Database.open(join(config.dataDir, DATABASE_FILE));
  try {
    await migrate(db);
    const audit = new AuditLog(db);
    if (action === "export") {
      process.stdout.write(await audit.export(format as "json" | "csv"));
      return 0;
    }
    const result = await audit.verify(anchor ? { anchor } : {});
    const head = result.ok ? await audit.head() : null;
    const against = anchor ? ` (checked against anchor ${anchor.seq}:${anchor.hash})` : "";
    if (values.json) io.out(JSON.stringify({ ...result, checkedAgainst: anchor ?? null, head }));
    else if (!result.ok) io.out(`AUDIT LOG TAMPERED${against}: ${result.problem}`);
    else {
      io.out(`audit log intact: ${result.entries} entries, hash chain verified${against}`);
      if (head)
        io.out(`keep this anchor elsewhere for the next check: --anchor ${head.seq}:${head.hash}`);
    }
    return result.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}
