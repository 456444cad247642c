/**
 * The audit log: every sign-in, view, share, consent, hold, archive, deletion
 * and policy change, append-only and hash-chained. Each entry carries the hash
 * of the one before, so `verify()` finds an entry that was edited, removed,
 * inserted or moved. The DPO lists it with `page()` and takes it away with
 * `export()` (JSON, or CSV for a spreadsheet).
 *
 * An entry's hash is the SHA-256 (hex) of the JSON array
 * `[seq, at, actor, action, subject, detailJson, prevHash]`, where `detailJson`
 * is the detail as canonical JSON (object keys sorted, no whitespace) — the
 * exact text stored in `detail_json`. The first entry's `prevHash` is 64 zeros.
 *
 * A hash chain cannot tell that entries were cut off the end, or that the whole
 * chain was rewritten from some point on; against that, keep `head()` somewhere
 * else (e.g. in the DPO's records) and pass it to `verify({ anchor })` later.
 */
import { createHash } from "node:crypto";
import type { Database, Transaction } from "../db/database.js";
import type { KnownAuditAction } from "./audit-actions.js";
import { DomainError } from "./errors.js";

export const GENESIS_HASH = "0".repeat(64);

export { AUDIT_ACTIONS, type KnownAuditAction } from "./audit-actions.js";
/** What a new entry may say was done: only an action in use (`AUDIT_ACTIONS`). */
export type AuditAction = KnownAuditAction;

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface AuditEntry {
  seq: number;
  /** ISO 8601, UTC. */
  at: string;
  /** Who: a user id, a device id, or 'system'. */
  actor: string;
  /** An action in use when it was written (read back, it may be one no longer written). */
  action: string;
  /** What it was about (e.g. a recording id); may be ''. */
  subject: string;
  detail: JsonObject;
  prevHash: string;
  hash: string;
}

export interface AuditInput {
  actor: string;
  action: AuditAction;
  subject?: string;
  /** A plain JSON object, e.g. `{ reason: "safeguarding review" }`. */
  detail?: Record<string, unknown>;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  subject?: string;
  /** Entries at or after this time. */
  from?: Date | string;
  /** Entries before this time. */
  to?: Date | string;
}

export interface AuditPageQuery extends AuditFilter {
  /** Entries after this seq (0 or absent: from the start). */
  afterSeq?: number;
  /** 1–1000. */
  limit: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `afterSeq` for the next page; null when there is none. */
  next: number | null;
}

export type AuditVerification =
  { ok: true; entries: number } | { ok: false; seq: number; problem: string };

import type { Clock } from "./clock.js";

export const MAX_PAGE = 1000;
const VERIFY_BATCH = 10_000;
const MAX_DETAIL_BYTES = 64 * 1024;
const ACTION = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;
const CONTROL = /[\p{Cc}]/u;

/** An audit_log row as stored. */
export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail_json: string;
  prev_hash: string;
  hash: string;
}

const COLUMNS = "seq, at, actor, action, subject, detail_json, prev_hash, hash";

