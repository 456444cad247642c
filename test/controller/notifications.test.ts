// People told when something needs them (issue 17): notifications in the
// dashboard, e-mail through the school's SMTP relay (a real SMTP server
// started here), each person's e-mail choices, and concerns flagged.
import t, { type Test } from "tap";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, DEFAULT_CONFIG, Database, loadConfig, migrate } from "@classcam/controller";
import { notify } from "../../controller/src/domain/notifications.js";
import { eventually, startController, tempDir } from "../helpers/controller.js";
import { MailServer } from "../helpers/mail-server.js";
import {
  answeringDevice,
  deviceEvent,
  recordedLesson,
  startSchool,
  type School,
} from "../helpers/school.js";

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
/** Before the lesson `recordedLesson` books. */
const START = new Date("2026-11-23T08:00:00.000Z");

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

interface Page {
  unread: number;
  notifications: { notificationId: number; kind: string; subject: string; link: string }[];
}

/** A school whose controller sends e-mail through a relay the test runs. */
async function schoolWithMail(t: Test): Promise<{ school: School; relay: MailServer }> {
  const relay = await MailServer.start();
  const school = await startSchool({ start: START, config: { mail: relay.config } });
  t.teardown(async () => {
    await school.close();
    await relay.stop();
  });
  return { school, relay };
}

async function giveAddress(school: School, id: "teacher-b" | "teacher-c", kinds?: string[]) {
  const settings = await school.as[id].get("/api/notifications/settings");
  const reply = await school.as[id].put("/api/notifications/settings", {
    ownAddress: `${id}@school.example`,
    kinds: kinds ?? settings.json<{ kinds: string[] }>().kinds,
  });
  if (reply.status !== 200) throw new Error(JSON.stringify(reply.body));
}

void t.test("a burst of changes reads the mail outbox once, not once per request", async (t) => {
  const { school, relay } = await schoolWithMail(t);
  await school.app.mailOutbox.deliverDue();
  const before = school.app.mailOutbox.rounds;
  // as a box's segment uploads or a busy dashboard would: many non-GET requests at once
  for (let poke = 0; poke < 20; poke++) school.app.mailOutbox.poke();
  await school.app.mailOutbox.deliverDue();
  t.equal(school.app.mailOutbox.rounds - before, 2, "one round for the burst, one asked for");
  // a change after that round began still gets its own: the share's e-mail goes out
  await giveAddress(school, "teacher-b");
  const { recordingId } = await recordedLesson(school);
  const shared = await school.as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
    withId: "teacher-b",
  });
  t.equal(shared.status, 201);
  school.app.mailOutbox.poke();
  await school.app.mailOutbox.deliverDue();
  t.equal(relay.to("teacher-b@school.example").length, 1, "the share's e-mail was sent");
});

