// classcam-provision against a real controller: enrol writes a bundle the
// daemon loads and connects with; a wrong, rotated-away or retired secret is
// refused; secrets are never shared nor derived from the id; bad arguments
// exit 2 naming the problem; the controller's refusals are shown in words.
import t from "tap";
import { readFileSync, readdirSync, statSync, writeFileSync, cpSync } from "node:fs";
import { join } from "node:path";
import { loadSettings } from "@classcam/device";
import { ConnackCode } from "@classcam/controller";
import { HELP } from "@classcam/provisioning";
import { loadSealingKeys, SEALING_KEYS_DIR } from "../../controller/src/sealing-keys.js";
import { connectDevice, eventually, tempDir, wrongSecret } from "../helpers/controller.js";
import { startBox, until } from "../helpers/device.js";
import { IT_USER, addAccount, provision, runNode, startProvisionedSchool } from "./harness.js";

/** The controller's public sealing key, as its sealing key files say (issue 20 §1). */
const sealingKeyOf = (school: { controller: { dataDir: string } }) =>
  loadSealingKeys(join(school.controller.dataDir, SEALING_KEYS_DIR)).current.publicKey;
const secretOf = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, "device.json"), "utf8")) as { secret: string }).secret;

void t.test(
  "enrol: the bundle is the daemon's settings file, and the box connects with it",
  async (t) => {
    const school = await startProvisionedSchool();
    t.teardown(school.close);
    const dir = tempDir();
    t.teardown(dir.remove);
    const bundle = join(dir.path, "room-12");
    const enrolled = await provision(
      [
        "enrol",
        "room-12",
        "--room",
        "Room 12",
        "--out",
        bundle,
        "--mqtt",
        school.controller.url,
        "--backend",
        "sim",
        "--lamp-pin",
        "22",
        "--button-pin",
        "23",
        "--camera-card",
        "HD Pro Webcam C920",
        "--camera-bus",
        "usb-0000:01:00.0-1.2",
        "--data-dir",
        join(dir.path, "data"),
      ],
      school.env,
    );
    t.equal(enrolled.code, 0, enrolled.stderr);
    t.match(
      enrolled.stdout,
      /^enrolled room-12 \(Room 12\)\nbundle written to .*room-12 \(device\.json\)\n/,
    );
    const secret = secretOf(bundle);
    t.notOk(
      enrolled.stdout.includes(secret) || enrolled.stderr.includes(secret),
      "the secret is printed nowhere",
    );
    t.same(
      readdirSync(bundle),
      ["device.json"],
      "without TLS the bundle is the settings file alone",
    );
    t.equal(
      statSync(join(bundle, "device.json")).mode & 0o777,
      0o600,
      "readable by its owner only",
    );
    t.same(
      readdirSync(dir.path).filter((n) => n.includes("partial")),
      [],
      "no partial folder left",
    );

    const raw = JSON.parse(readFileSync(join(bundle, "device.json"), "utf8")) as Record<
      string,
      unknown
    >;
    t.same(
      { ...raw, secret: "…" },
      {
        deviceId: "room-12",
        secret: "…",
        dataDir: join(dir.path, "data"),
        controller: { mqttUrl: school.controller.url, sealingKey: sealingKeyOf(school) },
        hardware: {
          backend: "sim",
          lamp: { pin: 22 },
          button: { pin: 23 },
          camera: { match: { card: "HD Pro Webcam C920", busInfo: "usb-0000:01:00.0-1.2" } },
        },
      },
      "the bundle holds what was given and leaves the rest to the daemon's defaults",
    );

    // the daemon's own check accepts it as it is
    const checked = await runNode("device/src/main.ts", [
      "check",
      "--settings",
      join(bundle, "device.json"),
    ]);
    t.equal(checked.code, 0, checked.stderr);
    t.match(checked.stdout, /good \(device room-12, sim hardware/);

    // the controller stores only a hash: the secret is nowhere in its database
    const row = await school.controller.app.db.get<{ secret_hash: string }>(
      "SELECT secret_hash FROM devices WHERE id = 'room-12'",
    );
    t.match(row?.secret_hash, /^hmac-sha256\$/);
    t.notOk(readFileSync(join(school.controller.dataDir, "controller.sqlite")).includes(secret));

    // the real daemon, on these settings, connects
    const settings = loadSettings(join(bundle, "device.json"));
    const box = await startBox(settings);
    t.teardown(box.stop);
    await until(() => box.daemon.link.connected, "the box to connect");
    await eventually(() => school.controller.app.broker.connectedDevices().includes("room-12"));
    t.pass("the box enrolled by the CLI is connected");

    const good = await provision(["check", bundle], { CLASSCAM_CHECK_LISTEN_MS: "300" });
    t.equal(good.code, 0, good.stdout);
    t.match(
      good.stdout,
      /the controller at mqtt:\/\/127\.0\.0\.1:\d+ accepted the device's secret\ngood\n$/,
    );
  },
);

void t.test("wrong, rotated-away and retired secrets are refused", async (t) => {
  const school = await startProvisionedSchool();
  t.teardown(school.close);
  const dir = tempDir();
  t.teardown(dir.remove);
  const bundle = join(dir.path, "room-1");
  const mqtt = ["--mqtt", school.controller.url];
  t.equal(
    (await provision(["enrol", "room-1", "--room", "Room 1", "--out", bundle, ...mqtt], school.env))
      .code,
    0,
  );
  const first = secretOf(bundle);
  const url = school.controller.url;

  const wrong = await connectDevice(url, "room-1", wrongSecret(first)).catch((e: unknown) => e);
  t.match(
    wrong,
    { code: ConnackCode.badUsernameOrPassword },
    "a wrong secret: bad username or password",
  );

  // rotate: the bundle gets the new secret, the old one stops working
  const old = join(dir.path, "room-1-old");
  cpSync(bundle, old, { recursive: true });
  const rotated = await provision(["rotate", "room-1", "--bundle", bundle, ...mqtt], school.env);
  t.equal(rotated.code, 0, rotated.stderr);
  t.match(
    rotated.stdout,
    /new secret issued for room-1; the old one no longer works\nnew secret written into .*room-1\/device\.json/,
  );
  const second = secretOf(bundle);
  t.not(second, first, "a new secret");
  t.equal(
    (
      JSON.parse(readFileSync(join(bundle, "device.json"), "utf8")) as {
        controller: { sealingKey?: string };
      }
    ).controller.sealingKey,
    sealingKeyOf(school),
    "the controller's sealing key comes with the new credentials",
  );
  const stale = await connectDevice(url, "room-1", first).catch((e: unknown) => e);
  t.match(stale, { code: ConnackCode.badUsernameOrPassword }, "the rotated-away secret is refused");
  const staleCheck = await provision(["check", old], {});
  t.equal(staleCheck.code, 1);
  t.match(staleCheck.stdout, /refused the device's secret: it is wrong, or was rotated away/);
  const fresh = await connectDevice(url, "room-1", second);
  await fresh.endAsync();
  t.pass("the new secret connects");

  // disabled: refused with "not authorised"; retired: let in only to hear it is retired
  await school.controller.app.devices.disable("room-1");
  const disabled = await connectDevice(url, "room-1", second).catch((e: unknown) => e);
  t.match(disabled, { code: ConnackCode.notAuthorized });
  await school.controller.app.devices.enable("room-1");

  const retired = await provision(["retire", "room-1", "--yes"], school.env);
  t.equal(retired.code, 0, retired.stderr);
  t.match(retired.stdout, /^room-1 \(Room 1\) is retired: its credentials are revoked\./);
  const retiredCheck = await provision(["check", bundle], {});
  t.equal(retiredCheck.code, 3, retiredCheck.stdout);
  t.match(retiredCheck.stdout, /says this device is RETIRED/);
  const again = await provision(["rotate", "room-1", "--bundle", bundle, ...mqtt], school.env);
  t.equal(again.code, 1);
  t.match(again.stderr, /the controller refused: device 'room-1' is retired \(HTTP 409\)/);
  const reuse = await provision(
    ["enrol", "room-1", "--room", "Room 1", "--out", join(dir.path, "x"), ...mqtt],
    school.env,
  );
  t.equal(reuse.code, 1);
  t.match(reuse.stderr, /device 'room-1' was retired; ids are never reused/);
  t.same(
    readdirSync(dir.path).sort(),
    ["room-1", "room-1-old"],
    "a refused enrolment writes nothing",
  );
});

void t.test("secrets are never shared and cannot be derived from the device id", async (t) => {
  const a = await startProvisionedSchool();
  t.teardown(a.close);
  const b = await startProvisionedSchool();
  t.teardown(b.close);
  const dir = tempDir();
  t.teardown(dir.remove);
  const secrets = new Set<string>();
  for (let i = 1; i <= 12; i += 1) {
    const out = join(dir.path, `a-room-${i}`);
    const result = await provision(
      ["enrol", `room-${i}`, "--room", `Room ${i}`, "--out", out, "--mqtt", a.controller.url],
      a.env,
    );
    t.equal(result.code, 0, result.stderr);
    secrets.add(secretOf(out));
  }
  t.equal(secrets.size, 12, "twelve enrolments, twelve secrets");
  // the same id on another controller gets another secret: it comes from randomness, not the id
  const other = join(dir.path, "b-room-1");
  t.equal(
    (
      await provision(
        ["enrol", "room-1", "--room", "Room 1", "--out", other, "--mqtt", b.controller.url],
        b.env,
      )
    ).code,
    0,
  );
  t.notOk(secrets.has(secretOf(other)), "the same device id elsewhere has a different secret");
  for (const secret of [...secrets, secretOf(other)]) {
    t.match(secret, /^[A-Za-z0-9_-]{43}$/, "256 random bits, base64url");
    t.notOk(secret.includes("room"), "the id is not in it");
  }
  const characters = new Set([...secrets].join(""));
  t.ok(characters.size > 50, "secrets use the whole alphabet");
});

void t.test("bad arguments exit 2 naming the problem; refusals are shown in words", async (t) => {
  const school = await startProvisionedSchool();
  t.teardown(school.close);
  const dir = tempDir();
  t.teardown(dir.remove);
  const out = join(dir.path, "b");
  const mqtt = ["--mqtt", school.controller.url];
  const usage: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [["enrol", "room-1", "--out", out, ...mqtt], school.env, /'enrol' needs --room ROOM/],
    [["enrol", "Room 1", "--room", "R", "--out", out, ...mqtt], school.env, /device id 'Room 1': /],
    [["enrol", "room-1", "--room", "R", ...mqtt], school.env, /give --out DIR or --boot MOUNT/],
    [
      ["enrol", "room-1", "--room", "R", "--boot", dir.path, ...mqtt],
      school.env,
      /does not look like a Raspberry Pi boot partition/,
    ],
    [
      ["enrol", "room-1", "--room", "R", "--out", out, "--lamp-pin", "x17", ...mqtt],
      school.env,
      /--lamp-pin must be a GPIO line number 0–1023 \(got 'x17'\)/,
    ],
    [
      [
        "enrol",
        "room-1",
        "--room",
        "R",
        "--out",
        out,
        "--lamp-pin",
        "4",
        "--button-pin",
        "4",
        ...mqtt,
      ],
      school.env,
      /the lamp and the button are both on GPIO 4/,
    ],
    [
      [
        "enrol",
        "room-1",
        "--room",
        "R",
        "--out",
        out,
        "--camera-card",
        "C920",
        "--camera-device",
        "/dev/video0",
        ...mqtt,
      ],
      school.env,
      /give either match .* or device/,
    ],
    [
      ["enrol", "room-1", "--room", "R", "--out", out, "--backend", "pi"],
      school.env,
      /--backend must be linux or sim, not 'pi'/,
    ],
    [
      ["enrol", "room-1", "--room", "R", "--out", out, "--mqtt", "mqtts://h:8883"],
      school.env,
      /an mqtts:\/\/ address needs the school CA: give --ca FILE/,
    ],
    [
      ["enrol", "room-1", "--room", "R", "--out", out, "--ca", join(dir.path, "nope.pem")],
      school.env,
      /cannot read the CA certificate .*nope\.pem: ENOENT/,
    ],
    [
      ["enrol", "room-1", "--room", "R", "--out", out, ...mqtt],
      {},
      /which controller\? give --controller URL/,
    ],
    [
      ["enrol", "room-1", "--room", "R", "--out", out, ...mqtt],
      { ...school.env, CLASSCAM_USER: "" },
      /which account\?/,
    ],
    [
      ["enrol", "room-1", "--room", "R", "--out", out, ...mqtt],
      { ...school.env, CLASSCAM_PASSWORD: "" },
      /no password: set CLASSCAM_PASSWORD, or run on a terminal/,
    ],
    [
      ["enrol", "room-1", "--room", "R", "--out", out, "--password", "x"],
      school.env,
      /Unknown option '--password'/,
    ],
    [["retire", "room-1"], school.env, /cannot be undone .* add --yes/],
    [["rotate", "room-1"], school.env, /give --bundle DIR \(existing\) or --out DIR \(new\)/],
    [["check"], {}, /'check' needs a bundle folder/],
    [["check", out, "--timeout", "soon"], {}, /--timeout must be a whole number of seconds/],
    [["bulk", "--out", out], school.env, /'bulk' needs --csv FILE/],
    [["tls", "init", "--out", out], {}, /needs at least one --host NAME/],
    [
      ["tls", "init", "--out", out, "--host", "10.0.0.5"],
      {},
      /is an IP address: give it with --ip/,
    ],
    [
      ["tls", "import", "--out", out, "--cert", "a"],
      {},
      /needs --cert FILE, --key FILE and --ca FILE/,
    ],
    [["frobnicate"], {}, /unknown command 'frobnicate'/],
  ];
  for (const [args, env, message] of usage) {
    const result = await provision(args, env);
    t.equal(result.code, 2, `${args.join(" ")}: exit 2`);
    t.match(result.stderr, message, args.join(" "));
    t.match(result.stderr, /Try 'classcam-provision/, "and where to look");
  }
  t.same(readdirSync(dir.path), [], "nothing was written by any of them");
  t.same(await school.controller.app.devices.list(), [], "nothing was enrolled by any of them");

  // refusals by the controller, in its words (exit 1)
  const wrong = await provision(["enrol", "room-1", "--room", "R", "--out", out, ...mqtt], {
    ...school.env,
    CLASSCAM_PASSWORD: "not it",
  });
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, new RegExp(`sign-in as '${IT_USER}' failed: `));
  await addAccount(school.controller, "bursar-al", ["bursar"], "a long enough password");
  const bursar = await provision(["enrol", "room-1", "--room", "R", "--out", out, ...mqtt], {
    ...school.env,
    CLASSCAM_USER: "bursar-al",
    CLASSCAM_PASSWORD: "a long enough password",
  });
  t.equal(bursar.code, 1);
  t.match(bursar.stderr, /'bursar-al' does not have the IT role \(has: bursar\)/);
  const gone = await provision(["enrol", "room-1", "--room", "R", "--out", out, ...mqtt], {
    ...school.env,
    CLASSCAM_CONTROLLER: "http://127.0.0.1:9",
  });
  t.equal(gone.code, 1);
  t.match(gone.stderr, /nothing listens at http:\/\/127\.0\.0\.1:9 \(connection refused\)/);
  t.equal(
    (await provision(["enrol", "room-1", "--room", "R", "--out", out, ...mqtt], school.env)).code,
    0,
  );
  const twice = await provision(
    ["enrol", "room-1", "--room", "R", "--out", join(dir.path, "c"), ...mqtt],
    school.env,
  );
  t.equal(twice.code, 1);
  t.match(twice.stderr, /the controller refused: device 'room-1' is already enrolled \(HTTP 409\)/);
  const over = await provision(
    ["enrol", "room-2", "--room", "R", "--out", out, ...mqtt],
    school.env,
  );
  t.equal(over.code, 2);
  t.match(over.stderr, /already exists and is not empty; a bundle is never written over another/);
  t.equal(
    (await school.controller.app.devices.list()).length,
    1,
    "room-2 was not enrolled: its bundle had nowhere to go",
  );
  const unknown = await provision(["retire", "room-9", "--yes"], school.env);
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /the controller refused: no device 'room-9' \(HTTP 404\)/);
  writeFileSync(join(dir.path, "broken.json"), "{");
  const broken = await provision(["check", join(dir.path, "broken.json")], {});
  t.equal(broken.code, 1);
  t.match(broken.stdout, /is not valid JSON/);
});

void t.test("--help for every command: usage, options and examples", async (t) => {
  for (const command of ["enrol", "bulk", "rotate", "retire", "check", "tls"]) {
    const result = await provision([command, "--help"]);
    t.equal(result.code, 0);
    t.equal(result.stdout, `${HELP[command] ?? "?"}\n`);
    t.match(result.stdout, new RegExp(`^Usage: classcam-provision ${command}`));
    t.match(result.stdout, /^Examples?\b/m, `${command} has examples`);
    t.same(await provision(["help", command]), result, `'help ${command}' says the same`);
  }
  const none = await provision([]);
  t.equal(none.code, 2);
  t.match(none.stderr, /^Usage: classcam-provision <command>/);
  // the program itself, as IT runs it
  const main = await runNode("provisioning/src/main.ts", ["--help"]);
  t.equal(main.code, 0);
  t.match(main.stdout, /Commands:\n {2}enrol ID --room ROOM --out DIR/);
  const bad = await runNode("provisioning/src/main.ts", ["enrol", "--room"]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /classcam-provision enrol: Option '--room <value>' argument missing/);
});
