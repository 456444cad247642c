// The buffer index on a real device.db and real files: round trip, events in
// the same transaction, crash recovery, interrupted removals, storage and
// health figures.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import t, { type Test } from "tap";
import { healthFigures, storageFigures } from "../../device/src/buffer/health.js";
import {
  beginAt,
  eventsOfKind,
  filesIn,
  openDevice,
  outboxEvents,
  recordFinished,
  recordingId,
  removeDir,
  segmentName,
  writeSegment,
  type TestDevice,
} from "./buffer-helpers.js";

const START = new Date("2026-11-23T09:00:00.000Z");

async function device(t: Test): Promise<TestDevice> {
  const opened = await openDevice(START);
  t.teardown(async () => {
    await opened.close();
    removeDir(opened.dataDir);
  });
  return opened;
}

void t.test("a recording's round trip through the index", async (t) => {
  const d = await device(t);
  const id = recordingId(1);
  const dir = await beginAt(d, id);
  t.equal(dir, join(d.paths.buffer, id), "the folder is named by the recording id");
  t.ok(existsSync(dir), "the folder exists");

  const open = await d.index.get(id);
  t.equal(open?.endedAt, null, "in progress: no end yet");
  t.equal(open?.segments, 0);
  t.equal(open?.bookingId, "booking-1");
  t.equal(open?.audio, true);
  t.equal(open?.encoder, "libx264");
  t.same(open?.startedAt, START);

  const written = [];
  for (let seq = 1; seq <= 3; seq++) {
    const segment = await writeSegment(dir, seq, 1000 * seq, 2 + seq / 4);
    d.clock.advance(2000);
    await d.index.addSegment(id, { ...segment, closedAt: d.clock.now() });
    written.push(segment);
  }
  t.same(await d.index.segments(id), written, "segments come back as written");
  const during = await d.index.get(id);
  t.equal(during?.segments, 3);
  t.equal(during?.bytes, 6000);
  t.equal(during?.durationSeconds, 7.5);
  t.equal(await d.index.bytesWritten(), 6000, "bytes_written counts every segment");
  t.same(await eventsOfKind(d.db, "recording.stopped"), [], "nothing raised before the end");

  const endedAt = d.clock.now();
  const totals = await d.index.endRecording(id, { endedAt, reason: "button" });
  t.same(totals, { segments: 3, bytes: 6000, durationSeconds: 7.5 });
  const stopped = await eventsOfKind(d.db, "recording.stopped");
  t.equal(stopped.length, 1, "exactly one recording.stopped");
  t.same(stopped[0]?.data, { recordingId: id, reason: "button", ...totals });
  t.equal((await outboxEvents(d.db)).length, 1, "and nothing else in the outbox");

  const ended = await d.index.get(id);
  t.same(ended?.endedAt, endedAt);
  t.equal(ended?.stopReason, "button");
  t.same(
    (await d.index.recordings()).map((r) => r.recordingId),
    [id],
  );

  await t.rejects(
    d.index.endRecording(id, { endedAt, reason: "button" }),
    /has already ended/,
    "ending twice is refused",
  );
  t.equal((await eventsOfKind(d.db, "recording.stopped")).length, 1, "still one event");
  const late = await writeSegment(dir, 4, 10);
  await t.rejects(
    d.index.addSegment(id, { ...late, closedAt: d.clock.now() }),
    /has ended/,
    "no segment after the end",
  );
  t.equal(await d.index.bytesWritten(), 6000, "a refused segment is not counted");
});

void t.test("bad input is refused with a clear reason and changes nothing", async (t) => {
  const d = await device(t);
  await t.rejects(
    d.index.beginRecording({
      recordingId: "../etc",
      bookingId: null,
      startedAt: START,
      audio: false,
      encoder: "copy",
    }),
    /recording id "..\/etc" is not a UUID/,
  );
  const id = recordingId(2);
  const dir = await beginAt(d, id);
  await t.rejects(beginAt(d, recordingId(3)), /is still in progress/, "one recording at a time");
  await t.rejects(beginAt(d, id), /still in progress|already in the buffer/);

  const segment = await writeSegment(dir, 1, 500);
  const closedAt = d.clock.now();
  await t.rejects(
    d.index.addSegment(id, { ...segment, bytes: 499, closedAt }),
    /is 500 bytes on disk, not 499/,
  );
  await t.rejects(
    d.index.addSegment(id, { ...segment, name: "seg-00009.ts", closedAt }),
    /segment seg-00009.ts of recording .* is not on disk/,
  );
  await t.rejects(
    d.index.addSegment(id, { ...segment, sha256: "nope", seq: -1, closedAt }),
    /seq is -1.*sha256 must be 64/,
  );
  await t.rejects(
    d.index.addSegment(recordingId(9), { ...segment, closedAt }),
    /is not on disk|is not in the buffer/,
  );
  await d.index.addSegment(id, { ...segment, closedAt });
  await t.rejects(
    d.index.addSegment(id, { ...segment, closedAt }),
    /already has segment 1 \(seg-00001.ts\)/,
    "a segment is indexed once",
  );
  await t.rejects(d.index.remove(id, "request"), /is in progress/, "the open one is not removed");
  await t.rejects(
    d.index.endRecording(id, { endedAt: new Date(START.getTime() - 1000), reason: "button" }),
    /before it started/,
  );
  t.equal((await d.index.get(id))?.segments, 1);
  t.same(await outboxEvents(d.db), [], "no event for refused changes");
});

