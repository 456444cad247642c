/** clipKeptBecause(): why a clip's footage is kept, or that it goes now, one row per case. */
import t from "tap";
import { clipKeptBecause, type RetainedClip } from "../../controller/src/domain/clip-retention.js";

const clip = (over: Partial<RetainedClip>): RetainedClip => ({
  bankState: "none",
  answersAssignment: false,
  recordingDeleted: false,
  ...over,
});

const CASES: [string, RetainedClip, string | null][] = [
  [
    "in the bank: kept",
    clip({ bankState: "in-bank", recordingDeleted: true }),
    "it is in the exemplar bank",
  ],
  [
    "waiting for consent: kept",
    clip({ bankState: "awaiting-consent" }),
    "it is waiting for consent to enter the bank",
  ],
  ["withdrawn: goes", clip({ bankState: "withdrawn" }), null],
  [
    "withdrawn but answering an assignment: kept",
    clip({ bankState: "withdrawn", answersAssignment: true }),
    "it answers a coaching assignment",
  ],
  [
    "never offered: kept with its recording",
    clip({}),
    "its owner keeps it with the recording it was cut from",
  ],
  ["never offered, recording deleted: goes", clip({ recordingDeleted: true }), null],
  [
    "declined, recording deleted: goes",
    clip({ bankState: "declined", recordingDeleted: true }),
    null,
  ],
  [
    "declined, recording kept: kept",
    clip({ bankState: "declined" }),
    "its owner keeps it with the recording it was cut from",
  ],
  [
    "recording deleted but answering an assignment: kept",
    clip({ recordingDeleted: true, answersAssignment: true }),
    "it answers a coaching assignment",
  ],
];

for (const [name, facts, expected] of CASES) {
  void t.test(name, async (t) => {
    t.equal(clipKeptBecause(facts), expected);
  });
}
