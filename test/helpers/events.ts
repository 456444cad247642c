/** Valid device events for tests: a mix of kinds, each with a fresh UUID. */
import { randomUUID } from "node:crypto";
import type { DeviceEvent } from "@classcam/protocol";

export function makeEvent(seq: number, at = new Date()): DeviceEvent {
  const common = { id: randomUUID(), seq, at: at.toISOString() };
  switch (seq % 4) {
    case 0:
      return {
        ...common,
        kind: "recording.started",
        data: {
          recordingId: randomUUID(),
          bookingId: `booking-${seq}`,
          audio: true,
          encoder: "libx264",
        },
      };
    case 1:
      return {
        ...common,
        kind: "recording.stopped",
        data: {
          recordingId: randomUUID(),
          reason: "button",
          durationSeconds: 600,
          segments: 150,
          bytes: 123_456_789,
        },
      };
    case 2:
      return {
        ...common,
        kind: "recording.refused",
        data: { reason: "no-booking", bookingId: null },
      };
    default:
      return { ...common, kind: "config.applied", data: { version: seq } };
  }
}

/** Fisher–Yates, with an injectable random source for reproducible runs. */
export function shuffle<T>(items: T[], random: () => number = Math.random): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** A small seeded PRNG (mulberry32) so a failing run can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
