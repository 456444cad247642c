// Bad input on every route: missing fields, wrong types, unknown fields,
// oversize bodies, bad ids, SQL metacharacters and path traversal — each a 4xx
// with a message that says what is wrong, and nothing written.
import t from "tap";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { FastifyInstance, InjectOptions } from "fastify";
import { ROLES } from "@classcam/controller";
import { Caller, deviceEvent, startSchool } from "../helpers/school.js";

/** Rows in every table but sessions (which sign-ins write): equal before and after means nothing was written. */
async function rowCounts(app: FastifyInstance): Promise<Record<string, number>> {
  const tables = await app.db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sessions'",
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    counts[name] =
      (await app.db.get<{ n: number }>(`SELECT count(*) AS n FROM "${name}"`))?.n ?? -1;
  }
  return counts;
}

const START = new Date("2026-11-23T08:00:00.000Z");
const ID = randomUUID();

/** Each route with a body or parameters, and a valid body to break. */
const ROUTES: { method: InjectOptions["method"]; path: string; body?: Record<string, unknown> }[] =
  [
    {
      method: "POST",
      path: "/api/setup",
      body: { token: "t", id: "first", displayName: "F", password: "long enough password 1" },
    },
    { method: "POST", path: "/api/session", body: { id: "coach", password: "whatever it is" } },
    { method: "POST", path: "/api/session/password", body: { current: "a", next: "b" } },
    {
      method: "POST",
      path: "/api/users",
      body: { id: "new-user", displayName: "N", roles: ["coach"] },
    },
    { method: "PATCH", path: "/api/users/coach", body: { displayName: "C" } },
    { method: "POST", path: "/api/users/{id}/password-reset" },
    { method: "POST", path: "/api/devices", body: { id: "room-9", room: "R9" } },
    { method: "POST", path: "/api/devices/room-1/disable" },
    { method: "PUT", path: "/api/devices/room-1/masks", body: { masks: [] } },
    { method: "POST", path: "/api/alerts/1/clear" },
    {
      method: "POST",
      path: "/api/bookings",
      body: {
        deviceId: "room-1",
        start: "2026-11-24T09:00:00Z",
        end: "2026-11-24T10:00:00Z",
        purpose: "coaching",
        classCode: "7A1",
      },
    },
    { method: "PATCH", path: `/api/bookings/${ID}`, body: { audio: false } },
    { method: "POST", path: `/api/bookings/${ID}/cancel`, body: { reason: "ill" } },
    { method: "PATCH", path: "/api/policy", body: { audioDefault: false } },
    { method: "POST", path: `/api/recordings/${ID}/comments`, body: { atSeconds: 1, body: "hi" } },
    { method: "POST", path: `/api/recordings/${ID}/shares`, body: { withId: "coach" } },
    { method: "POST", path: `/api/recordings/${ID}/archive`, body: {} },
    { method: "PUT", path: `/api/recordings/${ID}/consent`, body: { decision: "agree" } },
    {
      method: "POST",
      path: `/api/recordings/${ID}/holds`,
      body: { reason: "a reason long enough" },
    },
    { method: "POST", path: "/api/holds/1/release", body: { reason: "a reason long enough" } },
    {
      method: "POST",
      path: `/api/recordings/${ID}/investigations`,
      body: { reason: "a reason that is long enough to read" },
    },
    { method: "GET", path: `/api/recordings/${ID}/footage/index.m3u8` },
    { method: "GET", path: `/api/recordings/${ID}/footage/seg-00001.ts` },
  ];

const NASTY_IDS = [
  "..%2F..%2Fetc%2Fpasswd",
  "room-1%27%3B%20DROP%20TABLE%20devices%3B--",
  "%00",
  "x".repeat(300),
  "-1",
  "1.5",
];

