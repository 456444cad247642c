// Device secrets are checked with HMAC-SHA-256 under a key kept in a file
// outside the database; devices still holding a scrypt hash move over at their
// next good connection; a copy of the database alone lets no one in.
import t from "tap";
import { createHash, createHmac } from "node:crypto";
import { chmodSync, copyFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, ConnackCode, loadConfig } from "@classcam/controller";
import { hashSecret } from "../../controller/src/domain/secrets.js";
import {
  captureLogger,
  connectDevice,
  wrongSecret,
  startController,
  tempDir,
  testConfig,
  type TestController,
} from "../helpers/controller.js";

const KEY_FILE = "device-secrets.key";

const storedHash = async (controller: TestController, id: string) =>
  (
    await controller.app.db.get<{ secret_hash: string }>(
      "SELECT secret_hash FROM devices WHERE id = ?",
      [id],
    )
  )?.secret_hash ?? "";

/** The CONNACK code a connection gets: 0 when it is let in. */
const connectCode = (controller: TestController, id: string, secret: string) =>
  connectDevice(controller.url, id, secret).then(
    async (client) => {
      await client.endAsync();
      return 0;
    },
    (error: unknown) => (error as { code?: number }).code,
  );

void t.test("enrolment and rotation store an HMAC of the secret, not scrypt", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const secret = await controller.enrol("room-1");
  const hash = await storedHash(controller, "room-1");
  t.match(hash, /^hmac-sha256\$[A-Za-z0-9+/]{43}=$/, "the scheme travels with the hash");
  const key = readFileSync(join(controller.dataDir, KEY_FILE));
  const keyed = createHmac("sha256", key).update(secret).digest("base64");
  t.equal(hash, `hmac-sha256$${keyed}`, "keyed with the key file's bytes");
  t.equal(await connectCode(controller, "room-1", secret), 0, "the box connects");
  t.equal(
    await connectCode(controller, "room-1", wrongSecret(secret)),
    ConnackCode.badUsernameOrPassword,
    "a wrong secret is refused",
  );

  const { secret: rotated } = await controller.app.devices.rotateSecret("room-1");
  t.match(await storedHash(controller, "room-1"), /^hmac-sha256\$/, "rotation writes HMAC too");
  t.equal(
    await connectCode(controller, "room-1", secret),
    ConnackCode.badUsernameOrPassword,
    "the old secret stops working",
  );
  t.equal(await connectCode(controller, "room-1", rotated), 0, "the new one works");
});

void t.test("a device with an old scrypt hash connects and is moved to HMAC", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const secret = await controller.enrol("room-2");
  // as enrolment wrote it before HMAC: the scrypt path
  const scrypt = await hashSecret(secret);
  await controller.app.db.transaction((tx) =>
    tx.run("UPDATE devices SET secret_hash = ? WHERE id = ?", [scrypt, "room-2"]),
  );
  t.match(await storedHash(controller, "room-2"), /^scrypt\$/);

  t.equal(
    await connectCode(controller, "room-2", `${secret}x`),
    ConnackCode.badUsernameOrPassword,
    "a wrong secret is refused",
  );
  t.match(await storedHash(controller, "room-2"), /^scrypt\$/, "and moves nothing");

  t.equal(await connectCode(controller, "room-2", secret), 0, "the right secret connects");
  t.match(await storedHash(controller, "room-2"), /^hmac-sha256\$/, "its hash is now HMAC");
  t.ok(
    controller.lines.some(
      (line) => line.deviceId === "room-2" && /moved to HMAC/.test(String(line.msg)),
    ),
    "the move is logged",
  );
  t.equal(await connectCode(controller, "room-2", secret), 0, "and it connects again");
  t.equal(
    await connectCode(controller, "room-2", `${secret}x`),
    ConnackCode.badUsernameOrPassword,
    "a wrong secret is still refused after the move",
  );
});

