/**
 * Benchmark: the controller's HTTP API reads on a school-sized and a
 * trust-sized database, and the retention sweep's cost per 100,000 recordings.
 *
 * The controller is built in this process (`startController`, as the tests
 * do, timers off, a fixed clock) and listens on a real loopback socket. The
 * load is a child process (this file with `--client`): N concurrent signed-in
 * sessions, each a closed loop of `fetch` calls with its own session cookie,
 * so the client's own work does not run on the server's event loop.
 *
 * Each dataset is seeded with SQL (`INSERT … SELECT FROM json_each(?)`, a few
 * thousand rows per statement), not through the API:
 *  - a base database, made once and copied for each dataset: 1,000,000 audit
 *    entries forming a valid hash chain (computed here with `entryHash`, the
 *    append-only trigger checking every row), the school's policy, and the
 *    accounts the sessions sign in as (made with `app.people.add`, signed in
 *    over HTTP; their sessions live in the copied database);
 *  - "school": 60 devices, ~120 staff, a school year of bookings (5 a day per
 *    device), recordings for 60 % of past bookings, shares, holds, alerts;
 *  - "trust": 3,000 devices (50 schools), the same per school; its bookings
 *    cover fewer school days (`--trust-days`) to keep seeding short.
 * Recordings are left as the hourly sweep would: older than the buffer
 * retention they are deleted unless archived or held.
 *
 * Every read is timed from the client (request sent → body read) as p50/p99
 * over many requests, and divided by the same figures for GET /healthz (a
 * trivial route) measured on the same server, at the same concurrency, with
 * the same cookies — so it also pays for the session lookup every request
 * makes. The ratio is the figure to compare between runs; the absolute
 * milliseconds move with whatever else the machine does.
 *
 * It is a benchmark, not a test: nothing asserts on time. The target (p99
 * under 50 ms for the school) is reported MET / NOT MET and the exit code is
 * 0 unless the bench itself broke. Results go to
 * test/bench/results/api-reads-<timestamp>.json.
 *
 *   node --conditions=classcam-source --import=tsx test/bench/api-reads.ts
 *   node --conditions=classcam-source --import=tsx test/bench/api-reads.ts --only school --seconds 4
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { FastifyInstance } from "fastify";
import { DATABASE_FILE, type Role } from "@classcam/controller";
import { checkConfig, type DeviceConfig, type DeviceState } from "@classcam/protocol";
import type { Params, Transaction } from "../../controller/src/db/database.js";
import {
  GENESIS_HASH,
  canonicalJson,
  entryHash,
  rowHash,
  type AuditRow,
} from "../../controller/src/domain/audit.js";
import { deviceSchedule, type Booking } from "../../controller/src/domain/bookings.js";
import { defaultConfig } from "../../controller/src/domain/devices.js";
import { REPO, nodeArgs, startController, tempDir } from "../helpers/controller.js";
import { seeded } from "../helpers/events.js";
import {
  errorText,
  latencyOf,
  pool,
  positiveInt,
  positiveNumber,
  runBenchmark,
  type Latency,
} from "./shared.js";

const SELF = fileURLToPath(import.meta.url);
const HERE = fileURLToPath(new URL(".", import.meta.url));
const TARGET_P99_MS = 50;

const HELP = `Usage: node --conditions=classcam-source --import=tsx test/bench/api-reads.ts [options]

The controller's HTTP API reads (fleet, week timetable, my recordings, audit
log) under N concurrent signed-in sessions on a school-sized and a trust-sized
database, each as a ratio to GET /healthz on the same server; then the
retention sweep's time per 100,000 recordings. Writes
test/bench/results/api-reads-<timestamp>.json.

Options:
  --seconds S            measuring time per read, after one warm-up round (default 8)
  --max-requests N       requests per read at most (default 2000)
  --concurrency N        concurrent sessions, at most 100 (default 50)
  --audit-rows N         audit entries in every database (default 1000000)
  --school-devices N     devices in the school (default 60)
  --trust-devices N      devices in the trust, 60 per school (default 3000)
  --trust-days N         school days of bookings in the trust, ending with the
                         school year (default 50; the school has all 194)
  --sweep-recordings N   ended recordings for the sweep (default 100000)
  --unloaded-seconds S   each read again from one session alone, for this long (default 2)
  --think-ms MS          each session pauses about this long between requests, like a
                         person reading a page (uniform 0.5–1.5 × MS; default 0:
                         back to back, which saturates the machine)
  --only LIST            comma-separated: school, trust, sweep (default all three)
  --help                 this text
`;

// ------------------------------------------------------------------ the school's calendar

/** The controller's clock, fixed for the whole run: a Wednesday in the summer term. */
const NOW = new Date("2025-06-11T10:30:00.000Z");
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The policy's buffer retention (the default, which the bench does not change). */
const BUFFER_DAYS = 7;
const ARCHIVE_DAYS = 730;

const TERMS: readonly (readonly [string, string])[] = [
  ["2024-09-02", "2024-12-20"],
  ["2025-01-06", "2025-04-04"],
  ["2025-04-22", "2025-07-18"],
];
/** Mondays of the half-term weeks. */
const HALF_TERMS = ["2024-10-28", "2025-02-17", "2025-05-26"];
/** Five lessons a day (UTC). */
const PERIODS: readonly (readonly [string, string])[] = [
  ["08:50", "09:50"],
  ["10:00", "11:00"],
  ["11:20", "12:20"],
  ["13:10", "14:10"],
  ["14:15", "15:15"],
];
const DEVICES_PER_SCHOOL = 60;

const iso = (ms: number): string => new Date(ms).toISOString();
const midnight = (day: string): number => Date.parse(`${day}T00:00:00.000Z`);
const pad = (n: number, width: number): string => String(n).padStart(width, "0");

function schoolDays(): string[] {
  const days: string[] = [];
  for (const [first, last] of TERMS) {
    for (let t = midnight(first); t <= midnight(last); t += DAY) {
      const weekday = new Date(t).getUTCDay();
      if (weekday === 0 || weekday === 6) continue;
      if (HALF_TERMS.some((monday) => t >= midnight(monday) && t < midnight(monday) + 7 * DAY)) {
        continue;
      }
      days.push(iso(t).slice(0, 10));
    }
  }
  return days;
}

/**
 * The trust's school days when capped: `count` days ending three school weeks
 * after today, so this week and every device's 14-day schedule are fully
 * booked and the rest is history.
 */
function trustWindow(days: readonly string[], count: number): string[] {
  const today = iso(NOW.getTime()).slice(0, 10);
  const index = days.findIndex((day) => day >= today);
  const end = Math.min(days.length, (index < 0 ? days.length : index) + 15);
  return days.slice(Math.max(0, end - count), end);
}

/** The week the clock is in, Monday 00:00 to the next Monday. */
function currentWeek(): { from: string; to: string } {
  const today = Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate());
  const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY;
  return { from: iso(monday), to: iso(monday + 7 * DAY) };
}

// ------------------------------------------------------------------ people and devices

interface StaffMember {
  id: string;
  roles: Role[];
  /** Made with app.people.add in the base database (a session signs in as it). */
  account: boolean;
}

const TEACHERS_PER_SCHOOL = 100;
const DPO_ACCOUNTS = 5;

const sessionTeacher = (i: number): string => `teacher-${pad(i + 1, 2)}`;
const dpoAccount = (i: number): string => `dpo-${i + 1}`;

/** A school's ~120 staff; school 0's first `accounts` teachers are the session accounts. */
function staffOf(school: number, accounts: number): StaffMember[] {
  const p = `s${pad(school, 3)}`;
  const staff: StaffMember[] = [];
  for (let i = 0; i < TEACHERS_PER_SCHOOL; i += 1) {
    const account = school === 0 && i < accounts;
    staff.push({
      id: account ? sessionTeacher(i) : `${p}-t${pad(i + 1, 3)}`,
      roles: ["teacher"],
      account,
    });
  }
  for (let i = 1; i <= 10; i += 1)
    staff.push({ id: `${p}-c${pad(i, 2)}`, roles: ["coach"], account: false });
  for (let i = 1; i <= 4; i += 1) {
    staff.push({ id: `${p}-slt${i}`, roles: ["slt", "teacher"], account: false });
  }
  staff.push({ id: `${p}-head`, roles: ["headteacher"], account: false });
  staff.push({ id: `${p}-it1`, roles: ["it"], account: false });
  staff.push({ id: `${p}-it2`, roles: ["it"], account: false });
  staff.push({ id: `${p}-bursar`, roles: ["bursar"], account: false });
  staff.push({ id: `${p}-dpo`, roles: ["dpo"], account: false });
  if (school === 0) {
    for (let i = 0; i < DPO_ACCOUNTS; i += 1) {
      staff.push({ id: dpoAccount(i), roles: ["dpo"], account: true });
    }
  }
  return staff;
}

const deviceId = (school: number, index: number): string =>
  `s${pad(school, 3)}-r${pad(index + 1, 3)}`;

// ------------------------------------------------------------------ bulk inserts

type Cell = string | number | null;
type Row = Cell[];

