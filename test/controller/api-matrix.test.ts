// Every role against every route: allowed, or refused with 401 (nobody signed
// in) or 403 (signed in without the role). A route missing from the table
// fails the test, so a new route cannot ship without its row. Then the
// cross-cases on one real recording: teacher A opening teacher B's recording,
// a coach re-sharing, the Bursar opening footage, an expired share.
import t from "tap";
import { randomUUID } from "node:crypto";
import type { InjectOptions } from "fastify";
import { PASSWORD, PEOPLE, startSchool, recordedLesson, type PersonId } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");
const GHOST = randomUUID();
/** `device`: a device route — a bearer upload token, never a session. */
type Who = PersonId | "anyone" | "public" | "device";

interface Row {
  method: InjectOptions["method"];
  path: string;
  /** OpenAPI path, when `path` has values filled in. */
  route: string;
  body?: unknown;
  who: readonly Who[];
}

const r = (
  method: Row["method"],
  route: string,
  who: readonly Who[],
  path = route,
  body?: unknown,
): Row => ({
  method,
  route,
  path,
  who,
  ...(body !== undefined && { body }),
});
const byRole = (...roles: string[]): PersonId[] =>
  PEOPLE.filter((p) => p.roles.some((role: string) => roles.includes(role))).map((p) => p.id);

