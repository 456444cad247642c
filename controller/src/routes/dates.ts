/**
 * Dates the HTTP API takes, bounded in its schemas: a date and time from
 * 2000-01-01 to 2100-12-31 (`DateInput`), and a window whose end is after its
 * start and, where the route says so, not too long (`dateWindow`). Two ajv
 * keywords carry the rules (`addDateKeywords`, installed once on the app's
 * validator), so every route that takes a date refuses a year 9999 the same
 * way, with a 400 naming the field and the bound. Response schemas use the
 * plain `Timestamp`.
 */
import { Type, type TProperties } from "@sinclair/typebox";
import type { FastifyServerOptions } from "fastify";

/** The earliest date the API takes. */
export const EARLIEST_DATE = "2000-01-01";
/** The latest date the API takes (the whole day). */
export const LATEST_DATE = "2100-12-31";
const EARLIEST = Date.parse(`${EARLIEST_DATE}T00:00:00Z`);
const AFTER_LATEST = Date.parse(`${LATEST_DATE}T00:00:00Z`) + 86_400_000;
const DAY_MS = 86_400_000;

const BOUNDS = "x-date-bounds";
const WINDOW = "x-date-window";

/** A date and time the API takes: ISO 8601 with a time zone, from 2000 to 2100. */
export const DateInput = Type.String({ format: "date-time", maxLength: 40, [BOUNDS]: true });

export interface DateWindow {
  /** The field with the window's start. */
  from: string;
  /** The field with the window's end, which must be after the start. */
  to: string;
  /** The longest window, in days, when there is a limit. */
  maxDays?: number;
}

/** An object (a query) whose two date fields make a window: `to` after `from`, at most `maxDays` apart. */
export function DatedObject<T extends TProperties>(properties: T, window: DateWindow) {
  return Type.Object(properties, { additionalProperties: false, [WINDOW]: window });
}

interface KeywordError {
  keyword: string;
  message: string;
  params: Record<string, unknown>;
}

function instant(value: unknown): number {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)
    ? Date.parse(value)
    : Number.NaN;
}

function withinBounds(_enabled: unknown, value: unknown): boolean {
  const time = instant(value);
  // not a date at all: the `format` keyword says so
  if (Number.isNaN(time) || (time >= EARLIEST && time < AFTER_LATEST)) return true;
  withinBounds.errors = [
    {
      keyword: BOUNDS,
      message: `must be a date and time from ${EARLIEST_DATE} to ${LATEST_DATE}, not ${String(value)}`,
      params: { earliest: EARLIEST_DATE, latest: LATEST_DATE },
    },
  ];
  return false;
}
withinBounds.errors = [] as KeywordError[];

function aWindow(window: DateWindow, value: unknown): boolean {
  const fields = value as Record<string, unknown>;
  const from = instant(fields[window.from]);
  const to = instant(fields[window.to]);
  if (Number.isNaN(from) || Number.isNaN(to)) return true;
  let message: string | null = null;
  if (to <= from) message = `'${window.to}' must be after '${window.from}'`;
  else if (window.maxDays !== undefined && to - from > window.maxDays * DAY_MS) {
    message = `'${window.from}' and '${window.to}' must be at most ${window.maxDays} days apart`;
  }
  if (message === null) return true;
  aWindow.errors = [{ keyword: WINDOW, message, params: { ...window } }];
  return false;
}
aWindow.errors = [] as KeywordError[];

type OnCreate = NonNullable<NonNullable<FastifyServerOptions["ajv"]>["onCreate"]>;

/** Installs the two keywords on the app's validator (fastify's `ajv.onCreate`). */
export const addDateKeywords: OnCreate = (ajv) => {
  ajv.addKeyword({
    keyword: BOUNDS,
    type: "string",
    schemaType: "boolean",
    errors: true,
    validate: withinBounds,
  });
  ajv.addKeyword({
    keyword: WINDOW,
    type: "object",
    schemaType: "object",
    errors: true,
    validate: aWindow,
  });
};
