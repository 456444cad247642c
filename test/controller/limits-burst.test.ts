// The refusal and sign-in limits hold when attempts arrive together, not only
// one at a time: an attempt takes its place in the count before its secret or
// password is hashed, so a burst is cut at the limit whatever its concurrency.
// And a burst of device secrets being hashed does not queue a person's sign-in
// behind it.
import t from "tap";
import { ConnackCode } from "@classcam/controller";
import { ConnectThrottle } from "../../controller/src/broker/throttle.js";
import { DerivationPool, hashSecret } from "../../controller/src/domain/secrets.js";
import { connectDevice, startController, type TestController } from "../helpers/controller.js";

/** Counts the device credential checks the broker asks for (each one hashes the secret). */
function countChecks(controller: TestController): { readonly checks: number } {
  const registry = controller.app.devices;
  const check = registry.checkCredentials.bind(registry);
  const counter = { checks: 0 };
  registry.checkCredentials = (id, secret) => {
    counter.checks += 1;
    return check(id, secret);
  };
  return counter;
}

const refusedSignIns = async (controller: TestController): Promise<number> =>
  (await controller.app.audit.page({ action: "sign-in.refused", limit: 1000 })).entries.length;

void t.test("a burst of wrong device secrets from one address is cut at the limit", async (t) => {
  const controller = await startController(); // 10 refusals per address per 60 s
  t.teardown(() => controller.close());
  await controller.enrol("room-1");
  const counter = countChecks(controller);
  const codes = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      connectDevice(controller.url, "room-1", `wrong secret ${i}`).then(
        async (client) => {
          await client.endAsync();
          return 0;
        },
        (error: unknown) => (error as { code?: number }).code,
      ),
    ),
  );
  t.ok(counter.checks <= 10, `at most 10 secrets checked (${counter.checks} were)`);
  const wrong = codes.filter((code) => code === ConnackCode.badUsernameOrPassword).length;
  const refused = codes.filter((code) => code === ConnackCode.serverUnavailable).length;
  t.equal(wrong, counter.checks, "each checked secret is refused as wrong");
  t.equal(refused, 40 - counter.checks, "every other attempt is refused unchecked (CONNACK 3)");
});

void t.test("a fleet reconnecting at once from one address all gets in", async (t) => {
  // after a restart every box behind the school's NAT reconnects together: the limit that
  // cuts a burst of wrong secrets must make good ones wait their turn, not refuse them
  const controller = await startController(); // 10 refusals per address per 60 s
  t.teardown(() => controller.close());
  const ids = Array.from({ length: 25 }, (_, i) => `room-${i + 1}`);
  const secrets = new Map<string, string>();
  for (const id of ids) secrets.set(id, await controller.enrol(id));
  const outcomes = await Promise.all(
    ids.map((id) =>
      connectDevice(controller.url, id, secrets.get(id) ?? "").then(
        async (client) => {
          await client.endAsync();
          return "connected";
        },
        (error: unknown) => `refused ${String((error as { code?: number }).code)}`,
      ),
    ),
  );
  t.same(outcomes, Array<string>(25).fill("connected"), "all 25 connected, none refused");
});

async function signInBurst(
  controller: TestController,
  ids: (i: number) => string,
): Promise<{ status: number; message: string; retryAfter: unknown }[]> {
  const replies = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      controller.app.inject({
        method: "POST",
        url: "/api/session",
        payload: { id: ids(i), password: `not the password ${i}` },
      }),
    ),
  );
  return replies.map((reply) => ({
    status: reply.statusCode,
    message: reply.json<{ message: string }>().message,
    retryAfter: reply.headers["retry-after"],
  }));
}

void t.test("a burst of wrong passwords for one account is cut at 5", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  await controller.app.people.add({ id: "teacher", displayName: "T", roles: ["teacher"] }, "test");
  const replies = await signInBurst(controller, () => "teacher");
  const checked = await refusedSignIns(controller);
  t.ok(checked <= 5, `at most 5 passwords checked (${checked} were)`);
  t.equal(replies.filter((r) => r.status === 401).length, checked);
  const limited = replies.filter((r) => r.status === 429);
  t.equal(limited.length, 30 - checked, "the rest are refused unchecked");
  for (const reply of limited) {
    t.match(reply.message, /too many failed sign-ins for this account; try again in \d+ minute/);
    t.match(String(reply.retryAfter), /^\d+$/);
  }
});

void t.test("a burst of wrong sign-ins from one address is cut at 20", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const replies = await signInBurst(controller, (i) => `guess-${i}`);
  const checked = await refusedSignIns(controller);
  t.ok(checked <= 20, `at most 20 passwords checked (${checked} were)`);
  const limited = replies.filter((r) => r.status === 429);
  t.equal(limited.length, 30 - checked, "the rest are refused unchecked");
  for (const reply of limited) {
    t.match(reply.message, /too many failed sign-ins from this address; try again in /);
  }
});

