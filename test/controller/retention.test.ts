// Retention with a fake clock: table-driven rules, then a term simulated day
// by day with holds, consents (archives), exemplars and owners' deletions.
import t from "tap";
import {
  DEFAULT_RETENTION,
  deletionDue,
  planSweep,
  type RetainedRecording,
  type RetentionPolicy,
} from "../../controller/src/domain/retention.js";
import { seeded } from "../helpers/events.js";
import { testSeed } from "../helpers/env.js";

const DAY = 24 * 60 * 60 * 1000;
const START = Date.parse("2026-09-01T16:00:00.000Z");
const day = (n: number) => new Date(START + n * DAY);

const recording = (over: Partial<RetainedRecording> = {}): RetainedRecording => ({
  recordingId: "r1",
  deviceId: "room-1",
  endedAt: day(0).toISOString(),
  onHold: false,
  archive: null,
  deletionRequestedAt: null,
  onDevice: true,
  onController: false,
  ...over,
});

void t.test("what is due, and why", async (t) => {
  const rows: [string, Partial<RetainedRecording>, number, string | null][] = [
    ["buffer footage before its 7 days", {}, 6.99, null],
    ["buffer footage at the instant its 7 days end (kept, as on the box)", {}, 7, null],
    ["buffer footage just past its 7 days", {}, 7 + 1 / 86_400_000, "buffer-retention"],
    ["in progress, however long", { endedAt: null }, 30, null],
    ["held, however old", { onHold: true }, 400, null],
    [
      "held, even if the owner asked to delete",
      { onHold: true, deletionRequestedAt: day(1).toISOString() },
      2,
      null,
    ],
    [
      "the owner asked to delete",
      { deletionRequestedAt: day(1).toISOString() },
      1,
      "owner-request",
    ],
    [
      "archived, within two years",
      { archive: { archivedAt: day(1).toISOString(), exemplar: false } },
      730,
      null,
    ],
    [
      "archived, two years on",
      { archive: { archivedAt: day(1).toISOString(), exemplar: false } },
      731,
      "archive-retention",
    ],
    [
      "an exemplar, years on",
      { archive: { archivedAt: day(1).toISOString(), exemplar: true } },
      5000,
      null,
    ],
    [
      "an exemplar the owner deletes",
      {
        archive: { archivedAt: day(1).toISOString(), exemplar: true },
        deletionRequestedAt: day(9).toISOString(),
      },
      10,
      "owner-request",
    ],
  ];
  for (const [what, over, days, due] of rows) {
    t.equal(deletionDue(recording(over), DEFAULT_RETENTION, day(days)), due, what);
  }
});

void t.test("the sweep deletes each copy that is due, where it is", async (t) => {
  const plan = planSweep(
    [
      recording({ recordingId: "expired", onController: true }),
      recording({ recordingId: "fresh", endedAt: day(5).toISOString() }),
      recording({
        recordingId: "archived",
        archive: { archivedAt: day(1).toISOString(), exemplar: false },
        onController: true,
      }),
      recording({
        recordingId: "awaiting-upload",
        archive: { archivedAt: day(1).toISOString(), exemplar: false },
        onController: false,
      }),
      recording({ recordingId: "held", onHold: true, onController: true }),
    ],
    DEFAULT_RETENTION,
    day(8),
  );
  t.same(plan.controller, [{ recordingId: "expired", reason: "buffer-retention" }]);
  t.same(
    plan.devices,
    [
      { recordingId: "expired", deviceId: "room-1", reason: "buffer-retention" },
      { recordingId: "archived", deviceId: "room-1", reason: "buffer-retention" },
    ],
    "the archive's device copy goes once uploaded; one awaiting upload stays",
  );
});