void t.test("remove deletes rows and files and reports it in one go", async (t) => {
  const d = await device(t);
  const id = recordingId(4);
  await recordFinished(d, id, 3, 700);
  const dir = join(d.paths.buffer, id);
  t.equal((await filesIn(dir)).length, 3);

  t.same(await d.index.remove(id, "request"), { bytes: 2100 });
  t.equal(await d.index.get(id), undefined, "row gone");
  t.same(await d.index.segments(id), [], "segment rows gone");
  t.notOk(existsSync(dir), "folder gone");
  t.same(await filesIn(d.paths.buffer), [], "no trash left behind");
  const deleted = await eventsOfKind(d.db, "recording.deleted");
  t.same(
    deleted.map((e) => e.data),
    [{ recordingId: id, reason: "request", bytes: 2100 }],
  );
  await t.rejects(d.index.remove(id, "request"), /is not in the buffer/);
  t.equal((await eventsOfKind(d.db, "recording.deleted")).length, 1);
});

void t.test("interrupted removals are finished or undone by reconcileFolders", async (t) => {
  const d = await device(t);
  const kept = recordingId(5);
  const gone = recordingId(6);
  await recordFinished(d, kept, 2, 100);
  await recordFinished(d, gone, 2, 100);

  // Power cut after the folder was moved aside but before the rows committed:
  await rename(join(d.paths.buffer, kept), join(d.paths.buffer, `.trash-${kept}`));
  // Power cut after the rows committed but before the files were removed:
  await d.db.transaction((tx) => tx.run("DELETE FROM recordings WHERE id = ?", [gone]));
  await rename(join(d.paths.buffer, gone), join(d.paths.buffer, `.trash-${gone}`));
  // A folder made for a row that never committed, still empty:
  mkdirSync(join(d.paths.buffer, recordingId(7)));
  // Footage without a row: reported, never deleted here.
  mkdirSync(join(d.paths.buffer, recordingId(8)));
  writeFileSync(join(d.paths.buffer, recordingId(8), "seg-00001.ts"), "footage");

  const survey = await d.index.reconcileFolders();
  t.same(survey.restored, [kept]);
  t.same(survey.cleaned.sort(), [`.trash-${gone}`, recordingId(7)].sort());
  t.same(survey.strays, [recordingId(8)]);
  t.same(survey.missing, []);
  t.same(await filesIn(d.paths.buffer), [kept, recordingId(8)].sort());
  t.equal((await filesIn(join(d.paths.buffer, kept))).length, 2, "the kept footage is whole");

  const again = await d.index.reconcileFolders();
  t.same(again, { strays: [recordingId(8)], missing: [], restored: [], cleaned: [] });
});

void t.test("recover() after a crash mid-recording", async (t) => {
  const d = await device(t);
  const id = recordingId(10);
  const dir = await beginAt(d, id);
  const segments = [];
  for (let seq = 1; seq <= 5; seq++) segments.push(await writeSegment(dir, seq, 1000 + seq));
  // The index saw segments 1 and 2; then the power went.
  for (const segment of segments.slice(0, 2)) {
    d.clock.advance(2000);
    await d.index.addSegment(id, { ...segment, closedAt: d.clock.now() });
  }
  // Segment 2's file is lost (e.g. the card dropped the last writes).
  await unlink(join(dir, segmentName(2)));
  // ffmpeg had listed 1–3 in the playlist, closed 4 (5 follows it), and was
  // writing 5 (not listed, nothing after it) and 6 (.tmp).
  await writeFile(
    join(dir, "index.m3u8"),
    [
      "#EXTM3U",
      "#EXT-X-VERSION:3",
      "#EXT-X-TARGETDURATION:2",
      "#EXT-X-MEDIA-SEQUENCE:1",
      "#EXTINF:2.000000,",
      segmentName(1),
      "#EXTINF:2.000000,",
      segmentName(2),
      "#EXTINF:1.960000,",
      segmentName(3),
      "",
    ].join("\n"),
  );
  await writeFile(join(dir, `${segmentName(6)}.tmp`), "half a segment");
  await d.reopen(); // the daemon starts again

  const report = await d.index.recover();
  t.equal(report.recordings.length, 1);
  const recovered = report.recordings[0];
  t.same(recovered?.indexed, [segmentName(3), segmentName(4)], "complete segments indexed");
  t.same(recovered?.vanished, [segmentName(2)], "the lost segment dropped");
  t.same(recovered?.discarded, [segmentName(5)], "the last unlisted segment discarded");
  t.same(recovered?.removedTemporary, [`${segmentName(6)}.tmp`], ".tmp removed");
  t.equal(recovered?.folderMissing, false);

  t.same(
    await filesIn(dir),
    ["index.m3u8", segmentName(1), segmentName(3), segmentName(4)],
    "the folder holds exactly the indexed segments",
  );
  const rows = await d.index.segments(id);
  t.same(
    rows.map((s) => [s.seq, s.name, s.durationSeconds]),
    [
      [1, segmentName(1), 2],
      [3, segmentName(3), 1.96],
      [4, segmentName(4), 2],
    ],
  );
  for (const row of rows) {
    const content = await readFile(join(dir, row.name));
    t.equal(row.bytes, content.length, `${row.name}: size`);
    t.equal(row.sha256, createHash("sha256").update(content).digest("hex"), `${row.name}: hash`);
  }
  const bytes = rows.reduce((sum, s) => sum + s.bytes, 0);
  const recording = await d.index.get(id);
  t.equal(recording?.stopReason, "error");
  t.equal(recording?.segments, 3);
  t.equal(recording?.bytes, bytes);
  t.ok(recording?.endedAt, "closed");
  t.ok(
    (recording?.endedAt?.getTime() ?? 0) >= START.getTime(),
    "it ends no earlier than it started",
  );
  t.equal(recovered?.bytes, bytes);

  const stopped = await eventsOfKind(d.db, "recording.stopped");
  t.same(
    stopped.map((e) => e.data),
    [{ recordingId: id, reason: "error", segments: 3, bytes, durationSeconds: 2 + 1.96 + 2 }],
    "recording.stopped raised once with the reconciled totals",
  );
  t.equal(
    await d.index.bytesWritten(),
    1001 + 1002 + 1003 + 1004,
    "bytes_written counts the recovered segments too (what was written, not what is left)",
  );

  // Idempotent: a second start-up finds nothing to do.
  const before = { outbox: await outboxEvents(d.db), segments: await d.index.segments(id) };
  await d.reopen();
  t.same(await d.index.recover(), { recordings: [] });
  t.same(await outboxEvents(d.db), before.outbox, "no event raised twice");
  t.same(await d.index.segments(id), before.segments);
  t.same(await filesIn(dir), ["index.m3u8", segmentName(1), segmentName(3), segmentName(4)]);

  // The next recording may begin.
  await beginAt(d, recordingId(11));
});