const TABLES = {
  users: [
    "id",
    "display_name",
    "roles_json",
    "password_hash",
    "must_change_password",
    "status",
    "created_at",
    "password_changed_at",
  ],
  devices: [
    "id",
    "room",
    "secret_hash",
    "status",
    "enrolled_at",
    "status_changed_at",
    "config_json",
    "config_version",
    "connected",
    "connected_at",
    "availability",
    "availability_at",
    "state_json",
    "state_at",
    "last_seen_at",
    "last_seq",
  ],
  bookings: [
    "id",
    "device_id",
    "teacher_id",
    "start_at",
    "end_at",
    "purpose",
    "staff_json",
    "audio",
    "status",
    "class_code",
    "do_not_record",
    "mitigation_kind",
    "mitigation_note",
    "created_by",
    "created_at",
    "updated_at",
  ],
  recordings: [
    "id",
    "device_id",
    "booking_id",
    "owner_id",
    "staff_json",
    "purpose",
    "started_at",
    "ended_at",
    "audio",
    "encoder",
    "stop_reason",
    "duration_seconds",
    "segments",
    "bytes",
    "flag",
    "on_device",
    "on_controller",
    "archive_state",
    "archive_requested_at",
    "upload_token_hash",
    "archived_at",
    "exemplar",
    "deletion_requested_at",
    "deleted_at",
  ],
  shares: ["recording_id", "with_id", "created_by", "created_at", "expires_at", "revoked_at"],
  holds: [
    "recording_id",
    "placed_by",
    "reason",
    "placed_at",
    "released_by",
    "release_reason",
    "released_at",
  ],
  alerts: ["device_id", "kind", "detail", "raised_at", "cleared_at", "cleared_by"],
  audit_log: ["seq", "at", "actor", "action", "subject", "detail_json", "prev_hash", "hash"],
} as const;
type Table = keyof typeof TABLES;
/** Foreign keys are on: parents are flushed before children. */
const FLUSH_ORDER: readonly Table[] = [
  "users",
  "devices",
  "bookings",
  "recordings",
  "shares",
  "holds",
  "alerts",
  "audit_log",
];
/** Rows per INSERT statement. */
const BATCH_ROWS = 5000;

/** One statement inserts a JSON array of rows; each row is an array in column order. */
async function insertRows(tx: Transaction, table: Table, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = TABLES[table];
  const values = columns.map((_, i) => `value->>${i}`).join(", ");
  await tx.run(
    `INSERT INTO ${table} (${columns.join(", ")}) SELECT ${values} FROM json_each(?) ORDER BY key`,
    [JSON.stringify(rows)],
  );
}

/** Rows waiting to be inserted, per table; flushed in foreign-key order. */
class Bulk {
  private readonly buffers = new Map<Table, Row[]>();
  readonly counts: Record<Table, number> = {
    users: 0,
    devices: 0,
    bookings: 0,
    recordings: 0,
    shares: 0,
    holds: 0,
    alerts: 0,
    audit_log: 0,
  };

  push(table: Table, row: Row): void {
    const buffer = this.buffers.get(table);
    if (buffer) buffer.push(row);
    else this.buffers.set(table, [row]);
    this.counts[table] += 1;
  }

  async flushIfFull(tx: Transaction): Promise<void> {
    if ([...this.buffers.values()].some((buffer) => buffer.length >= BATCH_ROWS)) {
      await this.flush(tx);
    }
  }

  async flush(tx: Transaction): Promise<void> {
    for (const table of FLUSH_ORDER) {
      const buffer = this.buffers.get(table) ?? [];
      for (let i = 0; i < buffer.length; i += BATCH_ROWS) {
        await insertRows(tx, table, buffer.slice(i, i + BATCH_ROWS));
      }
      this.buffers.set(table, []);
    }
  }
}

// ------------------------------------------------------------------ the base: audit log and accounts

/** One plausible audit entry (actions as the controller writes them). */
function auditEntry(
  random: () => number,
  staff: readonly string[],
  devices: readonly string[],
): { actor: string; action: string; subject: string; detail: Record<string, unknown> } {
  const r = random();
  const person = staff[Math.floor(random() * staff.length)] ?? "system";
  const device = devices[Math.floor(random() * devices.length)] ?? "s000-r001";
  const address = `10.20.${Math.floor(random() * 8)}.${Math.floor(random() * 250) + 2}`;
  if (r < 0.3) {
    return {
      actor: person,
      action: "recording.view",
      subject: randomUUID(),
      detail: { basis: random() < 0.85 ? "owner" : "share" },
    };
  }
  if (r < 0.52) {
    return {
      actor: "system",
      action: "footage.delete",
      subject: randomUUID(),
      detail: {
        copy: "device",
        device,
        reason: "buffer-retention",
        bytes: Math.floor(random() * 2e9),
      },
    };
  }
  if (r < 0.7) return { actor: person, action: "sign-in", subject: person, detail: { address } };
  if (r < 0.8) return { actor: person, action: "sign-out", subject: person, detail: {} };
  if (r < 0.86) {
    return {
      actor: person,
      action: "booking.create",
      subject: randomUUID(),
      detail: { deviceId: device, purpose: "self-reflection" },
    };
  }
  if (r < 0.89) {
    return {
      actor: person,
      action: "booking.amend",
      subject: randomUUID(),
      detail: { audio: false },
    };
  }
  if (r < 0.91) {
    return {
      actor: person,
      action: "booking.cancel",
      subject: randomUUID(),
      detail: { reason: "cover lesson" },
    };
  }
  if (r < 0.94) {
    return {
      actor: person,
      action: "share.create",
      subject: randomUUID(),
      detail: { shareId: Math.floor(random() * 1e5), with: person, expiresAt: null },
    };
  }
  if (r < 0.96) {
    return {
      actor: person,
      action: "archive.request",
      subject: randomUUID(),
      detail: { exemplar: false },
    };
  }
  if (r < 0.975)
    return { actor: person, action: "consent.give", subject: randomUUID(), detail: {} };
  if (r < 0.985) {
    return {
      actor: person,
      action: "comment.add",
      subject: randomUUID(),
      detail: { atSeconds: Math.floor(random() * 3600) },
    };
  }
  if (r < 0.99) {
    return {
      actor: person,
      action: "sign-in.refused",
      subject: person,
      detail: { address, why: "wrong password" },
    };
  }
  if (r < 0.995) {
    return {
      actor: "system",
      action: "archive.complete",
      subject: randomUUID(),
      detail: { segments: 12, bytes: Math.floor(random() * 2e9) },
    };
  }
  return {
    actor: "s000-slt1",
    action: "hold.place",
    subject: randomUUID(),
    detail: { holdId: Math.floor(random() * 1000), reason: "safeguarding review" },
  };
}

/** The audit log's history, from September to the clock: a valid hash chain. */
async function seedAudit(app: FastifyInstance, count: number, accounts: number): Promise<void> {
  const random = seeded(7);
  const staff = staffOf(0, accounts).map((member) => member.id);
  const devices = Array.from({ length: DEVICES_PER_SCHOOL }, (_, i) => deviceId(0, i));
  const head = await app.db.get<{ seq: number; hash: string }>(
    "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
  );
  const chain = { seq: head?.seq ?? 0, prevHash: head?.hash ?? GENESIS_HASH, done: 0 };
  const first = Date.parse("2024-09-02T07:30:00.000Z");
  const last = NOW.getTime() - 2 * HOUR;
  const batchesPerTransaction = 20;
  while (chain.done < count) {
    await app.db.transaction(async (tx) => {
      for (let b = 0; b < batchesPerTransaction && chain.done < count; b += 1) {
        const rows: Row[] = [];
        const n = Math.min(BATCH_ROWS, count - chain.done);
        for (let i = 0; i < n; i += 1) {
          chain.seq += 1;
          chain.done += 1;
          const at = iso(first + Math.floor(((last - first) * chain.done) / count));
          const entry = auditEntry(random, staff, devices);
          const detailJson = canonicalJson(entry.detail);
          const fields = {
            seq: chain.seq,
            at,
            actor: entry.actor,
            action: entry.action,
            subject: entry.subject,
            detailJson,
            prevHash: chain.prevHash,
          };
          const hash = entryHash(fields);
          rows.push([
            chain.seq,
            at,
            entry.actor,
            entry.action,
            entry.subject,
            detailJson,
            chain.prevHash,
            hash,
          ]);
          chain.prevHash = hash;
        }
        await insertRows(tx, "audit_log", rows);
      }
    });
  }
}

interface Base {
  file: string;
  /** Session cookies (`classcam_session=…`), one per concurrent session. */
  teacherCookies: string[];
  dpoCookies: string[];
  /** A real scrypt hash, reused for the staff rows nobody signs in as. */
  passwordHash: string;
  auditRows: number;
  seconds: { audit: number; accounts: number; total: number };
  verify: { ok: boolean; entries: number | null; seconds: number; checked: string };
}

