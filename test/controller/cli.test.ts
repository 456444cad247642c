// classcam-controller's device commands, and its refusal of bad arguments.
import t from "tap";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { run, type Io } from "../../controller/src/cli.js";
import { tempDir } from "../helpers/controller.js";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const sink: Io = { out: (line) => out.push(line), err: (line) => err.push(line) };
  return { sink, out, err };
}

void t.test("enrol, list, disable, enable, rotate-secret and retire a device", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const config = join(dir.path, "c.json");
  writeFileSync(config, JSON.stringify({ dataDir: join(dir.path, "data") }));
  const cli = async (...args: string[]) => {
    const { sink, out, err } = io();
    const code = await run([...args, "--config", config], sink);
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  const enrolled = await cli("device", "enrol", "room-7", "--room", "Art room", "--json");
  t.equal(enrolled.code, 0, enrolled.err);
  const record = JSON.parse(enrolled.out) as {
    id: string;
    room: string;
    status: string;
    secret: string;
  };
  t.match(record, { id: "room-7", room: "Art room", status: "active" });
  t.ok(record.secret.length >= 43, "the secret is shown once");

  const list = await cli("device", "list");
  t.match(list.out, /room-7\s+active\s+Art room\s+last seen never/);
  t.notMatch(list.out, record.secret, "and never again");

  t.match((await cli("device", "disable", "room-7")).out, "room-7 is now disabled");
  t.match((await cli("device", "enable", "room-7")).out, "room-7 is now active");
  const rotated = await cli("device", "rotate-secret", "room-7", "--json");
  t.not((JSON.parse(rotated.out) as { secret: string }).secret, record.secret);
  t.match((await cli("device", "retire", "room-7")).out, "room-7 is now retired");

  const again = await cli("device", "enrol", "room-7", "--room", "Art room");
  t.equal(again.code, 2);
  t.match(again.err, /was retired; ids are never reused/);
  const missing = await cli("device", "disable", "room-404");
  t.equal(missing.code, 3);
  t.match(missing.err, /no device 'room-404'/);
});

void t.test("bad arguments are refused with a message and a pointer to --help", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["launch"], /unknown command 'launch'/],
    [["device"], /which command\?/],
    [["device", "explode", "x"], /unknown command 'explode'/],
    [["device", "enrol", "room-1"], /'enrol' needs --room ROOM/],
    [
      ["device", "enrol", "Room 1", "--room", "x", "--config", "/nonexistent/c.json"],
      /config file .*ENOENT/,
    ],
    [["device", "disable"], /'disable' needs a device id/],
    [["device", "list", "room-1"], /'list' takes no device id/],
    [["device", "retire", "a", "b"], /unexpected argument 'b'/],
    [["serve", "now"], /'serve' takes no arguments/],
    [["events"], /which command\? retry/],
    [["events", "replay"], /unknown command 'replay'/],
    [["events", "retry", "now"], /unexpected argument 'now'/],
  ];
  for (const [args, message] of cases) {
    const { sink, err } = io();
    t.equal(await run(args, sink), 2, args.join(" "));
    t.match(err.join("\n"), message);
  }
  const dir = tempDir();
  t.teardown(dir.remove);
  const { sink, err } = io();
  const config = join(dir.path, "c.json");
  writeFileSync(config, JSON.stringify({ dataDir: dir.path }));
  t.equal(await run(["device", "enrol", "Room 1", "--room", "Lab", "--config", config], sink), 2);
  t.match(err.join("\n"), /'Room 1' is not a device id/);
});

void t.test("a port already in use is a one-line error, and nothing is left running", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise((resolve) => busy.close(resolve)));
  const address = busy.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const config = join(dir.path, "c.json");
  writeFileSync(
    config,
    JSON.stringify({
      dataDir: dir.path,
      mqtt: { host: "127.0.0.1", port },
      log: { level: "silent" },
    }),
  );
  const { sink, err } = io();
  t.equal(await run(["serve", "--config", config], sink), 1);
  t.match(err.join("\n"), new RegExp(`cannot listen: .*EADDRINUSE.*${port}`));
});

void t.test("an unreadable TLS file is a clear error before anything starts", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const config = join(dir.path, "c.json");
  const missing = join(dir.path, "no-such-cert.pem");
  writeFileSync(
    config,
    JSON.stringify({
      dataDir: dir.path,
      mqtt: { tls: { port: 0, certFile: missing, keyFile: missing } },
      log: { level: "silent" },
    }),
  );
  const { sink, err } = io();
  t.equal(await run(["serve", "--config", config], sink), 2);
  t.match(err.join("\n"), `cannot read the MQTT TLS certificate ${missing}: ENOENT`);
});

void t.test("--help describes the commands and the environment", async (t) => {
  const { sink, out } = io();
  t.equal(await run(["--help"], sink), 0);
  t.match(out.join("\n"), /device enrol ID --room ROOM/);
  t.match(out.join("\n"), /CLASSCAM_MQTT_PORT/);
  t.match(out.join("\n"), /events retry +apply again the device events kept in quarantine/);
});

void t.test("user add, first sign-in, audit verify on a tampered file", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const config = join(dir.path, "c.json");
  const dataDir = join(dir.path, "data");
  writeFileSync(config, JSON.stringify({ dataDir }));
  const cli = async (...args: string[]) => {
    const { sink, out, err } = io();
    const code = await run([...args, "--config", config], sink);
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  t.equal((await cli("user", "list")).out, "no accounts yet", "a new controller has no accounts");
  const refused = await cli("user", "add", "head");
  t.equal(refused.code, 2);
  t.match(refused.err, /needs --name NAME and --roles/);
  const badRole = await cli("user", "add", "head", "--name", "Head", "--roles", "admin,parent");
  t.equal(badRole.code, 2);
  t.match(badRole.err, /unknown role 'parent'/);
  const added = await cli(
    "user",
    "add",
    "head",
    "--name",
    "Ms Head",
    "--roles",
    "admin,headteacher",
    "--json",
  );
  t.equal(added.code, 0, added.err);
  const { temporaryPassword } = JSON.parse(added.out) as { temporaryPassword: string };
  t.match(temporaryPassword, /^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/, "a one-time password, shown once");
  const second = await cli("user", "add", "dpo", "--name", "Mr DPO", "--roles", "dpo");
  t.match(second.out, /one-time password: /);
  t.match((await cli("user", "list")).out, /head\s+active\s+admin,headteacher\s+Ms Head/);
  t.notMatch((await cli("user", "list")).out, temporaryPassword);

  const intact = await cli("audit", "verify");
  t.equal(intact.code, 0);
  t.match(intact.out, /audit log intact: 4 entries/);
  const exported = await cli("audit", "export", "--format", "xml");
  t.equal(exported.code, 2);
  t.match(exported.err, /--format must be json or csv/);

  // someone with the file edits entry 1 (dropping the trigger that forbids it)
  const sqlite3 = (await import("sqlite3")).default;
  await new Promise<void>((resolve, reject) => {
    const raw = new sqlite3.Database(join(dataDir, "controller.sqlite"), (error) => {
      if (error) {
        reject(error);
        return;
      }
      raw.exec(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1;",
        (failed) => {
          raw.close(() => {
            if (failed) reject(failed);
            else resolve();
          });
        },
      );
    });
  });
  const tampered = await cli("audit", "verify");
  t.equal(tampered.code, 1, "verify fails");
  t.match(tampered.out, /AUDIT LOG TAMPERED: entry 1 was altered/, "and names the entry");
});