const week = "from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z";
let userSerial = 0;
let deviceSerial = 0;
let strandSerial = 0;
const ROWS: Row[] = [
  r("GET", "/healthz", ["public"]),
  r("GET", "/api/setup", ["public"]),
  r("GET", "/api/session", ["anyone"]),
  // sign-in through the school's identity provider: public (here not set up, so 404 for all)
  r("GET", "/api/session/oidc/start", ["public"]),
  r("GET", "/api/session/oidc/callback", ["public"]),
  // the groups → roles map: the administrator (here not set up, so 404 for them)
  r("GET", "/api/oidc/role-map", byRole("admin")),
  r("PUT", "/api/oidc/role-map", byRole("admin"), "/api/oidc/role-map", {
    entries: [{ group: "Teaching staff", roles: ["teacher"] }],
  }),
  // reconciling the accounts with the school's staff list (the matrix disables nobody)
  r("POST", "/api/users/reconcile/preview", byRole("admin"), "/api/users/reconcile/preview", {
    csv: "Username\r\nteacher-a\r\n",
  }),
  r("POST", "/api/users/reconcile", byRole("admin"), "/api/users/reconcile", {
    csv: "Username\r\nteacher-a\r\n",
    disable: ["teacher-a"],
  }),
  r("GET", "/api/staff", ["anyone"]),
  r("GET", "/api/home", ["anyone"]),
  r("GET", "/api/users", byRole("admin")),
  r("POST", "/api/users", byRole("admin"), "/api/users", () => ({
    id: `matrix-${++userSerial}`,
    displayName: "Matrix",
    roles: ["coach"],
  })),
  r("PATCH", "/api/users/{id}", byRole("admin"), "/api/users/not-a-user", { displayName: "X" }),
  r(
    "POST",
    "/api/users/{id}/password-reset",
    byRole("admin"),
    "/api/users/not-a-user/password-reset",
  ),
  r("POST", "/api/users/import/preview", byRole("admin"), "/api/users/import/preview", {
    csv: "Name,Username,Roles\nMatrix,matrix-csv,coach\n",
  }),
  r("POST", "/api/users/import", byRole("admin"), "/api/users/import", {
    csv: "Name,Username,Roles\nMatrix,matrix-csv,coach\n",
    mode: "good-rows",
  }),
  r("GET", "/api/devices", ["anyone"]),
  r("POST", "/api/devices", byRole("it"), "/api/devices", () => ({
    id: `m-${++deviceSerial}`,
    room: "M",
  })),
  r("POST", "/api/devices/{id}/{action}", byRole("it"), "/api/devices/ghost/disable"),
  r("POST", "/api/devices/{id}/self-test", byRole("it"), "/api/devices/ghost/self-test"),
  // what the school tells everyone: the privacy notice (no sign-in) and a room's door sign
  r("GET", "/privacy", ["public"]),
  r("GET", "/api/devices/{id}/door-sign", ["anyone"], "/api/devices/ghost/door-sign"),
  // the DPO's subject access and erasure: the DPO alone
  r("GET", "/api/dpo/footage", byRole("dpo"), `/api/dpo/footage?rooms=room-1&${week}`),
  r("POST", "/api/dpo/exports", byRole("dpo"), "/api/dpo/exports", {
    reference: "SAR-1",
    recordingIds: [GHOST],
    footage: [],
  }),
  r("GET", "/api/dpo/exports/{exportId}", byRole("dpo"), `/api/dpo/exports/${GHOST}`),
  r("POST", "/api/dpo/erasures", byRole("dpo"), "/api/dpo/erasures", {
    reference: "ERASE-1",
    recordingIds: [GHOST],
  }),
  r(
    "GET",
    "/api/dpo/erasures/{erasureId}/certificate",
    byRole("dpo"),
    `/api/dpo/erasures/${GHOST}/certificate`,
  ),
  // a live picture of the room, lamp lit, for drawing masks: those who set masks, no one else
  r(
    "POST",
    "/api/devices/{id}/picture",
    byRole("slt", "headteacher", "dpo"),
    "/api/devices/ghost/picture",
  ),
  r(
    "PUT",
    "/api/devices/{id}/masks",
    byRole("slt", "headteacher", "dpo"),
    "/api/devices/ghost/masks",
    { masks: [] },
  ),
  // teacher zones (faces left sharp in the blurred copies): those who set masks, no one else
  r(
    "GET",
    "/api/devices/{id}/zones",
    byRole("slt", "headteacher", "dpo"),
    "/api/devices/ghost/zones",
  ),
  r(
    "PUT",
    "/api/devices/{id}/zones",
    byRole("slt", "headteacher", "dpo"),
    "/api/devices/ghost/zones",
    { mode: "none", zones: [] },
  ),
  r("GET", "/api/alerts", byRole("bursar", "it", "slt", "headteacher", "admin", "dpo")),
  r(
    "POST",
    "/api/alerts/{alertId}/clear",
    byRole("it", "slt", "headteacher"),
    "/api/alerts/999999/clear",
  ),
  r("GET", "/api/bookings", ["anyone"], `/api/bookings?${week}`),
  r("GET", "/api/bookings/{id}", ["anyone"], `/api/bookings/${GHOST}`),
  // a live picture of a booking's room, lamp lit, to draw its masks: whoever may change bookings
  // and see classrooms (never the Bursar)
  r(
    "POST",
    "/api/bookings/{id}/picture",
    byRole("teacher", "slt", "headteacher"),
    `/api/bookings/${GHOST}/picture`,
  ),
  r("POST", "/api/bookings", byRole("teacher", "bursar", "slt", "headteacher"), "/api/bookings", {
    deviceId: "ghost",
    start: "2026-11-24T09:00:00Z",
    end: "2026-11-24T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
  }),
  r(
    "PATCH",
    "/api/bookings/{id}",
    byRole("teacher", "bursar", "slt", "headteacher"),
    `/api/bookings/${GHOST}`,
    { audio: false },
  ),
  r(
    "POST",
    "/api/bookings/{id}/cancel",
    byRole("teacher", "bursar", "slt", "headteacher"),
    `/api/bookings/${GHOST}/cancel`,
    { reason: "ill" },
  ),
  // the school's timetable of lessons, imported (routes/lessons.ts)
  r(
    "POST",
    "/api/timetable/import/preview",
    byRole("admin", "bursar", "slt", "headteacher"),
    "/api/timetable/import/preview",
    { format: "csv", text: "Date,Start,End,Room,Class,Subject,Teacher\n" },
  ),
  r(
    "POST",
    "/api/timetable/import",
    byRole("admin", "bursar", "slt", "headteacher"),
    "/api/timetable/import",
    { format: "csv", text: "Date,Start,End,Room,Class,Subject,Teacher\n" },
  ),
  r("GET", "/api/rooms", ["anyone"]),
  r("PUT", "/api/rooms", byRole("admin", "bursar", "slt", "headteacher"), "/api/rooms", {
    rooms: [{ room: "Room room-1", deviceId: "room-1" }],
  }),
  r(
    "GET",
    "/api/lessons",
    byRole("teacher", "bursar", "slt", "headteacher"),
    `/api/lessons?${week}`,
  ),
  r(
    "POST",
    "/api/lessons/{lessonId}/booking",
    byRole("teacher", "bursar", "slt", "headteacher"),
    `/api/lessons/${"0".repeat(32)}/booking`,
    { purpose: "coaching" },
  ),
  r(
    "POST",
    "/api/policy/do-not-record/preview",
    byRole("slt", "headteacher", "dpo"),
    "/api/policy/do-not-record/preview",
    { csv: "Class\n9X/Ma1\n" },
  ),
  r(
    "POST",
    "/api/policy/do-not-record/import",
    byRole("slt", "headteacher", "dpo"),
    "/api/policy/do-not-record/import",
    { csv: "Class\n" },
  ),
  r("GET", "/api/policy", ["anyone"]),
  r("PATCH", "/api/policy", byRole("slt", "headteacher", "dpo"), "/api/policy", {
    audioDefault: true,
  }),
  r("GET", "/api/recordings", ["anyone"]),
  r("GET", "/api/consents", ["anyone"]),
  r("GET", "/api/recordings/{id}", ["anyone"], `/api/recordings/${GHOST}`),
  r("DELETE", "/api/recordings/{id}", ["anyone"], `/api/recordings/${GHOST}`),
  r("POST", "/api/recordings/{id}/views", ["anyone"], `/api/recordings/${GHOST}/views`),
  r("POST", "/api/recordings/{id}/seen", ["anyone"], `/api/recordings/${GHOST}/seen`),
  r("GET", "/api/recordings/{id}/comments", ["anyone"], `/api/recordings/${GHOST}/comments`),
  r(
    "GET",
    "/api/recordings/{id}/footage/index.m3u8",
    ["anyone"],
    `/api/recordings/${GHOST}/footage/index.m3u8`,
  ),
  r(
    "GET",
    "/api/recordings/{id}/footage/{segment}",
    ["anyone"],
    `/api/recordings/${GHOST}/footage/seg-00001.ts`,
  ),
  r("GET", "/api/recordings/{id}/footage/key", ["anyone"], `/api/recordings/${GHOST}/footage/key`),
  r(
    "GET",
    "/api/recordings/{id}/anonymised-copy",
    ["anyone"],
    `/api/recordings/${GHOST}/anonymised-copy`,
  ),
  r("POST", "/api/recordings/{id}/comments", ["anyone"], `/api/recordings/${GHOST}/comments`, {
    atSeconds: 1,
    body: "hi",
  }),
  r("POST", "/api/recordings/{id}/shares", ["anyone"], `/api/recordings/${GHOST}/shares`, {
    withId: "coach",
  }),
  // coaching (issue 17): the school's framework, assignments, next steps, a teacher's timeline
  r("GET", "/api/strands", ["anyone"]),
  r("POST", "/api/strands", byRole("slt", "headteacher"), "/api/strands", () => ({
    framework: "Matrix",
    code: `M${++strandSerial}`,
    name: "A strand of the matrix",
  })),
  r("PATCH", "/api/strands/{strandId}", byRole("slt", "headteacher"), "/api/strands/999999", {
    name: "Renamed",
  }),
  r(
    "POST",
    "/api/strands/{strandId}/retire",
    byRole("slt", "headteacher"),
    "/api/strands/999999/retire",
  ),
  r("GET", "/api/assignments", ["anyone"]),
  r("POST", "/api/assignments", byRole("coach", "slt", "headteacher"), "/api/assignments", {
    title: "Matrix",
    focus: "Every role against it",
    strands: [],
    dueOn: "2026-12-01",
    teachers: ["teacher-a"],
  }),
  r("GET", "/api/assignments/{assignmentId}", ["anyone"], `/api/assignments/${GHOST}`),
  r(
    "POST",
    "/api/assignments/{assignmentId}/submission",
    byRole("teacher"),
    `/api/assignments/${GHOST}/submission`,
    { recordingId: GHOST, reflection: "x" },
  ),
  r("PUT", "/api/next-steps/{commentId}", ["anyone"], "/api/next-steps/999999", { done: true }),
  r("GET", "/api/coaching/timeline", ["anyone"]),
  r(
    "GET",
    "/api/coaching/timeline/export",
    byRole("teacher"),
    "/api/coaching/timeline/export?format=json",
  ),
  r(
    "DELETE",
    "/api/recordings/{id}/shares/{shareId}",
    ["anyone"],
    `/api/recordings/${GHOST}/shares/1`,
  ),
  // clips and the exemplar bank: the finer rules are decideClip()'s (clips.test.ts)
  r("POST", "/api/recordings/{id}/clips", ["anyone"], `/api/recordings/${GHOST}/clips`, {
    inSeconds: 0,
    outSeconds: 5,
    title: "Matrix",
  }),
  r("GET", "/api/clips", ["anyone"]),
  r("GET", "/api/clips/bank", byRole("teacher", "coach", "slt", "headteacher")),
  r("GET", "/api/clips/consents", ["anyone"]),
  r("GET", "/api/clips/{clipId}", ["anyone"], `/api/clips/${GHOST}`),
  r("POST", "/api/clips/{clipId}/offer", ["anyone"], `/api/clips/${GHOST}/offer`, {
    subject: "Maths",
    yearGroup: "Year 7",
    strands: [],
  }),
  r("POST", "/api/clips/{clipId}/consent", ["anyone"], `/api/clips/${GHOST}/consent`, {
    decision: "agree",
  }),
  r("POST", "/api/clips/{clipId}/withdraw", ["anyone"], `/api/clips/${GHOST}/withdraw`),
  // feedback at a clip answer's moments: the finer rule is decideClip()'s (clip-feedback.test.ts)
  r("GET", "/api/clips/{clipId}/comments", ["anyone"], `/api/clips/${GHOST}/comments`),
  r(
    "PUT",
    "/api/clips/{clipId}/next-steps/{commentId}",
    ["anyone"],
    `/api/clips/${GHOST}/next-steps/999999`,
    { done: true },
  ),
  r("POST", "/api/clips/{clipId}/comments", ["anyone"], `/api/clips/${GHOST}/comments`, {
    atSeconds: 1,
    body: "Matrix",
    kind: "strength",
  }),
  r(
    "GET",
    "/api/clips/{clipId}/footage/index.m3u8",
    ["anyone"],
    `/api/clips/${GHOST}/footage/index.m3u8`,
  ),
  r(
    "GET",
    "/api/clips/{clipId}/footage/{segment}",
    ["anyone"],
    `/api/clips/${GHOST}/footage/seg-00000.ts`,
  ),
  r("GET", "/api/clips/{clipId}/footage/key", ["anyone"], `/api/clips/${GHOST}/footage/key`),
  r("POST", "/api/recordings/{id}/archive", ["anyone"], `/api/recordings/${GHOST}/archive`, {}),
  r("DELETE", "/api/recordings/{id}/archive", ["anyone"], `/api/recordings/${GHOST}/archive`),
  r("PUT", "/api/recordings/{id}/consent", ["anyone"], `/api/recordings/${GHOST}/consent`, {
    decision: "agree",
  }),
  r(
    "POST",
    "/api/recordings/{id}/exemplar/release",
    ["anyone"],
    `/api/recordings/${GHOST}/exemplar/release`,
  ),
  r("GET", "/api/holds", byRole("slt", "headteacher", "dpo")),
  r(
    "POST",
    "/api/recordings/{id}/holds",
    byRole("slt", "headteacher"),
    `/api/recordings/${GHOST}/holds`,
    { reason: "a reason long enough" },
  ),
  r(
    "POST",
    "/api/holds/{holdId}/release",
    byRole("slt", "headteacher"),
    "/api/holds/999999/release",
    { reason: "a reason long enough" },
  ),
  r(
    "POST",
    "/api/recordings/{id}/investigations",
    byRole("slt", "headteacher"),
    `/api/recordings/${GHOST}/investigations`,
    { reason: "a reason that is long enough to read" },
  ),
  r(
    "POST",
    "/api/investigations/{investigationId}/close",
    byRole("slt", "headteacher"),
    "/api/investigations/999999/close",
  ),
  r("POST", "/api/retention/sweep", byRole("it", "dpo")),
  r("GET", "/api/deletions", byRole("dpo", "it")),
  r("GET", "/api/audit", byRole("dpo")),
  r("GET", "/api/audit/verify", byRole("dpo")),
  r("GET", "/api/audit/export", byRole("dpo"), "/api/audit/export?format=json"),
  // the school-management screens' views (routes/oversight.ts)
  r("GET", "/api/fleet", byRole("bursar", "it", "slt", "headteacher", "admin")),
  r("GET", "/api/use", byRole("bursar", "slt", "headteacher")),
  r("GET", "/api/governance", byRole("slt", "headteacher", "dpo")),
  // notifications (each person's own), e-mail choices, the mail outbox, concerns
  r("GET", "/api/notifications", ["anyone"]),
  r("GET", "/api/notifications/unread", ["anyone"]),
  r("POST", "/api/notifications/read-all", ["anyone"], "/api/notifications/read-all", {}),
  r(
    "POST",
    "/api/notifications/{notificationId}/read",
    ["anyone"],
    "/api/notifications/999999/read",
  ),
  r("GET", "/api/notifications/settings", ["anyone"]),
  r("PUT", "/api/notifications/settings", ["anyone"], "/api/notifications/settings", {
    ownAddress: null,
    kinds: ["share"],
  }),
  r("GET", "/api/mail/outbox", byRole("it", "admin")),
  r("POST", "/api/recordings/{id}/concerns", ["anyone"], `/api/recordings/${GHOST}/concerns`, {
    text: "A concern about this recording.",
  }),
  r("GET", "/api/concerns", ["anyone"]),
  r("GET", "/api/concerns/{concernId}", ["anyone"], "/api/concerns/999999"),
  r(
    "POST",
    "/api/concerns/{concernId}/answer",
    byRole("slt", "headteacher", "dpo"),
    "/api/concerns/999999/answer",
    { answer: "An answer to the concern." },
  ),
  r("GET", "/api/concerns/leads", byRole("slt", "headteacher", "dpo")),
  r("PUT", "/api/concerns/leads", byRole("slt", "headteacher", "dpo"), "/api/concerns/leads", {
    leads: [],
  }),
  r("GET", "/api/uploads/{recordingId}", ["device"], `/api/uploads/${GHOST}`),
  r("PUT", "/api/uploads/{recordingId}/manifest", ["device"], `/api/uploads/${GHOST}/manifest`, {
    segments: [
      { seq: 1, name: "seg-00001.ts", durationSeconds: 2, bytes: 1, sha256: "0".repeat(64) },
    ],
  }),
  r(
    "PUT",
    "/api/uploads/{recordingId}/segments/{name}",
    ["device"],
    `/api/uploads/${GHOST}/segments/seg-00001.ts`,
  ), // the demo's box: outside the demo (as here) every signed-in person gets 404
  r("GET", "/api/demo", ["anyone"]),
  r("GET", "/api/demo/panel", ["anyone"]),
  r("GET", "/api/demo/panel/events", ["anyone"]),
  r("POST", "/api/demo/panel/button", ["anyone"], "/api/demo/panel/button", { press: "short" }),
];
/** Routes whose use is covered elsewhere because the call changes the caller's own session. */
const SESSION_ROUTES = [
  "POST /api/setup",
  "POST /api/session",
  "DELETE /api/session",
  "POST /api/session/password",
];
/** Streams that never end (inject would wait for ever): their access is in test/web/live.test.ts. */
const STREAM_ROUTES = ["GET /api/events/stream"];