void t.test("bad input on every route: 4xx, a clear message, nothing written", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { app } = school;
  const { temporaryPassword } = await app.people.add(
    { id: "everyone", displayName: "All roles", roles: [...ROLES] },
    "test",
  );
  const all = new Caller(app, "everyone");
  await all.signIn(temporaryPassword);
  await all.post("/api/session/password", {
    current: temporaryPassword,
    next: "all the roles at once 42",
  });
  await all.signIn("all the roles at once 42");

  const fingerprint = () => rowCounts(app);
  const before = await fingerprint();

  const expect4xx = async (
    what: string,
    method: InjectOptions["method"],
    url: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ) => {
    const reply = await all.call(method, url, payload, headers);
    t.ok(
      reply.status >= 400 && reply.status < 500,
      `${what}: ${method} ${url.slice(0, 60)} → ${reply.status}`,
    );
    const message = (reply.body as { message?: unknown }).message;
    t.ok(
      typeof message === "string" && message.length > 5,
      `${what}: says what is wrong (${String(message).slice(0, 100)})`,
    );
    return reply;
  };

  for (const route of ROUTES) {
    const path = route.path.replace("{id}", "coach");
    if (route.body) {
      const fields = Object.keys(route.body);
      if (fields.length > 0) {
        const missing = await expect4xx("missing fields", route.method, path, {});
        if (route.method !== "PATCH")
          t.match(
            (missing.body as { message: string }).message,
            /must have required property|must NOT have fewer/,
          );
      }
      for (const field of fields) {
        await expect4xx(`wrong type of ${field}`, route.method, path, {
          ...route.body,
          [field]: { nested: [1, 2] },
        });
      }
      const unknown = await expect4xx("unknown field", route.method, path, {
        ...route.body,
        isAdmin: true,
      });
      t.match((unknown.body as { message: string }).message, /must NOT have additional properties/);
      const big = await expect4xx("oversize body", route.method, path, {
        ...route.body,
        padding: "x".repeat(100 * 1024),
      });
      t.equal(big.status, 413);
      await expect4xx("not JSON", route.method, path, "{not json", {
        "content-type": "application/json",
      });
      await expect4xx("wrong content type", route.method, path, "a=1", {
        "content-type": "application/x-www-form-urlencoded",
      });
    }
    // every parameter slot with ids that are not ids
    const slots = route.path
      .split("/")
      .map((part, i) => ({ part, i }))
      .filter(
        ({ part }) =>
          part === "{id}" ||
          part === "coach" ||
          part === ID ||
          part === "room-1" ||
          /^\d+$/.test(part),
      );
    for (const { i } of slots) {
      for (const nasty of NASTY_IDS) {
        const parts = route.path.split("/");
        parts[i] = nasty;
        await expect4xx("bad id", route.method, parts.join("/"), route.body);
      }
    }
  }

  // footage segment names that are not names
  for (const name of [
    "..%2F..%2Fcontroller.sqlite",
    "index.m3u8.ts.sh",
    "%00.ts",
    "x".repeat(80),
  ]) {
    await expect4xx("bad segment name", "GET", `/api/recordings/${ID}/footage/${name}`);
  }

  // queries
  await expect4xx("a missing window", "GET", "/api/bookings");
  await expect4xx("not a date", "GET", "/api/bookings?from=yesterday&to=2026-11-30T00:00:00Z");
  await expect4xx(
    "a window too wide",
    "GET",
    "/api/bookings?from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z",
  );
  await expect4xx(
    "a window backwards",
    "GET",
    "/api/bookings?from=2026-11-30T00:00:00Z&to=2026-11-23T00:00:00Z",
  );
  await expect4xx("an unknown query field", "GET", "/api/recordings?scope=mine&owner=teacher-b");
  await expect4xx("an unknown scope", "GET", "/api/recordings?scope=everything");
  await expect4xx("a limit that is not a number", "GET", "/api/audit?limit=lots");
  await expect4xx("a limit too large", "GET", "/api/audit?limit=1000000");
  await expect4xx("an unknown export format", "GET", "/api/audit/export?format=xlsx");
  await expect4xx("half an anchor", "GET", "/api/audit/verify?anchorSeq=3");
  await expect4xx("an unknown device action", "POST", "/api/devices/room-1/explode");

  // rules that need the domain, not just the schema
  await expect4xx("a booking in the past", "POST", "/api/bookings", {
    deviceId: "room-1",
    teacherId: "teacher-a",
    start: "2026-11-20T09:00:00Z",
    end: "2026-11-20T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
  });
  await expect4xx("a booking too long", "POST", "/api/bookings", {
    deviceId: "room-1",
    teacherId: "teacher-a",
    start: "2026-11-24T09:00:00Z",
    end: "2026-11-24T15:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
  });
  await expect4xx("a booking ending before it starts", "POST", "/api/bookings", {
    deviceId: "room-1",
    teacherId: "teacher-a",
    start: "2026-11-24T10:00:00Z",
    end: "2026-11-24T09:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
  });
  await expect4xx("an unknown purpose", "POST", "/api/bookings", {
    deviceId: "room-1",
    teacherId: "teacher-a",
    start: "2026-11-24T09:00:00Z",
    end: "2026-11-24T10:00:00Z",
    purpose: "surveillance",
    classCode: "7A1",
  });
  await expect4xx("staff who do not exist", "POST", "/api/bookings", {
    deviceId: "room-1",
    teacherId: "teacher-a",
    staff: ["teacher-a", "ghost"],
    start: "2026-11-24T09:00:00Z",
    end: "2026-11-24T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
  });
  await expect4xx("a policy out of range", "PATCH", "/api/policy", {
    retention: { bufferDays: 30 },
  });
  await expect4xx("an archive shorter than the buffer", "PATCH", "/api/policy", {
    retention: { archiveDays: 3 },
  });
  await expect4xx("a mask off the picture", "PUT", "/api/devices/room-1/masks", {
    masks: [{ x: 0.5, y: 0, width: 2, height: 0.5 }],
  });
  await expect4xx("a weak password", "POST", "/api/session/password", {
    current: "all the roles at once 42",
    next: "short",
  });
  await expect4xx("an unknown role", "POST", "/api/users", {
    id: "new-user",
    displayName: "N",
    roles: ["parent"],
  });
  await expect4xx("a user id with SQL in it", "POST", "/api/users", {
    id: "x'); DROP TABLE users;--",
    displayName: "N",
    roles: ["coach"],
  });

  // the "do not record" list: a class needing a mitigation cannot be confirmed without one
  await school.as.slt.patch("/api/policy", { doNotRecordClasses: ["9X2"] });
  const afterPolicy = await fingerprint();
  const noMitigation = await expect4xx(
    "no mitigation for a do-not-record class",
    "POST",
    "/api/bookings",
    {
      deviceId: "room-1",
      start: "2026-11-24T09:00:00Z",
      end: "2026-11-24T10:00:00Z",
      purpose: "coaching",
      classCode: "9x2",
    },
  );
  t.match(
    (noMitigation.body as { message: string }).message,
    /do-not-record list: state the mitigation/,
  );
  t.same(await fingerprint(), afterPolicy, "refused bookings wrote nothing");
  const mitigated = await school.as["teacher-a"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-11-24T09:00:00Z",
    end: "2026-11-24T10:00:00Z",
    purpose: "coaching",
    classCode: "9x2",
    audio: false,
    mitigation: { kind: "audio-off", note: "microphone off; camera faces the board" },
  });
  t.equal(mitigated.status, 201, "with the mitigation stated, it is confirmed");

  const now = await fingerprint();
  const others = (counts: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(counts).filter(
        ([name]) => !["bookings", "audit_log", "settings"].includes(name),
      ),
    );
  t.same(others(now), others(before), "no bad request wrote anything");
  t.equal(now.bookings, 1, "only the one good booking exists");
  t.equal(
    now.audit_log,
    (before.audit_log ?? 0) + 2,
    "the audit log has only the policy change and the good booking",
  );
  t.equal(
    (await app.db.get<{ n: number }>("SELECT count(*) AS n FROM users"))?.n,
    before.users,
    "no user was added",
  );
});

