/**
 * The checks every argument passes before the binding sees it: paths, fourccs,
 * sizes, counts, option objects (unknown keys refused), stream options and
 * control names and values. Each throws a TypeError or RangeError saying what
 * is wrong.
 */
import { controlKey, isFourcc } from "./names.js";
import type { ControlInfo, ControlValue } from "./types.js";

/** The largest width or height V4L2 drivers take (vivid: 16384). */
export const MAX_DIMENSION = 65535;
export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;
export const UINT32_MAX = 0xffffffff;
export const DEFAULT_BUFFERS = 4;
export const DEFAULT_QUEUE = 8;
export const DEFAULT_FRAME_TIMEOUT_MS = 10_000;

export function checkPath(path: unknown): asserts path is string {
  if (typeof path !== "string" || path.length === 0 || path.includes("\0")) {
    throw new TypeError(`device path must be a non-empty string, got ${JSON.stringify(path)}`);
  }
}

export function checkFourcc(fourcc: unknown, field = "fourcc"): asserts fourcc is string {
  if (!isFourcc(fourcc)) {
    throw new TypeError(
      `${field} must be four printable ASCII characters such as "YUYV" or "MJPG", got ${JSON.stringify(fourcc)}`,
    );
  }
}

export function checkDimension(value: unknown, field: string): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${field} must be a whole number of pixels, got ${String(value)}`);
  }
  if (value < 1 || value > MAX_DIMENSION) {
    throw new RangeError(`${field} must be between 1 and ${MAX_DIMENSION} pixels, got ${value}`);
  }
}

export function checkCount(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${field} must be a whole number, got ${String(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${field} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

export function checkObject(
  value: unknown,
  what: string,
): asserts value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object, got ${value === null ? "null" : typeof value}`);
  }
}

/** Unknown keys are refused: a typo (`fourCC`) must not silently keep the old value. */
export function checkKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  what: string,
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${what} has an unknown field "${key}" (known: ${allowed.join(", ")})`);
    }
  }
}

export function checkStreamOptions(
  options: unknown,
  known: readonly string[] = ["buffers", "queue", "zeroCopy"],
): { buffers: number; queue: number; zeroCopy: boolean } {
  if (options === undefined)
    return { buffers: DEFAULT_BUFFERS, queue: DEFAULT_QUEUE, zeroCopy: false };
  checkObject(options, "stream options");
  checkKeys(options, known, "stream options");
  const buffers =
    options.buffers === undefined ? DEFAULT_BUFFERS : checkCount(options.buffers, "buffers", 1, 32);
  const queue =
    options.queue === undefined ? DEFAULT_QUEUE : checkCount(options.queue, "queue", 1, 1000);
  if (options.zeroCopy !== undefined && typeof options.zeroCopy !== "boolean") {
    throw new TypeError(`zeroCopy must be true or false, got ${JSON.stringify(options.zeroCopy)}`);
  }
  return { buffers, queue, zeroCopy: options.zeroCopy === true };
}

/** A control value as the binding takes it, or a TypeError saying what is wrong with it. */
export function controlValueOf(value: unknown): ControlValue {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "bigint" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new TypeError(`control value must be a whole number, got ${String(value)}`);
    }
    return value;
  }
  throw new TypeError(
    `control value must be a number, bigint, boolean or string, got ${value === null ? "null" : typeof value}`,
  );
}

/** Checks a value against the control's type (its range is the driver's to judge). */
export function valueForControl(control: ControlInfo, value: ControlValue): ControlValue {
  const what = `control "${control.key}" (${control.type})`;
  switch (control.type) {
    case "integer":
    case "boolean":
    case "menu":
    case "integer-menu":
    case "button":
    case "bitmask": {
      if (typeof value === "bigint" && value >= INT32_MIN && value <= UINT32_MAX) {
        value = Number(value);
      }
      if (typeof value !== "number") {
        throw new TypeError(`${what} takes a number, got ${typeof value}`);
      }
      const max = control.type === "bitmask" ? UINT32_MAX : INT32_MAX;
      const min = control.type === "bitmask" ? 0 : INT32_MIN;
      if (value < min || value > max) {
        throw new RangeError(`${what} takes a 32-bit value, got ${value}`);
      }
      return value;
    }
    case "integer64": {
      if (typeof value === "number") {
        if (!Number.isSafeInteger(value)) {
          throw new RangeError(`${what}: ${value} is not exact as a number; pass a bigint`);
        }
        return BigInt(value);
      }
      if (typeof value !== "bigint") throw new TypeError(`${what} takes a bigint, got string`);
      if (value < -(2n ** 63n) || value >= 2n ** 63n) {
        throw new RangeError(`${what} takes a 64-bit value, got ${value}`);
      }
      return value;
    }
    case "string":
      if (typeof value !== "string")
        throw new TypeError(`${what} takes a string, got ${typeof value}`);
      return value;
    case "u8":
    case "u16":
    case "u32":
    case "area":
    case "compound":
      throw new TypeError(
        `${what} is a compound control; v4l2-camera reads and sets scalar controls only`,
      );
  }
}

export function checkControlName(name: unknown): void {
  if (typeof name === "number") {
    checkCount(name, "control id", 1, UINT32_MAX);
    return;
  }
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`control must be an id or a key such as "brightness", got ${String(name)}`);
  }
  if (controlKey(name) !== name) {
    throw new TypeError(`control key "${name}" is not a key; did you mean "${controlKey(name)}"?`);
  }
}