void t.test("every role against every route", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);

  const openapi = (await school.anonymous.get("/api/openapi.json")).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  const documented = Object.entries(openapi.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
  const covered = [
    ...ROWS.map((row) => `${row.method} ${row.route}`),
    ...SESSION_ROUTES,
    ...STREAM_ROUTES,
  ];
  t.same(
    documented.filter((route) => !covered.includes(route)),
    [],
    "every route in the OpenAPI document has a row in the matrix",
  );
  t.same(
    covered.filter((route) => !documented.includes(route)),
    [],
    "and every row is a documented route",
  );

  for (const row of ROWS) {
    const body = () => (typeof row.body === "function" ? (row.body as () => unknown)() : row.body);
    const anon = await school.anonymous.call(row.method, row.path, body());
    if (row.who.includes("device")) {
      // a device route: nobody without the upload token, and never anyone's session
      t.equal(anon.status, 401, `${row.method} ${row.path}: no upload token → 401`);
      t.match(anon.json(), { message: /upload token/ });
      for (const person of PEOPLE) {
        const reply = await school.as[person.id].call(row.method, row.path, body());
        t.equal(reply.status, 403, `${row.method} ${row.path}: ${person.id}'s session refused`);
        t.match(reply.json(), { message: /never a signed-in session/ });
      }
      continue;
    }
    if (row.who.includes("public")) {
      t.not(anon.status, 401, `${row.method} ${row.path}: public`);
    } else {
      t.equal(anon.status, 401, `${row.method} ${row.path}: nobody signed in → 401`);
      t.match(anon.json(), { message: /sign in/ });
    }
    for (const person of PEOPLE) {
      const reply = await school.as[person.id].call(row.method, row.path, body());
      const allowed =
        row.who.includes("anyone") || row.who.includes("public") || row.who.includes(person.id);
      if (allowed) {
        t.notOk(
          [401, 403].includes(reply.status),
          `${row.method} ${row.path}: ${person.id} allowed (${reply.status} ${JSON.stringify(reply.body).slice(0, 120)})`,
        );
      } else {
        t.equal(reply.status, 403, `${row.method} ${row.path}: ${person.id} refused`);
        t.match(reply.json(), { message: /needs one of these roles/ });
      }
    }
  }
});

