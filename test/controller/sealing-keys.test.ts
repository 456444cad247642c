// The controller's sealing keys (sealing-keys.ts): made at first start in a
// folder only the service user reads, refused when others may read one,
// rotated by adding a newer key while the older ones still open what was
// sealed to them.
import t from "tap";
import { chmodSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newContentKey, openContentKey, sealContentKey } from "@classcam/protocol";
import { loadSealingKeys, rotateSealingKey } from "../../controller/src/sealing-keys.js";
import { tempDir } from "../helpers/controller.js";

const RECORDING = "3f0c1a52-8f59-4a43-9a0a-3c1ad1a7e6b1";

void t.test("made at first start, 0700 and 0600, the same key read back", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const folder = join(dir.path, "sealing-keys");
  const first = loadSealingKeys(folder);
  t.equal(statSync(folder).mode & 0o777, 0o700);
  t.same(readdirSync(folder), ["sealing-1.pem"]);
  t.equal(statSync(join(folder, "sealing-1.pem")).mode & 0o777, 0o600);
  t.equal(
    loadSealingKeys(folder).current.publicKey,
    first.current.publicKey,
    "read back, not remade",
  );
});

void t.test("rotation: the newest seals, the old still opens", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const folder = join(dir.path, "sealing-keys");
  const before = loadSealingKeys(folder).current;
  const content = newContentKey();
  const sealedBefore = sealContentKey(content, before.publicKey, RECORDING);
  const added = rotateSealingKey(folder);
  const keys = loadSealingKeys(folder);
  t.equal(keys.current.publicKey, added.publicKey, "the new key is current");
  const old = keys.byId(before.keyId);
  t.ok(old, "the old key is still held");
  if (old) t.same(openContentKey(sealedBefore, old, RECORDING).key, content.key);
});

void t.test("refused, saying what to do: readable by others, or not a key", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const folder = join(dir.path, "sealing-keys");
  loadSealingKeys(folder);
  chmodSync(join(folder, "sealing-1.pem"), 0o644);
  t.throws(() => loadSealingKeys(folder), /readable by others \(mode 0644\).*chmod 600/);
  chmodSync(join(folder, "sealing-1.pem"), 0o600);
  writeFileSync(join(folder, "sealing-2.pem"), "not a key", { mode: 0o600 });
  t.throws(() => loadSealingKeys(folder), /sealing-2\.pem is not an X25519 private key.*backup/);
});