void t.test(
  "a share tells the colleague once in the dashboard and once by e-mail, with a link and no comment",
  async (t) => {
    const { school, relay } = await schoolWithMail(t);
    const { recordingId } = await recordedLesson(school);
    await giveAddress(school, "teacher-b");
    const secret = "the pupil at the back, Jamie, was upset";
    t.equal(
      (
        await school.as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
          atSeconds: 5,
          body: secret,
        })
      ).status,
      201,
    );
    t.equal(
      (
        await school.as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
          withId: "coach",
        })
      ).status,
      201,
    );
    // the coach has no address: told in the dashboard only
    const coach = (await school.as.coach.get("/api/notifications")).json<Page>();
    t.equal(coach.unread, 1);
    t.match(coach.notifications, [
      {
        kind: "share",
        subject: "Ms teacher-a shared a recording with you",
        link: `recordings/${recordingId}`,
      },
    ]);
    await school.app.mailOutbox.deliverDue();
    t.same(relay.received, [], "nobody with an address was told anything yet");

    t.equal(
      (
        await school.as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
          withId: "teacher-b",
        })
      ).status,
      201,
    );
    t.equal(
      (await school.as["teacher-b"].get("/api/notifications/unread")).json<{ unread: number }>()
        .unread,
      1,
    );
    await school.app.mailOutbox.deliverDue();
    await school.app.mailOutbox.deliverDue();
    const mails = relay.to("teacher-b@school.example");
    t.equal(mails.length, 1, "one e-mail");
    const [mail] = mails;
    t.equal(mail?.subject, "classcam: Ms teacher-a shared a recording with you");
    t.equal(mail?.from, "classcam@school.example");
    t.ok(
      mail?.text.includes(`${school.httpUrl}/#/recordings/${recordingId}`),
      "links into the dashboard",
    );
    t.notOk(mail?.text.includes("Jamie"), "no comment's content");
    t.notOk(mail?.text.includes("upset"), "no comment's content");
    t.equal(relay.received.length, 1, "nobody else was e-mailed");

    const read = await school.as["teacher-b"].post("/api/notifications/read-all");
    t.same(read.json(), { marked: 1 });
    t.equal(
      (await school.as["teacher-b"].get("/api/notifications/unread")).json<{ unread: number }>()
        .unread,
      0,
    );
    const notificationId = coach.notifications[0]?.notificationId ?? 0;
    t.equal(
      (await school.as["teacher-b"].post(`/api/notifications/${notificationId}/read`)).status,
      404,
      "nobody reads another's",
    );
    t.equal((await school.as.coach.post(`/api/notifications/${notificationId}/read`)).status, 200);
    t.equal(
      (await school.as.coach.get("/api/notifications/unread")).json<{ unread: number }>().unread,
      0,
    );
  },
);

void t.test("a kind turned off by e-mail stays in the dashboard only", async (t) => {
  const { school, relay } = await schoolWithMail(t);
  const { recordingId } = await recordedLesson(school);
  await giveAddress(school, "teacher-c", ["concern-answered"]);
  const bad = await school.as["teacher-c"].put("/api/notifications/settings", {
    ownAddress: "not an address",
    kinds: [],
  });
  t.equal(bad.status, 400);
  t.match(bad.json(), { message: /'not an address' is not an e-mail address/ });
  const unknown = await school.as["teacher-c"].put("/api/notifications/settings", {
    ownAddress: null,
    kinds: ["gossip"],
  });
  t.match(unknown.json(), { statusCode: 400, message: /no kind of notification 'gossip'/ });
  t.equal(
    (
      await school.as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
        withId: "teacher-c",
      })
    ).status,
    201,
  );
  t.equal(
    (await school.as["teacher-c"].get("/api/notifications/unread")).json<{ unread: number }>()
      .unread,
    1,
  );
  const queued = await school.app.db.all("SELECT id FROM mail_outbox");
  t.same(queued, [], "no e-mail queued");
  await school.app.mailOutbox.deliverDue();
  t.same(relay.received, []);
});

void t.test(
  "relay down: the e-mail waits, is retried by the clock, and is delivered once when it is back",
  async (t) => {
    const { school, relay } = await schoolWithMail(t);
    const { recordingId } = await recordedLesson(school);
    await giveAddress(school, "teacher-b");
    await relay.stop();
    t.equal(
      (
        await school.as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
          withId: "teacher-b",
        })
      ).status,
      201,
    );
    t.equal(await school.app.mailOutbox.deliverDue(), 0);
    const down = (await school.as.it.get("/api/mail/outbox")).json<{
      waiting: number;
      failing: number;
      lastError: string | null;
    }>();
    t.match(down, { configured: true, waiting: 1, failing: 1, lastError: /ECONNREFUSED|connect/ });
    t.equal(
      (await school.as["teacher-a"].get("/api/mail/outbox")).status,
      403,
      "a teacher does not see the outbox",
    );

    await relay.start();
    t.equal(await school.app.mailOutbox.deliverDue(), 0, "not tried again before its time");
    school.clock.advance(59_000);
    t.equal(await school.app.mailOutbox.deliverDue(), 0, "nor a second early");
    school.clock.advance(1_000);
    t.equal(await school.app.mailOutbox.deliverDue(), 1, "tried again a minute after it failed");
    t.equal(await school.app.mailOutbox.deliverDue(), 0, "and not again");
    t.equal(relay.to("teacher-b@school.example").length, 1);
    t.match((await school.as.it.get("/api/mail/outbox")).json(), {
      waiting: 0,
      failing: 0,
      sentLastDay: 1,
    });
  },
);

