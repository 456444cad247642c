/**
 * The small readers and word-makers the audit log's sentences are written
 * with (audit-sentences.ts): a field of an entry's detail as text, a number
 * or a list, "3 recordings", "A, B and C".
 */
import type { AuditEntry } from "./types-school.js";

export type Detail = AuditEntry["detail"];

export const text = (detail: Detail, key: string): string | null => {
  const value = detail[key];
  return typeof value === "string" ? value : null;
};
export const number = (detail: Detail, key: string): number | null => {
  const value = detail[key];
  return typeof value === "number" ? value : null;
};
export const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
export const object = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
export const quoted = (words: string | null) => (words === null ? "" : `: “${words}”`);
export const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString("en-GB")} ${n === 1 ? one : many}`;

/** "A, B and C" */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "none";
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1) ?? ""}`;
}
