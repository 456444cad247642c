// The janitor on a real device.db and real files, with a fake clock and a fake
// disk (its free space is a capacity minus the bytes of the files actually in
// the buffer folder): retention, overwrite, protection, storage.exhausted once
// per episode, and a lost database that must not wipe the disk.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { Janitor, type BufferProtection } from "../../device/src/buffer/janitor.js";
import { captureLogger } from "../helpers/controller.js";
import {
  beginAt,
  DAY,
  eventsOfKind,
  filesIn,
  HOUR,
  openDevice,
  outboxEvents,
  recordFinished,
  recordingId,
  removeDir,
  usedBytes,
  writeSegment,
  type TestDevice,
} from "./buffer-helpers.js";

const NOW = new Date("2026-11-23T09:00:00.000Z");
const SEGMENT = 1000;

interface Setup {
  d: TestDevice;
  janitor: Janitor;
  disk: { capacity: number };
  protection: BufferProtection;
  lines: Record<string, unknown>[];
}

async function setup(
  t: Test,
  o: { capacity: number; reserveBytes: number; device?: TestDevice },
): Promise<Setup> {
  const d = o.device ?? (await openDevice(NOW));
  t.teardown(async () => {
    await d.close();
    removeDir(d.dataDir);
  });
  const disk = { capacity: o.capacity };
  const protection: BufferProtection = { holds: [], uploads: [], bufferDays: 7 };
  const { logger, lines } = captureLogger("debug");
  const janitor = new Janitor({
    index: d.index,
    db: d.db,
    bufferDir: d.paths.buffer,
    reserveBytes: o.reserveBytes,
    now: d.clock.now,
    logger,
    protection: () => protection,
    statfs: async (dir) => {
      const used = await usedBytes(dir);
      return { totalBytes: disk.capacity, freeBytes: Math.max(0, disk.capacity - used) };
    },
  });
  return { d, janitor, disk, protection, lines };
}

/** Recordings of 10 segments (10 000 bytes), one every `spacing`, ending before NOW. */
async function fill(d: TestDevice, ids: string[], firstAt: Date, spacing: number): Promise<void> {
  for (const [i, id] of ids.entries()) {
    d.clock.set(new Date(firstAt.getTime() + i * spacing));
    await recordFinished(d, id, 10, SEGMENT);
  }
  d.clock.set(NOW);
}

const ids = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => recordingId(from + i));

void t.test("retention and overwrite, never touching protected footage", async (t) => {
  const d = await openDevice(NOW);
  const expiredFree = recordingId(1); // 10 days old, nothing protects it
  const expiredHeld = recordingId(2); // 10 days old, under a hold
  const expiredUpload = recordingId(3); // 9 days old, awaiting upload
  const recent = [recordingId(4), recordingId(5), recordingId(6), recordingId(7)] as const; // 4, 3, 2 and 1 days old
  await fill(d, [expiredFree, expiredHeld], new Date(NOW.getTime() - 10 * DAY), HOUR);
  await fill(d, [expiredUpload], new Date(NOW.getTime() - 9 * DAY), HOUR);
  await fill(d, [...recent], new Date(NOW.getTime() - 4 * DAY), DAY);
  const open = recordingId(9);
  const openDir = await beginAt(d, open);
  const first = await writeSegment(openDir, 1, SEGMENT);
  await d.index.addSegment(open, { ...first, closedAt: d.clock.now() });
  const stoppedBefore = (await outboxEvents(d.db)).length;

  // 7 recordings of 10 000 bytes + 1 000 in progress = 71 000 used of 100 000;
  // the reserve is 50 000.
  const s = await setup(t, { capacity: 100_000, reserveBytes: 50_000, device: d });
  s.protection.holds = [expiredHeld, recent[2]];
  s.protection.uploads = [expiredUpload];

  const report = await s.janitor.run();
  // free 29 000; retention +10 000 → 39 000; overwrite oldest unprotected
  // (recent[0], recent[1]; recent[2] is held) until ≥ 50 000 → 59 000.
  t.same(
    report.deleted,
    [
      { recordingId: expiredFree, reason: "retention", bytes: 10_000 },
      { recordingId: recent[0], reason: "overwrite", bytes: 10_000 },
      { recordingId: recent[1], reason: "overwrite", bytes: 10_000 },
    ],
    "retention first, then the oldest unprotected, only as much as needed",
  );
  t.equal(report.problem, null);
  t.equal(report.refuseRecording, false);
  t.same(report.storage, {
    totalBytes: 100_000,
    freeBytes: 59_000,
    bufferBytes: 41_000,
    protectedBytes: 31_000,
  });

  const left = (await d.index.recordings()).map((r) => r.recordingId);
  t.same(left.sort(), [expiredHeld, expiredUpload, recent[2], recent[3], open].sort());
  for (const id of [expiredHeld, expiredUpload, recent[2], recent[3]]) {
    t.equal((await filesIn(join(d.paths.buffer, id))).length, 10, `${id}: all its files`);
  }
  t.equal((await filesIn(openDir)).length, 1, "the open recording is untouched");
  for (const id of [expiredFree, recent[0], recent[1]]) {
    t.notOk(existsSync(join(d.paths.buffer, id)), `${id}: folder gone`);
  }
  const deleted = await eventsOfKind(d.db, "recording.deleted");
  t.same(
    deleted.map((e) => e.data),
    report.deleted,
    "one recording.deleted per deletion, with reason and bytes",
  );
  t.equal(
    (await outboxEvents(d.db)).length,
    stoppedBefore + 3,
    "no other event (space is not exhausted)",
  );

  const again = await s.janitor.run();
  t.same(again.deleted, [], "a second pass has nothing to do");
  t.equal((await eventsOfKind(d.db, "recording.deleted")).length, 3);

  // Released hold: retention takes it on the next pass; the upload stays protected.
  s.protection.holds = [recent[2]];
  const released = await s.janitor.run();
  t.same(released.deleted, [{ recordingId: expiredHeld, reason: "retention", bytes: 10_000 }]);
  t.ok(await d.index.get(expiredUpload), "awaiting upload: still kept, 9 days old");
});