void t.test("a bad mail setting is refused at start, in words", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const file = join(dir.path, "controller.json");
  const check = (mail: unknown, http?: unknown) => {
    writeFileSync(file, JSON.stringify({ mail, ...(http !== undefined && { http }) }));
    try {
      loadConfig({ file, env: {}, cwd: dir.path });
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems;
    }
  };
  const url = {
    host: "127.0.0.1",
    port: 8080,
    sessionHours: 12,
    idleMinutes: 120,
    publicUrl: "https://cam.school.example",
  };
  const good = {
    host: "smtp.school.example",
    port: 587,
    security: "starttls",
    from: "classcam@school.example",
  };
  t.same(check(good, url), []);
  t.match(check({ ...good, security: "none" }, url), [
    /mail.security: 'none' sends mail unencrypted.*smtp.school.example/,
  ]);
  t.match(check({ ...good, security: "ssl" }, url), [
    /mail.security: must be one of "tls", "starttls", "none"/,
  ]);
  t.match(check({ ...good, from: "classcam" }, url), [/mail.from/]);
  t.match(check(good), [/mail: http.publicUrl is required/]);
  t.match(check({ ...good, user: "classcam" }, url), [/give both user and passwordFile/]);
  t.match(check({ ...good, user: "classcam", passwordFile: "missing.txt" }, url), [
    /mail.passwordFile: cannot read .*missing.txt/,
  ]);
});

void t.test(
  "a concern reaches the school's leads, is answered by one, and the flagger is told",
  async (t) => {
    const { school, relay } = await schoolWithMail(t);
    const { recordingId } = await recordedLesson(school);
    await giveAddress(school, "teacher-b");
    const words = "The camera seems to catch the corridor through the door.";
    const short = await school.as["teacher-b"].post(`/api/recordings/${recordingId}/concerns`, {
      text: "bad",
    });
    t.match(short.json(), { statusCode: 400, message: /at least 10 characters/ });
    t.equal(
      (
        await school.as["teacher-c"].post(`/api/recordings/${recordingId}/concerns`, {
          text: words,
        })
      ).status,
      403,
      "nor a teacher who may not see it",
    );

    const flagged = await school.as["teacher-b"].post(`/api/recordings/${recordingId}/concerns`, {
      text: words,
    });
    t.equal(flagged.status, 201);
    const { concernId } = flagged.json<{ concernId: number }>();
    for (const lead of ["slt", "head", "dpo"] as const) {
      const page = (await school.as[lead].get("/api/notifications")).json<Page>();
      t.match(
        page.notifications,
        [
          {
            kind: "concern-flagged",
            subject: "Ms teacher-b flagged a concern about a recording",
            link: `concerns/${concernId}`,
          },
        ],
        lead,
      );
      t.match((await school.as[lead].get("/api/concerns")).json(), [
        { concernId, text: words, answer: null },
      ]);
    }
    t.same(
      (await school.as["teacher-c"].get("/api/concerns")).json(),
      [],
      "others see only their own",
    );
    t.equal((await school.as["teacher-c"].get(`/api/concerns/${concernId}`)).status, 403);
    const audit = await school.app.db.all<{ detail_json: string }>(
      "SELECT detail_json FROM audit_log WHERE action = 'concern.flag'",
    );
    t.equal(audit.length, 1, "audited");
    t.notOk(
      audit[0]?.detail_json.includes("corridor"),
      "the audit keeps the concern's id, not its words",
    );

    t.equal(
      (
        await school.as["teacher-a"].post(`/api/concerns/${concernId}/answer`, {
          answer: "Not mine to answer.",
        })
      ).status,
      403,
    );
    const answered = await school.as.dpo.post(`/api/concerns/${concernId}/answer`, {
      answer: "Thank you: the box's mask now covers the door.",
    });
    t.match(answered.json(), { answeredBy: "dpo", answer: /mask now covers/ });
    t.equal(
      (
        await school.as.slt.post(`/api/concerns/${concernId}/answer`, {
          answer: "Answered again, twice.",
        })
      ).status,
      409,
    );
    const told = (await school.as["teacher-b"].get("/api/notifications")).json<Page>();
    t.match(told.notifications[0], { kind: "concern-answered", link: `concerns/${concernId}` });
    t.match((await school.as["teacher-b"].get(`/api/concerns/${concernId}`)).json(), {
      answeredByName: "Ms dpo",
    });
    await school.app.mailOutbox.deliverDue();
    const mails = relay.to("teacher-b@school.example");
    t.equal(mails.length, 1);
    t.notOk(mails[0]?.text.includes("mask"), "the answer's words stay in the dashboard");

    // the school names its leads: the DPO alone
    t.match((await school.as.head.put("/api/concerns/leads", { leads: ["teacher-a"] })).json(), {
      statusCode: 400,
      message: /'teacher-a' cannot take concerns/,
    });
    t.same((await school.as.head.put("/api/concerns/leads", { leads: ["dpo"] })).json(), {
      named: ["dpo"],
      leads: ["dpo"],
    });
    t.equal(
      (
        await school.as["teacher-b"].post(`/api/recordings/${recordingId}/concerns`, {
          text: words,
        })
      ).status,
      201,
    );
    t.equal(
      (await school.as.dpo.get("/api/notifications/unread")).json<{ unread: number }>().unread,
      2,
    );
    t.equal(
      (await school.as.slt.get("/api/notifications/unread")).json<{ unread: number }>().unread,
      1,
      "SLT not told of the second",
    );
    t.equal(
      (
        await school.as.slt.post(`/api/concerns/${concernId}/answer`, {
          answer: "Not a lead any more.",
        })
      ).status,
      403,
    );
  },
);

