// Every date the HTTP API takes is bounded (years 2000 to 2100, ranges the
// right way round and not too long), and a booking starts neither in the past
// nor beyond the school's booking horizon: a booking that would show in no
// list could be neither seen nor cancelled.
import t, { type Test } from "tap";
import { randomUUID } from "node:crypto";
import { startSchool, type Caller } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");
const DAY = 86_400_000;
const at = (ms: number) => new Date(START.getTime() + ms).toISOString();

interface Problem {
  statusCode: number;
  message: string;
}

async function refused(
  t: Test,
  caller: Caller,
  what: string,
  method: "GET" | "POST" | "PATCH",
  url: string,
  payload: unknown,
  message: RegExp,
): Promise<void> {
  const reply = await caller.call(method, url, payload);
  t.equal(reply.status, 400, `${what}: 400`);
  t.match((reply.body as Problem).message, message, `${what}: says which field and what bound`);
}

const BOUND = /2000-01-01.*2100-12-31/;

void t.test("a booking in the year 9999 is refused, and nothing is written", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const reply = await school.as["teacher-a"].post("/api/bookings", {
    deviceId: "room-1",
    start: "9999-01-01T09:00:00Z",
    end: "9999-01-01T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
  });
  t.equal(reply.status, 400);
  t.match(reply.json().message, /start/);
  t.match(reply.json().message, BOUND);
  const count = await school.app.db.get<{ n: number }>("SELECT count(*) AS n FROM bookings");
  t.equal(count?.n, 0, "no booking was made");
});

void t.test("every date the API takes is bounded, each kind of bad date refused", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const teacher = school.as["teacher-a"];
  const dpo = school.as.dpo;
  const id = randomUUID();
  const booking = { deviceId: "room-1", start: at(DAY), end: at(DAY + 3_600_000) };

  // booking start and end, made and amended
  for (const [field, value] of [
    ["start", "9999-01-01T09:00:00Z"],
    ["start", "1999-12-31T09:00:00Z"],
    ["end", "2101-01-01T00:00:00Z"],
    ["end", "0001-01-01T00:00:00Z"],
  ] as const) {
    await refused(
      t,
      teacher,
      `a booking's ${field} ${value}`,
      "POST",
      "/api/bookings",
      { ...booking, purpose: "coaching", [field]: value },
      new RegExp(`${field}.*2000-01-01.*2100-12-31`),
    );
    await refused(
      t,
      teacher,
      `an amended ${field} ${value}`,
      "PATCH",
      `/api/bookings/${id}`,
      { [field]: value },
      new RegExp(`${field}.*2000-01-01.*2100-12-31`),
    );
  }

  // the timetable's window
  const list = (from: string, to: string) =>
    `/api/bookings?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  await refused(
    t,
    teacher,
    "a window from before 2000",
    "GET",
    list("1999-12-31T00:00:00Z", "2000-01-02T00:00:00Z"),
    undefined,
    /from.*2000-01-01.*2100-12-31/,
  );
  await refused(
    t,
    teacher,
    "a window to after 2100",
    "GET",
    list("2100-12-30T00:00:00Z", "9999-01-01T00:00:00Z"),
    undefined,
    /to.*2000-01-01.*2100-12-31/,
  );
  await refused(
    t,
    teacher,
    "a window backwards",
    "GET",
    list(at(7 * DAY), at(0)),
    undefined,
    /'to' must be after 'from'/,
  );
  await refused(
    t,
    teacher,
    "a window too long",
    "GET",
    list(at(0), at(63 * DAY)),
    undefined,
    /'from' and 'to'.*at most 62 days/,
  );

  // the recordings list, a share's expiry
  await refused(
    t,
    teacher,
    "recordings before 9999",
    "GET",
    `/api/recordings?before=${encodeURIComponent("9999-01-01T00:00:00Z")}`,
    undefined,
    /before.*2000-01-01.*2100-12-31/,
  );
  await refused(
    t,
    teacher,
    "a share until 9999",
    "POST",
    `/api/recordings/${id}/shares`,
    { withId: "coach", expiresAt: "9999-01-01T00:00:00Z" },
    /expiresAt.*2000-01-01.*2100-12-31/,
  );

  // the audit log's filters, paged and exported
  for (const path of ["/api/audit?", "/api/audit/export?format=csv&"]) {
    await refused(
      t,
      dpo,
      `${path} from 1970`,
      "GET",
      `${path}from=${encodeURIComponent("1970-01-01T00:00:00Z")}`,
      undefined,
      /from.*2000-01-01.*2100-12-31/,
    );
    await refused(
      t,
      dpo,
      `${path} to 9999`,
      "GET",
      `${path}to=${encodeURIComponent("9999-12-31T00:00:00Z")}`,
      undefined,
      /to.*2000-01-01.*2100-12-31/,
    );
    await refused(
      t,
      dpo,
      `${path} backwards`,
      "GET",
      `${path}from=${encodeURIComponent(at(DAY))}&to=${encodeURIComponent(at(0))}`,
      undefined,
      /'to' must be after 'from'/,
    );
  }
  const count = await school.app.db.get<{ n: number }>("SELECT count(*) AS n FROM bookings");
  t.equal(count?.n, 0, "no booking was made");
});

void t.test("no route takes a date without the bound", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const openapi = (await school.anonymous.get("/api/openapi.json")).json<{
    paths: Record<string, Record<string, { parameters?: unknown; requestBody?: unknown }>>;
  }>();
  const unbounded: string[] = [];
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${where}[${i}]`));
    else if (typeof node === "object" && node !== null) {
      const schema = node as Record<string, unknown>;
      if (schema.format === "date-time" && schema["x-date-bounds"] !== true) unbounded.push(where);
      for (const [key, value] of Object.entries(schema)) walk(value, `${where}.${key}`);
    }
  };
  let dates = 0;
  for (const [path, methods] of Object.entries(openapi.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const inputs = JSON.stringify([operation.parameters, operation.requestBody]);
      dates += inputs.split('"date-time"').length - 1;
      walk([operation.parameters, operation.requestBody], `${method.toUpperCase()} ${path}`);
    }
  }
  t.ok(dates >= 10, `the API takes dates (${dates} of them)`);
  t.same(unbounded, [], "every one of them bounded");
});

