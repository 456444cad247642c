// Plain JavaScript so that both the device benchmark (TypeScript) and its box
// (which runs the built packages without tsx) can use it.
import { readFileSync } from "node:fs";

/**
 * This process's own CPU ticks and those of its reaped children (ffmpeg), and
 * the bytes it and its reaped children caused to be written to storage (Linux
 * adds a child's I/O counts to its parent's when the parent reaps it).
 */
export function processUsage() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .map(Number);
  const io = readFileSync("/proc/self/io", "utf8");
  return {
    ownTicks: (fields[11] ?? 0) + (fields[12] ?? 0),
    childTicks: (fields[13] ?? 0) + (fields[14] ?? 0),
    writeBytes: Number(/write_bytes: (\d+)/.exec(io)?.[1] ?? 0),
  };
}