void t.test(
  "the events people are told of: consent asked, an investigation opened on my footage, footage I asked for now here",
  async (t) => {
    const { school } = await schoolWithMail(t);
    const { recordingId } = await recordedLesson(school);
    const latest = async (id: "teacher-a" | "teacher-b") =>
      (await school.as[id].get("/api/notifications")).json<Page>().notifications;

    t.equal(
      (await school.as["teacher-a"].post(`/api/recordings/${recordingId}/archive`, {})).status,
      200,
    );
    t.match(await latest("teacher-b"), [
      {
        kind: "consent-asked",
        subject: "Ms teacher-a asks whether you agree to keep a recording you are in",
        link: "consents",
      },
    ]);
    t.same(await latest("teacher-a"), [], "whoever asked is not asked");

    const reason = "A complaint from a parent about the lesson on Monday.";
    t.equal(
      (await school.as.head.post(`/api/recordings/${recordingId}/investigations`, { reason }))
        .status,
      201,
    );
    const told = await latest("teacher-a");
    t.match(told, [
      {
        kind: "investigation-opened",
        subject: "Ms head opened a recording of yours for an investigation",
        link: `recordings/${recordingId}`,
      },
    ]);
    t.notOk(
      JSON.stringify(told).includes("parent"),
      "not why: the reason stays with the investigation",
    );

    // footage only on the box: asking to watch it asks for the upload, and its arrival is told
    await answeringDevice(t, school, "room-1");
    const asked = await school.as["teacher-a"].get(
      `/api/recordings/${recordingId}/footage/index.m3u8`,
    );
    t.equal(asked.status, 404);
    const ready = await eventually(async () =>
      (await latest("teacher-a")).find((n) => n.kind === "upload-ready"),
    );
    t.match(ready, {
      subject: "A recording you asked to watch is now on the school's server",
      link: `recordings/${recordingId}`,
    });
  },
);