void t.test("bookings: not in the past, not beyond the school's horizon", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const teacher = school.as["teacher-a"];
  const book = (start: number, end: number) =>
    teacher.post("/api/bookings", {
      deviceId: "room-1",
      start: at(start),
      end: at(end),
      purpose: "coaching",
      classCode: "7A1",
    });

  const policy = await school.as.slt.get("/api/policy");
  t.match(policy.json(), { bookings: { horizonDays: 365 } }, "a year ahead by default");

  const started = await book(-3_600_000, 3_600_000);
  t.equal(started.status, 400, "a booking that started an hour ago");
  t.match(started.json().message, /started .*more than 5 minutes ago/);
  const justNow = await book(-120_000, 3_600_000);
  t.equal(justNow.status, 201, "one that started two minutes ago is fine");

  const far = await book(400 * DAY, 400 * DAY + 3_600_000);
  t.equal(far.status, 400, "400 days ahead");
  t.match(far.json().message, /at most 365 days ahead/);

  for (const horizonDays of [0, 731, 1.5]) {
    const bad = await school.as.slt.patch("/api/policy", { bookings: { horizonDays } });
    t.equal(bad.status, 400, `a horizon of ${horizonDays} days`);
    t.match(bad.json().message, /horizonDays|ahead/);
  }
  const wider = await school.as.slt.patch("/api/policy", { bookings: { horizonDays: 500 } });
  t.equal(wider.status, 200);
  t.match(wider.json(), { bookings: { horizonDays: 500 } });
  t.equal((await book(400 * DAY, 400 * DAY + 3_600_000)).status, 201, "inside the wider horizon");
});

void t.test("a booking inside the horizon is listed and can be cancelled", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const teacher = school.as["teacher-a"];
  const made = await teacher.post("/api/bookings", {
    deviceId: "room-1",
    start: at(300 * DAY),
    end: at(300 * DAY + 3_600_000),
    purpose: "coaching",
    classCode: "7A1",
  });
  t.equal(made.status, 201, "300 days ahead");
  const { bookingId } = made.json<{ bookingId: string }>();
  const window = (includeCancelled: boolean) =>
    `/api/bookings?from=${encodeURIComponent(at(299 * DAY))}` +
    `&to=${encodeURIComponent(at(301 * DAY))}&includeCancelled=${includeCancelled}`;
  const listed = await teacher.get(window(false));
  t.equal(listed.status, 200);
  t.same(
    listed.json<{ bookingId: string }[]>().map((b) => b.bookingId),
    [bookingId],
    "it is listed",
  );
  const cancelled = await teacher.post(`/api/bookings/${bookingId}/cancel`, {
    reason: "the class moved",
  });
  t.equal(cancelled.status, 200);
  t.match(cancelled.json(), { status: "cancelled" });
  t.same((await teacher.get(window(false))).json(), [], "gone from the timetable");
  t.match((await teacher.get(window(true))).json(), [{ bookingId, status: "cancelled" }]);
});