void t.test(
  "bad input on the device upload routes: 4xx, a clear message, nothing written",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { app } = school;
    const recordingId = randomUUID();
    await deviceEvent(
      app,
      "room-1",
      "recording.started",
      { recordingId, bookingId: null, audio: false, encoder: "libx264" },
      new Date("2026-11-23T09:00:00Z"),
    );
    await deviceEvent(
      app,
      "room-1",
      "recording.stopped",
      { recordingId, reason: "button", durationSeconds: 4, segments: 2, bytes: 2 },
      new Date("2026-11-23T09:01:00Z"),
    );
    const token = randomBytes(24).toString("base64url");
    await app.db.transaction((tx) =>
      tx.run("UPDATE recordings SET upload_token_hash = ? WHERE id = ?", [
        createHash("sha256").update(token).digest("hex"),
        recordingId,
      ]),
    );
    const fingerprint = () => rowCounts(app);
    const counted = Object.keys(await fingerprint());
    t.ok(counted.includes("uploads") && counted.includes("upload_segments"));
    const before = await fingerprint();

    const expect4xx = async (
      what: string,
      method: InjectOptions["method"],
      url: string,
      payload?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const reply = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}`, ...headers },
        ...(payload !== undefined && { payload: payload as InjectOptions["payload"] }),
      });
      t.ok(
        reply.statusCode >= 400 && reply.statusCode < 500,
        `${what}: ${method} ${url.slice(0, 70)} → ${reply.statusCode}`,
      );
      const message = reply.json<{ message?: unknown }>().message;
      t.ok(
        typeof message === "string" && message.length > 5,
        `${what}: says what is wrong (${String(message).slice(0, 100)})`,
      );
      return { status: reply.statusCode, message: String(message) };
    };

    const segment = {
      seq: 1,
      name: "seg-00001.ts",
      durationSeconds: 2,
      bytes: 1,
      sha256: "0".repeat(64),
    };
    const manifest = `/api/uploads/${recordingId}/manifest`;
    t.match((await expect4xx("missing fields", "PUT", manifest, {})).message, /must have required/);
    for (const field of Object.keys(segment)) {
      await expect4xx(`wrong type of ${field}`, "PUT", manifest, {
        segments: [{ ...segment, [field]: { nested: [1, 2] } }],
      });
    }
    t.match(
      (await expect4xx("unknown field", "PUT", manifest, { segments: [segment], isAdmin: true }))
        .message,
      /must NOT have additional properties/,
    );
    t.match(
      (
        await expect4xx("unknown segment field", "PUT", manifest, {
          segments: [{ ...segment, x: 1 }],
        })
      ).message,
      /must NOT have additional properties/,
    );
    const big = await expect4xx("oversize body", "PUT", manifest, {
      segments: [segment],
      padding: "x".repeat(7 * 1024 * 1024),
    });
    t.equal(big.status, 413);
    const many = Array.from({ length: 30_001 }, (_, i) => ({
      ...segment,
      seq: i,
      name: `s-${i}.ts`,
    }));
    await expect4xx("too many segments", "PUT", manifest, { segments: many });
    await expect4xx("not JSON", "PUT", manifest, "{not json", {
      "content-type": "application/json",
    });
    await expect4xx("wrong content type", "PUT", manifest, "a=1", {
      "content-type": "application/x-www-form-urlencoded",
    });
    for (const name of [
      "../x.ts",
      "/etc/passwd",
      "a\\b.ts",
      "seg.ts.",
      "",
      "x".repeat(70) + ".ts",
    ]) {
      await expect4xx(`segment name ${JSON.stringify(name).slice(0, 20)}`, "PUT", manifest, {
        segments: [{ ...segment, name }],
      });
    }
    for (const [field, value] of [
      ["seq", -1],
      ["durationSeconds", 0],
      ["durationSeconds", 3600],
      ["bytes", 0],
      ["bytes", 2 ** 40],
      ["sha256", "g".repeat(64)],
    ] as const) {
      await expect4xx(`${field} ${value}`, "PUT", manifest, {
        segments: [{ ...segment, [field]: value }],
      });
    }
    const segmentUrl = (name: string) => `/api/uploads/${recordingId}/segments/${name}`;
    for (const name of ["..%2F..%2Fcontroller.sqlite", "index.m3u8", "%00.ts", "x".repeat(80)]) {
      await expect4xx("bad segment name", "PUT", segmentUrl(name), Buffer.from("x"), {
        "content-type": "application/octet-stream",
        "x-content-sha256": "0".repeat(64),
      });
    }
    await expect4xx("a segment as JSON", "PUT", segmentUrl("seg-00001.ts"), { bytes: "x" });
    await expect4xx(
      "a segment with no checksum",
      "PUT",
      segmentUrl("seg-00001.ts"),
      Buffer.from("x"),
      {
        "content-type": "application/octet-stream",
      },
    );
    for (const nasty of NASTY_IDS) {
      await expect4xx("bad recording id", "GET", `/api/uploads/${nasty}`);
      await expect4xx("bad recording id", "PUT", `/api/uploads/${nasty}/manifest`, {
        segments: [segment],
      });
    }
    t.same(await fingerprint(), before, "no bad request wrote anything");
  },
);