void t.test("recover() when the open recording's folder is gone", async (t) => {
  const d = await device(t);
  const id = recordingId(12);
  const dir = await beginAt(d, id);
  const segment = await writeSegment(dir, 1, 64);
  await d.index.addSegment(id, { ...segment, closedAt: d.clock.now() });
  await rm(dir, { recursive: true });

  const report = await d.index.recover();
  t.equal(report.recordings[0]?.folderMissing, true);
  t.same(report.recordings[0]?.vanished, [segmentName(1)]);
  t.equal((await d.index.get(id))?.segments, 0);
  const stopped = await eventsOfKind(d.db, "recording.stopped");
  t.same(
    stopped.map((e) => e.data),
    [{ recordingId: id, reason: "error", segments: 0, bytes: 0, durationSeconds: 0 }],
  );
  t.same(await d.index.recover(), { recordings: [] });
});

void t.test("storage and health figures", async (t) => {
  const d = await device(t);
  await recordFinished(d, recordingId(20), 2, 1000); // held
  await recordFinished(d, recordingId(21), 2, 300); // awaiting upload
  await recordFinished(d, recordingId(22), 1, 50); // neither
  const open = await beginAt(d, recordingId(23));
  const segment = await writeSegment(open, 1, 7);
  await d.index.addSegment(recordingId(23), { ...segment, closedAt: d.clock.now() });

  const figures = await storageFigures(
    d.paths.buffer,
    d.index,
    { holds: [recordingId(20)], uploads: [recordingId(21)] },
    (dir) => {
      t.equal(dir, d.paths.buffer, "asks about the buffer's own file system");
      return Promise.resolve({ totalBytes: 1_000_000, freeBytes: 400_000.7 });
    },
  );
  t.same(figures, {
    totalBytes: 1_000_000,
    freeBytes: 400_000,
    bufferBytes: 2000 + 600 + 50 + 7,
    protectedBytes: 2000 + 600 + 7,
  });
  const real = await storageFigures(d.paths.buffer, d.index, { holds: [], uploads: [] });
  t.ok(real.totalBytes > 0 && real.freeBytes <= real.totalBytes, "fs.statfs on the real disk");

  const thermal = join(d.dataDir, "thermal");
  for (const [zone, text] of [
    ["thermal_zone0", "48312\n"],
    ["thermal_zone1", "51000"],
    ["thermal_zone2", "garbage"],
    ["thermal_zone3", "999999"],
  ] as const) {
    mkdirSync(join(thermal, zone), { recursive: true });
    writeFileSync(join(thermal, zone, "temp"), text);
  }
  mkdirSync(join(thermal, "cooling_device0"));
  t.same(
    await healthFigures(START, new Date(START.getTime() + 90_500), 12345, thermal),
    { uptimeSeconds: 90, temperatureC: 51, bytesWritten: 12345 },
    "the hottest sensible zone",
  );
  t.equal(
    (await healthFigures(START, START, 0, join(d.dataDir, "none"))).temperatureC,
    null,
    "no thermal zones: null",
  );
});
