import t from "tap";
import {
  isProtected,
  planBuffer,
  type BufferInput,
  type BufferRecording,
} from "@classcam/protocol";
import { seeded } from "../helpers/events.js";

const NOW = new Date("2026-11-23T09:00:00.000Z");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (msFromNow: number) => new Date(NOW.getTime() + msFromNow).toISOString();

/** A finished one-hour recording that ended `endedAgo` ms before NOW. */
function ended(
  recordingId: string,
  endedAgo: number,
  over: Partial<BufferRecording> = {},
): BufferRecording {
  return {
    recordingId,
    startedAt: at(-endedAgo - HOUR),
    endedAt: at(-endedAgo),
    bytes: 100,
    awaitingUpload: false,
    ...over,
  };
}

function input(recordings: BufferRecording[], over: Partial<BufferInput> = {}): BufferInput {
  return {
    recordings,
    holds: [],
    bufferDays: 7,
    now: NOW,
    freeBytes: 1_000_000,
    neededBytes: 0,
    ...over,
  };
}

const ids = (plan: ReturnType<typeof planBuffer>) =>
  plan.delete.map((d) => `${d.recordingId}:${d.reason}`);

void t.test("retention deletes footage exactly once it is older than bufferDays", async (t) => {
  const cases: [string, number, number, boolean][] = [
    // what, bufferDays, ended this long ago, deleted by retention
    ["1 day, exactly at the boundary", 1, DAY, false],
    ["1 day, 1 ms past the boundary", 1, DAY + 1, true],
    ["7 days, 1 ms before the boundary", 7, 7 * DAY - 1, false],
    ["7 days, exactly at the boundary", 7, 7 * DAY, false],
    ["7 days, 1 ms past the boundary", 7, 7 * DAY + 1, true],
    ["14 days, exactly at the boundary", 14, 14 * DAY, false],
    ["14 days, 1 ms past the boundary", 14, 14 * DAY + 1, true],
  ];
  for (const [what, bufferDays, endedAgo, deleted] of cases) {
    const plan = planBuffer(input([ended("r1", endedAgo)], { bufferDays }));
    t.equal(plan.problem, null, what);
    t.same(ids(plan), deleted ? ["r1:retention"] : [], what);
    t.equal(plan.freeBytesAfter, 1_000_000 + (deleted ? 100 : 0), what);
    t.equal(plan.refuseRecording, false, what);
  }
});

void t.test("held, awaiting-upload and in-progress footage is never deleted", async (t) => {
  const held = ended("held", 365 * DAY);
  const uploading = ended("uploading", 365 * DAY, { awaitingUpload: true });
  const live: BufferRecording = {
    recordingId: "live",
    startedAt: at(-30 * DAY),
    endedAt: null,
    bytes: 500,
    awaitingUpload: false,
  };
  const old = ended("old", 30 * DAY);
  const recent = ended("recent", HOUR);
  const all = [live, recent, held, old, uploading];
  t.ok(isProtected(held, ["held"]));
  t.ok(isProtected(uploading, []));
  t.ok(isProtected(live, []));
  t.notOk(isProtected(old, ["held"]));

  const cases: [string, Partial<BufferInput>, string[], boolean][] = [
    ["plentiful space", {}, ["old:retention"], false],
    [
      "some space needed",
      { freeBytes: 0, neededBytes: 150 },
      ["old:retention", "recent:overwrite"],
      false,
    ],
    [
      "more space than exists: recent footage is kept, since deleting it would not help",
      { freeBytes: 0, neededBytes: 10_000 },
      ["old:retention"],
      true,
    ],
  ];
  for (const [what, over, expected, refused] of cases) {
    const plan = planBuffer(input(all, { holds: ["held"], ...over }));
    t.equal(plan.problem, null, what);
    t.same(ids(plan), expected, what);
    t.equal(plan.protectedBytes, 700, what);
    t.equal(plan.refuseRecording, refused, what);
    t.equal(plan.refusal, refused ? "protected-footage-fills-the-disk" : null, what);
  }
});