void t.test("a term, day by day: nothing protected is deleted, everything due is", async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed}`);
  const random = seeded(seed);
  const policy: RetentionPolicy = { bufferDays: 7, archiveDays: 30 };
  const live = new Map<string, RetainedRecording>();
  const problems: string[] = [];
  const seen = { deletions: 0, holds: 0, archives: 0, exemplars: 0, ownerDeletes: 0 };
  let next = 0;

  for (let n = 0; n < 120; n += 1) {
    const now = day(n);
    const weekday = now.getUTCDay() !== 0 && now.getUTCDay() !== 6;
    // today's lessons
    for (const deviceId of ["room-1", "room-2", "room-3"]) {
      const lessons = weekday && n < 75 ? Math.floor(random() * 3) : 0;
      for (let i = 0; i < lessons; i += 1) {
        const id = `r${next++}`;
        live.set(
          id,
          recording({
            recordingId: id,
            deviceId,
            endedAt: new Date(now.getTime() - 3600_000).toISOString(),
          }),
        );
      }
    }
    // what people do with them
    for (const r of live.values()) {
      const roll = random();
      if (roll < 0.01) {
        r.onHold = !r.onHold;
        if (r.onHold) seen.holds += 1;
      } else if (roll < 0.04 && r.archive === null && r.onDevice) {
        // everyone consented; the upload lands the same day
        r.archive = { archivedAt: now.toISOString(), exemplar: random() < 0.2 };
        r.onController = true;
        seen.archives += 1;
        if (r.archive.exemplar) seen.exemplars += 1;
      } else if (roll < 0.05 && r.archive?.exemplar === true) {
        r.archive = { ...r.archive, exemplar: false }; // released from the exemplar bank
      } else if (roll < 0.055 && r.deletionRequestedAt === null) {
        r.deletionRequestedAt = now.toISOString();
        seen.ownerDeletes += 1;
      }
    }
    // the nightly sweep, applied
    const plan = planSweep([...live.values()], policy, now);
    const deletions = [
      ...plan.controller.map((d) => ({ ...d, where: "controller" })),
      ...plan.devices.map((d) => ({ ...d, where: "device" })),
    ];
    for (const { recordingId, reason, where } of deletions) {
      const r = live.get(recordingId);
      if (!r) {
        problems.push(`day ${n}: ${recordingId} deleted twice`);
        continue;
      }
      if (r.onHold) problems.push(`day ${n}: held ${recordingId} deleted on the ${where}`);
      // an exemplar's device copy may go once uploaded; the archive copy stays
      if (r.archive?.exemplar === true && where === "controller" && reason !== "owner-request") {
        problems.push(`day ${n}: exemplar ${recordingId} deleted from the archive`);
      }
      if (r.endedAt === null) problems.push(`day ${n}: ${recordingId} deleted while in progress`);
      if (
        reason === "buffer-retention" &&
        Date.parse(r.endedAt ?? "") + policy.bufferDays * DAY > now.getTime()
      ) {
        problems.push(`day ${n}: ${recordingId} deleted before its ${policy.bufferDays} days`);
      }
      if (
        reason === "archive-retention" &&
        Date.parse(r.archive?.archivedAt ?? "") + policy.archiveDays * DAY > now.getTime()
      ) {
        problems.push(`day ${n}: archive ${recordingId} deleted early`);
      }
    }
    for (const { recordingId } of plan.controller) {
      const r = live.get(recordingId);
      if (r) r.onController = false;
    }
    for (const { recordingId } of plan.devices) {
      const r = live.get(recordingId);
      if (r) r.onDevice = false;
    }
    for (const [id, r] of live) {
      if (!r.onDevice && !r.onController) {
        live.delete(id);
        seen.deletions += 1;
      }
    }
    // after the sweep nothing that was due is left anywhere
    for (const r of live.values()) {
      const due = deletionDue(r, policy, now);
      if (due !== null)
        problems.push(`day ${n}: ${r.recordingId} still kept although due (${due})`);
    }
  }
  t.same(problems, [], "no rule broken on any day");
  t.ok(
    seen.deletions > 50 &&
      seen.holds > 0 &&
      seen.archives > 0 &&
      seen.exemplars > 0 &&
      seen.ownerDeletes > 0,
    `the term exercised every rule: ${JSON.stringify(seen)}`,
  );
});