void t.test("the cross-cases on one recording", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as, app } = school;
  const { recordingId: id } = await recordedLesson(school);
  t.equal(
    (await as["teacher-a"].post(`/api/recordings/${id}/shares`, { withId: "coach" })).status,
    201,
  );
  t.equal(
    (
      await as["teacher-a"].post(`/api/recordings/${id}/shares`, {
        withId: "coach-2",
        expiresAt: "2026-11-23T12:00:00Z",
      })
    ).status,
    201,
  );
  await school.advance(4 * 3_600_000); // coach-2's share has expired

  const expect = async (
    who: PersonId,
    method: Row["method"],
    path: string,
    status: number,
    message?: RegExp,
    body?: unknown,
  ) => {
    const reply = await as[who].call(method, path, body);
    t.equal(reply.status, status, `${who} ${method} ${path} → ${status}`);
    if (message) t.match(reply.json().message, message);
  };
  const views = `/api/recordings/${id}/views`;
  await expect("teacher-a", "POST", views, 200);
  await expect("teacher-c", "POST", views, 403, /only its owner/);
  await expect("teacher-c", "GET", `/api/recordings/${id}`, 403, /details are for its owner/);
  await expect("teacher-b", "POST", views, 403, /need-to-know/);
  await expect("teacher-b", "GET", `/api/recordings/${id}`, 200);
  await expect("coach", "POST", views, 200);
  await expect("coach", "POST", `/api/recordings/${id}/shares`, 403, /cannot be re-shared/, {
    withId: "coach-2",
  });
  await expect("coach-2", "POST", views, 403, /expired or was withdrawn/);
  await expect("coach-2", "POST", `/api/recordings/${id}/comments`, 403, /expired/, {
    atSeconds: 1,
    body: "late",
  });
  await expect("bursar", "POST", views, 403, /need-to-know/);
  const footage = `/api/recordings/${id}/footage/index.m3u8`;
  await expect("teacher-c", "GET", footage, 403, /only its owner/);
  await expect("bursar", "GET", footage, 403, /need-to-know/);
  await expect("it", "GET", `/api/recordings/${id}/footage/seg-00001.ts`, 403, /need-to-know/);
  await expect("slt", "GET", footage, 403, /open an investigation/);
  await expect("coach-2", "GET", footage, 403, /expired or was withdrawn/);
  await expect("coach", "GET", footage, 404, /asked to upload it/);
  await expect("bursar", "GET", `/api/recordings/${id}`, 200);
  await expect("it", "POST", views, 403, /need-to-know/);
  await expect("dpo", "POST", views, 403, /need-to-know/);
  await expect("admin", "POST", views, 403, /need-to-know/);
  await expect("slt", "POST", views, 403, /open an investigation/);
  await expect("head", "POST", views, 403, /open an investigation/);
  await expect("teacher-b", "DELETE", `/api/recordings/${id}`, 403, /only the owner/);
  await expect("coach", "POST", `/api/recordings/${id}/archive`, 403, /only the owner/, {});
  await expect(
    "slt",
    "POST",
    `/api/recordings/${id}/investigations`,
    400,
    /at least 20 characters/,
    { reason: "because" },
  );
  // the roles that see metadata only are never offered footage by a share
  for (const withId of ["bursar", "it", "dpo", "admin"]) {
    await expect(
      "teacher-a",
      "POST",
      `/api/recordings/${id}/shares`,
      400,
      /shared only with a teacher, coach, SLT member or the headteacher/,
      { withId },
    );
  }
  t.equal(
    (await as["teacher-a"].post(`/api/recordings/${id}/shares`, { withId: "slt" })).status,
    201,
    "SLT (who also teaches) is a colleague",
  );
  // a share made before this rule, or whose holder's roles changed: decide() refuses it anyway
  await app.db.transaction(async (tx) => {
    await tx.run(
      "INSERT INTO shares (recording_id, with_id, created_by, created_at) VALUES (?, 'bursar', 'teacher-a', ?)",
      [id, school.clock.now.toISOString()],
    );
  });
  await expect("bursar", "POST", views, 403, /never see footage, even when it is shared/);
  await expect("bursar", "GET", footage, 403, /never see footage/);
  await expect("bursar", "POST", `/api/recordings/${id}/comments`, 403, /never see footage/, {
    atSeconds: 1,
    body: "seen",
  });
  const bursarShared = await as.bursar.get("/api/recordings?scope=shared");
  t.equal(bursarShared.status, 200);
  t.same(bursarShared.json(), [], "nor is it listed as 'shared with me'");
  const listMine = (await as["teacher-c"].get("/api/recordings?scope=all")).status;
  t.equal(listMine, 403, "a teacher cannot list every recording");
  const shared = (await as.coach.get("/api/recordings?scope=shared")).json<unknown[]>();
  t.equal(shared.length, 1, "the coach sees it under 'shared with me'");
  t.equal(
    (await as["coach-2"].get("/api/recordings?scope=shared")).json<unknown[]>().length,
    0,
    "not after expiry",
  );
  // there is no download route and no public link
  t.equal((await school.anonymous.get(`/api/recordings/${id}`)).status, 401);
  t.equal((await as["teacher-a"].get(`/api/recordings/${id}/download`)).status, 404);
});

