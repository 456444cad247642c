// Masks per booking (issue 19): what the box is sent, and the union a recording is made under.
import t from "tap";
import {
  MAX_PRIVACY_MASKS,
  checkConfig,
  maskedBookingsOf,
  recordingMasks,
  type PrivacyMask,
} from "@classcam/protocol";

const seat: PrivacyMask = { x: 0.6, y: 0.5, width: 0.1, height: 0.2 };
const door: PrivacyMask = { x: 0, y: 0, width: 0.1, height: 1 };

function config(masks: unknown): unknown {
  return {
    version: 2,
    issuedAt: "2026-11-23T09:00:00.000Z",
    room: "Lab 1",
    schedule: [
      {
        bookingId: "b-1",
        start: "2026-11-23T10:00:00.000Z",
        end: "2026-11-23T11:00:00.000Z",
        purpose: "coaching",
        audio: false,
        masks,
      },
    ],
    retention: { bufferDays: 7 },
    policy: { allowUnbookedRecording: false },
    masks: [],
    holds: [],
  };
}

void t.test("a booking in the box's schedule carries its masks, bounded", async (t) => {
  const rows: [string, unknown, RegExp | null][] = [
    ["one seat", [seat], null],
    ["none", [], null],
    ["the most a booking may have", Array.from({ length: MAX_PRIVACY_MASKS }, () => seat), null],
    [
      "one too many",
      Array.from({ length: MAX_PRIVACY_MASKS + 1 }, () => seat),
      /schedule.0.masks: must NOT have more than 16 items/,
    ],
    ["off the picture", [{ ...seat, x: 1.2 }], /schedule.0.masks.0.x: must be <= 1/],
    ["negative", [{ ...seat, y: -0.1 }], /schedule.0.masks.0.y: must be >= 0/],
    ["no width", [{ ...seat, width: 0 }], /schedule.0.masks.0.width: must be > 0/],
    ["not a rectangle", [{ x: 0.1, y: 0.1 }], /schedule.0.masks.0.width: is required/],
    ["a stray field", [{ ...seat, colour: "red" }], /unknown property 'colour'/],
    ["not a list", "everywhere", /schedule.0.masks: must be array/],
  ];
  for (const [what, masks, error] of rows) {
    const checked = checkConfig(config(masks));
    if (error === null) t.ok(checked.ok, `${what}: accepted`);
    else t.match(checked, { ok: false, error }, `${what}: refused, saying why`);
  }
  const without = config(undefined) as { schedule: Record<string, unknown>[] };
  delete without.schedule[0]?.masks;
  t.ok(checkConfig(without).ok, "a booking without masks is as before");
});

void t.test("a recording is made under the room's masks and its booking's", async (t) => {
  t.same(recordingMasks([door], { bookingId: "b-1", masks: [seat] }), {
    ok: true,
    masks: [door, seat],
  });
  t.same(recordingMasks([door], { bookingId: "b-1" }), { ok: true, masks: [door] });
  t.same(recordingMasks([], { bookingId: "b-1", masks: [seat] }), { ok: true, masks: [seat] });
  t.same(recordingMasks([door], null), { ok: true, masks: [door] }, "outside a booking");
});

void t.test("masks that cannot be burned in: the booking is not recorded, and why", async (t) => {
  const rows: [string, ReturnType<typeof recordingMasks>][] = [
    [
      "a booking's mask off the picture",
      recordingMasks([door], { bookingId: "b-1", masks: [{ ...seat, x: 3 }] }),
    ],
    [
      "a mask with no height",
      recordingMasks([], { bookingId: "b-1", masks: [{ ...seat, height: 0 }] }),
    ],
    [
      "a mask that is not a number",
      recordingMasks([], {
        bookingId: "b-1",
        masks: [{ ...seat, width: "wide" as unknown as number }],
      }),
    ],
    [
      "too many",
      recordingMasks([], {
        bookingId: "b-1",
        masks: Array.from({ length: MAX_PRIVACY_MASKS + 1 }, () => seat),
      }),
    ],
    [
      "its masks came in a config the box refused",
      recordingMasks([door], { bookingId: "b-1" }, new Map([["b-1", "masks.0.x: must be <= 1"]])),
    ],
  ];
  for (const [what, verdict] of rows) {
    t.match(verdict, { ok: false, detail: /^booking b-1 is not recorded: / }, what);
  }
  t.match(
    recordingMasks([door], { bookingId: "b-1", masks: [{ ...seat, x: 3 }] }),
    { detail: /the booking's mask 1: x must be a fraction of the picture from 0 to 1 \(got 3\)/ },
    "names the mask and what is wrong with it",
  );
  t.match(
    recordingMasks([door], { bookingId: "b-1" }, new Map([["b-1", "masks.0.x: must be <= 1"]])),
    { detail: /its masks did not reach the box \(masks.0.x: must be <= 1\)/ },
  );
  t.same(
    recordingMasks([door], { bookingId: "b-2" }, new Map([["b-1", "refused"]])),
    { ok: true, masks: [door] },
    "another booking records as before",
  );
});

void t.test("a refused config: the bookings that asked for masks of their own", async (t) => {
  t.same([...maskedBookingsOf(config([{ ...seat, x: 2 }])).keys()], ["b-1"], "bad masks");
  t.same([...maskedBookingsOf(config("everywhere")).keys()], ["b-1"], "not even a list");
  t.same([...maskedBookingsOf(config([])).keys()], [], "no masks asked for");
  const plain = config(undefined) as { schedule: Record<string, unknown>[] };
  delete plain.schedule[0]?.masks;
  t.same([...maskedBookingsOf(plain).keys()], [], "a booking without masks");
  for (const junk of [null, "x", 3, { schedule: "x" }, { schedule: [null, 1, { masks: [] }] }]) {
    t.same([...maskedBookingsOf(junk).keys()], [], `nothing from ${JSON.stringify(junk)}`);
  }
});
