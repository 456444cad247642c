import t from "tap";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { Database, migrate } from "@classcam/controller";
import {
  AUDIT_ACTIONS,
  AuditLog,
  GENESIS_HASH,
  canonicalJson,
  csvField,
  entryHash,
  type AuditEntry,
  type AuditInput,
} from "../../controller/src/domain/audit.js";
import { DomainError } from "../../controller/src/domain/errors.js";
import { tempDir } from "../helpers/controller.js";

/** A migrated database in a temp folder, and an audit log on a clock that ticks a second a call. */
async function open(t: { teardown: (fn: () => unknown) => void }) {
  const dir = tempDir();
  const file = join(dir.path, "c.sqlite");
  const db = await Database.open(file);
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  await migrate(db);
  let tick = Date.parse("2025-03-01T08:00:00.000Z");
  const log = new AuditLog(db, () => new Date((tick += 1000)));
  return { db, log, file };
}

async function fill(log: AuditLog, count: number): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (let i = 1; i <= count; i++) {
    entries.push(
      await log.record({
        actor: `teacher-${i % 3}`,
        action: i % 2 === 0 ? "recording.view" : "sign-in",
        subject: i % 2 === 0 ? `rec-${i}` : "",
        detail: { n: i, reason: "coaching" },
      }),
    );
  }
  return entries;
}