void t.test("sign-in, sessions and CSRF", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as } = school;
  // a state change without the CSRF token is refused and changes nothing
  const before = (await as.dpo.get("/api/audit?limit=1000")).json<{ entries: unknown[] }>().entries
    .length;
  const noCsrf = await as["teacher-a"].call(
    "POST",
    "/api/bookings",
    {
      deviceId: "room-1",
      start: "2026-11-24T09:00:00Z",
      end: "2026-11-24T10:00:00Z",
      purpose: "coaching",
      classCode: "7A1",
    },
    { "x-csrf-token": "wrong" },
  );
  t.equal(noCsrf.status, 403);
  t.match(noCsrf.json().message, /X-CSRF-Token/);
  const crossSite = await as["teacher-a"].call(
    "POST",
    "/api/recordings/" + GHOST + "/views",
    undefined,
    { origin: "https://evil.example" },
  );
  t.equal(crossSite.status, 403);
  t.match(crossSite.json().message, /cross-site/);
  const after = (await as.dpo.get("/api/audit?limit=1000")).json<{ entries: unknown[] }>().entries
    .length;
  t.equal(after, before, "nothing was written");

  // the cookie is Secure, HttpOnly and SameSite=Strict
  const signIn = await school.app.inject({
    method: "POST",
    url: "/api/session",
    payload: { id: "coach", password: "correct horse battery 5x staple" },
  });
  t.equal(signIn.statusCode, 200);
  const cookie = String(signIn.headers["set-cookie"]);
  t.match(cookie, /HttpOnly/);
  t.match(cookie, /Secure/);
  t.match(cookie, /SameSite=Strict/);
  t.match(
    String(signIn.headers["content-security-policy"]),
    /default-src 'self'/,
    "helmet's headers are on",
  );

  // one message for an unknown account and a wrong password; limits per account
  const wrong = await school.anonymous.post("/api/session", {
    id: "teacher-a",
    password: "not the password",
  });
  const unknown = await school.anonymous.post("/api/session", {
    id: "nobody-at-all",
    password: "not the password",
  });
  t.equal(wrong.status, 401);
  t.equal(unknown.status, 401);
  t.equal(wrong.json().message, unknown.json().message);
  for (let i = 0; i < 4; i += 1)
    await school.anonymous.post("/api/session", { id: "teacher-a", password: "wrong again" });
  const limited = await school.anonymous.post("/api/session", {
    id: "teacher-a",
    password: "correct horse battery 9x staple",
  });
  t.equal(limited.status, 429, "the account is locked for a while, even with the right password");
  t.ok(Number(limited.headers["retry-after"]) > 0);
  // per address: other accounts from the same address are limited after 20 failures
  for (let i = 0; i < 20; i += 1)
    await school.anonymous.post("/api/session", { id: `guess-${i}`, password: "guess" });
  const addressLimited = await school.anonymous.post("/api/session", {
    id: "coach",
    password: "correct horse battery 5x staple",
  });
  t.equal(addressLimited.status, 429);
  t.match(addressLimited.json().message, /from this address/);

  // sign-out ends the session
  t.equal((await as.coach.delete("/api/session")).status, 200);
  t.equal((await as.coach.get("/api/session")).status, 401);
});

