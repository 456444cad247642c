/**
 * The cached controller config: a config that cannot be saved (a failing
 * disk, a data folder gone) is still enforced, and the failure is said,
 * never thrown out of the MQTT message handler (that would end the daemon).
 */
import t from "tap";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ConfigCache } from "../../device/src/link/config-cache.js";
import { tempDir } from "../helpers/controller.js";
import { cacheBoxConfig } from "../helpers/device.js";

void t.test("a config that cannot be saved is enforced all the same, and said", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const dataDir = join(dir.path, "box");
  mkdirSync(dataDir);
  const first = cacheBoxConfig(dataDir);
  const cache = new ConfigCache(join(dataDir, "controller-config.json"));
  t.same(cache.load(), { loaded: true, problem: null });
  const applied: number[] = [];
  cache.onChange((config) => applied.push(config.version));

  // the folder goes (a wipe, a failing card): the next config still applies
  rmSync(dataDir, { recursive: true });
  const next = { ...first, version: 2, holds: [] };
  const outcome = cache.receive(JSON.stringify(next));
  t.match(outcome, { outcome: "applied", saveProblem: /ENOENT/ });
  t.equal(cache.current?.version, 2, "enforced from memory");
  t.same(applied, [2]);
  t.notOk(existsSync(dataDir), "nothing half-written where the folder was");

  // and with the folder back, the next one is saved as usual, no leftovers
  mkdirSync(dataDir);
  const saved = cache.receive(JSON.stringify({ ...first, version: 3 }));
  t.match(saved, { outcome: "applied", saveProblem: null });
  t.same(readdirSync(dataDir), ["controller-config.json"]);
});
