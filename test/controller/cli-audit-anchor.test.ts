// `classcam-controller audit verify --anchor SEQ:HASH`, run as a real process:
// a hash chain alone cannot see that its tail was cut off or that it was
// re-forged from some entry on; an anchor kept elsewhere (the seq and hash
// that an earlier verify printed) can.
import t, { type Test } from "tap";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { entryHash, type AuditRow } from "../../controller/src/domain/audit.js";
import { ControllerProcess, freePort, tempDir } from "../helpers/controller.js";

/** Runs SQL on the controller's database file, as someone with the file could. */
function tamper(dataDir: string, edit: (db: sqlite3.Database) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(join(dataDir, "controller.sqlite"), (error) => {
      if (error) {
        reject(error);
        return;
      }
      edit(db).then(
        () => db.close(() => resolve()),
        (failed: unknown) =>
          db.close(() => reject(failed instanceof Error ? failed : new Error(String(failed)))),
      );
    });
  });
}

const exec = (db: sqlite3.Database, sql: string) =>
  new Promise<void>((resolve, reject) => db.exec(sql, (e) => (e ? reject(e) : resolve())));
const all = (db: sqlite3.Database, sql: string) =>
  new Promise<AuditRow[]>((resolve, reject) =>
    db.all<AuditRow>(sql, (e, rows) => (e ? reject(e) : resolve(rows))),
  );
const run = (db: sqlite3.Database, sql: string, params: unknown[]) =>
  new Promise<void>((resolve, reject) => db.run(sql, params, (e) => (e ? reject(e) : resolve())));

async function controllerWithAudit(t: Test): Promise<{
  cli: ControllerProcess["cli"];
  dataDir: string;
  anchor: { seq: number; hash: string };
}> {
  const dir = tempDir();
  t.teardown(dir.remove);
  const controller = new ControllerProcess(dir.path, await freePort());
  const cli = (args: string[]) => controller.cli(args);
  for (const [id, roles] of [
    ["head", "admin,headteacher"],
    ["dpo", "dpo"],
    ["it", "it"],
  ] as const) {
    const added = await cli(["user", "add", id, "--name", `Ms ${id}`, "--roles", roles]);
    t.equal(added.code, 0, added.stderr);
  }
  const verified = await cli(["audit", "verify"]);
  t.equal(verified.code, 0, verified.stderr);
  const printed = /keep this anchor .*: --anchor (\d+):([0-9a-f]{64})/.exec(verified.stdout);
  t.ok(printed, `verify prints the anchor to keep (${verified.stdout})`);
  const anchor = { seq: Number(printed?.[1]), hash: printed?.[2] ?? "" };
  const json = await cli(["audit", "verify", "--json"]);
  t.match(JSON.parse(json.stdout), { ok: true, head: anchor, checkedAgainst: null });
  return { cli, dataDir: dir.path, anchor };
}

void t.test("a truncated tail is found against the anchor", async (t) => {
  const { cli, dataDir, anchor } = await controllerWithAudit(t);
  const flag = `${anchor.seq}:${anchor.hash}`;
  t.equal((await cli(["audit", "verify", "--anchor", flag])).code, 0, "intact against it");
  await tamper(dataDir, async (db) => {
    await exec(db, "DROP TRIGGER audit_log_no_delete");
    await run(db, "DELETE FROM audit_log WHERE seq >= ?", [anchor.seq - 1]);
  });
  const plain = await cli(["audit", "verify"]);
  t.equal(plain.code, 0, "without the anchor the shorter chain looks whole");
  const checked = await cli(["audit", "verify", "--anchor", flag]);
  t.equal(checked.code, 1, "with it, verify fails");
  t.match(
    checked.stdout,
    `AUDIT LOG TAMPERED (checked against anchor ${anchor.seq}:${anchor.hash.slice(0, 12)}`,
  );
  t.match(checked.stdout, `the log ends at ${anchor.seq - 2} but entry ${anchor.seq} was anchored`);
});

void t.test("a chain re-forged from an entry on is found against the anchor", async (t) => {
  const { cli, dataDir, anchor } = await controllerWithAudit(t);
  await tamper(dataDir, async (db) => {
    await exec(db, "DROP TRIGGER audit_log_no_update");
    // rewrite entry 2 and every hash after it, so the chain is consistent again
    const rows = await all(db, "SELECT * FROM audit_log ORDER BY seq");
    let prevHash = rows[0]?.hash ?? "";
    for (const row of rows.slice(1)) {
      const actor = row.seq === 2 ? "someone-else" : row.actor;
      const hash = entryHash({ ...row, actor, detailJson: row.detail_json, prevHash });
      await run(db, "UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?", [
        actor,
        prevHash,
        hash,
        row.seq,
      ]);
      prevHash = hash;
    }
  });
  const plain = await cli(["audit", "verify"]);
  t.equal(plain.code, 0, "without the anchor the re-forged chain verifies");
  const checked = await cli(["audit", "verify", "--anchor", `${anchor.seq}:${anchor.hash}`]);
  t.equal(checked.code, 1);
  t.match(checked.stdout, `checked against anchor ${anchor.seq}:`);
  t.match(checked.stdout, `entry ${anchor.seq} does not match the anchored hash`);
});

void t.test("a malformed anchor is refused, and --help explains it", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const controller = new ControllerProcess(dir.path, await freePort());
  for (const [args, message] of [
    [["audit", "verify", "--anchor", "12"], /--anchor must be SEQ:HASH/],
    [["audit", "verify", "--anchor", `0:${"a".repeat(64)}`], /--anchor must be SEQ:HASH/],
    [["audit", "verify", "--anchor", "3:abc"], /64 hex digits/],
    [["audit", "export", "--anchor", `3:${"a".repeat(64)}`], /--anchor is for 'audit verify'/],
  ] as const) {
    const result = await controller.cli([...args]);
    t.equal(result.code, 2, args.join(" "));
    t.match(result.stderr, message);
  }
  const help = await controller.cli(["--help"]);
  t.match(help.stdout, /audit verify \[--anchor SEQ:HASH\]/);
  t.match(help.stdout, /a truncated or\s+re-forged chain is found/);
});