void t.test("one-time passwords, password change, idle and absolute session ends", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { app, as, clock } = school;
  // a new account must change its one-time password before anything else
  const added = await as.admin.post("/api/users", {
    id: "newbie",
    displayName: "New",
    roles: ["teacher"],
  });
  t.equal(added.status, 201);
  const { temporaryPassword } = added.json<{ temporaryPassword: string }>();
  const { Caller } = await import("../helpers/school.js");
  const newbie = new Caller(app, "newbie");
  t.equal(
    (await newbie.signIn(temporaryPassword)).json<{ user: { mustChangePassword: boolean } }>().user
      .mustChangePassword,
    true,
  );
  const blocked = await newbie.get("/api/recordings");
  t.equal(blocked.status, 403);
  t.match(blocked.json().message, /change your one-time password/);
  const weak = await newbie.post("/api/session/password", {
    current: temporaryPassword,
    next: "newbie-password-1",
  });
  t.equal(weak.status, 400);
  t.match(weak.json().message, /must not contain the user name/);
  const second = new Caller(app, "newbie");
  await second.signIn(temporaryPassword);
  t.equal(
    (
      await newbie.post("/api/session/password", {
        current: temporaryPassword,
        next: "a much better passphrase",
      })
    ).status,
    200,
  );
  t.equal((await newbie.get("/api/recordings")).status, 200, "then everything opens");
  t.equal(
    (await second.get("/api/session")).status,
    401,
    "other sessions end with a password change",
  );
  t.equal((await newbie.signIn(temporaryPassword)).status, 401, "the one-time password is spent");

  // idle: two hours without a request ends a session; activity keeps it going
  const coach = as.coach;
  clock.advance(119 * 60_000);
  t.equal((await coach.get("/api/session")).status, 200);
  clock.advance(119 * 60_000);
  t.equal((await coach.get("/api/session")).status, 200, "activity keeps the session alive");
  clock.advance(121 * 60_000);
  t.equal((await coach.get("/api/session")).status, 401, "idle for two hours: signed out");
  // absolute: twelve hours after sign-in, whatever the activity
  const dpo = as.dpo;
  t.equal((await dpo.signIn(PASSWORD("dpo"))).status, 200);
  for (let i = 0; i < 12; i += 1) {
    clock.advance(61 * 60_000);
    if (i < 11) t.equal((await dpo.get("/api/session")).status, 200);
  }
  t.equal((await dpo.get("/api/session")).status, 401, "twelve hours after sign-in: signed out");

  // disabling an account ends its sessions at once
  await school.advance(0);
  t.equal((await as.admin.patch("/api/users/teacher-c", { status: "disabled" })).status, 200);
  t.equal((await as["teacher-c"].get("/api/session")).status, 401);
  t.equal((await as["teacher-c"].signIn("correct horse battery 9x staple")).status, 401);
  t.equal(
    (await as.admin.patch("/api/users/admin", { status: "disabled" })).status,
    409,
    "an admin cannot lock themself out",
  );
});

