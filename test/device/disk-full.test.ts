// Disk exhaustion on a small real file system: the buffer folder is a 64 MiB
// tmpfs, free space comes from fs.statfs, footage is real files written
// through the index. The open recording keeps growing; the janitor overwrites
// the oldest unprotected footage first, never held or awaiting-upload footage
// or the open recording, and when only protected footage is left below the
// reserve, new recording is refused with one storage.exhausted alert.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, statfs } from "node:fs/promises";
import { join } from "node:path";
import t from "tap";
import { Janitor, type JanitorReport } from "../../device/src/buffer/janitor.js";
import { captureLogger } from "../helpers/controller.js";
import {
  beginAt,
  eventsOfKind,
  HOUR,
  MiB,
  openDevice,
  recordFinished,
  recordingId,
  removeDir,
  writeSegment,
  type TestDevice,
} from "./buffer-helpers.js";
import { mountTmpfs } from "../helpers/device.js";

const NOW = new Date("2026-11-23T15:00:00.000Z");
const TMPFS_BYTES = 64 * MiB;
const RESERVE = 16 * MiB;

async function fileSha256(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

void t.test("filling a real 64 MiB disk", async (t) => {
  let mounted: string | null = null;
  let d: TestDevice | null = null;
  t.teardown(async () => {
    await d?.close();
    if (mounted !== null) execFileSync("umount", [mounted]);
    if (d !== null) removeDir(d.dataDir);
  });
  d = await openDevice(new Date(NOW.getTime() - 12 * HOUR), (dataDir) => {
    const buffer = join(dataDir, "buffer");
    mountTmpfs(TMPFS_BYTES, buffer);
    mounted = buffer;
  });
  const device = d;
  const space = await statfs(device.paths.buffer);
  t.equal(space.blocks * space.bsize, TMPFS_BYTES, "the buffer folder is the 64 MiB tmpfs");

  // Ten finished lessons of 4 MiB (4 segments of 1 MiB), one an hour.
  const lessons = Array.from({ length: 10 }, (_, i) => recordingId(100 + i));
  for (const id of lessons) {
    await recordFinished(device, id, 4, MiB);
    device.clock.advance(HOUR);
  }
  const holds = [recordingId(101), recordingId(106)];
  const uploads = [recordingId(104), recordingId(108)];
  const unprotected = lessons.filter((id) => !holds.includes(id) && !uploads.includes(id));
  const protectedSums = new Map<string, string[]>();
  for (const id of [...holds, ...uploads]) {
    const rows = await device.index.segments(id);
    protectedSums.set(
      id,
      rows.map((s) => s.sha256),
    );
  }

  device.clock.set(NOW);
  const { logger } = captureLogger();
  const janitor = new Janitor({
    index: device.index,
    db: device.db,
    bufferDir: device.paths.buffer,
    reserveBytes: RESERVE,
    now: device.clock.now,
    logger,
    protection: () => ({ holds, uploads, bufferDays: 7 }),
  });

  const first = await janitor.run("start");
  t.same(first.deleted, [], "24 MiB free of 64: nothing to overwrite yet");
  t.equal(first.storage?.freeBytes, 24 * MiB);
  t.equal(first.storage?.protectedBytes, 16 * MiB);
  t.same(await janitor.mayRecord(), { ok: true, refusal: null });

  // A lesson is recorded and keeps going; the janitor runs after each segment.
  const open = recordingId(200);
  const openDir = await beginAt(device, open);
  const deletedInOrder: JanitorReport["deleted"] = [];
  let last: JanitorReport | null = null;
  let seq = 0;
  while (seq < 64) {
    seq += 1;
    const segment = await writeSegment(openDir, seq, MiB);
    device.clock.advance(2000);
    await device.index.addSegment(open, { ...segment, closedAt: device.clock.now() });
    last = await janitor.run("segment");
    deletedInOrder.push(...last.deleted);
    for (const id of [...holds, ...uploads]) {
      if ((await device.index.get(id))?.segments !== 4) t.fail(`${id} was touched`);
    }
    if (last.refuseRecording) break;
    t.ok((last.storage?.freeBytes ?? 0) >= RESERVE, `after segment ${seq}: the reserve is kept`);
  }

  t.same(
    deletedInOrder,
    unprotected.map((recordingId) => ({ recordingId, reason: "overwrite", bytes: 4 * MiB })),
    "every unprotected lesson overwritten, oldest first, one at a time as space ran out",
  );
  t.equal(seq, 33, "refused when the open lesson reached 33 MiB (16 protected + 33 > 64 − 16)");
  t.equal(last?.refusal, "protected-footage-fills-the-disk");
  t.ok((last?.storage?.freeBytes ?? Infinity) < RESERVE, "below the reserve");

  const left = (await device.index.recordings()).map((r) => r.recordingId).sort();
  t.same(left, [...holds, ...uploads, open].sort(), "only protected footage is left");
  for (const [id, sums] of protectedSums) {
    const rows = await device.index.segments(id);
    const onDisk = await Promise.all(
      rows.map((s) => fileSha256(join(device.paths.buffer, id, s.name))),
    );
    t.same(onDisk, sums, `${id}: every segment intact on disk`);
  }
  t.equal((await device.index.get(open))?.segments, 33, "the open lesson is whole");

  t.same(await janitor.mayRecord(), {
    ok: false,
    refusal: "protected-footage-fills-the-disk",
  });
  await janitor.run("again");
  const alerts = await eventsOfKind(device.db, "storage.exhausted");
  t.equal(alerts.length, 1, "one storage.exhausted for the episode");
  t.same(alerts[0]?.data, { freeBytes: 15 * MiB, protectedBytes: 16 * MiB + 33 * MiB });

  const deletedEvents = await eventsOfKind(device.db, "recording.deleted");
  t.same(
    deletedEvents.map((e) => e.data),
    deletedInOrder,
    "a recording.deleted event for each deletion",
  );
  await janitor.stop();
});