void t.test("protected footage fills the disk: refuse, alert once per episode", async (t) => {
  const d = await openDevice(NOW);
  const [held, upload, free] = [recordingId(30), recordingId(31), recordingId(32)] as const;
  await fill(d, [held, upload, free], new Date(NOW.getTime() - 3 * HOUR), HOUR);
  const s = await setup(t, { capacity: 45_000, reserveBytes: 28_000, device: d });
  s.protection.holds = [held];
  s.protection.uploads = [upload];

  // free 15 000; even deleting `free` gives 25 000 < 28 000: keep it, refuse.
  const refused = await s.janitor.mayRecord();
  t.same(refused, { ok: false, refusal: "protected-footage-fills-the-disk" });
  t.same(s.janitor.lastReport?.deleted, [], "no footage sacrificed for nothing");
  t.ok(await d.index.get(free), "the unprotected recording is kept");
  let alerts = await eventsOfKind(d.db, "storage.exhausted");
  t.same(
    alerts.map((e) => e.data),
    [{ freeBytes: 15_000, protectedBytes: 20_000 }],
  );
  t.ok(
    s.lines.some((l) => l.msg === "storage exhausted: new recording is refused"),
    "logged",
  );

  await s.janitor.run();
  t.same(await s.janitor.mayRecord(), refused);
  alerts = await eventsOfKind(d.db, "storage.exhausted");
  t.equal(alerts.length, 1, "one alert per episode, not per pass");

  // A restart mid-episode does not alert again.
  await d.reopen();
  const restarted = await setup(t, { capacity: 45_000, reserveBytes: 28_000, device: d });
  restarted.protection.holds = [held];
  restarted.protection.uploads = [upload];
  t.same(await restarted.janitor.mayRecord(), refused);
  t.equal((await eventsOfKind(d.db, "storage.exhausted")).length, 1, "remembered across restarts");

  // Room again (say the disk grew): the episode ends, nothing is deleted.
  restarted.disk.capacity = 60_000;
  t.same(await restarted.janitor.mayRecord(), { ok: true, refusal: null });
  t.same(restarted.janitor.lastReport?.deleted, []);
  // Full again: a new episode, a second alert.
  restarted.disk.capacity = 45_000;
  t.same(await restarted.janitor.mayRecord(), refused);
  t.equal((await eventsOfKind(d.db, "storage.exhausted")).length, 2, "a new episode alerts");

  // The upload is done: that footage is no longer protected, and now deleting
  // helps, so the oldest unprotected go, as many as needed.
  restarted.protection.uploads = [];
  t.same(await restarted.janitor.mayRecord(), { ok: true, refusal: null });
  t.same(
    restarted.janitor.lastReport?.deleted.map((x) => [x.recordingId, x.reason]),
    [
      [upload, "overwrite"],
      [free, "overwrite"],
    ],
  );
  t.ok(await d.index.get(held), "the held recording stays");
  t.equal((await eventsOfKind(d.db, "storage.exhausted")).length, 2);
});