void t.test("overwrite deletes oldest first and stops as soon as there is enough", async (t) => {
  // Given out of order on purpose; each is 100 bytes; none expired.
  const recordings = [
    ended("c", 2 * DAY),
    ended("a", 4 * DAY),
    ended("d", DAY),
    ended("b", 3 * DAY),
  ];
  const cases: [number, number, string[], boolean, number][] = [
    // freeBytes, neededBytes, deleted in order, refused, freeBytesAfter
    [50, 0, [], false, 50],
    [50, 50, [], false, 50],
    [50, 51, ["a"], false, 150],
    [50, 150, ["a"], false, 150],
    [50, 151, ["a", "b"], false, 250],
    [50, 450, ["a", "b", "c", "d"], false, 450],
    // unreachable: nothing is overwritten for no gain, and recording is refused
    [50, 451, [], true, 50],
    [0, 1_000_000, [], true, 0],
  ];
  for (const [freeBytes, neededBytes, expected, refused, after] of cases) {
    const what = `free ${freeBytes}, needed ${neededBytes}`;
    const plan = planBuffer(input(recordings, { freeBytes, neededBytes }));
    t.same(
      ids(plan),
      expected.map((id) => `${id}:overwrite`),
      what,
    );
    t.equal(plan.refuseRecording, refused, what);
    t.equal(plan.refusal, refused ? "protected-footage-fills-the-disk" : null, what);
    t.equal(plan.freeBytesAfter, after, what);
  }

  const mixed = planBuffer(
    input([ended("fresh", DAY), ended("expired-late", 8 * DAY), ended("expired-early", 9 * DAY)], {
      freeBytes: 0,
      neededBytes: 250,
    }),
  );
  t.same(
    ids(mixed),
    ["expired-early:retention", "expired-late:retention", "fresh:overwrite"],
    "retention first, then overwrite",
  );
});

void t.test("refusal when only protected footage is left", async (t) => {
  const plan = planBuffer(
    input([ended("held", DAY), ended("uploading", 2 * DAY, { awaitingUpload: true })], {
      holds: ["held"],
      freeBytes: 10,
      neededBytes: 11,
    }),
  );
  t.same(plan, {
    delete: [],
    refuseRecording: true,
    refusal: "protected-footage-fills-the-disk",
    protectedBytes: 200,
    freeBytesAfter: 10,
    problem: null,
  });
  const empty = planBuffer(input([], { freeBytes: 0, neededBytes: 1 }));
  t.equal(empty.refuseRecording, true, "an empty buffer on a full disk refuses too");
});

