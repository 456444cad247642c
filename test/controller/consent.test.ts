// Consent to keep a recording as one pure rule: everyone on the booking
// agrees; one decline (or a withdrawal, which is a decline after agreeing)
// cancels. One row per case.
import t from "tap";
import {
  archiveVerdict,
  type ArchiveVerdict,
  type ConsentDecision,
} from "../../controller/src/domain/consent.js";

const agree = (userId: string): ConsentDecision => ({ userId, decision: "agree" });
const decline = (userId: string): ConsentDecision => ({ userId, decision: "decline" });

const rows: [string, string[], ConsentDecision[], ArchiveVerdict][] = [
  ["nobody has decided", ["a", "b"], [], { verdict: "waiting", pending: ["a", "b"] }],
  [
    "the owner agreed with the request",
    ["a", "b"],
    [agree("a")],
    { verdict: "waiting", pending: ["b"] },
  ],
  ["everyone agreed", ["a", "b"], [agree("a"), agree("b")], { verdict: "archive" }],
  ["a lone teacher agreed", ["a"], [agree("a")], { verdict: "archive" }],
  [
    "one declined",
    ["a", "b", "c"],
    [agree("a"), decline("b")],
    { verdict: "cancelled", declinedBy: ["b"] },
  ],
  [
    "one declined before anyone agreed",
    ["a", "b"],
    [decline("b")],
    { verdict: "cancelled", declinedBy: ["b"] },
  ],
  [
    "everyone else agreed, one declined",
    ["a", "b"],
    [agree("a"), decline("b")],
    { verdict: "cancelled", declinedBy: ["b"] },
  ],
  [
    "an agreement withdrawn",
    ["a", "b"],
    [agree("a"), agree("b"), decline("b")],
    { verdict: "cancelled", declinedBy: ["b"] },
  ],
  [
    "a decline changed to agree (the later word counts)",
    ["a", "b"],
    [agree("a"), decline("b"), agree("b")],
    { verdict: "archive" },
  ],
  [
    "two declined",
    ["a", "b", "c"],
    [decline("c"), decline("a")],
    { verdict: "cancelled", declinedBy: ["a", "c"] },
  ],
  [
    "someone not on the booking agreed",
    ["a", "b"],
    [agree("a"), agree("x")],
    { verdict: "waiting", pending: ["b"] },
  ],
  [
    "someone not on the booking declined",
    ["a"],
    [agree("a"), decline("x")],
    { verdict: "archive" },
  ],
  ["a member of staff listed twice", ["a", "a"], [agree("a")], { verdict: "archive" }],
  ["no staff on the recording (nobody to ask)", [], [], { verdict: "archive" }],
];

void t.test("archiveVerdict: one row per rule", async (t) => {
  for (const [name, staff, decisions, expected] of rows) {
    t.same(archiveVerdict(staff, decisions), expected, name);
  }
});

void t.test("the verdict does not depend on the order staff are listed in", async (t) => {
  t.same(archiveVerdict(["b", "a"], []), { verdict: "waiting", pending: ["a", "b"] });
});
