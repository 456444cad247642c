/**
 * Shared by the buffer tests: a device.db in a temporary data folder, a fake
 * clock, real segment files written into recordings' folders.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { readdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeviceEvent } from "@classcam/protocol";
import type { Database } from "@classcam/sqlite";
import { BufferIndex, type SegmentRow } from "../../device/src/buffer/index.js";
import { openStore, type DevicePaths } from "../../device/src/store.js";

export const MiB = 1024 * 1024;
export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;

/** A UUID that names recording `n` in a test. */
export const recordingId = (n: number): string =>
  `00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`;

export class FakeClock {
  constructor(public time: Date) {}
  readonly now = (): Date => new Date(this.time.getTime());
  set(time: Date): void {
    this.time = time;
  }
  advance(ms: number): void {
    this.time = new Date(this.time.getTime() + ms);
  }
}

export interface TestDevice {
  dataDir: string;
  db: Database;
  paths: DevicePaths;
  index: BufferIndex;
  clock: FakeClock;
  /** Closes the database and opens it again (a restart), with a new index. */
  reopen: () => Promise<void>;
  close: () => Promise<void>;
}

/** A device data folder with an open device.db; `before` runs before the store is opened. */
export async function openDevice(
  start: Date,
  before?: (dataDir: string) => void,
): Promise<TestDevice> {
  const dataDir = mkdtempSync(join(tmpdir(), "classcam-buffer-"));
  before?.(dataDir);
  const clock = new FakeClock(start);
  const { db, paths } = await openStore(dataDir);
  const device: TestDevice = {
    dataDir,
    db,
    paths,
    index: new BufferIndex(db, paths.buffer, clock.now),
    clock,
    reopen: async () => {
      await device.db.close();
      const store = await openStore(dataDir);
      device.db = store.db;
      device.index = new BufferIndex(store.db, paths.buffer, clock.now);
    },
    close: async () => {
      await device.db.close();
    },
  };
  return device;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const segmentName = (seq: number): string => `seg-${seq.toString().padStart(5, "0")}.ts`;

/** Writes one segment file of `bytes` random bytes; returns its index row. */
export async function writeSegment(
  dir: string,
  seq: number,
  bytes: number,
  durationSeconds = 2,
): Promise<SegmentRow> {
  const content = randomBytes(bytes);
  const name = segmentName(seq);
  await writeFile(join(dir, name), content);
  return {
    seq,
    name,
    durationSeconds,
    bytes,
    sha256: createHash("sha256").update(content).digest("hex"),
  };
}

/** A recording that starts at the clock's time, gets `segments` segments and ends. */
export async function recordFinished(
  device: TestDevice,
  id: string,
  segments: number,
  segmentBytes: number,
): Promise<void> {
  const dir = await beginAt(device, id);
  for (let seq = 1; seq <= segments; seq++) {
    const segment = await writeSegment(dir, seq, segmentBytes);
    device.clock.advance(2000);
    await device.index.addSegment(id, { ...segment, closedAt: device.clock.now() });
  }
  await device.index.endRecording(id, { endedAt: device.clock.now(), reason: "button" });
}

export async function beginAt(device: TestDevice, id: string): Promise<string> {
  return device.index.beginRecording({
    recordingId: id,
    bookingId: "booking-1",
    startedAt: device.clock.now(),
    audio: true,
    encoder: "libx264",
  });
}

/** Every event in the outbox, oldest first. */
export async function outboxEvents(db: Database): Promise<DeviceEvent[]> {
  const rows = await db.all<{ payload: string }>("SELECT payload FROM outbox ORDER BY seq");
  return rows.map((row) => JSON.parse(row.payload) as DeviceEvent);
}

export async function eventsOfKind<K extends DeviceEvent["kind"]>(
  db: Database,
  kind: K,
): Promise<Extract<DeviceEvent, { kind: K }>[]> {
  return (await outboxEvents(db)).filter(
    (event): event is Extract<DeviceEvent, { kind: K }> => event.kind === kind,
  );
}

/** Files in a folder, sorted; [] when it does not exist. */
export async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** Bytes of all files under `dir` (a fake disk's used space). */
export async function usedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await usedBytes(path) : (await stat(path)).size;
  }
  return total;
}