async function signIn(origin: string, id: string, password: string): Promise<string> {
  const response = await fetch(`${origin}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id, password }),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`sign-in as ${id}: ${response.status} ${body}`);
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(";")[0] ?? "")
    .find((pair) => pair.startsWith("classcam_session="));
  if (cookie === undefined) throw new Error(`sign-in as ${id}: no session cookie`);
  return cookie;
}

/** Spot-checks the chain: every stored hash in a sample recomputed, every link followed. */
async function checkChain(app: FastifyInstance, count: number): Promise<Base["verify"]> {
  const started = performance.now();
  const total = await app.db.get<{ n: number; max: number }>(
    "SELECT count(*) AS n, max(seq) AS max FROM audit_log",
  );
  const starts = [1, Math.floor(count / 2), Math.max(1, count - 1000)];
  let ok = total?.n === total?.max;
  for (const start of starts) {
    const rows = await app.db.all<AuditRow>(
      "SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT 2000",
      [start],
    );
    let previous: string | null = null;
    for (const row of rows) {
      if (rowHash(row) !== row.hash || (previous !== null && row.prev_hash !== previous))
        ok = false;
      if (row.seq === 1 && row.prev_hash !== GENESIS_HASH) ok = false;
      previous = row.hash;
    }
  }
  return {
    ok,
    entries: total?.n ?? null,
    seconds: (performance.now() - started) / 1000,
    checked:
      "seq has no gaps (count = max); 3 × 2,000 entries (start, middle, end) rehashed and " +
      "linked; every insert also passed the append-only trigger (next seq, previous hash)",
  };
}

async function buildBase(dir: string, options: Options): Promise<Base> {
  const started = performance.now();
  const controller = await startController({ dataDir: dir, now: () => NOW });
  const { app } = controller;
  try {
    progress(`base: ${options.auditRows.toLocaleString("en-GB")} audit entries (hash chain)…`);
    await seedAudit(app, options.auditRows, options.concurrency);
    const auditSeconds = (performance.now() - started) / 1000;
    progress(`base: audit log seeded in ${auditSeconds.toFixed(1)} s`);
    const verify = await checkChain(app, options.auditRows);
    if (!verify.ok) throw new Error("the seeded audit chain does not check out");

    const accountsStarted = performance.now();
    await app.policy.update({ audioDefault: true }, "s000-head");
    const accounts = staffOf(0, options.concurrency).filter((member) => member.account);
    const passwords = new Map<string, string>();
    await pool(accounts, 2, async (member) => {
      const { temporaryPassword } = await app.people.add(
        { id: member.id, displayName: `Staff ${member.id}`, roles: member.roles },
        "s000-it1",
      );
      passwords.set(member.id, temporaryPassword);
    });
    // the one-time passwords need changing before anything else; the bench says they were
    await app.db.transaction((tx) =>
      tx.run(
        "UPDATE users SET must_change_password = 0 WHERE id IN (SELECT value FROM json_each(?))",
        [JSON.stringify(accounts.map((member) => member.id))],
      ),
    );
    await app.listen({ host: "127.0.0.1", port: 0 });
    const origin = originOf(app);
    const password = (id: string): string => passwords.get(id) ?? "";
    const teacherIds = Array.from({ length: options.concurrency }, (_, i) => sessionTeacher(i));
    // the DPO sessions: DPO_ACCOUNTS people, several browser tabs each
    const dpoIds = Array.from({ length: options.concurrency }, (_, i) =>
      dpoAccount(i % DPO_ACCOUNTS),
    );
    const teacherCookies: string[] = [];
    const dpoCookies: string[] = [];
    await pool(
      teacherIds.map((id, i) => ({ id, i })),
      4,
      async ({ id, i }) => {
        teacherCookies[i] = await signIn(origin, id, password(id));
      },
    );
    await pool(
      dpoIds.map((id, i) => ({ id, i })),
      4,
      async ({ id, i }) => {
        dpoCookies[i] = await signIn(origin, id, password(id));
      },
    );
    const hashRow = await app.db.get<{ password_hash: string }>(
      "SELECT password_hash FROM users WHERE id = ?",
      [sessionTeacher(0)],
    );
    const accountsSeconds = (performance.now() - accountsStarted) / 1000;
    progress(
      `base: ${accounts.length} accounts made, ${teacherCookies.length + dpoCookies.length} sessions ` +
        `signed in over HTTP in ${accountsSeconds.toFixed(1)} s`,
    );
    return {
      file: join(dir, DATABASE_FILE),
      teacherCookies,
      dpoCookies,
      passwordHash: hashRow?.password_hash ?? "",
      auditRows: options.auditRows,
      seconds: {
        audit: auditSeconds,
        accounts: accountsSeconds,
        total: (performance.now() - started) / 1000,
      },
      verify,
    };
  } finally {
    // closing checkpoints the WAL into the file, so the file alone is the database
    await controller.close();
  }
}

/**
 * Writes the seeded data out now (sync(1)), so the kernel's write-back of
 * hundreds of MB does not compete with the measurements for the CPU.
 */
function flushToDisk(): void {
  execFileSync("sync");
}

function copyBase(base: Base, dir: string): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(base.file, join(dir, DATABASE_FILE));
  for (const suffix of ["-wal"]) {
    if (existsSync(base.file + suffix))
      copyFileSync(base.file + suffix, join(dir, DATABASE_FILE + suffix));
  }
}

// ------------------------------------------------------------------ a dataset

interface DatasetSpec {
  name: "school" | "trust";
  devices: number;
  days: string[];
  seed: number;
}

interface SeedCounts {
  schools: number;
  devices: number;
  staff: number;
  schoolDays: number;
  firstDay: string;
  lastDay: string;
  bookings: number;
  recordings: number;
  recordingsLive: number;
  shares: number;
  holds: number;
  alerts: number;
  auditEntries: number;
  seconds: number;
  databaseMb: number;
}

const PURPOSES = [
  "self-reflection",
  "peer-support",
  "ect-trainee-support",
  "exemplar-bank",
] as const;

function stateOf(random: () => number, configVersion: number): DeviceState {
  const total = 256_000_000_000;
  const buffer = Math.floor(random() * 60_000_000_000);
  return {
    at: iso(NOW.getTime() - 4_000),
    software: "classcam-device 0.1.0",
    bootId: randomUUID(),
    lamp: "off",
    recording: null,
    configVersion,
    encoder: "v4l2m2m-h264",
    storage: {
      totalBytes: total,
      freeBytes: total - buffer - 8_000_000_000,
      bufferBytes: buffer,
      protectedBytes: Math.floor(random() * 4_000_000_000),
    },
    health: {
      uptimeSeconds: Math.floor(random() * 3_000_000),
      temperatureC: Math.round((40 + random() * 20) * 10) / 10,
      bytesWritten: Math.floor(random() * 4e12),
    },
    outboxDepth: 0,
  };
}

function deviceRow(
  random: () => number,
  id: string,
  room: string,
  config: DeviceConfig,
  secretHash: string,
): Row {
  const online = random() < 0.97;
  const seen = online ? NOW.getTime() - 4_000 : NOW.getTime() - 2 * DAY;
  const enrolled = "2024-08-28T09:00:00.000Z";
  return [
    id,
    room,
    secretHash,
    "active",
    enrolled,
    enrolled,
    JSON.stringify(config),
    config.version,
    online ? 1 : 0,
    online ? iso(NOW.getTime() - 6 * HOUR) : null,
    online ? "online" : "offline",
    iso(seen),
    JSON.stringify(stateOf(random, config.version)),
    iso(seen),
    iso(seen),
    Math.floor(random() * 50_000),
  ];
}

async function seedDataset(
  app: FastifyInstance,
  spec: DatasetSpec,
  base: Base,
  accounts: number,
): Promise<SeedCounts> {
  const started = performance.now();
  const random = seeded(spec.seed);
  const bulk = new Bulk();
  const now = NOW.getTime();
  const horizon = now + 14 * DAY;
  const bufferCutoff = now - BUFFER_DAYS * DAY;
  const schools = Math.ceil(spec.devices / DEVICES_PER_SCHOOL);
  let live = 0;
  for (let school = 0; school < schools; school += 1) {
    await app.db.transaction(async (tx) => {
      const staff = staffOf(school, accounts);
      for (const member of staff) {
        if (member.account) continue;
        bulk.push("users", [
          member.id,
          `Staff ${member.id}`,
          JSON.stringify(member.roles),
          base.passwordHash,
          0,
          "active",
          "2024-08-28T09:00:00.000Z",
          "2024-08-28T09:00:00.000Z",
        ]);
      }
      const teachers = staff.filter((m) => m.roles[0] === "teacher").map((m) => m.id);
      const coaches = staff.filter((m) => m.roles[0] === "coach").map((m) => m.id);
      const slt = `s${pad(school, 3)}-slt1`;
      const here = Math.min(DEVICES_PER_SCHOOL, spec.devices - school * DEVICES_PER_SCHOOL);
      for (let d = 0; d < here; d += 1) {
        const id = deviceId(school, d);
        const room = schools === 1 ? `Room ${d + 1}` : `School ${school + 1} · Room ${d + 1}`;
        const upcoming: Booking[] = [];
        const held: string[] = [];
        const bookings: Row[] = [];
        const recordings: Row[] = [];
        const shares: Row[] = [];
        const holds: Row[] = [];
        spec.days.forEach((day, dayIndex) => {
          PERIODS.forEach(([from, to], p) => {
            const start = Date.parse(`${day}T${from}:00.000Z`);
            const end = Date.parse(`${day}T${to}:00.000Z`);
            const teacher = teachers[(d * 5 + p + dayIndex * 3) % teachers.length] ?? "";
            const withCoach = random() < 0.15;
            const staffList = withCoach
              ? [teacher, coaches[(d + dayIndex) % coaches.length] ?? ""]
              : [teacher];
            const purpose = withCoach
              ? "coaching"
              : (PURPOSES[Math.floor(random() * random() * PURPOSES.length)] ?? "self-reflection");
            const cancelled = random() < 0.03;
            const bookingId = randomUUID();
            const createdAt = iso(Math.min(start - 14 * DAY, now - DAY));
            const staffJson = JSON.stringify(staffList);
            bookings.push([
              bookingId,
              id,
              teacher,
              iso(start),
              iso(end),
              purpose,
              staffJson,
              1,
              cancelled ? "cancelled" : "confirmed",
              `Y${7 + ((d + p) % 5)}/${(dayIndex % 4) + 1}`,
              0,
              null,
              null,
              teacher,
              createdAt,
              cancelled ? iso(Math.min(start - DAY, now - HOUR)) : createdAt,
            ]);
            if (!cancelled && end > now && start < horizon) {
              upcoming.push({
                bookingId,
                deviceId: id,
                teacherId: teacher,
                start: iso(start),
                end: iso(end),
                purpose,
                staff: staffList,
                audio: true,
                status: "confirmed",
                doNotRecordPupils: false,
                mitigation: null,
              });
            }
            if (cancelled || end > now || random() >= 0.6) return;
            // a recording of the lesson, in the state the hourly sweep would leave it
            const recordingId = randomUUID();
            const startedAt = start + (1 + Math.floor(random() * 3)) * MINUTE;
            const endedAt = end - Math.floor(random() * 2) * MINUTE;
            const duration = (endedAt - startedAt) / 1000;
            let onDevice = 1;
            let onController = 0;
            let archive: "none" | "awaiting-consent" | "archived" = "none";
            let archiveRequestedAt: string | null = null;
            let archivedAt: string | null = null;
            let exemplar = 0;
            let deletedAt: string | null = null;
            const fate = random();
            if (endedAt > bufferCutoff) {
              if (fate < 0.05) {
                archive = "awaiting-consent";
                archiveRequestedAt = iso(endedAt + HOUR);
              }
            } else if (fate < 0.04) {
              archive = "archived";
              archiveRequestedAt = iso(endedAt + HOUR);
              archivedAt = iso(endedAt + DAY);
              exemplar = random() < 0.1 ? 1 : 0;
              onController = 1;
              onDevice = 0;
            } else if (fate < 0.042) {
              held.push(recordingId);
              holds.push([
                recordingId,
                slt,
                "Safeguarding review requested by the DSL",
                iso(endedAt + 2 * DAY),
                null,
                null,
                null,
              ]);
            } else {
              onDevice = 0;
              deletedAt = iso(Math.min(endedAt + BUFFER_DAYS * DAY + 30 * MINUTE, now));
            }
            if (deletedAt === null) live += 1;
            recordings.push([
              recordingId,
              id,
              bookingId,
              teacher,
              staffJson,
              purpose,
              iso(startedAt),
              iso(endedAt),
              1,
              "v4l2m2m-h264",
              random() < 0.8 ? "booking-ended" : "button",
              duration,
              Math.ceil(duration / 300),
              Math.round(duration * 500_000),
              random() < 0.01 ? "overran-booking" : null,
              onDevice,
              onController,
              archive,
              archiveRequestedAt,
              null,
              archivedAt,
              exemplar,
              null,
              deletedAt,
            ]);
            if (random() < 0.03) {
              const withId = coaches[Math.floor(random() * coaches.length)] ?? teacher;
              shares.push([recordingId, withId, teacher, iso(endedAt + HOUR), null, null]);
            }
          });
        });
        // the config the custodian would have pushed: schedule, retention, holds
        const config: DeviceConfig = {
          ...defaultConfig(room, "2024-08-28T09:00:00.000Z"),
          version: 2,
          issuedAt: iso(now - HOUR),
          schedule: deviceSchedule(upcoming, id, NOW),
          masks: random() < 0.1 ? [{ x: 0, y: 0.6, width: 0.25, height: 0.4 }] : [],
          holds: [...held].sort(),
          uploads: [],
        };
        bulk.push("devices", deviceRow(random, id, room, config, base.passwordHash));
        for (const row of bookings) bulk.push("bookings", row);
        for (const row of recordings) bulk.push("recordings", row);
        for (const row of shares) bulk.push("shares", row);
        for (const row of holds) bulk.push("holds", row);
        if (random() < 0.05) {
          bulk.push("alerts", [
            id,
            random() < 0.5 ? "lamp-fault" : "buffer-full",
            "reported by the device",
            iso(now - Math.floor(random() * 5 * DAY)),
            null,
            null,
          ]);
        }
        await bulk.flushIfFull(tx);
      }
      await bulk.flush(tx);
    });
  }
  const staffCount = await app.db.get<{ n: number }>("SELECT count(*) AS n FROM users");
  const auditCount = await app.db.get<{ n: number }>("SELECT max(seq) AS n FROM audit_log");
  const size = await app.db.get<{ bytes: number }>(
    "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()",
  );
  return {
    schools,
    devices: bulk.counts.devices,
    staff: staffCount?.n ?? 0,
    schoolDays: spec.days.length,
    firstDay: spec.days[0] ?? "",
    lastDay: spec.days.at(-1) ?? "",
    bookings: bulk.counts.bookings,
    recordings: bulk.counts.recordings,
    recordingsLive: live,
    shares: bulk.counts.shares,
    holds: bulk.counts.holds,
    alerts: bulk.counts.alerts,
    auditEntries: auditCount?.n ?? 0,
    seconds: (performance.now() - started) / 1000,
    databaseMb: (size?.bytes ?? 0) / 2 ** 20,
  };
}

/** The seeded configs are what the custodian would push: refreshing a few changes nothing. */
async function checkSeededConfigs(app: FastifyInstance, ids: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const id of ids) {
    const device = await app.devices.require(id);
    const checked = checkConfig(device.config);
    if (!checked.ok)
      problems.push(`${id}: config refused by the protocol schema: ${checked.error}`);
    if (await app.custodian.refreshConfig(id)) {
      problems.push(`${id}: the custodian would push a different config than the one seeded`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------ the load client (child process)

interface ClientJob {
  type: "job";
  origin: string;
  workers: { cookie: string; paths: string[] }[];
  warmupRounds: number;
  maxRequests: number;
  seconds: number;
  /** Mean pause between one session's requests (0: back to back). */
  thinkMs: number;
}
type ToClient = ClientJob | { type: "stop" };

interface ClientResult {
  type: "result";
  latenciesMs: number[];
  failures: number;
  firstFailure: string | null;
  bytes: number;
  seconds: number;
  cpuSeconds: number;
}
type FromClient =
  { type: "ready" } | { type: "measuring" } | ClientResult | { type: "fatal"; error: string };

async function runJob(job: ClientJob, send: (message: FromClient) => void): Promise<ClientResult> {
  const once = async (cookie: string, path: string) => {
    const started = performance.now();
    const response = await fetch(job.origin + path, { headers: { cookie } });
    const body = Buffer.from(await response.arrayBuffer());
    return {
      ms: performance.now() - started,
      status: response.status,
      bytes: body.length,
      text: response.status === 200 ? "" : body.toString("utf8").slice(0, 300),
    };
  };
  const pathOf = (paths: readonly string[], k: number): string => paths[k % paths.length] ?? "/";
  await Promise.all(
    job.workers.map(async (worker, w) => {
      for (let round = 0; round < job.warmupRounds; round += 1) {
        const path = pathOf(worker.paths, w + round);
        const reply = await once(worker.cookie, path);
        if (reply.status !== 200)
          throw new Error(`warm-up GET ${path}: ${reply.status} ${reply.text}`);
      }
    }),
  );
  send({ type: "measuring" });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + job.seconds * 1000;
  const latenciesMs: number[] = [];
  const state = { issued: 0, failures: 0, bytes: 0, firstFailure: null as string | null };
  await Promise.all(
    job.workers.map(async (worker, w) => {
      for (let k = w; state.issued < job.maxRequests && performance.now() < deadline; k += 1) {
        state.issued += 1;
        if (job.thinkMs > 0) await sleepMs(job.thinkMs * (0.5 + Math.random()));
        const path = pathOf(worker.paths, k);
        try {
          const reply = await once(worker.cookie, path);
          if (reply.status === 200) {
            latenciesMs.push(reply.ms);
            state.bytes += reply.bytes;
          } else {
            state.failures += 1;
            state.firstFailure ??= `GET ${path}: ${reply.status} ${reply.text}`;
          }
        } catch (error) {
          state.failures += 1;
          state.firstFailure ??= `GET ${path}: ${errorText(error)}`;
        }
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return {
    type: "result",
    latenciesMs,
    failures: state.failures,
    firstFailure: state.firstFailure,
    bytes: state.bytes,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function runClient(): void {
  const send = (message: FromClient): void => {
    process.send?.(message);
  };
  process.on("disconnect", () => process.exit(0));
  process.on("message", (raw) => {
    const message = raw as ToClient;
    if (message.type === "stop") process.exit(0);
    else {
      runJob(message, send).then(send, (error: unknown) => {
        send({ type: "fatal", error: errorText(error) });
      });
    }
  });
  send({ type: "ready" });
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

class LoadClient {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<LoadClient> {
    const child = spawn(process.execPath, [...nodeArgs(), SELF, "--client"], {
      cwd: REPO,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    await new Promise<void>((resolve, reject) => {
      child.once("message", (raw) => {
        const message = raw as FromClient;
        if (message.type === "ready") resolve();
        else reject(new Error(`load client: unexpected first message ${JSON.stringify(message)}`));
      });
      child.once("exit", (code) => {
        reject(new Error(`load client exited (${String(code)}) before it was ready`));
      });
    });
    return new LoadClient(child);
  }

  /** Runs a job; `onMeasuring` when the warm-up is over and the measured part begins. */
  run(job: ClientJob, onMeasuring: () => void): Promise<ClientResult> {
    return new Promise((resolve, reject) => {
      const onMessage = (raw: unknown) => {
        const message = raw as FromClient;
        if (message.type === "measuring") onMeasuring();
        else if (message.type === "result") {
          done();
          resolve(message);
        } else if (message.type === "fatal") {
          done();
          reject(new Error(`load client: ${message.error}`));
        }
      };
      const onExit = (code: number | null) => {
        done();
        reject(new Error(`load client exited (${String(code)}) during a job`));
      };
      const done = () => {
        this.child.off("message", onMessage);
        this.child.off("exit", onExit);
      };
      this.child.on("message", onMessage);
      this.child.once("exit", onExit);
      this.child.send(job);
    });
  }

  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (child.connected) child.send({ type: "stop" } satisfies ToClient);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------ one read

interface ReadSpec {
  key: string;
  label: string;
  /** Whose sessions ask. */
  as: "teacher" | "dpo";
  /** The paths worker `w` cycles through. */
  paths: (w: number) => string[];
  concurrency: number;
  maxRequests: number;
  /** Held to the p99 target (the school's reads). */
  target: boolean;
  note?: string;
}

interface TracedQuery {
  sql: string;
  params: Params;
  ms: number;
  rows: number;
}

interface QueryPlan {
  sql: string;
  ms: number;
  rows: number;
  plan: string[];
  /** A plan step that reads a whole table or sorts in a temporary b-tree. */
  flagged: string[];
}

interface Trace {
  status: number;
  bytes: number;
  statements: number;
  queries: QueryPlan[];
}

const oneLine = (sql: string): string => sql.replace(/\s+/g, " ").trim();

/** What the broker's 5-second sync reads (DeviceRegistry); not part of any request. */
const BROKER_SYNC_SQL = new Set([
  "SELECT id, status FROM devices WHERE status != 'active'",
  "SELECT id, config_version FROM devices WHERE status = 'active'",
]);

/**
 * One request through app.inject with every database read recorded (SQL,
 * time, rows), then each distinct statement's EXPLAIN QUERY PLAN.
 */
async function traceRequest(app: FastifyInstance, path: string, cookie: string): Promise<Trace> {
  const { db } = app;
  const get = db.get.bind(db);
  const all = db.all.bind(db);
  const traced: TracedQuery[] = [];
  db.get = async <T>(sql: string, given?: Params): Promise<T | undefined> => {
    const params = given ?? [];
    const started = performance.now();
    const row = await get<T>(sql, params);
    traced.push({ sql, params, ms: performance.now() - started, rows: row === undefined ? 0 : 1 });
    return row;
  };
  db.all = async <T>(sql: string, given?: Params): Promise<T[]> => {
    const params = given ?? [];
    const started = performance.now();
    const rows = await all<T>(sql, params);
    traced.push({ sql, params, ms: performance.now() - started, rows: rows.length });
    return rows;
  };
  let status: number;
  let bytes: number;
  try {
    const response = await app.inject({ method: "GET", url: path, headers: { cookie } });
    status = response.statusCode;
    bytes = response.rawPayload.length;
  } finally {
    Reflect.deleteProperty(db, "get");
    Reflect.deleteProperty(db, "all");
  }
  const distinct = new Map<string, TracedQuery & { count: number }>();
  for (const query of traced.filter((q) => !BROKER_SYNC_SQL.has(q.sql))) {
    const seen = distinct.get(query.sql);
    if (!seen) distinct.set(query.sql, { ...query, count: 1 });
    else {
      seen.count += 1;
      seen.ms = Math.max(seen.ms, query.ms);
    }
  }
  const queries: QueryPlan[] = [];
  for (const query of distinct.values()) {
    let plan: string[];
    try {
      const rows = await db.all<{ detail: string }>(
        `EXPLAIN QUERY PLAN ${query.sql}`,
        query.params,
      );
      plan = rows.map((row) => row.detail);
    } catch (error) {
      plan = [`(no plan: ${(error as Error).message})`];
    }
    queries.push({
      sql: `${query.count > 1 ? `${query.count}× ` : ""}${oneLine(query.sql)}`,
      ms: Math.round(query.ms * 100) / 100,
      rows: query.rows,
      plan,
      flagged: plan.filter(
        (step) =>
          /^SCAN \S+$/.test(step) || /^SCAN \S+ USING/.test(step) || step.includes("TEMP B-TREE"),
      ),
    });
  }
  return {
    status,
    bytes,
    statements: [...distinct.values()].reduce((sum, q) => sum + q.count, 0),
    queries,
  };
}

interface Measured {
  concurrency: number;
  latency: Latency;
  failures: number;
  firstFailure: string | null;
  requestsPerSecond: number;
  meanResponseKb: number;
  seconds: number;
  serverCpuPercent: number;
  clientCpuPercent: number;
  /** CPU used by every other process on the machine meanwhile, in % of one core. */
  othersCpuPercent: number;
}

async function measure(
  client: LoadClient,
  origin: string,
  cookies: readonly string[],
  paths: (w: number) => string[],
  concurrency: number,
  maxRequests: number,
  seconds: number,
): Promise<Measured> {
  const workers = Array.from({ length: concurrency }, (_, w) => ({
    cookie: cookies[w % cookies.length] ?? "",
    paths: paths(w),
  }));
  let cpuBefore = process.cpuUsage();
  let machineBefore = machineTicks();
  let measuredAt = performance.now();
  const result = await client.run(
    { type: "job", origin, workers, warmupRounds: 1, maxRequests, seconds, thinkMs: THINK.ms },
    () => {
      cpuBefore = process.cpuUsage();
      machineBefore = machineTicks();
      measuredAt = performance.now();
    },
  );
  const cpu = process.cpuUsage(cpuBefore);
  const machineAfter = machineTicks();
  const wall = (performance.now() - measuredAt) / 1000;
  const serverCpuPercent = ((cpu.user + cpu.system) / 1e6 / wall) * 100;
  const clientCpuPercent = (result.cpuSeconds / result.seconds) * 100;
  const ticks = machineAfter.total - machineBefore.total;
  const machinePercent =
    ticks > 0 ? ((machineAfter.busy - machineBefore.busy) / ticks) * cpus().length * 100 : NaN;
  const count = result.latenciesMs.length;
  return {
    concurrency,
    latency: latencyOf(result.latenciesMs),
    failures: result.failures,
    firstFailure: result.firstFailure,
    requestsPerSecond: count / result.seconds,
    meanResponseKb: count > 0 ? result.bytes / count / 1024 : 0,
    seconds: result.seconds,
    serverCpuPercent,
    clientCpuPercent,
    othersCpuPercent: machinePercent - serverCpuPercent - clientCpuPercent,
  };
}

interface ReadResult extends Measured {
  /** One session alone (no concurrency): the read's own service time. */
  unloaded: Measured;
  /** Its p50 / GET /healthz's p50, both from one session alone. */
  aloneP50Ratio: number | null;
  key: string;
  label: string;
  path: string;
  note: string | null;
  p50Ratio: number | null;
  p99Ratio: number | null;
  targetMet: boolean | null;
  trace: Trace;
}

function originOf(app: FastifyInstance): string {
  const address = app.server.address();
  if (typeof address !== "object" || address === null) throw new Error("not listening");
  return `http://127.0.0.1:${address.port}`;
}

function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return a / b;
}