void t.test("a buffer index that looks wrong deletes nothing and says why", async (t) => {
  const base = (): BufferRecording[] => [ended("r-old", 30 * DAY), ended("r-new", DAY)];
  const tight = { freeBytes: 0, neededBytes: 150 };
  t.same(
    ids(planBuffer(input(base(), tight))),
    ["r-old:retention", "r-new:overwrite"],
    "the sound index would delete",
  );

  const live = (id: string): BufferRecording => ({
    recordingId: id,
    startedAt: at(-HOUR),
    endedAt: null,
    bytes: 1,
    awaitingUpload: false,
  });
  const cases: [string, BufferRecording[], Partial<BufferInput>, RegExp][] = [
    [
      "start beyond the clock-skew allowance",
      [...base(), { ...live("r-future"), startedAt: at(6 * MINUTE) }],
      {},
      /^recording r-future: startedAt 2026-11-23T09:06:00.000Z is 6 minutes in the future \(clock skew allowed: 5 minutes\)$/,
    ],
    [
      "end beyond the clock-skew allowance",
      [...base(), ended("r-future", -10 * MINUTE)],
      {},
      /^recording r-future: endedAt 2026-11-23T09:10:00.000Z is 10 minutes in the future/,
    ],
    [
      "negative bytes",
      [ended("r-old", 30 * DAY, { bytes: -1 }), ended("r-new", DAY)],
      {},
      /^recording r-old: bytes is -1; must be a whole number >= 0$/,
    ],
    [
      "fractional bytes",
      [...base(), ended("r-x", DAY, { bytes: 1.5 })],
      {},
      /^recording r-x: bytes is 1.5;/,
    ],
    [
      "NaN bytes",
      [...base(), ended("r-x", DAY, { bytes: NaN })],
      {},
      /^recording r-x: bytes is NaN;/,
    ],
    [
      "a start that is not a date",
      [...base(), ended("r-x", DAY, { startedAt: "yesterday" })],
      {},
      /^recording r-x: startedAt "yesterday" is not an ISO 8601 date-time$/,
    ],
    [
      "an end that is not a date",
      [...base(), ended("r-x", DAY, { endedAt: "2026-13-45T00:00:00Z" })],
      {},
      /^recording r-x: endedAt "2026-13-45T00:00:00Z" is not an ISO 8601 date-time or null$/,
    ],
    [
      "a date without a time zone",
      [...base(), ended("r-x", DAY, { startedAt: "2026-11-20T09:00:00" })],
      {},
      /^recording r-x: startedAt "2026-11-20T09:00:00" is not an ISO 8601 date-time$/,
    ],
    [
      "an end before the start",
      [...base(), ended("r-x", DAY, { startedAt: at(-DAY + MINUTE) })],
      {},
      /^recording r-x: endedAt 2026-11-22T09:00:00.000Z is before startedAt 2026-11-22T09:01:00.000Z$/,
    ],
    [
      "a duplicate recordingId",
      [...base(), ended("r-old", 2 * DAY)],
      {},
      /^recording r-old: appears more than once in the index$/,
    ],
    [
      "two recordings in progress",
      [...base(), live("r-a"), live("r-b")],
      {},
      /^recordings r-a, r-b: more than one is in progress$/,
    ],
    [
      "a missing recordingId",
      [...base(), ended("", DAY)],
      {},
      /^recordings\[2\]: recordingId is missing$/,
    ],
    [
      "bufferDays 0",
      base(),
      { bufferDays: 0 },
      /^bufferDays: is 0; must be a whole number from 1 to 14$/,
    ],
    ["bufferDays 15", base(), { bufferDays: 15 }, /^bufferDays: is 15;/],
    ["bufferDays 7.5", base(), { bufferDays: 7.5 }, /^bufferDays: is 7.5;/],
    ["an invalid clock", base(), { now: new Date("nope") }, /^now: is not a valid date$/],
    [
      "negative free space",
      base(),
      { freeBytes: -5 },
      /^freeBytes: is -5; must be a whole number >= 0$/,
    ],
    [
      "every problem at once",
      [ended("r-x", DAY, { bytes: -1 }), ended("r-x", DAY)],
      { bufferDays: 0 },
      /^bufferDays: is 0;.*; recording r-x: bytes is -1;.*; recording r-x: appears more than once/,
    ],
  ];
  for (const [what, recordings, over, message] of cases) {
    let plan: ReturnType<typeof planBuffer> | undefined;
    t.doesNotThrow(() => (plan = planBuffer(input(recordings, { ...tight, ...over }))), what);
    if (plan === undefined) continue;
    t.same(plan.delete, [], `${what}: deletes nothing`);
    t.match(plan.problem, message, what);
    t.equal(plan.refuseRecording, true, `${what}: no space can be made, so recording is refused`);
    t.equal(plan.refusal, "buffer-index-problem", what);
  }

  const roomy = planBuffer(input([...base(), ended("r-x", DAY, { bytes: -1 })]));
  t.same(roomy.delete, [], "not even retention runs on a wrong index");
  t.equal(roomy.refuseRecording, false, "with enough free space, recording may go on");

  const skew = planBuffer(input([...base(), { ...live("r-skew"), startedAt: at(5 * MINUTE) }]));
  t.equal(skew.problem, null, "a start within the 5-minute skew allowance is fine");
});

