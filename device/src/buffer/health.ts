/**
 * Figures the box reports in its retained state: the buffer's storage
 * (`DeviceState.storage`) and its health (`DeviceState.health`).
 */
import { readdir, readFile, statfs } from "node:fs/promises";
import { join } from "node:path";
import { isProtected, type BufferRecording, type DeviceState } from "@classcam/protocol";
import type { BufferIndex, BufferRecordingRow } from "./index.js";

export type StorageFigures = NonNullable<DeviceState["storage"]>;
export type HealthFigures = NonNullable<DeviceState["health"]>;

/** Size and free space of the file system holding `dir`. */
export type Statfs = (dir: string) => Promise<{ totalBytes: number; freeBytes: number }>;

/** The real file system, through `statfs(2)`; free space is what an unprivileged writer may use. */
export const readStatfs: Statfs = async (dir) => {
  const figures = await statfs(dir);
  return { totalBytes: figures.blocks * figures.bsize, freeBytes: figures.bavail * figures.bsize };
};

export interface Protection {
  /** Recording ids under a hold. */
  holds: readonly string[];
  /** Recording ids waiting to be uploaded. */
  uploads: readonly string[];
}

/** Bytes of footage in the index, and of the part that overwrite may not touch. */
export function bufferBytes(
  recordings: readonly BufferRecordingRow[],
  protection: Protection,
): { bufferBytes: number; protectedBytes: number } {
  let total = 0;
  let protectedBytes = 0;
  for (const recording of recordings) {
    total += recording.bytes;
    if (isProtected(toBufferRecording(recording, protection.uploads), protection.holds)) {
      protectedBytes += recording.bytes;
    }
  }
  return { bufferBytes: total, protectedBytes };
}

/** A row of the index as `planBuffer` takes it. */
export function toBufferRecording(
  recording: BufferRecordingRow,
  uploads: readonly string[],
): BufferRecording {
  return {
    recordingId: recording.recordingId,
    startedAt: recording.startedAt.toISOString(),
    endedAt: recording.endedAt?.toISOString() ?? null,
    bytes: recording.bytes,
    awaitingUpload: uploads.includes(recording.recordingId),
  };
}

/** The buffer's storage figures, as `DeviceState.storage` carries them. */
export async function storageFigures(
  bufferDir: string,
  index: BufferIndex,
  protection: Protection,
  readSpace: Statfs = readStatfs,
): Promise<StorageFigures> {
  const [space, recordings] = await Promise.all([readSpace(bufferDir), index.recordings()]);
  return { ...wholeBytes(space), ...bufferBytes(recordings, protection) };
}

export function wholeBytes(space: { totalBytes: number; freeBytes: number }): {
  totalBytes: number;
  freeBytes: number;
} {
  return {
    totalBytes: Math.max(0, Math.floor(space.totalBytes)),
    freeBytes: Math.max(0, Math.floor(space.freeBytes)),
  };
}

/**
 * The box's health, as `DeviceState.health` carries it. The temperature is the
 * hottest of `<thermalDir>/thermal_zone<n>/temp` (millidegrees), or null when
 * there is none (a VM, a container).
 */
export async function healthFigures(
  startedAt: Date,
  now: Date,
  bytesWritten: number,
  thermalDir = "/sys/class/thermal",
): Promise<HealthFigures> {
  return {
    uptimeSeconds: Math.max(0, Math.floor((now.getTime() - startedAt.getTime()) / 1000)),
    temperatureC: await readTemperature(thermalDir),
    bytesWritten: Math.max(0, Math.floor(bytesWritten)),
  };
}

async function readTemperature(thermalDir: string): Promise<number | null> {
  let zones: string[];
  try {
    zones = (await readdir(thermalDir)).filter((name) => name.startsWith("thermal_zone"));
  } catch {
    return null;
  }
  let hottest: number | null = null;
  for (const zone of zones) {
    let text: string;
    try {
      text = await readFile(join(thermalDir, zone, "temp"), "utf8");
    } catch {
      continue; // some zones refuse reads (e.g. a sensor that is switched off)
    }
    const milli = Number.parseInt(text.trim(), 10);
    if (!Number.isFinite(milli)) continue;
    const celsius = Math.round(milli / 100) / 10;
    // The state schema accepts -50…150 °C; anything else is a broken sensor.
    if (celsius < -50 || celsius > 150) continue;
    if (hottest === null || celsius > hottest) hottest = celsius;
  }
  return hottest;
}
