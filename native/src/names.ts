/** Names: stable control keys, four-character codes and frame-rate fractions. */
import type { Fraction } from "./types.js";

/**
 * The stable key for a control name, as v4l2-ctl makes it: lowercase, every
 * run of characters that are not letters or digits becomes one `_`, none at
 * the ends. `Power Line Frequency` → `power_line_frequency`,
 * `White Balance, Automatic` → `white_balance_automatic`.
 */
export function controlKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

const FOURCC = /^[\x20-\x7e]{4}(-BE)?$/;

/** Four printable ASCII characters, optionally followed by `-BE`. */
export function isFourcc(value: unknown): value is string {
  return typeof value === "string" && FOURCC.test(value);
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The time per frame for a frame rate: 30 → 1/30, 29.97 → 100/2997. */
export function intervalForFps(fps: number): Fraction {
  if (Number.isInteger(fps)) return { numerator: 1, denominator: fps };
  const numerator = 1000;
  const denominator = Math.round(fps * 1000);
  const divisor = gcd(numerator, denominator);
  return { numerator: numerator / divisor, denominator: denominator / divisor };
}

/** Frames per second for a time per frame (0 when the fraction says nothing). */
export function fpsOf(interval: Fraction): number {
  return interval.numerator === 0 ? 0 : interval.denominator / interval.numerator;
}