void t.test("the key file is made 0600 at first start and kept across restarts", async (t) => {
  const dir = tempDir();
  t.teardown(() => dir.remove());
  const first = await startController({ dataDir: dir.path });
  const secret = await first.enrol("room-3");
  await first.close();
  const file = join(dir.path, KEY_FILE);
  t.equal(statSync(file).mode & 0o777, 0o600, "readable only by the service user");
  t.equal(readFileSync(file).length, 32, "256 bits");
  const key = readFileSync(file);

  const again = await startController({ dataDir: dir.path });
  t.teardown(() => again.close());
  t.same(readFileSync(file), key, "the same key after a restart");
  t.equal(await connectCode(again, "room-3", secret), 0, "so the box connects again");
});

void t.test("a copy of the database with another key file lets no box in", async (t) => {
  const dir = tempDir();
  t.teardown(() => dir.remove());
  const school = await startController({ dataDir: dir.path });
  const secret = await school.enrol("room-4");
  const hash = await storedHash(school, "room-4");
  await school.close();
  t.not(
    hash,
    `hmac-sha256$${createHash("sha256").update(secret).digest("base64")}`,
    "the stored hash is not a plain SHA-256 anyone could compute",
  );
  t.not(
    hash,
    `hmac-sha256$${createHmac("sha256", "").update(secret).digest("base64")}`,
    "nor an HMAC under an empty key",
  );

  const stolen = tempDir();
  t.teardown(() => stolen.remove());
  copyFileSync(join(dir.path, "controller.sqlite"), join(stolen.path, "controller.sqlite"));
  const thief = await startController({ dataDir: stolen.path });
  t.teardown(() => thief.close());
  t.equal(await storedHash(thief, "room-4"), hash, "the copy holds the same hash");
  t.not(
    readFileSync(join(stolen.path, KEY_FILE)).toString("hex"),
    readFileSync(join(dir.path, KEY_FILE)).toString("hex"),
    "the copy's controller made its own key",
  );
  t.equal(
    await connectCode(thief, "room-4", secret),
    ConnackCode.badUsernameOrPassword,
    "even the right secret is refused without the school's key",
  );
});

void t.test("a bad key file is refused at start, saying what is wrong", async (t) => {
  const start = async (dataDir: string, security = {}) => {
    const { logger } = captureLogger();
    const config = testConfig(dataDir);
    const app = await build({
      config: { ...config, security: { ...config.security, ...security } },
      logger,
      timers: false,
    });
    await app.close();
  };

  const short = tempDir();
  t.teardown(() => short.remove());
  writeFileSync(join(short.path, KEY_FILE), Buffer.alloc(16, 1), { mode: 0o600 });
  await t.rejects(start(short.path), /device key file .*device-secrets\.key.* 32 bytes.*16/);

  const open = tempDir();
  t.teardown(() => open.remove());
  writeFileSync(join(open.path, KEY_FILE), Buffer.alloc(32, 1), { mode: 0o600 });
  chmodSync(join(open.path, KEY_FILE), 0o644);
  await t.rejects(start(open.path), /device key file .*readable by others.*chmod 600/);

  const elsewhere = tempDir();
  t.teardown(() => elsewhere.remove());
  const missingFolder = join(elsewhere.path, "no-such-folder", "device.key");
  await t.rejects(
    start(elsewhere.path, { deviceKeyFile: missingFolder }),
    /cannot create the device key file .*no-such-folder/,
  );

  const configured = join(elsewhere.path, "device.key");
  await start(elsewhere.path, { deviceKeyFile: configured });
  t.equal(statSync(configured).mode & 0o777, 0o600, "a configured path is made there");
});

void t.test("the key file's path is a setting, relative to the working directory", async (t) => {
  const dir = tempDir();
  t.teardown(() => dir.remove());
  const config = loadConfig({
    env: { CLASSCAM_DEVICE_KEY_FILE: "keys/device.key" },
    cwd: dir.path,
  });
  t.equal(config.security.deviceKeyFile, join(dir.path, "keys/device.key"));
  const file = join(dir.path, "controller.json");
  writeFileSync(file, JSON.stringify({ security: { deviceKeyFile: "" } }));
  t.throws(() => loadConfig({ file, env: {}, cwd: dir.path }), /security\.deviceKeyFile/);
});