void t.test(
  "the record button held at the box asks everyone on the recording, the owner too",
  async (t) => {
    const { school } = await schoolWithMail(t);
    const { recordingId } = await recordedLesson(school);
    await deviceEvent(
      school.app,
      "room-1",
      "archive.requested",
      { recordingId },
      new Date("2026-11-23T09:12:00Z"),
    );
    for (const id of ["teacher-a", "teacher-b"] as const) {
      t.match(
        (await school.as[id].get("/api/notifications")).json<Page>().notifications,
        [
          {
            kind: "consent-asked",
            subject: "Keeping a recording you are in was asked for at the box: do you agree?",
          },
        ],
        id,
      );
    }
  },
);

void t.test(
  "feedback tells the recording's owner, and a reply tells the comment's author, never what was said",
  async (t) => {
    const { school } = await schoolWithMail(t);
    const { recordingId } = await recordedLesson(school);
    const latest = async (id: "teacher-a" | "coach") =>
      (await school.as[id].get("/api/notifications")).json<Page>().notifications;
    t.equal(
      (
        await school.as["teacher-a"].post(`/api/recordings/${recordingId}/shares`, {
          withId: "coach",
        })
      ).status,
      201,
    );
    const comment = await school.as.coach.post(`/api/recordings/${recordingId}/comments`, {
      atSeconds: 30,
      body: "Lovely questioning of Sam at the front.",
      kind: "strength",
    });
    t.equal(comment.status, 201);
    const told = await latest("teacher-a");
    t.match(told, [
      {
        kind: "feedback",
        subject: "Ms coach left feedback on your recording",
        link: `recordings/${recordingId}`,
      },
    ]);
    t.notOk(JSON.stringify(told).includes("Sam"), "not what the comment says");

    const reply = await school.as["teacher-a"].post(`/api/recordings/${recordingId}/comments`, {
      atSeconds: 30,
      body: "Thank you, I will try it again.",
      parentId: comment.json<{ commentId: number }>().commentId,
    });
    t.equal(reply.status, 201);
    const coach = await latest("coach");
    t.match(coach[0], {
      kind: "feedback",
      subject: "Ms teacher-a replied to your comment on a recording",
    });
    t.equal((await latest("teacher-a")).length, 1, "the owner is not told of their own reply");
  },
);

void t.test(
  "e-mail waiting when the controller restarts is sent by the next one, once",
  async (t) => {
    const dir = tempDir();
    const relay = await MailServer.start();
    await relay.stop();
    t.teardown(async () => {
      await relay.stop();
      dir.remove();
    });
    let now = new Date("2026-11-23T12:00:00Z");
    const config = {
      mail: relay.config,
      http: {
        ...DEFAULT_CONFIG.http,
        host: "127.0.0.1",
        port: 0,
        publicUrl: "https://cam.school.example",
      },
    };
    const first = await startController({ dataDir: dir.path, config, now: () => now });
    await first.app.people.add({ id: "t.a", displayName: "Ms A", roles: ["teacher"] }, "test");
    await first.app.notifications.setSettings(
      { id: "t.a", roles: ["teacher"] },
      { ownAddress: "a@school.example", kinds: ["share"] },
    );
    await first.app.db.transaction((tx) =>
      notify(tx, {
        userId: "t.a",
        kind: "share",
        subject: "Ms B shared a recording with you",
        link: "recordings/x",
        at: now,
      }),
    );
    t.equal(await first.app.mailOutbox.deliverDue(), 0, "the relay is down");
    await first.close();

    await relay.start();
    const second = await startController({ dataDir: dir.path, config, now: () => now });
    t.teardown(second.close);
    t.match(await second.app.mailOutbox.status(), { waiting: 1, failing: 1 });
    t.equal(await second.app.mailOutbox.deliverDue(), 0, "not before its time");
    now = new Date(now.getTime() + 60_000);
    t.equal(await second.app.mailOutbox.deliverDue(), 1);
    t.equal(await second.app.mailOutbox.deliverDue(), 0);
    t.equal(relay.to("a@school.example").length, 1);
    t.match(relay.received[0]?.text, /https:\/\/cam\.school\.example\/#\/recordings\/x/);
  },
);
