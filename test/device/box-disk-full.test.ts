/**
 * The whole box on a small real disk (a tmpfs): when space runs short the
 * oldest unprotected recording is overwritten first; held footage and footage
 * awaiting upload are never touched; when even all unprotected footage would
 * not make room (only protected footage is left to matter), a press is refused (`recording.refused` storage-full, `storage.exhausted`)
 * and the lamp shows the refusal.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { devicePaths } from "@classcam/device";
import {
  boxDir,
  boxSettings,
  cacheBoxConfig,
  mountTmpfs,
  startBox,
  until,
  type TestBox,
} from "../helpers/device.js";

const MiB = 1024 * 1024;

async function record(box: TestBox): Promise<string> {
  await box.daemon.press("short");
  const id = box.daemon.session.recording?.recordingId ?? "";
  await until(async () => ((await box.daemon.index.get(id))?.segments ?? 0) >= 1, "a segment");
  await box.daemon.press("short");
  return id;
}

function hashes(dir: string, names: string[]): string[] {
  return names.map((name) =>
    createHash("sha256")
      .update(readFileSync(join(dir, name)))
      .digest("hex"),
  );
}

async function kinds(box: TestBox, kind: string): Promise<Record<string, unknown>[]> {
  const rows = await box.daemon.db.all<{ payload: string }>(
    "SELECT payload FROM outbox WHERE kind = ? ORDER BY seq",
    [kind],
  );
  return rows.map((row) => (JSON.parse(row.payload) as { data: Record<string, unknown> }).data);
}

void t.test("a full disk overwrites the oldest unprotected footage, then refuses", async (t) => {
  const dir = boxDir();
  const config = cacheBoxConfig(dir.path);
  const buffer = devicePaths(dir.path).buffer;
  const unmount = mountTmpfs(40 * MiB, buffer);
  const box = await startBox(
    boxSettings("room-full", "f".repeat(32), "mqtt://127.0.0.1:9", dir.path, {
      storage: { reserveBytes: 8 * MiB },
    }),
  );
  t.teardown(async () => {
    await box.stop();
    unmount();
    dir.remove();
  });

  const [held, awaiting, oldest, newest] = [
    await record(box),
    await record(box),
    await record(box),
    await record(box),
  ];
  // the school holds one and wants another uploaded
  const outcome = box.daemon.config.receive(
    JSON.stringify({ ...config, version: 2, holds: [held], uploads: [awaiting] }),
  );
  t.equal(outcome.outcome, "applied");
  const protectedFiles = new Map<string, string[]>();
  for (const id of [held, awaiting]) {
    const row = await box.daemon.index.get(id);
    const names = (await box.daemon.index.segments(id)).map((s) => s.name);
    protectedFiles.set(id, hashes(row?.dir ?? "", names));
  }

  // something else fills the disk until less than the reserve is free
  const filler = join(buffer, "filler.bin");
  const free = (await box.daemon.state()).storage?.freeBytes ?? 0;
  const used = (await box.daemon.index.recordings()).reduce((sum, r) => sum + r.bytes, 0);
  const newestBytes = (await box.daemon.index.get(newest))?.bytes ?? 0;
  // leave just short of the reserve, so freeing the oldest unprotected recording is enough
  writeFileSync(filler, Buffer.alloc(Math.max(0, free - 8 * MiB + Math.floor(newestBytes / 2))));
  t.ok(used > 0, "there is footage in the buffer");

  await box.daemon.press("short");
  t.equal(box.daemon.session.phase, "recording", "room was made, the recording started");
  // with a fresh janitor report the press starts at once and the pass that makes room follows
  await until(
    async () => (await box.daemon.index.get(oldest)) === undefined,
    "the oldest unprotected recording to go",
  );
  t.equal(await box.daemon.index.get(oldest), undefined, "the oldest unprotected recording went");
  t.ok(await box.daemon.index.get(newest), "a newer one stays while it is not needed");
  await box.daemon.press("short");

  // now fill it for good: only protected footage may be left, and it must be enough to refuse
  const stillFree = (await box.daemon.state()).storage?.freeBytes ?? 0;
  writeFileSync(join(buffer, "filler-2.bin"), Buffer.alloc(Math.max(0, stillFree - MiB)));
  await box.daemon.janitor.run("test");
  await box.daemon.press("short");
  t.equal(box.daemon.session.phase, "idle", "the press is refused");
  const refused = await kinds(box, "recording.refused");
  t.equal(refused.at(-1)?.reason, "storage-full", "refused for want of room");
  t.equal((await kinds(box, "storage.exhausted")).length, 1, "one storage.exhausted alert");
  const deleted = (await kinds(box, "recording.deleted")).map((d) => d.recordingId);
  t.notOk(deleted.includes(held), "held footage was never deleted");
  t.notOk(deleted.includes(awaiting), "footage awaiting upload was never deleted");
  t.same(deleted, [oldest], "only the oldest unprotected recording was overwritten");
  t.ok(
    await box.daemon.index.get(newest),
    "unprotected footage that could not make enough room anyway is kept, not sacrificed in vain",
  );
  for (const [id, before] of protectedFiles) {
    const row = await box.daemon.index.get(id);
    const names = (await box.daemon.index.segments(id)).map((s) => s.name);
    t.same(hashes(row?.dir ?? "", names), before, `recording ${id} is untouched`);
  }
  t.ok(
    box.hw.lamp.changes.some((c) => c.level === "on"),
    "the lamp blinked the refusal (and never lit for a capture)",
  );
});

void t.test("the disk filling up mid-recording stops it, closed segments kept", async (t) => {
  const dir = boxDir();
  cacheBoxConfig(dir.path);
  const buffer = devicePaths(dir.path).buffer;
  const unmount = mountTmpfs(24 * MiB, buffer);
  const box = await startBox(
    boxSettings("room-full-2", "f".repeat(32), "mqtt://127.0.0.1:9", dir.path, {
      storage: { reserveBytes: 4 * MiB },
    }),
  );
  t.teardown(async () => {
    await box.stop();
    unmount();
    dir.remove();
  });
  await box.daemon.press("short");
  const id = box.daemon.session.recording?.recordingId ?? "";
  await until(async () => ((await box.daemon.index.get(id))?.segments ?? 0) >= 1, "a segment");
  // something else takes every byte that is left
  const free = (await box.daemon.state()).storage?.freeBytes ?? 0;
  writeFileSync(join(buffer, "filler.bin"), Buffer.alloc(free));
  await until(() => box.daemon.session.phase === "idle", "the recording to stop", 20_000);
  const row = await box.daemon.index.get(id);
  t.equal(row?.stopReason, "disk-full", "stopped because the disk is full");
  t.ok((row?.segments ?? 0) >= 1, "the segments closed before are kept");
  t.equal(box.daemon.lamp.mode, "off", "the lamp is off");
  const stopped = await kinds(box, "recording.stopped");
  t.equal(stopped.at(-1)?.reason, "disk-full", "reported with its reason");
});