/** The hash of an entry, from its fields and its detail as stored (canonical JSON). */
export function entryHash(fields: {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detailJson: string;
  prevHash: string;
}): string {
  const canonical = JSON.stringify([
    fields.seq,
    fields.at,
    fields.actor,
    fields.action,
    fields.subject,
    fields.detailJson,
    fields.prevHash,
  ]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Canonical JSON: object keys sorted, no whitespace. Object properties that are
 * `undefined` are left out (as JSON.stringify does); anything else that is not
 * JSON (NaN, Infinity, bigint, functions, Dates, Maps, cycles) is refused.
 */
export function canonicalJson(value: unknown, path = "detail"): string {
  const seen = new Set<object>();
  const walk = (v: unknown, at: string): string => {
    if (v === null) return "null";
    switch (typeof v) {
      case "string":
      case "boolean":
        return JSON.stringify(v);
      case "number":
        if (!Number.isFinite(v)) throw new DomainError("invalid", `${at}: ${v} is not JSON`);
        return JSON.stringify(v);
      case "object": {
        if (seen.has(v)) throw new DomainError("invalid", `${at}: circular reference`);
        seen.add(v);
        let text: string;
        if (Array.isArray(v)) {
          text = `[${v.map((item, i) => walk(item, `${at}[${i}]`)).join(",")}]`;
        } else if (isPlainObject(v)) {
          const parts = Object.keys(v)
            .sort()
            .filter((key) => v[key] !== undefined)
            .map((key) => `${JSON.stringify(key)}:${walk(v[key], `${at}.${key}`)}`);
          text = `{${parts.join(",")}}`;
        } else {
          throw new DomainError("invalid", `${at}: must be plain JSON (not a class instance)`);
        }
        seen.delete(v);
        return text;
      }
      case "undefined":
      case "bigint":
      case "function":
      case "symbol":
        break;
    }
    throw new DomainError("invalid", `${at}: a ${typeof v} is not JSON`);
  };
  return walk(value, path);
}

function textProblem(
  name: string,
  value: unknown,
  options: { empty: boolean; max: number },
): string | null {
  if (typeof value !== "string") return `${name} must be a string`;
  if (!options.empty && value.trim() === "") return `${name} must not be empty`;
  if (value.length > options.max) return `${name} is at most ${options.max} characters`;
  if (CONTROL.test(value)) return `${name} must not contain control characters`;
  return null;
}

function checkInput(entry: AuditInput): {
  actor: string;
  action: string;
  subject: string;
  detailJson: string;
} {
  const problems = [
    textProblem("actor", entry.actor, { empty: false, max: 200 }),
    textProblem("action", entry.action, { empty: false, max: 64 }) ??
      (ACTION.test(entry.action)
        ? null
        : `action '${entry.action}' must be lower-case words joined by '.' or '-' (e.g. 'recording.view')`),
    textProblem("subject", entry.subject ?? "", { empty: true, max: 500 }),
  ];
  let detailJson = "{}";
  if (entry.detail !== undefined) {
    if (!isPlainObject(entry.detail)) {
      problems.push("detail must be a plain object");
    } else {
      try {
        detailJson = canonicalJson(entry.detail);
        if (Buffer.byteLength(detailJson) > MAX_DETAIL_BYTES) {
          problems.push(`detail is at most ${MAX_DETAIL_BYTES} bytes as JSON`);
        }
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        problems.push(error.message);
      }
    }
  }
  const found = problems.filter((problem): problem is string => problem !== null);
  if (found.length > 0)
    throw new DomainError("invalid", `audit entry refused: ${found.join("; ")}`);
  return {
    actor: entry.actor.trim(),
    action: entry.action,
    subject: entry.subject ?? "",
    detailJson,
  };
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    detail: JSON.parse(row.detail_json) as JsonObject,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function isoTime(name: string, value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new DomainError("invalid", `${name} is not a valid time: '${String(value)}'`);
  }
  return date.toISOString();
}

/** `WHERE` clause and parameters for a filter (plus `seq > afterSeq`). */
function where(filter: AuditFilter, afterSeq: number): { sql: string; params: unknown[] } {
  const clauses = ["seq > ?"];
  const params: unknown[] = [afterSeq];
  for (const key of ["actor", "action", "subject"] as const) {
    const value = filter[key];
    if (value === undefined) continue;
    if (typeof value !== "string") throw new DomainError("invalid", `${key} must be a string`);
    clauses.push(`${key} = ?`);
    params.push(value);
  }
  if (filter.from !== undefined) {
    clauses.push("at >= ?");
    params.push(isoTime("from", filter.from));
  }
  if (filter.to !== undefined) {
    clauses.push("at < ?");
    params.push(isoTime("to", filter.to));
  }
  return { sql: clauses.join(" AND "), params };
}

const CSV_HEADER = ["seq", "at", "actor", "action", "subject", "detail", "prev_hash", "hash"];

/**
 * One CSV field: RFC 4180 quoting, and a leading `'` on text a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR).
 */
export function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The hash a stored row should carry, from its own fields. */
export function rowHash(row: AuditRow): string {
  return entryHash({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    detailJson: row.detail_json,
    prevHash: row.prev_hash,
  });
}

export class AuditLog {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock = () => new Date(),
  ) {}

  /**
   * Appends an entry inside the caller's transaction, so the audited change and
   * its entry commit (or roll back) together.
   */
  async append(tx: Transaction, entry: AuditInput): Promise<AuditEntry> {
    const input = checkInput(entry);
    const last = await tx.get<{ seq: number; hash: string }>(
      "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
    );
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const at = this.clock().toISOString();
    const hash = entryHash({ seq, at, ...input, prevHash });
    await tx.run(`INSERT INTO audit_log (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
      seq,
      at,
      input.actor,
      input.action,
      input.subject,
      input.detailJson,
      prevHash,
      hash,
    ]);
    return {
      seq,
      at,
      actor: input.actor,
      action: input.action,
      subject: input.subject,
      detail: JSON.parse(input.detailJson) as JsonObject,
      prevHash,
      hash,
    };
  }

  /** Appends an entry in a transaction of its own. */
  record(entry: AuditInput): Promise<AuditEntry> {
    return this.db.transaction((tx) => this.append(tx, entry));
  }

  /** The last entry's seq and hash (null while the log is empty): keep it elsewhere as an anchor. */
  async head(): Promise<{ seq: number; hash: string } | null> {
    const row = await this.db.get<{ seq: number; hash: string }>(
      "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
    );
    return row ?? null;
  }

  /**
   * Walks the whole chain in order, a batch at a time, and names the first bad
   * entry: a gap in seq (an entry removed), content that does not match its
   * hash (an entry edited), or a prev_hash that is not the previous entry's
   * hash (an entry removed, inserted or moved, or a hash rewritten). With an
   * anchor (an earlier `head()`), also checks that entry is still there unchanged.
   */
  async verify(
    options: { anchor?: { seq: number; hash: string } } = {},
  ): Promise<AuditVerification> {
    const { anchor } = options;
    let expected = 1;
    let prevHash = GENESIS_HASH;
    for (;;) {
      const rows = await this.db.all<AuditRow>(
        `SELECT ${COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?`,
        [expected, VERIFY_BATCH],
      );
      if (expected === 1) {
        const stray = await this.db.get<{ seq: number }>(
          "SELECT seq FROM audit_log WHERE seq < 1 ORDER BY seq LIMIT 1",
        );
        if (stray) {
          return { ok: false, seq: stray.seq, problem: `entry ${stray.seq}: seq must start at 1` };
        }
      }
      for (const row of rows) {
        if (row.seq !== expected) {
          return {
            ok: false,
            seq: expected,
            problem:
              `entry ${expected} is missing: the log goes from ${expected - 1} to ${row.seq}` +
              " (removed)",
          };
        }
        if (rowHash(row) !== row.hash) {
          return {
            ok: false,
            seq: row.seq,
            problem: `entry ${row.seq} was altered: its content does not match its hash`,
          };
        }
        if (row.prev_hash !== prevHash) {
          return {
            ok: false,
            seq: row.seq,
            problem:
              expected === 1
                ? "entry 1 does not start the chain: its prev_hash is not the genesis hash"
                : `entry ${row.seq} does not follow entry ${row.seq - 1}: its prev_hash is not ` +
                  `entry ${row.seq - 1}'s hash (an entry was removed, inserted, moved or rewritten)`,
          };
        }
        if (anchor && row.seq === anchor.seq && row.hash !== anchor.hash) {
          return {
            ok: false,
            seq: row.seq,
            problem: `entry ${row.seq} does not match the anchored hash (the chain was rewritten)`,
          };
        }
        prevHash = row.hash;
        expected += 1;
      }
      if (rows.length < VERIFY_BATCH) break;
    }
    const count = expected - 1;
    if (anchor && anchor.seq > count) {
      return {
        ok: false,
        seq: count + 1,
        problem: `entries ${count + 1} to ${anchor.seq} are missing: the log ends at ${count} but entry ${anchor.seq} was anchored (truncated)`,
      };
    }
    return { ok: true, entries: count };
  }

  /** One page of entries in seq order, for the DPO's listing. */
  async page(query: AuditPageQuery): Promise<AuditPage> {
    const { limit } = query;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new DomainError("invalid", `limit must be a whole number from 1 to ${MAX_PAGE}`);
    }
    const afterSeq = query.afterSeq ?? 0;
    if (!Number.isInteger(afterSeq) || afterSeq < 0) {
      throw new DomainError("invalid", "afterSeq must be a whole number, 0 or more");
    }
    const filter = where(query, afterSeq);
    const rows = await this.db.all<AuditRow>(
      `SELECT ${COLUMNS} FROM audit_log WHERE ${filter.sql} ORDER BY seq LIMIT ?`,
      [...filter.params, limit + 1],
    );
    const entries = rows.slice(0, limit).map(toEntry);
    const last = entries.at(-1);
    return { entries, next: rows.length > limit && last ? last.seq : null };
  }

  /**
   * Every entry matching `filter`, as JSON (an array of entries, exactly as
   * stored) or CSV (header row, CRLF lines, detail as JSON text; text that
   * would start a spreadsheet formula gets a leading `'`).
   */
  async export(format: "json" | "csv", filter: AuditFilter = {}): Promise<string> {
    if (!["json", "csv"].includes(format)) {
      throw new DomainError("invalid", `export format must be 'json' or 'csv', not '${format}'`);
    }
    where(filter, 0); // validates before any work
    const lines: string[] = [];
    let afterSeq = 0;
    for (;;) {
      const { sql, params } = where(filter, afterSeq);
      const rows = await this.db.all<AuditRow>(
        `SELECT ${COLUMNS} FROM audit_log WHERE ${sql} ORDER BY seq LIMIT ?`,
        [...params, VERIFY_BATCH],
      );
      for (const row of rows) {
        lines.push(
          format === "json"
            ? JSON.stringify(toEntry(row))
            : [
                row.seq,
                row.at,
                row.actor,
                row.action,
                row.subject,
                row.detail_json,
                row.prev_hash,
                row.hash,
              ]
                .map(csvField)
                .join(","),
        );
      }
      const last = rows.at(-1);
      if (rows.length < VERIFY_BATCH || !last) break;
      afterSeq = last.seq;
    }
    if (format === "json") return lines.length === 0 ? "[]\n" : `[\n${lines.join(",\n")}\n]\n`;
    return [CSV_HEADER.join(","), ...lines].map((line) => `${line}\r\n`).join("");
  }
}