// ------------------------------------------------------------------ running a dataset

interface DatasetResult {
  name: string;
  counts: SeedCounts;
  seedProblems: string[];
  baselines: (Measured & { path: string; trace: Trace })[];
  reads: ReadResult[];
}

function readsFor(spec: DatasetSpec, options: Options, auditRows: number): ReadSpec[] {
  const week = currentWeek();
  const q = encodeURIComponent;
  const weekQuery = `from=${q(week.from)}&to=${q(week.to)}`;
  const rooms = Array.from({ length: spec.devices }, (_, i) =>
    deviceId(Math.floor(i / DEVICES_PER_SCHOOL), i % DEVICES_PER_SCHOOL),
  );
  const actors = staffOf(0, options.concurrency).map((member) => member.id);
  const middle = Math.floor(auditRows / 2);
  const n = options.concurrency;
  const heavyWeek = spec.devices * PERIODS.length * 5 > 20_000;
  const days = Array.from({ length: 20 }, (_, i) =>
    iso(Date.parse("2025-03-03T00:00:00.000Z") + i * DAY),
  );
  return [
    {
      key: "fleet",
      label: "fleet GET /api/devices",
      as: "teacher",
      paths: () => ["/api/devices"],
      concurrency: n,
      maxRequests: options.maxRequests,
      target: spec.name === "school",
    },
    {
      key: "week",
      label: "week GET /api/bookings (all rooms)",
      as: "teacher",
      paths: () => [`/api/bookings?${weekQuery}`],
      // a whole trust's week is tens of thousands of bookings per answer: fewer at once
      concurrency: heavyWeek ? Math.min(n, 2) : n,
      maxRequests: heavyWeek ? 6 : options.maxRequests,
      target: spec.name === "school",
      ...(heavyWeek && {
        note:
          "every room of the trust in one answer (seconds each): run at 2 concurrent, " +
          "6 requests at most, against a baseline at 2",
      }),
    },
    {
      key: "week-room",
      label: "week GET /api/bookings?deviceId= (one room)",
      as: "teacher",
      paths: (w) =>
        Array.from(
          { length: 8 },
          (_, k) =>
            `/api/bookings?${weekQuery}&deviceId=${rooms[(w * 8 + k) % rooms.length] ?? ""}`,
        ),
      concurrency: n,
      maxRequests: options.maxRequests,
      target: spec.name === "school",
    },
    {
      key: "mine",
      label: "my recordings GET /api/recordings",
      as: "teacher",
      paths: () => ["/api/recordings"],
      concurrency: n,
      maxRequests: options.maxRequests,
      target: spec.name === "school",
    },
    {
      key: "audit-page",
      label: "audit GET /api/audit?limit=100&afterSeq=<middle>",
      as: "dpo",
      paths: (w) =>
        Array.from(
          { length: 10 },
          (_, k) =>
            `/api/audit?limit=100&afterSeq=${middle + (((w * 10 + k) * 997) % Math.max(1, Math.floor(auditRows / 4)))}`,
        ),
      concurrency: n,
      maxRequests: options.maxRequests,
      target: spec.name === "school",
    },
    {
      key: "audit-actor",
      label: "audit GET /api/audit?limit=100&actor=<person>",
      as: "dpo",
      paths: (w) =>
        Array.from(
          { length: 5 },
          (_, k) => `/api/audit?limit=100&actor=${actors[(w * 5 + k) % actors.length] ?? ""}`,
        ),
      concurrency: n,
      maxRequests: options.maxRequests,
      target: spec.name === "school",
    },
    {
      key: "audit-day",
      label: "audit GET /api/audit?limit=100&from=<day>&to=<day+1>",
      as: "dpo",
      paths: (w) =>
        Array.from({ length: 4 }, (_, k) => {
          const from = days[(w * 4 + k) % days.length] ?? "";
          return `/api/audit?limit=100&from=${q(from)}&to=${q(iso(Date.parse(from) + DAY))}`;
        }),
      concurrency: n,
      maxRequests: options.maxRequests,
      target: spec.name === "school",
    },
  ];
}