void t.test("the setup token makes the first administrator once", async (t) => {
  const { startController } = await import("../helpers/controller.js");
  const controller = await startController();
  t.teardown(() => controller.close());
  const { app } = controller;
  const { Caller } = await import("../helpers/school.js");
  const anyone = new Caller(app, "head");
  t.same((await anyone.get("/api/setup")).json(), { needed: true, provider: null });
  const token = await app.people.issueSetupToken();
  t.ok(token !== null && token.length >= 32);
  const body = {
    id: "head",
    displayName: "Ms Head",
    password: "a long passphrase for the school",
    roles: ["dpo"], // not a role that sees footage: nobody could grant it but themself
  };
  const wrong = await anyone.post("/api/setup", { ...body, token: "guess" });
  t.equal(wrong.status, 403);
  t.match(wrong.json().message, /setup token is wrong/);
  const made = await anyone.post("/api/setup", { ...body, token });
  t.equal(made.status, 201);
  t.same(made.json<{ roles: string[] }>().roles.sort(), ["admin", "dpo"]);
  t.equal(
    (await anyone.post("/api/setup", { ...body, id: "head2", token })).status,
    403,
    "once only",
  );
  t.same((await anyone.get("/api/setup")).json(), { needed: false, provider: null });
  t.equal(await app.people.issueSetupToken(), null, "no new token once an account exists");
  t.equal((await anyone.signIn(body.password)).status, 200);
});