void t.test("a lost database never wipes the disk", async (t) => {
  const d = await openDevice(NOW);
  const recorded = ids(40, 5);
  await fill(d, recorded, new Date(NOW.getTime() - 30 * DAY), HOUR);
  await d.close();
  // The database is lost: a fresh, empty device.db next to the old buffer.
  for (const suffix of ["", "-wal", "-shm"]) rmSync(d.paths.database + suffix, { force: true });
  const fresh = await openDevice(NOW);
  // Point the fresh store's buffer at the old folder by moving it there.
  rmSync(fresh.paths.buffer, { recursive: true });
  renameSync(d.paths.buffer, fresh.paths.buffer);
  removeDir(d.dataDir);
  t.same(await fresh.index.recordings(), [], "the index is empty");

  // Every recording is 30 days old and the disk is nearly full: with a
  // trusting janitor, all of it would go.
  const s = await setup(t, { capacity: 52_000, reserveBytes: 10_000, device: fresh });
  const report = await s.janitor.run();
  t.same(report.deleted, [], "nothing deleted");
  t.match(report.problem, /index is empty but 5 folder\(s\).*database may have been lost/);
  t.equal(report.refuseRecording, true, "too little room, and the index cannot be trusted");
  t.equal(report.refusal, "buffer-index-problem");
  for (const id of recorded) {
    t.equal((await filesIn(join(fresh.paths.buffer, id))).length, 10, `${id}: intact`);
  }
  t.same(
    (await outboxEvents(fresh.db)).map((e) => e.kind),
    ["storage.exhausted"],
    "no deletion reported; the refusal is",
  );
  t.ok(
    s.lines.some((l) => l.level === 40 && /database may have been lost/.test(String(l.problem))),
    "the problem is logged as a warning",
  );
  t.same((await s.janitor.mayRecord()).ok, false);
  s.disk.capacity = 100_000;
  t.same(await s.janitor.mayRecord(), { ok: true, refusal: null }, "room enough: may record");
});

void t.test("index and folders that disagree beyond the tolerance", async (t) => {
  const d = await openDevice(NOW);
  const [gone, lost1, lost2] = [recordingId(50), recordingId(51), recordingId(52)] as const;
  const recorded = [gone, lost1, lost2, recordingId(53), recordingId(54), recordingId(55)];
  await fill(d, recorded, new Date(NOW.getTime() - 20 * DAY), HOUR);
  const s = await setup(t, { capacity: 1_000_000, reserveBytes: 0, device: d });

  // One folder without a row and one row without a folder: tolerated, reported.
  mkdirSync(join(d.paths.buffer, recordingId(99)));
  await writeSegment(join(d.paths.buffer, recordingId(99)), 1, 10);
  rmSync(join(d.paths.buffer, gone), { recursive: true });
  // Three folders go missing: beyond the tolerance of 2 in all.
  rmSync(join(d.paths.buffer, lost1), { recursive: true });
  rmSync(join(d.paths.buffer, lost2), { recursive: true });
  const distrusted = await s.janitor.run();
  t.same(distrusted.deleted, [], "20-day-old footage is not deleted while the index is doubted");
  t.match(distrusted.problem, /1 folder\(s\) without a row .*3 recording\(s\) without a folder/);
  t.equal(distrusted.refuseRecording, false, "there is room, so recording may go on");
  t.equal((await d.index.recordings()).length, 6);

  // Put two folders back: one stray and one missing is within the tolerance.
  mkdirSync(join(d.paths.buffer, lost1));
  mkdirSync(join(d.paths.buffer, lost2));
  const tolerated = await s.janitor.run();
  t.equal(tolerated.problem, null);
  t.same(tolerated.folders?.strays, [recordingId(99)]);
  t.same(tolerated.folders?.missing, [gone]);
  t.same(
    tolerated.deleted.map((x) => [x.recordingId, x.reason]),
    recorded.map((id) => [id, "retention"]),
    "retention resumes, oldest first",
  );
  t.equal(
    (await filesIn(join(d.paths.buffer, recordingId(99)))).length,
    1,
    "footage without a row is never deleted by the janitor",
  );
});