void t.test(
  "a caller's reason to distrust the index deletes nothing and is reported",
  async (t) => {
    const reason = "the buffer index and its folders disagree";
    const expired = [ended("r-old", 30 * DAY), ended("r-new", DAY)];
    const cases: [string, Partial<BufferInput>, boolean][] = [
      // what, input, recording refused
      ["room to spare", { freeBytes: 1_000, neededBytes: 500 }, false],
      ["exactly enough room", { freeBytes: 500, neededBytes: 500 }, false],
      ["too little room", { freeBytes: 499, neededBytes: 500 }, true],
    ];
    for (const [what, over, refused] of cases) {
      const trusted = planBuffer(input(expired, over));
      t.ok(trusted.delete.length > 0, `${what}: without the reason, footage would go`);
      const plan = planBuffer(input(expired, { ...over, distrust: reason }));
      t.same(plan.delete, [], `${what}: nothing is deleted, not even by retention`);
      t.equal(plan.problem, reason, `${what}: the reason is the problem`);
      t.equal(plan.refuseRecording, refused, what);
      t.equal(plan.refusal, refused ? "buffer-index-problem" : null, what);
      t.equal(plan.freeBytesAfter, over.freeBytes, `${what}: free space unchanged`);
    }

    const both = planBuffer(input([ended("r-x", DAY, { bytes: -1 })], { distrust: reason }));
    t.match(
      both.problem,
      /^the buffer index and its folders disagree; recording r-x: bytes is -1;/,
    );

    const none = planBuffer(input(expired, { distrust: null }));
    t.equal(none.problem, null, "a null reason is no reason");
    t.same(ids(none), ["r-old:retention"]);
  },
);

void t.test("invariants hold over seeded random buffers", async (t) => {
  const random = seeded(20261123);
  const int = (max: number) => Math.floor(random() * (max + 1));
  let refusals = 0;
  let overwrites = 0;
  for (let run = 0; run < 400; run += 1) {
    const recordings: BufferRecording[] = [];
    const count = int(12);
    for (let i = 0; i < count; i += 1) {
      const startAgo = int(20 * DAY);
      const inProgress = i === 0 && random() < 0.3;
      recordings.push({
        recordingId: `r${run}-${i}`,
        startedAt: at(-startAgo),
        endedAt: inProgress ? null : at(-startAgo + int(Math.min(startAgo, 2 * HOUR))),
        bytes: int(1000),
        awaitingUpload: random() < 0.2,
      });
    }
    const holds = recordings.filter(() => random() < 0.2).map((r) => r.recordingId);
    const scenario = input(recordings, {
      holds,
      bufferDays: 1 + int(13),
      freeBytes: int(2000),
      neededBytes: int(6000),
    });
    const what = `run ${run}`;
    const plan = planBuffer(scenario);
    if (plan.problem !== null) {
      t.fail(`${what}: unexpected problem ${plan.problem}`);
      continue;
    }
    const byId = new Map(recordings.map((r) => [r.recordingId, r]));
    const deleted = plan.delete.map((d) => byId.get(d.recordingId));
    if (deleted.some((r) => r === undefined || isProtected(r, holds))) {
      t.fail(`${what}: deletes protected or unknown footage`);
    }
    if (new Set(plan.delete.map((d) => d.recordingId)).size !== plan.delete.length) {
      t.fail(`${what}: deletes a recording twice`);
    }
    const unprotectedBytes = recordings
      .filter((r) => !isProtected(r, holds))
      .reduce((sum, r) => sum + r.bytes, 0);
    const hopeless = scenario.freeBytes + unprotectedBytes < scenario.neededBytes;
    if (plan.refuseRecording !== hopeless)
      t.fail(`${what}: refuseRecording is ${plan.refuseRecording}`);
    if (plan.refuseRecording && plan.delete.some((d) => d.reason === "overwrite")) {
      t.fail(`${what}: overwrites footage although recording is refused anyway`);
    }
    const freed = deleted.reduce((sum, r) => sum + (r?.bytes ?? 0), 0);
    if (plan.freeBytesAfter !== scenario.freeBytes + freed)
      t.fail(`${what}: freeBytesAfter is wrong`);
    const reasons = plan.delete.map((d) => d.reason).join(",");
    if (/overwrite,retention/.test(reasons)) t.fail(`${what}: retention after overwrite`);
    const last = plan.delete.at(-1);
    const lastBytes = byId.get(last?.recordingId ?? "")?.bytes ?? 0;
    if (
      last?.reason === "overwrite" &&
      !plan.refuseRecording &&
      plan.freeBytesAfter - lastBytes >= scenario.neededBytes
    ) {
      t.fail(`${what}: overwrote more than needed`);
    }
    if (plan.refuseRecording) refusals += 1;
    if (reasons.includes("overwrite")) overwrites += 1;
  }
  t.ok(refusals > 20, `refusals exercised (${refusals})`);
  t.ok(overwrites > 20, `overwrites exercised (${overwrites})`);
});
