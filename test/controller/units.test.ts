// Small parts with rules of their own: secrets, the connect throttle, the frame guard.
import t from "tap";
import mqttPacket from "mqtt-packet";
import {
  MAX_CONCURRENT_DERIVATIONS,
  derivationLoad,
  generateSecret,
  hashDeviceSecret,
  hashSecret,
  verifyDeviceSecret,
  verifySecret,
} from "../../controller/src/domain/secrets.js";
import { ConnectThrottle } from "../../controller/src/broker/throttle.js";
import { FrameSizeCounter } from "../../controller/src/broker/frame-guard.js";

void t.test(
  "secrets are unique, stored only as salted scrypt hashes, checked in constant time",
  async (t) => {
    const secret = generateSecret();
    t.not(generateSecret(), secret, "every secret is new");
    t.ok(Buffer.from(secret, "base64url").length >= 32, "256 bits");
    const hash = await hashSecret(secret);
    t.match(hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    t.notMatch(hash, secret, "the secret is not in the hash");
    t.not(await hashSecret(secret), hash, "salted: the same secret hashes differently");
    t.ok(await verifySecret(secret, hash));
    t.notOk(await verifySecret(`${secret}x`, hash));
    t.notOk(await verifySecret(secret, "md5$abc"), "an unknown scheme never matches");
    t.ok(
      await verifySecret(secret, await hashSecret(secret, { N: 1024, r: 8, p: 1 })),
      "parameters travel with the hash",
    );
  },
);

void t.test("scrypt never takes more than its share of the thread pool", async (t) => {
  const secret = generateSecret();
  const hashes = await Promise.all(
    Array.from({ length: 8 }, () => hashSecret(secret, { N: 1024, r: 8, p: 1 })),
  );
  const checks = await Promise.all(hashes.map((hash) => verifySecret(secret, hash)));
  t.same(checks, Array<boolean>(8).fill(true), "every derivation finishes and is right");
  t.ok(
    derivationLoad().peak <= MAX_CONCURRENT_DERIVATIONS,
    `at most ${MAX_CONCURRENT_DERIVATIONS} at once`,
  );
  t.same(
    { ...derivationLoad(), peak: 0 },
    { running: 0, waiting: 0, peak: 0 },
    "and none left over",
  );
});

void t.test(
  "a device hash is an HMAC under the device key, checked in constant time",
  async (t) => {
    const key = Buffer.alloc(32, 7);
    const secret = generateSecret();
    const hash = hashDeviceSecret(secret, key);
    t.equal(hashDeviceSecret(secret, key), hash, "the same key and secret give the same hash");
    t.ok(await verifyDeviceSecret(secret, hash, key));
    t.notOk(await verifyDeviceSecret(`${secret}x`, hash, key), "another secret is not");
    t.notOk(await verifyDeviceSecret(secret, hash, Buffer.alloc(32, 8)), "nor under another key");
    for (const malformed of ["hmac-sha256$", "hmac-sha256$AAAA", `${hash}$extra`, "md5$abc", ""]) {
      t.notOk(await verifyDeviceSecret(secret, malformed, key), `'${malformed}' never matches`);
    }
    const scrypt = await hashSecret(secret, { N: 1024, r: 8, p: 1 });
    t.ok(await verifyDeviceSecret(secret, scrypt, key), "an old scrypt hash still checks");
    t.notOk(await verifyDeviceSecret(`${secret}x`, scrypt, key));
  },
);

void t.test("the throttle counts failures per source in a sliding window", async (t) => {
  let now = 0;
  const throttle = new ConnectThrottle({ maxFailures: 2, windowMs: 1000, now: () => now });
  throttle.recordFailure("10.0.0.1");
  t.notOk(throttle.isBlocked("10.0.0.1"));
  throttle.recordFailure("10.0.0.1");
  t.ok(throttle.isBlocked("10.0.0.1"), "blocked at the limit");
  t.notOk(throttle.isBlocked("10.0.0.2"), "other sources are not");
  now = 1001;
  t.notOk(throttle.isBlocked("10.0.0.1"), "free again once the window has passed");
});

void t.test("the frame counter follows MQTT fixed headers across chunk boundaries", async (t) => {
  const packet = (payloadBytes: number) =>
    mqttPacket.generate({
      cmd: "publish",
      topic: "a/b",
      payload: Buffer.alloc(payloadBytes),
      qos: 0,
      retain: false,
      dup: false,
    });
  const counter = new FrameSizeCounter(1000);
  const stream = Buffer.concat([
    packet(10),
    packet(900),
    mqttPacket.generate({ cmd: "pingreq" }),
    packet(0),
  ]);
  for (let i = 0; i < stream.length; i += 7)
    t.equal(counter.inspect(stream.subarray(i, i + 7)), null);
  const big = packet(5000);
  t.equal(counter.inspect(big.subarray(0, 2)), null, "not yet known from one length byte");
  t.equal(
    counter.inspect(big.subarray(2, 3)),
    5005,
    "refused as soon as the length is known (topic 5 + payload 5000)",
  );
  const early = new FrameSizeCounter(1000).inspect(packet(2_000_000).subarray(0, 5));
  t.ok(
    early !== null && early > 1000,
    "a multi-byte length is refused once its known part is over",
  );
});
