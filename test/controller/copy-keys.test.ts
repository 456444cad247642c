// Where a copy's open key sits while ffmpeg writes it (domain/copy-keys.ts):
// the service's run folder (systemd's RuntimeDirectory, a RAM-backed
// /run/classcam, which the unit asks for), in a folder of its own that only
// the service reads, gone when ffmpeg is done.
import t from "tap";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { newContentKey } from "@classcam/protocol";
import { controllerRunDir, writeKeyInfo } from "../../controller/src/domain/copy-keys.js";
import { REPO, tempDir } from "../helpers/controller.js";

void t.test("the open key is written under the run folder, private, and removed", async (t) => {
  const run = tempDir("classcam-run-");
  t.teardown(run.remove);
  const before = process.env.RUNTIME_DIRECTORY;
  process.env.RUNTIME_DIRECTORY = run.path;
  t.teardown(() => {
    if (before === undefined) delete process.env.RUNTIME_DIRECTORY;
    else process.env.RUNTIME_DIRECTORY = before;
  });
  t.equal(controllerRunDir(), run.path, "systemd's RuntimeDirectory is the run folder");

  const content = newContentKey("one");
  const files = await writeKeyInfo(content);
  const folder = dirname(files.infoFile);
  t.equal(dirname(folder), run.path, "under the run folder");
  t.equal(statSync(folder).mode & 0o777, 0o700, "its folder only the service opens");
  const [uri, keyFile, iv] = readFileSync(files.infoFile, "utf8").trim().split("\n");
  t.equal(uri, "key", "the playlist names the key route");
  t.equal(iv, content.iv?.toString("hex"), "one IV for all the copy's segments");
  t.ok(readFileSync(keyFile ?? "").equals(content.key));
  t.equal(statSync(keyFile ?? "").mode & 0o777, 0o600, "the key file only the service reads");
  t.equal(statSync(files.infoFile).mode & 0o777, 0o600);
  await files.remove();
  t.notOk(existsSync(folder), "removed when ffmpeg is done");
  await files.remove(); // never fails
  await t.rejects(
    writeKeyInfo(newContentKey()),
    /one IV for all its segments/,
    "a key whose IV is each segment's number is refused: a copy's playlist, pieced together from its parts, has one key line",
  );
});

void t.test("the controller's unit gives it a RAM-backed run folder of its own", async (t) => {
  const unit = readFileSync(join(REPO, "systemd", "classcam-controller.service"), "utf8");
  t.match(unit, /^RuntimeDirectory=classcam$/m);
  t.match(unit, /^RuntimeDirectoryMode=0700$/m);
});