void t.test("a staff room signing in at once through one address all gets in", async (t) => {
  const controller = await startController(); // 20 failures per address per 15 minutes
  t.teardown(() => controller.close());
  const ids = Array.from({ length: 30 }, (_, i) => `teacher-${i + 1}`);
  const passwords = new Map<string, string>();
  for (const id of ids) {
    const { temporaryPassword } = await controller.app.people.add(
      { id, displayName: id, roles: ["teacher"] },
      "test",
    );
    passwords.set(id, temporaryPassword);
  }
  const replies = await Promise.all(
    ids.map((id) =>
      controller.app.inject({
        method: "POST",
        url: "/api/session",
        payload: { id, password: passwords.get(id) },
      }),
    ),
  );
  t.same(
    replies.map((reply) => reply.statusCode),
    Array<number>(30).fill(200),
    "all 30 signed in, none told to wait",
  );
});

void t.test("a person's sign-in is not queued behind device secrets being hashed", async (t) => {
  const controller = await startController();
  t.teardown(() => controller.close());
  const { app } = controller;
  const secret = await controller.enrol("room-1");
  // a box enrolled before device secrets were HMACs still holds a scrypt hash until it connects
  const scrypt = await hashSecret(secret);
  await app.db.transaction((tx) =>
    tx.run("UPDATE devices SET secret_hash = ? WHERE id = 'room-1'", [scrypt]),
  );
  const { temporaryPassword } = await app.people.add(
    { id: "teacher", displayName: "T", roles: ["teacher"] },
    "test",
  );
  let devicesDone = 0;
  const burst = Array.from({ length: 20 }, (_, i) =>
    app.devices.checkCredentials("room-1", `wrong secret ${i}`).then((result) => {
      devicesDone += 1;
      return result;
    }),
  );
  const signedIn = await app.people.signIn("teacher", temporaryPassword, "10.0.0.9");
  const before = devicesDone;
  t.equal(signedIn.session.user.id, "teacher");
  t.ok(
    before < 10,
    `the sign-in went ahead of the queued device secrets (${before} of 20 ran first)`,
  );
  t.same(
    (await Promise.all(burst)).map((result) => result.ok),
    Array<boolean>(20).fill(false),
    "and the devices were all checked all the same",
  );
});

void t.test("an attempt takes its place in the count before it is checked", async (t) => {
  let now = 0;
  const throttle = new ConnectThrottle({ maxFailures: 2, windowMs: 1000, now: () => now });
  const first = await throttle.reserve("10.0.0.1");
  const second = await throttle.reserve("10.0.0.1");
  t.ok(first && second, "two attempts at once are within the limit");
  let thirdDone = false;
  const third = throttle.reserve("10.0.0.1").finally(() => (thirdDone = true));
  t.ok(await throttle.reserve("10.0.0.2"), "another source is counted on its own");
  t.notOk(thirdDone, "a third waits while the two are checked");
  first?.release();
  const afterSuccess = await third;
  t.ok(afterSuccess, "a success gives its place to the one waiting");
  second?.failed();
  throttle.clear("10.0.0.1");
  const fourth = await throttle.reserve("10.0.0.1");
  t.ok(fourth, "clearing forgets the failure");
  const fifth = throttle.reserve("10.0.0.1");
  const sixth = throttle.reserve("10.0.0.1");
  afterSuccess?.failed();
  t.ok(!throttle.isBlocked("10.0.0.1"), "one failure and one in progress: not blocked yet");
  fourth?.failed();
  t.equal(await fifth, null, "once the two in progress failed, the waiting are refused unchecked");
  t.equal(await sixth, null);
  t.ok(throttle.retryAfterMs("10.0.0.1") > 0);
  now = 1001;
  t.ok(await throttle.reserve("10.0.0.1"), "the failures pass with the window");
});

void t.test(
  "a burst of good attempts from one source all go through, a few at a time",
  async (t) => {
    const throttle = new ConnectThrottle({ maxFailures: 3, windowMs: 60_000 });
    let inProgress = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const attempt = await throttle.reserve("10.0.0.9");
        if (attempt === null) return false;
        inProgress += 1;
        most = Math.max(most, inProgress);
        await new Promise(setImmediate);
        inProgress -= 1;
        attempt.release();
        return true;
      }),
    );
    t.same(results, Array<boolean>(30).fill(true), "none refused");
    t.equal(most, 3, "never more than the allowance checked at once");
  },
);

void t.test("a free derivation slot goes to a waiting person before waiting devices", async (t) => {
  const pool = new DerivationPool(2);
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const job = (lane: "person" | "device", name: string) =>
    pool.run(lane, () => {
      started.push(name);
      return new Promise<void>((resolve) => finish.set(name, resolve));
    });
  const jobs = [1, 2, 3, 4].map((i) => job("device", `device ${i}`));
  const person = job("person", "person");
  t.same(started, ["device 1", "device 2"], "two run, the rest wait");
  t.same(pool.load(), { running: 2, waiting: 3, peak: 2 });
  finish.get("device 1")?.();
  await jobs[0];
  await new Promise(setImmediate);
  t.same(started, ["device 1", "device 2", "person"], "the person goes first");
  for (const name of ["device 2", "person", "device 3", "device 4"]) {
    finish.get(name)?.();
    await new Promise(setImmediate);
  }
  await Promise.all([...jobs, person]);
  t.same(started, ["device 1", "device 2", "person", "device 3", "device 4"]);
  t.same(pool.load(), { running: 0, waiting: 0, peak: 2 }, "and none left over");
});
