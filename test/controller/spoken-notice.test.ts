// The spoken notice in the policy (issue 20 §2): on by default with the
// school's sentence, changed by leadership or the DPO, checked (a sentence is
// needed while it is on; bounded; plain text on one line), audited, and
// carried to every box in its config.
import t from "tap";
import { DEFAULT_SPOKEN_NOTICE, SPOKEN_NOTICE_MAX_LENGTH } from "@classcam/protocol";
import { startSchool } from "../helpers/school.js";
import { until } from "../helpers/device.js";

const START = new Date("2026-11-23T08:00:00.000Z");

void t.test("on by default, the school's words, carried to the boxes", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as, app } = school;

  const read = await as["teacher-a"].get("/api/policy");
  t.same(
    read.json<{ spokenNotice: unknown }>().spokenNotice,
    DEFAULT_SPOKEN_NOTICE,
    "on by default",
  );
  const text = "Part of this lesson is being recorded so our teachers can learn.";
  const changed = await as.dpo.patch("/api/policy", { spokenNotice: { text } });
  t.equal(changed.status, 200, JSON.stringify(changed.body));
  t.same(changed.json<{ spokenNotice: unknown }>().spokenNotice, { enabled: true, text });
  t.same(
    (await app.devices.require("room-1")).config.policy.spokenNotice,
    { enabled: true, text },
    "the box's config carries the school's sentence",
  );

  const off = await as.slt.patch("/api/policy", { spokenNotice: { enabled: false } });
  t.equal(off.status, 200, JSON.stringify(off.body));
  t.same(
    (await app.devices.require("room-1")).config.policy.spokenNotice,
    { enabled: false, text },
    "turned off for the school; the sentence is kept for when it is turned back on",
  );
  t.equal(
    (await as["teacher-a"].patch("/api/policy", { spokenNotice: { enabled: true } })).status,
    403,
    "a teacher cannot change it",
  );
});

void t.test(
  "a box enrolled after the policy changed gets the school's policy at once",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { as, app } = school;
    const text = "This part of the lesson is recorded for our teachers' training.";
    t.equal((await as.dpo.patch("/api/policy", { spokenNotice: { text } })).status, 200);
    const enrolled = await as.it.post("/api/devices", { id: "room-9", room: "Room 9" });
    t.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
    // not the default sentence until the hourly refresh: the school's own, as its other boxes have
    await until(
      async () => (await app.devices.require("room-9")).config.policy.spokenNotice?.text === text,
      "the new box's config to carry the school's sentence",
    );
    t.same((await app.devices.require("room-9")).config.policy.spokenNotice, {
      enabled: true,
      text,
    });
  },
);

void t.test("the sentence is checked, and a refusal says why", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as } = school;
  const refusals: [string, object, RegExp][] = [
    [
      "too long",
      { text: "a".repeat(SPOKEN_NOTICE_MAX_LENGTH + 1) },
      /the spoken notice is at most 300 characters \(it has 301\)/,
    ],
    [
      "empty while on",
      { enabled: true, text: "  " },
      /the spoken notice needs a sentence to say \(or turn the spoken notice off\)/,
    ],
    ["two lines", { text: "Recording.\nSmile." }, /plain text on one line/],
    ["markup", { text: "<b>Recording</b>" }, /plain text on one line/],
  ];
  for (const [what, spokenNotice, message] of refusals) {
    const refused = await as.dpo.patch("/api/policy", { spokenNotice });
    t.equal(refused.status, 400, what);
    t.match(refused.json(), { statusCode: 400, message }, what);
  }
  t.same(
    (await as.dpo.get("/api/policy")).json<{ spokenNotice: unknown }>().spokenNotice,
    DEFAULT_SPOKEN_NOTICE,
    "nothing refused was kept",
  );
  const empty = await as.dpo.patch("/api/policy", { spokenNotice: { enabled: false, text: "" } });
  t.equal(empty.status, 200, "off, a sentence is not needed");
});

void t.test("a box that cannot say the notice shows on the fleet page, with why", async (t) => {
  const school = await startSchool({ start: START, devices: ["room-1", "room-2"] });
  t.teardown(school.close);
  const { as, app } = school;
  const state = (speaker: string) =>
    JSON.stringify({
      at: START.toISOString(),
      software: "classcam-device 0.1.0",
      bootId: "0b8f4a52-3f6e-4f7e-9a55-1e2f3a4b5c6d",
      lamp: "off",
      recording: null,
      configVersion: 1,
      speaker,
    });
  await app.db.transaction(async (tx) => {
    const sql =
      "UPDATE devices SET connected = 1, availability = 'online', state_json = ? WHERE id = ?";
    await tx.run(sql, [state("missing: speaker missing: aplay is not installed"), "room-1"]);
    await tx.run(sql, [state("ok"), "room-2"]);
  });
  const page = await as.it.get("/api/fleet");
  t.equal(page.status, 200, JSON.stringify(page.body));
  const devices = page.json<{
    devices: { id: string; alerts: { alertId: number | null; kind: string; detail: string }[] }[];
  }>().devices;
  t.same(
    devices.find((d) => d.id === "room-1")?.alerts,
    [
      {
        alertId: null,
        kind: "speaker",
        detail: "the spoken notice cannot be said: speaker missing: aplay is not installed",
        raisedAt: null,
      },
    ],
    "the box without a speaker, and why",
  );
  t.same(devices.find((d) => d.id === "room-2")?.alerts, [], "a box whose speaker works: none");
});
