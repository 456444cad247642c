// A state change from a session needs a same-site Origin: a browser sends one
// on every same-origin POST, PUT, PATCH and DELETE, so a request without one,
// or with `Origin: null` (a sandboxed frame, a privacy redirect), is refused.
// Device routes authenticate with a bearer token and are exempt.
import t from "tap";
import type { InjectOptions } from "fastify";
import { startSchool } from "../helpers/school.js";

const START = new Date("2026-11-23T08:00:00.000Z");

void t.test("a session's state change needs a same-site Origin", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { app, as } = school;
  const teacher = as["teacher-a"];
  const booking = {
    deviceId: "room-1",
    start: "2026-11-24T09:00:00Z",
    end: "2026-11-24T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
  };
  const send = (
    method: InjectOptions["method"],
    origin: string | null,
    payload?: unknown,
    url = "/api/bookings",
  ) =>
    app.inject({
      method,
      url,
      headers: {
        cookie: teacher.cookie ?? "",
        "x-csrf-token": teacher.csrf ?? "",
        ...(origin !== null && { origin }),
      },
      ...(payload !== undefined && { payload: payload as InjectOptions["payload"] }),
    });
  const audited = async () =>
    (await app.audit.page({ limit: 1000 })).entries.filter((e) => e.action !== "sign-in").length;
  const before = await audited();

  const none = await send("POST", null, booking);
  t.equal(none.statusCode, 403, "no Origin: refused");
  t.match(none.json(), {
    statusCode: 403,
    message: /a change needs the Origin header of this site; this request has none/,
  });
  const opaque = await send("POST", "null", booking);
  t.equal(opaque.statusCode, 403, "Origin: null: refused");
  t.match(opaque.json<{ message: string }>().message, /Origin 'null'/);
  const crossSite = await send("POST", "https://evil.example", booking);
  t.equal(crossSite.statusCode, 403);
  t.match(crossSite.json<{ message: string }>().message, /cross-site/);
  t.equal(await audited(), before, "nothing was done");

  const sameSite = await send("POST", "http://localhost:80", booking);
  t.equal(sameSite.statusCode, 201, `the same site's Origin passes (${sameSite.body})`);
  const read = await send("GET", null, undefined, "/api/staff");
  t.equal(read.statusCode, 200, "a read needs no Origin");
});

void t.test("without a session cookie, Origin is checked only when sent", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { app } = school;
  const signIn = (origin: string | null) =>
    app.inject({
      method: "POST",
      url: "/api/session",
      headers: origin === null ? {} : { origin },
      payload: { id: "coach", password: "correct horse battery 5x staple" },
    });
  t.equal((await signIn(null)).statusCode, 200, "a script signs in without an Origin");
  const opaque = await signIn("null");
  t.equal(opaque.statusCode, 403, "but Origin: null never passes");
  t.equal((await signIn("https://evil.example")).statusCode, 403, "nor another site");

  // a device route: its bearer token, not the Origin, is what counts
  const upload = await app.inject({
    method: "PUT",
    url: "/api/uploads/00000000-0000-4000-8000-000000000000/manifest",
    headers: { authorization: "Bearer not-a-token" },
    payload: {},
  });
  t.equal(upload.statusCode, 401, `judged by its token (${upload.body})`);
});
