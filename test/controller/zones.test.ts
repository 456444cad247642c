// A room's teacher zones over the API (issue 19): read and set by whoever sets
// masks, refused with words that say what is wrong, audited as their own
// action, and named by the privacy notice. (Who may call the routes at all is
// in api-matrix.test.ts; what the zones do to the blurred copy is in
// anonymise-zones.test.ts.)
import t from "tap";
import { startSchool } from "../helpers/school.js";

const ZONES = "/api/devices/room-1/zones";
const FRONT = { x: 0, y: 0.1, width: 0.4, height: 0.8 };

void t.test("zones: set, read back, audited, refused when wrong", async (t) => {
  const school = await startSchool();
  t.teardown(school.close);
  const dpo = school.as.dpo;

  t.same((await dpo.get(ZONES)).json(), { mode: "none", zones: [] }, "none until set");

  const saved = await dpo.put(ZONES, { mode: "faces", zones: [FRONT] });
  t.equal(saved.status, 200, JSON.stringify(saved.body));
  t.same(saved.json(), { mode: "faces", zones: [FRONT] });
  t.same((await school.as.slt.get(ZONES)).json(), { mode: "faces", zones: [FRONT] }, "kept");

  const audited = (await dpo.get("/api/audit?action=device.zones")).json<{
    entries: { actor: string; subject: string; detail: unknown }[];
  }>().entries;
  t.match(
    audited,
    [{ actor: "dpo", subject: "room-1", detail: { mode: "faces", zones: [FRONT] } }],
    "the change is audited as its own action",
  );

  const refused: [string, unknown, number, RegExp][] = [
    [
      "a zone past the picture's edge",
      { mode: "faces", zones: [FRONT, { x: 0.8, y: 0, width: 0.3, height: 0.5 }] },
      400,
      /zone 2 reaches outside the picture/,
    ],
    ["zones used but none drawn", { mode: "background", zones: [] }, 400, /draw at least one zone/],
    [
      "an empty zone",
      { mode: "faces", zones: [{ x: 0.1, y: 0.1, width: 0, height: 0.2 }] },
      400,
      /zone 1 is empty: give it a width and a height/,
    ],
    [
      "seventeen zones",
      { mode: "faces", zones: Array.from({ length: 17 }, () => FRONT) },
      400,
      /at most 16 zones \(17 were given\)/,
    ],
    ["a mode that does not exist", { mode: "teacher", zones: [FRONT] }, 400, /mode/],
  ];
  for (const [words, body, status, message] of refused) {
    const reply = await dpo.put(ZONES, body);
    t.equal(reply.status, status, words);
    t.match(reply.json(), { message }, `${words}: says what is wrong`);
  }
  t.same(
    (await dpo.get(ZONES)).json(),
    { mode: "faces", zones: [FRONT] },
    "a refused change changes nothing",
  );
  const ghost = await dpo.put("/api/devices/ghost/zones", { mode: "none", zones: [] });
  t.equal(ghost.status, 404);
  t.match(ghost.json(), { message: /ghost/ });

  const none = await dpo.put(ZONES, { mode: "none", zones: [FRONT] });
  t.same(none.json(), { mode: "none", zones: [] }, "no zones kept when none are used");
});

void t.test("the privacy notice says which rooms have a teacher zone", async (t) => {
  const school = await startSchool();
  t.teardown(school.close);
  const before = String((await school.as.dpo.get("/privacy")).body);
  t.notMatch(before, /teacher zone/i, "no room has one yet");
  await school.as.dpo.put(ZONES, { mode: "background", zones: [FRONT] });
  const after = String((await school.as.dpo.get("/privacy")).body);
  t.match(after, /Room room-1/, "the room is named");
  t.match(after, /teacher zone/i);
  t.match(after, /a pupil who stands there is seen too/, "and what it means for pupils");
});