async function runDataset(
  spec: DatasetSpec,
  base: Base,
  dir: string,
  client: LoadClient,
  options: Options,
): Promise<DatasetResult> {
  copyBase(base, dir);
  const controller = await startController({ dataDir: dir, now: () => NOW });
  const { app } = controller;
  try {
    progress(`${spec.name}: seeding ${spec.devices} devices, ${spec.days.length} school days…`);
    const counts = await seedDataset(app, spec, base, options.concurrency);
    progress(
      `${spec.name}: seeded in ${counts.seconds.toFixed(1)} s — ${counts.bookings.toLocaleString("en-GB")} bookings, ` +
        `${counts.recordings.toLocaleString("en-GB")} recordings (${counts.recordingsLive.toLocaleString("en-GB")} not deleted), ` +
        `${counts.databaseMb.toFixed(0)} MB`,
    );
    // what the broker's 5-second sync would do: publish the new devices' configs, once
    await app.broker.sync();
    flushToDisk();
    const sample = [
      deviceId(0, 0),
      deviceId(0, 1),
      deviceId(
        Math.floor((spec.devices - 1) / DEVICES_PER_SCHOOL),
        (spec.devices - 1) % DEVICES_PER_SCHOOL,
      ),
    ];
    const seedProblems = await checkSeededConfigs(app, sample);
    for (const problem of seedProblems) progress(`${spec.name}: WARNING ${problem}`);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const origin = originOf(app);
    const cookiesFor = (as: ReadSpec["as"]) =>
      as === "dpo" ? base.dpoCookies : base.teacherCookies;

    const baselines = new Map<number, Measured & { path: string; trace: Trace }>();
    const secondsAt = (concurrency: number) =>
      concurrency === 1 ? options.unloadedSeconds : options.seconds;
    const baselineAt = async (concurrency: number) => {
      const known = baselines.get(concurrency);
      if (known) return known;
      const trace = await traceRequest(app, "/healthz", base.teacherCookies[0] ?? "");
      const measured = await measure(
        client,
        origin,
        base.teacherCookies,
        () => ["/healthz"],
        concurrency,
        options.maxRequests,
        secondsAt(concurrency),
      );
      controller.lines.length = 0;
      const result = { ...measured, path: "/healthz", trace };
      baselines.set(concurrency, result);
      progress(
        `${spec.name}: baseline GET /healthz ×${concurrency}: p50 ${fixed(measured.latency.p50, 2)} ms, ` +
          `p99 ${fixed(measured.latency.p99, 2)} ms (n=${measured.latency.count})`,
      );
      return result;
    };
    await baselineAt(options.concurrency);
    await baselineAt(1);

    const reads: ReadResult[] = [];
    for (const read of readsFor(spec, options, base.auditRows)) {
      const cookies = cookiesFor(read.as);
      const firstPath = read.paths(0)[0] ?? "/";
      const trace = await traceRequest(app, firstPath, cookies[0] ?? "");
      if (trace.status !== 200)
        throw new Error(`${read.label}: GET ${firstPath} answered ${trace.status}`);
      const baseline = await baselineAt(read.concurrency);
      const measured = await measure(
        client,
        origin,
        cookies,
        read.paths,
        read.concurrency,
        read.maxRequests,
        options.seconds,
      );
      controller.lines.length = 0;
      // the same read from one session alone: its service time without queueing
      const unloaded = await measure(
        client,
        origin,
        cookies,
        read.paths,
        1,
        read.maxRequests,
        options.unloadedSeconds,
      );
      controller.lines.length = 0;
      const p99 = measured.latency.p99;
      const result: ReadResult = {
        ...measured,
        key: read.key,
        label: read.label,
        path: firstPath,
        note: read.note ?? null,
        p50Ratio: ratio(measured.latency.p50, baseline.latency.p50),
        p99Ratio: ratio(p99, baseline.latency.p99),
        unloaded,
        aloneP50Ratio: ratio(unloaded.latency.p50, (await baselineAt(1)).latency.p50),
        targetMet: read.target
          ? p99 !== null && p99 < TARGET_P99_MS && measured.failures === 0
          : null,
        trace,
      };
      reads.push(result);
      progress(
        `${spec.name}: ${read.label} ×${read.concurrency}: p50 ${fixed(measured.latency.p50, 1)} ms, ` +
          `p99 ${fixed(p99, 1)} ms (n=${measured.latency.count}, ${fixed(measured.meanResponseKb, 0)} KB each; ` +
          `alone p50 ${fixed(unloaded.latency.p50, 1)} ms` +
          `${measured.failures > 0 ? `, ${measured.failures} FAILED: ${measured.firstFailure ?? ""}` : ""})`,
      );
    }
    return { name: spec.name, counts, seedProblems, baselines: [...baselines.values()], reads };
  } finally {
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ the retention sweep

interface SweepResult {
  recordings: number;
  mix: Record<string, number>;
  seedSeconds: number;
  /**
   * Baseline: reading every row the sweep must look at (the columns it reads,
   * no hold lookup) through the same driver, median of three. It is the least
   * any sweep over these recordings costs; the ratio is what the sweep's
   * decisions, hold checks and writes add on top.
   */
  baselineMs: number;
  baselineRows: number;
  first: {
    ms: number;
    msPer100k: number;
    examined: number;
    controllerDeleted: number;
    deviceRequested: number;
  };
  repeat: {
    ms: number;
    msPer100k: number;
    examined: number;
    controllerDeleted: number;
    deviceRequested: number;
  };
  firstRatio: number;
  repeatRatio: number;
}

async function runSweep(base: Base, dir: string, options: Options): Promise<SweepResult> {
  copyBase(base, dir);
  const controller = await startController({ dataDir: dir, now: () => NOW });
  const { app } = controller;
  try {
    const started = performance.now();
    const random = seeded(99);
    const bulk = new Bulk();
    const now = NOW.getTime();
    const owners = Array.from({ length: options.concurrency }, (_, i) => sessionTeacher(i));
    const mix: Record<string, number> = {};
    const total = options.sweepRecordings;
    await app.db.transaction(async (tx) => {
      for (let d = 0; d < DEVICES_PER_SCHOOL; d += 1) {
        const id = deviceId(0, d);
        const config = {
          ...defaultConfig(`Room ${d + 1}`, "2024-08-28T09:00:00.000Z"),
          uploads: [],
        };
        bulk.push("devices", deviceRow(random, id, `Room ${d + 1}`, config, base.passwordHash));
      }
      for (let i = 0; i < total; i += 1) {
        const r = random();
        // most past buffer retention; some held, archived, exemplars, owner deletions, recent
        const kind =
          r < 0.05
            ? "recent (in buffer)"
            : r < 0.87
              ? "past buffer retention"
              : r < 0.92
                ? "past buffer, on hold"
                : r < 0.97
                  ? "archived, device copy past buffer"
                  : r < 0.98
                    ? "archived, past archive retention"
                    : r < 0.99
                      ? "exemplar archived long ago"
                      : "owner asked for deletion";
        mix[kind] = (mix[kind] ?? 0) + 1;
        const longAgo =
          kind === "archived, past archive retention" || kind === "exemplar archived long ago";
        const recent = kind === "recent (in buffer)" || kind === "owner asked for deletion";
        const endedAt = longAgo
          ? now - (ARCHIVE_DAYS + 30 + Math.floor(random() * 200)) * DAY
          : recent
            ? now - Math.floor(random() * (BUFFER_DAYS - 1) * DAY) - HOUR
            : now - (BUFFER_DAYS + 1) * DAY - Math.floor(random() * 50 * DAY);
        const startedAt = endedAt - HOUR;
        const archived = kind.startsWith("archived") || kind.startsWith("exemplar");
        const recordingId = randomUUID();
        const device = deviceId(0, i % DEVICES_PER_SCHOOL);
        const owner = owners[i % owners.length] ?? "";
        bulk.push("recordings", [
          recordingId,
          device,
          null,
          owner,
          JSON.stringify([owner]),
          "self-reflection",
          iso(startedAt),
          iso(endedAt),
          1,
          "v4l2m2m-h264",
          "booking-ended",
          3600,
          12,
          1_800_000_000,
          null,
          longAgo ? 0 : 1,
          archived ? 1 : 0,
          archived ? "archived" : "none",
          archived ? iso(endedAt + HOUR) : null,
          null,
          archived ? iso(endedAt + DAY) : null,
          kind.startsWith("exemplar") ? 1 : 0,
          kind === "owner asked for deletion" ? iso(now - HOUR) : null,
          null,
        ]);
        if (kind === "past buffer, on hold") {
          bulk.push("holds", [
            recordingId,
            "s000-slt1",
            "Safeguarding review requested by the DSL",
            iso(endedAt + DAY),
            null,
            null,
            null,
          ]);
        }
        await bulk.flushIfFull(tx);
      }
      await bulk.flush(tx);
    });
    await app.broker.sync();
    flushToDisk();
    const seedSeconds = (performance.now() - started) / 1000;
    progress(
      `sweep: ${total.toLocaleString("en-GB")} recordings seeded in ${seedSeconds.toFixed(1)} s`,
    );

    const baselineRuns: number[] = [];
    let baselineRows = 0;
    for (let run = 0; run < 3; run += 1) {
      const t0 = performance.now();
      const rows = await app.db.all(
        `SELECT id, device_id, ended_at, archive_state, archived_at, exemplar, deletion_requested_at,
                on_device, on_controller
         FROM recordings WHERE deleted_at IS NULL AND ended_at IS NOT NULL`,
      );
      baselineRuns.push(performance.now() - t0);
      baselineRows = rows.length;
    }
    const baselineMs = [...baselineRuns].sort((a, b) => a - b)[1] ?? NaN;
    const timed = async () => {
      const t0 = performance.now();
      const report = await app.custodian.sweep();
      const ms = performance.now() - t0;
      return {
        ms,
        msPer100k: (ms * 100_000) / total,
        examined: report.examined,
        controllerDeleted: report.controllerDeleted.length,
        deviceRequested: report.deviceRequested.length,
      };
    };
    const first = await timed();
    progress(`sweep: first sweep ${first.ms.toFixed(0)} ms (${first.examined} examined)`);
    const repeat = await timed();
    progress(`sweep: repeat sweep ${repeat.ms.toFixed(0)} ms`);
    return {
      recordings: total,
      mix,
      seedSeconds,
      baselineMs,
      baselineRows,
      first,
      repeat,
      firstRatio: first.ms / baselineMs,
      repeatRatio: repeat.ms / baselineMs,
    };
  } finally {
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ report

function fixed(value: number | null | undefined, digits: number, unit = ""): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "n/a";
  return `${value.toFixed(digits)}${unit}`;
}

function ratioText(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "n/a";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function table(headers: string[], rows: string[][], right: Set<number>): string[] {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        right.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

function datasetReport(result: DatasetResult): string[] {
  const { counts } = result;
  const n = (value: number) => value.toLocaleString("en-GB");
  const lines = [
    "",
    `==== ${result.name}: ${n(counts.devices)} devices in ${counts.schools} school(s), ${n(counts.staff)} staff, ` +
      `${n(counts.bookings)} bookings over ${counts.schoolDays} school days (${counts.firstDay} … ${counts.lastDay}), ` +
      `${n(counts.recordings)} recordings (${n(counts.recordingsLive)} not deleted), ${n(counts.shares)} shares, ` +
      `${n(counts.holds)} holds, ${n(counts.alerts)} open alerts, ${n(counts.auditEntries)} audit entries; ` +
      `database ${counts.databaseMb.toFixed(0)} MB; seeded in ${counts.seconds.toFixed(1)} s ====`,
  ];
  const headers = [
    "read",
    "conc",
    "n",
    "p50 ms",
    "p99 ms",
    "p50 ×base",
    "p99 ×base",
    "alone p50/p99 ms",
    "alone p50 ×base",
    "req/s",
    "CPU srv/cli/other %",
    "KB/answer",
    "SQL/req",
    `target p99 < ${TARGET_P99_MS} ms`,
  ];
  const cpu = (m: Measured) =>
    `${fixed(m.serverCpuPercent, 0)}/${fixed(m.clientCpuPercent, 0)}/${fixed(m.othersCpuPercent, 0)}`;
  const rows: string[][] = [];
  for (const baseline of result.baselines) {
    rows.push([
      baseline.concurrency === 1
        ? "baseline GET /healthz (one session alone)"
        : "baseline GET /healthz",
      String(baseline.concurrency),
      String(baseline.latency.count),
      fixed(baseline.latency.p50, 2),
      fixed(baseline.latency.p99, 2),
      "1",
      "1",
      "",
      "",
      fixed(baseline.requestsPerSecond, 0),
      cpu(baseline),
      fixed(baseline.meanResponseKb, 1),
      String(baseline.trace.statements),
      "",
    ]);
  }
  for (const read of result.reads) {
    rows.push([
      read.label,
      String(read.concurrency),
      String(read.latency.count),
      fixed(read.latency.p50, 1),
      fixed(read.latency.p99, 1),
      ratioText(read.p50Ratio),
      ratioText(read.p99Ratio),
      `${fixed(read.unloaded.latency.p50, 1)}/${fixed(read.unloaded.latency.p99, 1)}`,
      ratioText(read.aloneP50Ratio),
      fixed(read.requestsPerSecond, 0),
      cpu(read),
      fixed(read.meanResponseKb, 1),
      String(read.trace.statements),
      read.targetMet === null ? "(trust: not held to it)" : read.targetMet ? "MET" : "NOT MET",
    ]);
  }
  lines.push(...table(headers, rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])));
  for (const read of result.reads) {
    if (read.note !== null) lines.push(`note: ${read.label}: ${read.note}`);
    if (read.failures > 0) {
      lines.push(
        `FAILED requests: ${read.label}: ${read.failures}, first: ${read.firstFailure ?? ""}`,
      );
    }
  }
  const noisy = [
    ...result.baselines,
    ...result.reads,
    ...result.reads.map((read) => read.unloaded),
  ].filter((m) => m.othersCpuPercent > 15);
  if (noisy.length > 0) {
    lines.push(
      `WARNING: other processes used more than 15 % of a core during ${noisy.length} of the windows ` +
        `(up to ${fixed(Math.max(...noisy.map((m) => m.othersCpuPercent)), 0)} %): those figures are disturbed.`,
    );
  }
  for (const problem of result.seedProblems) lines.push(`seeding WARNING: ${problem}`);
  lines.push(
    "",
    `${result.name}: the statements behind each read (one traced request; slowest of each kind):`,
  );
  for (const read of result.reads) {
    lines.push(
      `  ${read.label} — ${read.trace.statements} statement(s), ${fixed(read.trace.bytes / 1024, 0)} KB answer`,
    );
    for (const query of [...read.trace.queries].sort((a, b) => b.ms - a.ms).slice(0, 3)) {
      const sql = query.sql.length > 150 ? `${query.sql.slice(0, 147)}…` : query.sql;
      lines.push(
        `    ${fixed(query.ms, 1).padStart(7)} ms ${String(query.rows).padStart(6)} rows  ${sql}`,
      );
      lines.push(`    ${"".padStart(22)}plan: ${query.plan.join(" | ")}`);
    }
  }
  return lines;
}

function sweepReport(sweep: SweepResult): string[] {
  const n = (value: number) => value.toLocaleString("en-GB");
  return [
    "",
    `==== retention sweep: ${n(sweep.recordings)} ended recordings on 60 devices, none connected ` +
      `(device deletions are only queued); seeded in ${sweep.seedSeconds.toFixed(1)} s ====`,
    `mix: ${Object.entries(sweep.mix)
      .map(([kind, count]) => `${kind} ${n(count)}`)
      .join("; ")}`,
    `baseline: read the ${n(sweep.baselineRows)} rows the sweep examines (same columns, no hold lookup): ` +
      `${fixed(sweep.baselineMs, 0)} ms (median of 3)`,
    ...table(
      [
        "sweep",
        "ms",
        "ms per 100k recordings",
        "× baseline",
        "examined",
        "controller copies deleted",
        "device deletions queued",
      ],
      [
        [
          "first (backlog)",
          fixed(sweep.first.ms, 0),
          fixed(sweep.first.msPer100k, 0),
          ratioText(sweep.firstRatio),
          n(sweep.first.examined),
          n(sweep.first.controllerDeleted),
          n(sweep.first.deviceRequested),
        ],
        [
          "repeat (nothing new)",
          fixed(sweep.repeat.ms, 0),
          fixed(sweep.repeat.msPer100k, 0),
          ratioText(sweep.repeatRatio),
          n(sweep.repeat.examined),
          n(sweep.repeat.controllerDeleted),
          n(sweep.repeat.deviceRequested),
        ],
      ],
      new Set([1, 2, 3, 4, 5, 6]),
    ),
  ];
}

// ------------------------------------------------------------------ main

/** The pause between a session's requests, from --think-ms (set once in main). */
const THINK = { ms: 0 };
const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Options {
  seconds: number;
  maxRequests: number;
  concurrency: number;
  auditRows: number;
  schoolDevices: number;
  trustDevices: number;
  trustDays: number;
  sweepRecordings: number;
  unloadedSeconds: number;
  only: Set<string>;
}

/** The commit measured, and which files differ from it (the tree may be mid-change). */
function revision(): { commit: string; changed: string[] } {
  const git = (args: string[]) =>
    execFileSync("git", args, { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  try {
    return {
      commit: git(["rev-parse", "--short", "HEAD"]).trim(),
      changed: git(["status", "--porcelain", "--", "controller", "protocol"])
        .split("\n")
        .map((line) => line.slice(3).trim())
        .filter((file) => file !== ""),
    };
  } catch {
    return { commit: "unknown", changed: [] };
  }
}

const runStarted = performance.now();
function progress(text: string): void {
  process.stdout.write(
    `[${((performance.now() - runStarted) / 1000).toFixed(0).padStart(4)} s] ${text}\n`,
  );
}

const cleanups: (() => Promise<void> | void)[] = [];
async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch (error) {
      process.stderr.write(`bench: clean-up step failed: ${errorText(error)}\n`);
    }
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string" },
      "max-requests": { type: "string" },
      concurrency: { type: "string" },
      "audit-rows": { type: "string" },
      "school-devices": { type: "string" },
      "trust-devices": { type: "string" },
      "trust-days": { type: "string" },
      "sweep-recordings": { type: "string" },
      "unloaded-seconds": { type: "string" },
      only: { type: "string" },
      "think-ms": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  THINK.ms = positiveNumber(values["think-ms"], "--think-ms", 0);
  process.stdout.write(
    THINK.ms > 0
      ? `load: each session pauses ${THINK.ms * 0.5}–${THINK.ms * 1.5} ms between requests\n`
      : "load: each session sends its next request as soon as the last one is answered\n",
  );
  const days = schoolDays();
  const options: Options = {
    seconds: positiveNumber(values.seconds, "--seconds", 8),
    maxRequests: positiveInt(values["max-requests"], "--max-requests", 2000),
    concurrency: positiveInt(values.concurrency, "--concurrency", 50),
    auditRows: positiveInt(values["audit-rows"], "--audit-rows", 1_000_000),
    schoolDevices: positiveInt(values["school-devices"], "--school-devices", 60),
    trustDevices: positiveInt(values["trust-devices"], "--trust-devices", 3000),
    trustDays: Math.min(days.length, positiveInt(values["trust-days"], "--trust-days", 50)),
    sweepRecordings: positiveInt(values["sweep-recordings"], "--sweep-recordings", 100_000),
    unloadedSeconds: positiveNumber(values["unloaded-seconds"], "--unloaded-seconds", 2),
    only: new Set((values.only ?? "school,trust,sweep").split(",").map((part) => part.trim())),
  };
  for (const part of options.only) {
    if (!["school", "trust", "sweep"].includes(part))
      throw new Error(`--only: unknown part '${part}'`);
  }
  if (options.concurrency > TEACHERS_PER_SCHOOL) {
    throw new Error(
      `--concurrency is at most ${TEACHERS_PER_SCHOOL} (one teacher account per session)`,
    );
  }
  if (options.schoolDevices > DEVICES_PER_SCHOOL) {
    throw new Error(`--school-devices is at most ${DEVICES_PER_SCHOOL} (one school)`);
  }

  const code = revision();
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? "unknown"}), ${(totalmem() / 2 ** 30).toFixed(0)} GB, node ${process.version}`;
  const loadBefore = loadavg()[0] ?? 0;
  const week = currentWeek();
  process.stdout.write(
    `api-reads bench: ${options.concurrency} concurrent signed-in sessions over HTTP (loopback), ` +
      `${options.seconds} s per read (at most ${options.maxRequests} requests) after one warm-up round\n` +
      `machine: ${machine}; load average ${loadBefore.toFixed(2)}\n` +
      `code: ${code.commit}${code.changed.length > 0 ? ` plus uncommitted changes to ${code.changed.join(", ")}` : ""}\n` +
      `controller clock fixed at ${NOW.toISOString()}; the week read is ${week.from} … ${week.to}\n\n`,
  );

  const root = tempDir("classcam-bench-api-");
  cleanups.push(() => root.remove());
  const client = await LoadClient.start();
  cleanups.push(() => client.stop());

  const base = await buildBase(join(root.path, "base"), options);
  const results: { school?: DatasetResult; trust?: DatasetResult; sweep?: SweepResult } = {};
  if (options.only.has("school")) {
    results.school = await runDataset(
      { name: "school", devices: options.schoolDevices, days, seed: 1 },
      base,
      join(root.path, "school"),
      client,
      options,
    );
  }
  if (options.only.has("trust")) {
    results.trust = await runDataset(
      {
        name: "trust",
        devices: options.trustDevices,
        days: trustWindow(days, options.trustDays),
        seed: 2,
      },
      base,
      join(root.path, "trust"),
      client,
      options,
    );
  }
  if (options.only.has("sweep")) {
    results.sweep = await runSweep(base, join(root.path, "sweep"), options);
  }
  await client.stop();

  const totalSeconds = (performance.now() - runStarted) / 1000;
  const report = [
    "",
    "Latency is measured at the client: request sent → whole answer read, over keep-alive connections,",
    "each session a closed loop. ×base = the read's p50 (p99) / GET /healthz's p50 (p99) on the same",
    "server at the same concurrency with the same session cookies (so the session lookup every request",
    "makes is in both). alone = the same read from one session with nothing else in flight (its own",
    "service time); alone ×base = that p50 / GET /healthz's p50 alone. CPU srv/cli/other = % of one",
    "core used in the window by the server process (SQLite threads included), the load client, and",
    "everything else on the machine. Client and server share the machine's cores, so at 50-way the",
    "baseline is bounded by the client's CPU as much as by the server's. Request logging at info level",
    "(as in production) is on for every request.",
    `base database: ${base.auditRows.toLocaleString("en-GB")} audit entries seeded in ${base.seconds.audit.toFixed(1)} s; ` +
      `chain check ${base.verify.ok ? "ok" : "FAILED"} (${base.verify.checked}); ` +
      `accounts and sessions in ${base.seconds.accounts.toFixed(1)} s`,
    ...(results.school ? datasetReport(results.school) : []),
    ...(results.trust ? datasetReport(results.trust) : []),
    ...(results.trust
      ? [
          `(trust capped to keep seeding short: its bookings cover ${results.trust.counts.schoolDays} of the ` +
            `${days.length} school days, ending three school weeks after the clock; the school has the whole year)`,
        ]
      : []),
    ...(results.sweep ? sweepReport(results.sweep) : []),
    "",
    `target: p99 < ${TARGET_P99_MS} ms for every read on the school-sized database: ` +
      (results.school
        ? results.school.reads
            .map((read) => `${read.key} ${read.targetMet === true ? "MET" : "NOT MET"}`)
            .join(", ")
        : "not run"),
    `total runtime ${totalSeconds.toFixed(0)} s`,
  ];
  process.stdout.write(`${report.join("\n")}\n`);

  const resultsDir = join(HERE, "results");
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const output = join(resultsDir, `api-reads-${stamp}.json`);
  writeFileSync(
    output,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        command:
          `node ${process.execArgv.join(" ")} test/bench/api-reads.ts ${process.argv.slice(2).join(" ")}`.trim(),
        machine: {
          cores: cpus().length,
          cpu: cpus()[0]?.model.trim() ?? null,
          memoryGb: totalmem() / 2 ** 30,
          node: process.version,
          loadAverageBefore: loadBefore,
        },
        code,
        options: { ...options, only: [...options.only], thinkMs: THINK.ms },
        controllerClock: NOW.toISOString(),
        week,
        targetP99Ms: TARGET_P99_MS,
        latencyMeasuredAs: "client side: request sent → whole answer read (ms)",
        baselineMeasuredAs: "GET /healthz, same server, same concurrency, same session cookies",
        base: { auditRows: base.auditRows, seconds: base.seconds, verify: base.verify },
        school: results.school ?? null,
        trust: results.trust ?? null,
        sweep: results.sweep ?? null,
        totalSeconds,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`results written to ${output}\n`);
  return 0;
}

if (process.argv.includes("--client")) {
  runClient();
} else {
  runBenchmark(main, cleanUp);
}
