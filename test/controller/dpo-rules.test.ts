// The DPO's powers over footage (domain/privacy/dpo-rules.ts), person by case.
import t from "tap";
import type { Person, RecordingAccess } from "../../controller/src/domain/access.js";
import {
  EXPORT_KEPT_DAYS,
  exportExpired,
  mayErase,
  mayExportForSubjectAccess,
} from "../../controller/src/domain/privacy/dpo-rules.js";

const NOW = new Date("2026-11-23T12:00:00.000Z");
const recording: RecordingAccess = {
  ownerId: "t.owner",
  staff: ["t.owner"],
  onHold: false,
  shares: [],
  investigations: [],
  assignedTo: [],
};
const held: RecordingAccess = { ...recording, onHold: true };
const person = (id: string, ...roles: Person["roles"]): Person => ({ id, roles });

const CASES: [string, Person, RecordingAccess, boolean, RegExp | null][] = [
  ["the DPO erases", person("d", "dpo"), recording, true, null],
  ["not while it is on hold", person("d", "dpo"), held, false, /on hold and cannot be deleted/],
  ["not the owner", person("t.owner", "teacher"), recording, false, /data protection officer/],
  ["not the headteacher", person("h", "headteacher"), recording, false, /data protection officer/],
  ["not IT", person("i", "it"), recording, false, /data protection officer/],
  ["a DPO who also teaches", person("d2", "teacher", "dpo"), recording, true, null],
];

void t.test("erasure", async (t) => {
  for (const [what, who, access, allowed, reason] of CASES) {
    const decision = mayErase(who, access, NOW);
    t.equal(decision.allowed, allowed, what);
    if (!decision.allowed && reason) t.match(decision.reason, reason, `${what}: says why`);
  }
});

void t.test("subject access export", async (t) => {
  t.ok(mayExportForSubjectAccess(person("d", "dpo")).allowed, "the DPO");
  for (const role of ["teacher", "slt", "headteacher", "it", "admin", "bursar"] as const) {
    const decision = mayExportForSubjectAccess(person("x", role));
    t.notOk(decision.allowed, role);
  }
});

const DAY = 86_400_000;
const MADE = new Date("2026-11-23T12:00:00.000Z");
const EXPIRY: [string, number, boolean][] = [
  ["just made", 0, false],
  ["a day on", DAY, false],
  ["a second before its last day ends", EXPORT_KEPT_DAYS * DAY - 1000, false],
  ["its last day over", EXPORT_KEPT_DAYS * DAY, true],
  ["long after", 30 * DAY, true],
  ["a clock set back before it was made", -DAY, false],
];

void t.test(`an export not taken away is kept ${EXPORT_KEPT_DAYS} days`, async (t) => {
  t.equal(EXPORT_KEPT_DAYS, 7, "a week to take it away");
  for (const [what, after, expired] of EXPIRY) {
    t.equal(exportExpired(MADE, new Date(MADE.getTime() + after)), expired, what);
  }
});