/** A separate, raw connection to the same file: what someone with the file in hand can do. */
async function tamper(file: string, sql: string, params: unknown[] = []): Promise<void> {
  const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
    const conn = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (error) => {
      if (error) reject(error);
      else resolve(conn);
    });
  });
  const run = (statement: string, values: unknown[] = []) =>
    new Promise<void>((resolve, reject) => {
      raw.run(statement, values, (error: Error | null) => {
        if (error) reject(error);
        else resolve();
      });
    });
  try {
    await run("DROP TRIGGER IF EXISTS audit_log_no_update");
    await run("DROP TRIGGER IF EXISTS audit_log_no_delete");
    await run("DROP TRIGGER IF EXISTS audit_log_extends_chain");
    await run(sql, params);
  } finally {
    await new Promise<void>((resolve, reject) => {
      raw.close((error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }
}

void t.test("entries form a chain that verifies", async (t) => {
  const { log } = await open(t);
  t.same(await log.verify(), { ok: true, entries: 0 }, "an empty log is fine");
  t.equal(await log.head(), null);
  const entries = await fill(log, 12);
  t.same(
    entries.map((e) => e.seq),
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  t.equal(entries[0]?.prevHash, GENESIS_HASH, "the first entry follows 64 zeros");
  for (let i = 1; i < entries.length; i++) {
    t.equal(entries[i]?.prevHash, entries[i - 1]?.hash, `entry ${i + 1} carries the previous hash`);
  }
  const first = entries[0];
  if (!first) throw new Error("no entry");
  t.equal(
    first.hash,
    entryHash({ ...first, detailJson: '{"n":1,"reason":"coaching"}' }),
    "the hash is over the canonical fields",
  );
  t.same(await log.verify(), { ok: true, entries: 12 });
  t.same(await log.head(), { seq: 12, hash: entries[11]?.hash });
});

void t.test("the entry commits or rolls back with the audited change", async (t) => {
  const { db, log } = await open(t);
  await t.rejects(
    db.transaction(async (tx) => {
      await log.append(tx, { actor: "dpo", action: "policy.change", detail: { bufferDays: 3 } });
      throw new Error("the change failed");
    }),
    /the change failed/,
  );
  t.same(await log.verify(), { ok: true, entries: 0 }, "no entry for a change that did not happen");
  const entry = await db.transaction((tx) =>
    log.append(tx, { actor: "dpo", action: "policy.change", detail: { bufferDays: 3 } }),
  );
  t.equal(entry.seq, 1);
  t.equal(entry.subject, "");
});

void t.test("the application cannot rewrite history", async (t) => {
  const { db, log } = await open(t);
  const entries = await fill(log, 3);
  await t.rejects(
    db.transaction((tx) => tx.run("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")),
    /audit_log is append-only/,
  );
  await t.rejects(
    db.transaction((tx) => tx.run("DELETE FROM audit_log WHERE seq = 2")),
    /audit_log is append-only/,
  );
  const second = entries[1];
  if (!second) throw new Error("no entry");
  await t.rejects(
    db.transaction((tx) =>
      tx.run(
        "INSERT OR REPLACE INTO audit_log (seq, at, actor, action, subject, detail_json, prev_hash, hash) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [2, second.at, "x", "sign-in", "", "{}", second.prevHash, second.hash],
      ),
    ),
    /must extend the chain/,
    "an entry cannot be put in the middle",
  );
  await t.rejects(
    db.transaction((tx) =>
      tx.run(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail_json, prev_hash, hash) " +
          "VALUES (4, 'now', 'x', 'sign-in', '', '{}', ?, ?)",
        [GENESIS_HASH, GENESIS_HASH],
      ),
    ),
    /must extend the chain/,
    "nor one that does not link to the last",
  );
  t.same(await log.verify(), { ok: true, entries: 3 });
});

void t.test("an entry edited in the file is named", async (t) => {
  const { log, file } = await open(t);
  await fill(log, 10);
  await tamper(file, "UPDATE audit_log SET detail_json = ? WHERE seq = 5", [
    '{"n":5,"reason":"nothing to see"}',
  ]);
  const result = await log.verify();
  t.match(result, { ok: false, seq: 5, problem: /entry 5 was altered/ });
});

void t.test("an entry removed from the file is named", async (t) => {
  const { log, file } = await open(t);
  await fill(log, 10);
  await tamper(file, "DELETE FROM audit_log WHERE seq = 5");
  t.match(await log.verify(), { ok: false, seq: 5, problem: /entry 5 is missing.*4 to 6/ });
});

void t.test("an edit hidden by rewriting its hash is found at the next link", async (t) => {
  const { log, file } = await open(t);
  const entries = await fill(log, 10);
  const fifth = entries[4];
  if (!fifth) throw new Error("no entry");
  const detailJson = '{"n":5,"reason":"nothing to see"}';
  await tamper(file, "UPDATE audit_log SET detail_json = ?, hash = ? WHERE seq = 5", [
    detailJson,
    entryHash({ ...fifth, detailJson }),
  ]);
  t.match(await log.verify(), {
    ok: false,
    seq: 6,
    problem: /entry 6 does not follow entry 5/,
  });
});

void t.test("a forged entry inserted in the middle is found", async (t) => {
  const { log, file } = await open(t);
  const entries = await fill(log, 8);
  // make room at seq 5, then insert a well-formed entry that links to entry 4
  for (let seq = 8; seq >= 5; seq--) {
    await tamper(file, "UPDATE audit_log SET seq = seq + 1 WHERE seq = ?", [seq]);
  }
  const prevHash = entries[3]?.hash ?? "";
  const forged = {
    seq: 5,
    at: "2025-03-01T08:00:04.500Z",
    actor: "teacher-1",
    action: "consent.give",
    subject: "rec-2",
    detailJson: "{}",
    prevHash,
  };
  await tamper(
    file,
    "INSERT INTO audit_log (seq, at, actor, action, subject, detail_json, prev_hash, hash) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [...Object.values(forged), entryHash(forged)],
  );
  t.match(await log.verify(), { ok: false, seq: 6, problem: /entry 6 was altered/ });
});

void t.test("an anchor catches a cut-off end", async (t) => {
  const { log, file } = await open(t);
  await fill(log, 6);
  const anchor = await log.head();
  if (!anchor) throw new Error("no head");
  t.same(await log.verify({ anchor }), { ok: true, entries: 6 });
  await tamper(file, "DELETE FROM audit_log WHERE seq >= 5");
  t.same(await log.verify(), { ok: true, entries: 4 }, "the chain alone cannot see it");
  t.match(await log.verify({ anchor }), { ok: false, seq: 5, problem: /truncated/ });
});

void t.test("the log takes only the actions in use, each listed once", async (t) => {
  // @ts-expect-error an action nobody writes is refused by the type-check
  const unknown: AuditInput = { actor: "a", action: "recording.frobnicate" };
  t.ok(unknown);
  const known: AuditInput = { actor: "a", action: "archive.consented" };
  t.ok(AUDIT_ACTIONS.includes(known.action));
  t.equal(new Set(AUDIT_ACTIONS).size, AUDIT_ACTIONS.length);
});

void t.test("inputs are checked", async (t) => {
  const { log } = await open(t);
  const refused = (pattern: RegExp) => ({ name: "DomainError", code: "invalid", message: pattern });
  await t.rejects(
    log.record({ actor: " ", action: "sign-in" }),
    refused(/actor must not be empty/),
  );
  // a caller outside the type-check (JavaScript, a cast) is still refused at run time
  // @ts-expect-error an empty action is not one in use
  await t.rejects(log.record({ actor: "a", action: "" }), refused(/action must not be empty/));
  // @ts-expect-error nor is one shaped wrongly
  await t.rejects(log.record({ actor: "a", action: "Sign In" }), refused(/lower-case words/));
  await t.rejects(
    log.record({ actor: "a", action: "sign-in", detail: [] as unknown as Record<string, unknown> }),
    refused(/detail must be a plain object/),
  );
  await t.rejects(
    log.record({ actor: "a", action: "sign-in", detail: { when: new Date() } }),
    refused(/detail\.when: must be plain JSON/),
  );
  await t.rejects(
    log.record({ actor: "a", action: "sign-in", detail: { n: NaN } }),
    refused(/detail\.n: NaN is not JSON/),
  );
  await t.rejects(log.page({ limit: 0 }), refused(/limit must be a whole number from 1 to 1000/));
  await t.rejects(log.page({ limit: 1001 }), refused(/limit/));
  await t.rejects(log.page({ limit: 10, from: "yesterday" }), refused(/from is not a valid time/));
  t.same(await log.verify(), { ok: true, entries: 0 }, "nothing was written");
  t.ok(new DomainError("invalid", "x") instanceof Error);
  t.equal(
    canonicalJson({ b: [1, { d: 1, c: 2 }], a: null, u: undefined }),
    '{"a":null,"b":[1,{"c":2,"d":1}]}',
  );
});

void t.test("the DPO pages through with filters", async (t) => {
  const { log } = await open(t);
  await fill(log, 25);
  const first = await log.page({ limit: 10 });
  t.same(
    first.entries.map((e) => e.seq),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  t.equal(first.next, 10);
  const last = await log.page({ limit: 10, afterSeq: 20 });
  t.equal(last.entries.length, 5);
  t.equal(last.next, null);
  const views = await log.page({ limit: 100, action: "recording.view", actor: "teacher-1" });
  t.same(
    views.entries.map((e) => e.seq),
    [4, 10, 16, 22],
  );
  t.same((await log.page({ limit: 5, subject: "rec-4" })).entries[0]?.detail, {
    n: 4,
    reason: "coaching",
  });
  const window = await log.page({
    limit: 100,
    from: "2025-03-01T08:00:03.000Z",
    to: new Date("2025-03-01T08:00:06.000Z"),
  });
  t.same(
    window.entries.map((e) => e.seq),
    [3, 4, 5],
    "from is inclusive, to exclusive",
  );
});

void t.test("CSV export quotes fields and neutralises formulas", async (t) => {
  const { log } = await open(t);
  await log.record({ actor: '=HYPERLINK("http://x")', action: "sign-in" });
  await log.record({
    actor: "dpo",
    action: "hold.place",
    subject: 'rec-9, lesson "A"',
    detail: { reason: "-1+1" },
  });
  await log.record({ actor: "@admin", action: "share.create", subject: "+44", detail: {} });
  const csv = await log.export("csv");
  const lines = csv.split("\r\n");
  t.equal(lines[0], "seq,at,actor,action,subject,detail,prev_hash,hash");
  t.match(
    lines[1],
    /^1,2025-03-01T08:00:01\.000Z,"'=HYPERLINK\(""http:\/\/x""\)",sign-in,,\{\},0{64},[0-9a-f]{64}$/,
  );
  t.match(lines[2], /^2,[^,]+,dpo,hold\.place,"rec-9, lesson ""A""","\{""reason"":""-1\+1""\}",/);
  t.match(lines[3], /^3,[^,]+,'@admin,share\.create,'\+44,\{\},/);
  t.equal(lines[4], "", "every line ends with CRLF");
  t.equal(lines.length, 5);
  t.equal(csvField("-2"), "'-2");
  t.equal(csvField(-2), "-2", "numbers are numbers, not formulas");
  t.equal(csvField("plain"), "plain");
  t.equal(csvField('a"b'), '"a""b"');
  t.equal(csvField("line 1\r\nline 2"), '"line 1\r\nline 2"', "newlines are quoted");
  t.equal(
    (await log.export("csv", { actor: "dpo" })).split("\r\n").length,
    3,
    "filtered: header and one entry",
  );
});

void t.test("JSON export round-trips and can be checked on its own", async (t) => {
  const { log } = await open(t);
  await fill(log, 7);
  await log.record({
    actor: "dpo",
    action: "policy.change",
    detail: { z: "ünïcödé ✓", a: { nested: [1, 2.5, true, null] } },
  });
  const parsed = JSON.parse(await log.export("json")) as AuditEntry[];
  t.same(parsed, (await log.page({ limit: 100 })).entries);
  let prevHash = GENESIS_HASH;
  for (const entry of parsed) {
    t.equal(entry.prevHash, prevHash);
    t.equal(entryHash({ ...entry, detailJson: canonicalJson(entry.detail) }), entry.hash);
    prevHash = entry.hash;
  }
  t.same(JSON.parse(await log.export("json", { actor: "nobody" })), []);
  await t.rejects(log.export("xml" as "json"), { code: "invalid" });
});

void t.test("concurrent records still make one gap-free chain", async (t) => {
  const { log } = await open(t);
  const entries = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      log.record({ actor: `user-${i}`, action: "recording.view", subject: `rec-${i}` }),
    ),
  );
  t.same(
    entries.map((e) => e.seq).sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  t.same(await log.verify(), { ok: true, entries: 50 });
});
