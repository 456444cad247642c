/**
 * Sign-ins that arrive together share one lookup of their devices' rows
 * (issue 21: a fleet's reconnect made one query per device).
 */
import { join } from "node:path";
import t from "tap";
import { Database, DeviceRegistry, migrate } from "@classcam/controller";
import { CredentialRows } from "../../controller/src/domain/credential-rows.js";
import { tempDir } from "../helpers/controller.js";

/** The database, counting the reads made on it. */
async function countedDatabase(t: { teardown: (fn: () => unknown) => void }) {
  const dir = tempDir();
  const db = await Database.open(join(dir.path, "c.sqlite"));
  await migrate(db);
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  const reads = { count: 0 };
  const counted = new Proxy(db, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if ((property === "get" || property === "all") && typeof value === "function") {
        return (...args: unknown[]) => {
          reads.count += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function"
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { db: counted, reads };
}

void t.test("twenty simultaneous sign-ins are checked with one lookup", async (t) => {
  const { db, reads } = await countedDatabase(t);
  const registry = new DeviceRegistry(db);
  const secrets = new Map<string, string>();
  for (let i = 0; i < 20; i += 1) {
    const id = `cam-${i}`;
    secrets.set(id, (await registry.enrol({ id, room: `Room ${i}` })).secret);
  }
  await registry.disable("cam-3");
  reads.count = 0;
  const checks = await Promise.all([
    ...[...secrets].map(([id, secret]) => registry.checkCredentials(id, secret)),
    registry.checkCredentials("cam-5", "not the secret"),
    registry.checkCredentials("cam-99", "no such device"),
  ]);
  t.equal(reads.count, 1, "one lookup");
  t.same(
    checks.map((check) => (check.ok ? "ok" : check.reason)),
    [
      ...[...secrets.keys()].map((id) => (id === "cam-3" ? "disabled" : "ok")),
      "wrong-secret",
      "unknown-device",
    ],
    "each sign-in judged on its own row",
  );
  // a later sign-in reads the database again: a rotation in between is seen
  const { secret: rotated } = await registry.rotateSecret("cam-1");
  t.notOk((await registry.checkCredentials("cam-1", secrets.get("cam-1") ?? "")).ok, "old secret");
  t.ok((await registry.checkCredentials("cam-1", rotated)).ok, "new secret");
});

void t.test("sign-ins arriving on separate turns of the event loop share a lookup", async (t) => {
  const { db, reads } = await countedDatabase(t);
  const registry = new DeviceRegistry(db);
  for (let i = 0; i < 5; i += 1) await registry.enrol({ id: `cam-${i}`, room: `Room ${i}` });
  // a wide window, so that a slow machine still gathers the five
  const rows = new CredentialRows<string>(db, 1000);
  reads.count = 0;
  // as a fleet reconnects: each box's CONNECT is read on its own turn
  const found: Promise<unknown>[] = [];
  for (let i = 0; i < 5; i += 1) {
    found.push(rows.get(`cam-${i}`));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  t.match(await Promise.all(found), Array(5).fill({ status: "active" }));
  t.equal(reads.count, 1, "one lookup for the five");
});
