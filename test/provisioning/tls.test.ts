// The school's TLS: `tls init` makes a CA and the controller's certificate;
// the controller serves MQTT over TLS and HTTPS with them; a bundle carries
// only the CA, and the box connects over mqtts. A box with another CA is
// refused (its TLS check fails, said in words); `tls import` checks that the
// school's own files belong together.
import t from "tap";
import { X509Certificate } from "node:crypto";
import { cpSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadSettings } from "@classcam/device";
import { DEFAULT_CONFIG } from "@classcam/controller";
import { eventually, tempDir } from "../helpers/controller.js";
import { startBox, until } from "../helpers/device.js";
import { provision, startProvisionedSchool } from "./harness.js";

void t.test("tls init, the controller on TLS, a box trusting only the school CA", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const tls = join(dir.path, "school-tls");
  const init = await provision([
    "tls",
    "init",
    "--out",
    tls,
    "--host",
    "controller.school.local",
    "--host",
    "localhost",
    "--ip",
    "127.0.0.1",
    "--school",
    "Hilltop Academy",
  ]);
  t.equal(init.code, 0, init.stderr);
  t.same(readdirSync(tls).sort(), ["ca.key", "ca.pem", "controller.key", "controller.pem"]);
  t.equal(statSync(tls).mode & 0o777, 0o700);
  t.equal(
    statSync(join(tls, "ca.key")).mode & 0o777,
    0o600,
    "the CA key is readable by its owner only",
  );
  t.equal(statSync(join(tls, "controller.key")).mode & 0o777, 0o600);
  const ca = new X509Certificate(readFileSync(join(tls, "ca.pem")));
  const cert = new X509Certificate(readFileSync(join(tls, "controller.pem")));
  t.ok(ca.ca, "the school CA is a CA");
  t.notOk(cert.ca, "the controller's certificate is not");
  t.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), "signed by the school CA");
  t.equal(cert.subjectAltName, "DNS:controller.school.local, DNS:localhost, IP Address:127.0.0.1");
  t.match(ca.subject, /O=Hilltop Academy/);
  t.match(
    init.stdout,
    /"mqtt": \{ "tls": \{ "port": 8883, "certFile": "\/etc\/classcam\/tls\/controller\.pem", "keyFile": "\/etc\/classcam\/tls\/controller\.key" \} \}/,
  );
  t.match(init.stdout, /"http": \{ "tls": \{ "certFile": "\/etc\/classcam\/tls\/controller\.pem"/);
  t.match(init.stdout, /ca\.key signs certificates the devices will trust:\nkeep it offline/);
  const again = await provision(["tls", "init", "--out", tls, "--host", "localhost"]);
  t.equal(again.code, 1);
  t.match(again.stderr, /already exists and is not empty; a school CA is never written over/);

  // the controller with them: HTTPS for IT, MQTT over TLS for the boxes
  const school = await startProvisionedSchool({
    config: () => ({
      http: {
        ...DEFAULT_CONFIG.http,
        tls: { certFile: join(tls, "controller.pem"), keyFile: join(tls, "controller.key") },
      },
    }),
  });
  t.teardown(school.close);
  t.match(school.httpUrl, /^https:/);
  const { tlsPort } = await school.controller.app.broker.listen({
    host: "127.0.0.1",
    port: 0,
    tls: {
      port: 0,
      cert: readFileSync(join(tls, "controller.pem")),
      key: readFileSync(join(tls, "controller.key")),
    },
  });
  const mqtts = `mqtts://127.0.0.1:${tlsPort ?? 0}`;
  const bundle = join(dir.path, "room-1");
  const env = { ...school.env, CLASSCAM_CA: join(tls, "ca.pem") };
  const enrolled = await provision(
    [
      "enrol",
      "room-1",
      "--room",
      "Room 1",
      "--out",
      bundle,
      "--mqtt",
      mqtts,
      "--backend",
      "sim",
      "--data-dir",
      join(dir.path, "data"),
    ],
    env,
  );
  t.equal(enrolled.code, 0, enrolled.stderr);
  t.match(enrolled.stdout, /bundle written to .*room-1 \(device\.json, ca\.pem\)/);
  t.same(
    readdirSync(bundle).sort(),
    ["ca.pem", "device.json"],
    "the bundle carries the CA certificate, no key",
  );
  t.equal(readFileSync(join(bundle, "ca.pem"), "utf8"), readFileSync(join(tls, "ca.pem"), "utf8"));
  const settings = loadSettings(join(bundle, "device.json"));
  t.equal(settings.controller.caFile, join(bundle, "ca.pem"), "the CA beside the settings file");

  const checked = await provision(["check", bundle], { CLASSCAM_CHECK_LISTEN_MS: "300" });
  t.equal(checked.code, 0, checked.stdout);
  t.match(checked.stdout, /trusts only the CA 'O=Hilltop Academy, CN=Hilltop Academy classcam CA'/);
  t.match(checked.stdout, /accepted the device's secret\ngood\n$/);
  const box = await startBox(settings);
  t.teardown(box.stop);
  await until(() => box.daemon.link.connected, "the box to connect over mqtts");
  await eventually(() => school.controller.app.broker.connectedDevices().includes("room-1"));
  t.pass("the box is connected over TLS, trusting only the school CA");

  // another school's CA: refused by TLS, in words, for the check and for the box
  const other = join(dir.path, "other-tls");
  t.equal((await provision(["tls", "init", "--out", other, "--ip", "127.0.0.1"])).code, 0);
  const stray = join(dir.path, "room-1-other-ca");
  cpSync(bundle, stray, { recursive: true });
  cpSync(join(other, "ca.pem"), join(stray, "ca.pem"));
  const refused = await provision(["check", stray], {});
  t.equal(refused.code, 1);
  t.match(
    refused.stdout,
    /TLS: the controller's certificate is not signed by the school CA in the bundle \(\w+\): the bundle's ca\.pem and the controller's certificate belong to different CAs/,
  );
  await box.stop();
  const strayBox = await startBox({
    ...loadSettings(join(stray, "device.json")),
    dataDir: join(dir.path, "stray-data"),
  });
  t.teardown(strayBox.stop);
  await until(
    () => strayBox.lines.some((line) => line.msg === "MQTT connection problem; retrying"),
    "the box with another CA to report its failed TLS check",
  );
  const problem = strayBox.lines.find((line) => line.msg === "MQTT connection problem; retrying");
  t.match(problem, {
    err: {
      code: /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
    },
  });
  t.notOk(strayBox.daemon.link.connected, "and it is not connected");
  t.equal(strayBox.daemon.link.stats.connects, 0);

  // HTTPS for the CLI: only the CA given is trusted
  const wrongCa = await provision(["retire", "room-1", "--yes"], {
    ...school.env,
    CLASSCAM_CA: join(other, "ca.pem"),
  });
  t.equal(wrongCa.code, 1);
  t.match(
    wrongCa.stderr,
    /the controller's HTTPS certificate is not signed by the CA given with --ca/,
  );
  t.equal(
    (await school.controller.app.devices.require("room-1")).status,
    "active",
    "nothing happened",
  );
});

void t.test("tls import checks that certificate, key and CA belong together", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const a = join(dir.path, "a");
  const b = join(dir.path, "b");
  t.equal(
    (await provision(["tls", "init", "--out", a, "--host", "controller.school.local"])).code,
    0,
  );
  t.equal(
    (await provision(["tls", "init", "--out", b, "--host", "controller.school.local"])).code,
    0,
  );
  const imported = join(dir.path, "imported");
  const good = await provision([
    "tls",
    "import",
    "--cert",
    join(a, "controller.pem"),
    "--key",
    join(a, "controller.key"),
    "--ca",
    join(a, "ca.pem"),
    "--out",
    imported,
  ]);
  t.equal(good.code, 0, good.stderr);
  t.match(good.stdout, /^the school's certificate, key and CA belong together; copied to /);
  t.match(good.stdout, /certificate for: DNS:controller\.school\.local/);
  t.same(readdirSync(imported).sort(), ["ca.pem", "controller.key", "controller.pem"], "no CA key");
  t.equal(statSync(join(imported, "controller.key")).mode & 0o777, 0o600);
  t.notMatch(good.stdout, /keep it offline/);

  const cases: [string[], RegExp][] = [
    [
      [
        "--cert",
        join(a, "controller.pem"),
        "--key",
        join(b, "controller.key"),
        "--ca",
        join(a, "ca.pem"),
      ],
      /controller\.key is not the key of .*controller\.pem/,
    ],
    [
      [
        "--cert",
        join(a, "controller.pem"),
        "--key",
        join(a, "controller.key"),
        "--ca",
        join(b, "ca.pem"),
      ],
      /does not chain to .*b\/ca\.pem/,
    ],
    [
      ["--cert", join(a, "ca.pem"), "--key", join(a, "ca.key"), "--ca", join(a, "ca.pem")],
      /is a CA certificate, not the controller's/,
    ],
    [
      [
        "--cert",
        join(a, "controller.key"),
        "--key",
        join(a, "controller.key"),
        "--ca",
        join(a, "ca.pem"),
      ],
      /is not a PEM certificate/,
    ],
    [
      [
        "--cert",
        join(a, "nope.pem"),
        "--key",
        join(a, "controller.key"),
        "--ca",
        join(a, "ca.pem"),
      ],
      /cannot read the certificate .*nope\.pem/,
    ],
  ];
  for (const [args, message] of cases) {
    const out = join(dir.path, "refused");
    const result = await provision(["tls", "import", ...args, "--out", out]);
    t.equal(result.code, 1, args.join(" "));
    t.match(result.stderr, message);
    t.notOk(readdirSync(dir.path).includes("refused"), "nothing copied");
  }
});
