/**
 * The controls of a fake camera, as vivid has them: one of every scalar type,
 * with menus, a class header the listings skip, and an inactive flag that
 * follows auto white balance.
 */
import { controlKey } from "./names.js";
import type { ControlFlag, ControlInfo, ControlType, ControlValue, MenuItem } from "./types.js";

export interface FakeControl {
  id: number;
  name: string;
  type: ControlType;
  typeCode: number;
  min: number;
  max: number;
  step: number;
  default: ControlValue;
  flags: ControlFlag[];
  menu?: MenuItem[];
}

export const TYPE_CODES: Partial<Record<ControlType, number>> = {
  integer: 1,
  boolean: 2,
  menu: 3,
  button: 4,
  integer64: 5,
  string: 7,
  bitmask: 8,
  "integer-menu": 9,
};

export function control(
  id: number,
  name: string,
  type: ControlType,
  range: { min: number; max: number; step?: number; default: ControlValue },
  flags: ControlFlag[] = [],
  menu?: MenuItem[],
): FakeControl {
  const made: FakeControl = {
    id,
    name,
    type,
    typeCode: TYPE_CODES[type] ?? 0,
    min: range.min,
    max: range.max,
    step: range.step ?? 1,
    default: range.default,
    flags,
  };
  if (menu !== undefined) made.menu = menu;
  return made;
}

/** A class header (skipped by listings) — kept to show the fake skips it too. */
export const CLASS_HEADERS = new Set([0x00980001, 0x009a0001]);
export const AUTO_WHITE_BALANCE = 0x0098090c;
export const WHITE_BALANCE_TEMPERATURE = 0x0098091a;

export function vividControls(): FakeControl[] {
  return [
    control(0x00980900, "Brightness", "integer", { min: 0, max: 255, default: 128 }, ["slider"]),
    control(0x00980901, "Contrast", "integer", { min: 0, max: 255, default: 128 }, ["slider"]),
    control(0x00980902, "Saturation", "integer", { min: 0, max: 255, default: 128 }, ["slider"]),
    control(0x00980903, "Hue", "integer", { min: -128, max: 127, default: 0 }, ["slider"]),
    control(
      AUTO_WHITE_BALANCE,
      "White Balance, Automatic",
      "boolean",
      { min: 0, max: 1, default: 1 },
      ["update"],
    ),
    control(0x00980913, "Gain", "integer", { min: 0, max: 255, default: 100 }, ["volatile"]),
    control(
      0x00980918,
      "Power Line Frequency",
      "menu",
      { min: 0, max: 3, default: 1 },
      [],
      [
        { index: 0, name: "Disabled" },
        { index: 1, name: "50 Hz" },
        { index: 2, name: "60 Hz" },
        { index: 3, name: "Auto" },
      ],
    ),
    control(
      WHITE_BALANCE_TEMPERATURE,
      "White Balance Temperature",
      "integer",
      { min: 2800, max: 6500, step: 10, default: 4600 },
      ["inactive"],
    ),
    control(0x0098f000, "Button", "button", { min: 0, max: 0, step: 0, default: 0 }, [
      "write-only",
      "execute-on-write",
    ]),
    control(0x0098f001, "Boolean", "boolean", { min: 0, max: 1, default: 1 }),
    control(0x0098f002, "Integer 32 Bits", "integer", {
      min: -0x80000000,
      max: 0x7fffffff,
      default: 0,
    }),
    control(0x0098f003, "Integer 64 Bits", "integer64", {
      min: -(2 ** 63),
      max: 2 ** 63,
      default: 0n,
    }),
    control(
      0x0098f004,
      "Menu",
      "menu",
      { min: 1, max: 4, default: 3 },
      [],
      [
        { index: 1, name: "Menu Item 1" },
        { index: 3, name: "Menu Item 3" },
        { index: 4, name: "Menu Item 4" },
      ],
    ),
    control(0x0098f005, "String", "string", { min: 2, max: 4, default: "  " }, ["has-payload"]),
    control(0x0098f006, "Bitmask", "bitmask", {
      min: 0,
      max: 0x8000250f,
      step: 0,
      default: 0x80002000,
    }),
    control(
      0x0098f007,
      "Integer Menu",
      "integer-menu",
      { min: 1, max: 8, default: 4 },
      [],
      [1, 2, 3, 5, 8, 13, 21, 42]
        .map((value, at) => ({ index: at + 1, value }))
        .filter((item) => item.index !== 2),
    ),
    control(0x0098f008, "Read-Only Integer 32 Bits", "integer", { min: 0, max: 255, default: 0 }, [
      "read-only",
      "volatile",
    ]),
    control(0x0098f009, "Disabled Integer", "integer", { min: 0, max: 1, default: 0 }, [
      "disabled",
    ]),
  ];
}

export function clampStep(value: number, min: number, max: number, step: number): number {
  const clamped = Math.min(max, Math.max(min, value));
  if (step <= 1) return clamped;
  return min + Math.floor((clamped - min + step / 2) / step) * step;
}

/** How a control is listed (VIDIOC_QUERY_EXT_CTRL), with its current value. */
export function describeControl(each: FakeControl, values: Map<number, ControlValue>): ControlInfo {
  const flags = [...each.flags];
  if (each.id === WHITE_BALANCE_TEMPERATURE && values.get(AUTO_WHITE_BALANCE) === 0) {
    flags.splice(flags.indexOf("inactive"), 1);
  }
  const info: ControlInfo = {
    id: each.id,
    name: each.name,
    key: controlKey(each.name),
    type: each.type,
    typeCode: each.typeCode,
    min: each.min,
    max: each.max,
    step: each.step,
    default: typeof each.default === "string" ? 0 : Number(each.default),
    flags,
  };
  if (each.type !== "button" && !flags.includes("write-only")) {
    info.value = values.get(each.id) ?? each.default;
  }
  if (each.menu !== undefined) info.menu = each.menu.map((item) => ({ ...item }));
  return info;
}

/**
 * The value a fake control keeps when set to `value`, as vivid settles it
 * (integers clamped into range and step); undefined for a button, which keeps
 * nothing. `fail` throws the driver's error.
 */
export function keptValue(
  found: FakeControl,
  value: ControlValue,
  fail: (code: string, detail: string) => never,
): ControlValue | undefined {
  const number = (): number =>
    typeof value === "number" ? value : fail("EINVAL", `wants a number, got ${typeof value}`);
  switch (found.type) {
    case "integer":
      return clampStep(number(), found.min, found.max, found.step);
    case "boolean":
      return number() === 0 ? 0 : 1;
    case "menu":
    case "integer-menu": {
      const index = number();
      if (index < found.min || index > found.max) fail("ERANGE", `${index} is out of range`);
      if (!(found.menu ?? []).some((item) => item.index === index)) {
        fail("EINVAL", `menu index ${index} is skipped`);
      }
      return index;
    }
    case "bitmask":
      return (number() & found.max) >>> 0;
    case "button":
      return undefined;
    case "integer64":
      return typeof value === "bigint" ? value : fail("EINVAL", "wants a bigint");
    case "string": {
      const text = typeof value === "string" ? value : fail("EINVAL", "wants a string");
      if (text.length < found.min || text.length > found.max) {
        fail("ERANGE", `length ${text.length} is outside ${found.min}..${found.max}`);
      }
      return text;
    }
    case "u8":
    case "u16":
    case "u32":
    case "area":
    case "compound":
      return fail("EINVAL", "compound");
  }
}
