// People told when something needs them (issue 17): notifications in the
// dashboard, e-mail through the school's SMTP relay (a real SMTP server
// started here), each person's e-mail choices, and concerns flagged.
import t from "tap";
import { join } from "node:path";
import { Database, migrate } from "@classcam/controller";
import { notify } from "../../controller/src/domain/notifications.js";
import { tempDir } from "../helpers/controller.js";

async function openDb(t: { teardown: (fn: () => unknown) => void }): Promise<Database> {
  const dir = tempDir();
  const db = await Database.open(join(dir.path, "c.sqlite"));
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  await migrate(db);
  const add = (id: string, status: string) =>
    db.transaction((tx) =>
      tx.run(
        "INSERT INTO users (id, display_name, roles_json, password_hash, status, created_at, password_changed_at) " +
          "VALUES (?, ?, '[\"teacher\"]', 'x', ?, '2026-01-01', '2026-01-01')",
        [id, `Ms ${id}`, status],
      ),
    );
  await add("t.a", "active");
  await add("t.gone", "disabled");
  return db;
}

const AT = new Date("2026-11-23T12:00:00Z");

void t.test(
  "notify() adds a notification, and an e-mail only for a kind the person wants",
  async (t) => {
    const db = await openDb(t);
    await db.transaction(async (tx) => {
      await tx.run(
        "INSERT INTO notification_settings (user_id, email, kinds_json, updated_at) VALUES (?, ?, ?, ?)",
        ["t.a", "a@school.org", JSON.stringify(["share"]), AT.toISOString()],
      );
      const link = "recordings/r1";
      t.type(
        await notify(tx, { userId: "t.a", kind: "share", subject: "Shared", link, at: AT }),
        "number",
      );
      t.type(
        await notify(tx, { userId: "t.a", kind: "upload-ready", subject: "Ready", link, at: AT }),
        "number",
      );
      t.equal(
        await notify(tx, { userId: "t.gone", kind: "share", subject: "Shared", link, at: AT }),
        null,
        "an account that is not active is not told",
      );
    });
    const rows = await db.all<{ user_id: string; kind: string }>(
      "SELECT user_id, kind FROM notifications ORDER BY id",
    );
    t.same(rows, [
      { user_id: "t.a", kind: "share" },
      { user_id: "t.a", kind: "upload-ready" },
    ]);
    const mail = await db.all<{ to_address: string; subject: string; link: string }>(
      "SELECT to_address, subject, link FROM mail_outbox",
    );
    t.same(mail, [{ to_address: "a@school.org", subject: "Shared", link: "recordings/r1" }]);
  },
);

void t.test(
  "notify() refuses a subject of several lines and a link that is not a dashboard address",
  async (t) => {
    const db = await openDb(t);
    await t.rejects(
      db.transaction((tx) =>
        notify(tx, { userId: "t.a", kind: "share", subject: "one\ntwo", link: "x", at: AT }),
      ),
      /one line/,
    );
    await t.rejects(
      db.transaction((tx) =>
        notify(tx, { userId: "t.a", kind: "share", subject: "one", link: "https://evil", at: AT }),
      ),
      /dashboard address/,
    );
  },
);