void t.test("start() and stop(): passes on a timer, none after stop", async (t) => {
  const s = await setup(t, { capacity: 1_000_000, reserveBytes: 0 });
  t.equal(s.janitor.lastReport, null);
  s.janitor.start();
  s.janitor.start(); // a second start does not add a second timer
  await s.janitor.stop();
  t.equal(s.janitor.lastReport?.reason, "timer", "the first pass runs at once");
  t.equal(s.janitor.lastReport?.problem, null);
  // If a timer were left behind, tap would never see this process end.
});

void t.test("a failing pass refuses recording and says why", async (t) => {
  const d = await openDevice(NOW);
  const s = await setup(t, { capacity: 1, reserveBytes: 0, device: d });
  const { logger } = captureLogger();
  const broken = new Janitor({
    index: d.index,
    db: d.db,
    bufferDir: d.paths.buffer,
    reserveBytes: 0,
    now: d.clock.now,
    logger,
    protection: () => s.protection,
    statfs: () => Promise.reject(new Error("EIO: the card has gone")),
  });
  t.same(await broken.mayRecord(), { ok: false, refusal: "janitor-failed" });
  t.match(broken.lastReport?.problem, /the card has gone/);
  t.throws(
    () =>
      new Janitor({
        index: d.index,
        db: d.db,
        bufferDir: d.paths.buffer,
        reserveBytes: -1,
        now: d.clock.now,
        logger,
        protection: () => s.protection,
      }),
    /reserveBytes is -1/,
  );
});

void t.test("no config yet: nothing is deleted, however old", async (t) => {
  const d = await openDevice(NOW);
  const old = recordingId(60);
  await fill(d, [old], new Date(NOW.getTime() - 30 * DAY), HOUR);
  const s = await setup(t, { capacity: 15_000, reserveBytes: 10_000, device: d });
  const { logger } = captureLogger();
  const janitor = new Janitor({
    index: d.index,
    db: d.db,
    bufferDir: d.paths.buffer,
    reserveBytes: 10_000,
    now: d.clock.now,
    logger,
    protection: () => null,
    statfs: async (dir) => ({ totalBytes: 15_000, freeBytes: 15_000 - (await usedBytes(dir)) }),
  });
  const report = await janitor.run();
  t.same(report.deleted, [], "a 30-day-old recording is kept while holds are unknown");
  t.match(report.problem, /no config from the controller yet/);
  t.same(
    { refuse: report.refuseRecording, refusal: report.refusal },
    { refuse: true, refusal: "buffer-index-problem" },
  );
  t.equal(report.storage?.protectedBytes, 10_000, "all footage counts as protected");
  t.ok(await d.index.get(old));
  // With the config known, retention proceeds.
  t.same(
    (await s.janitor.run()).deleted.map((x) => [x.recordingId, x.reason]),
    [[old, "retention"]],
  );
});

for (const when of ["under way", "just finished"] as const) {
  void t.test(`a delete request ${when} while the janitor plans`, async (t) => {
    const d = await openDevice(NOW);
    const [asked, expired] = [recordingId(70), recordingId(71)] as const;
    await fill(d, [asked, expired], new Date(NOW.getTime() - 30 * DAY), HOUR);
    const s = await setup(t, { capacity: 1_000_000, reserveBytes: 0, device: d });
    const pending: { request: Promise<{ bytes: number }> | null } = { request: null };
    const { logger } = captureLogger();
    const janitor = new Janitor({
      index: d.index,
      db: d.db,
      bufferDir: d.paths.buffer,
      reserveBytes: 0,
      now: d.clock.now,
      logger,
      protection: () => s.protection,
      // The janitor reads free space after it has read the recordings: the
      // request arrives exactly between reading and deleting.
      statfs: async () => {
        if (pending.request === null) {
          pending.request = d.index.remove(asked, "request");
          if (when === "just finished") await pending.request;
        }
        return { totalBytes: 1_000_000, freeBytes: 900_000 };
      },
    });
    const report = await janitor.run();
    t.same(await pending.request, { bytes: 10_000 });
    t.equal(report.problem, null, "the pass did not fail");
    t.same(
      report.deleted.map((x) => x.recordingId),
      [expired],
    );
    // which of the two commits first is the race itself; each must be reported once
    t.same(
      (await eventsOfKind(d.db, "recording.deleted"))
        .map((e) => [e.data.recordingId, e.data.reason])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        [asked, "request"],
        [expired, "retention"],
      ],
      "each recording reported deleted once",
    );
  });
}
