// Who may do what to a recording: every kind of person against every action,
// including the cross-cases (another teacher, a coach re-sharing, the Bursar
// opening footage, an expired share).
import t from "tap";
import { COLLEAGUE_ROLES as OFFERED_ON_THE_DASHBOARD } from "../../controller/web/src/types.js";
import {
  COLLEAGUE_ROLES,
  MIN_INVESTIGATION_REASON,
  RECORDING_ACTIONS,
  ROLES,
  decide,
  mayBeSharedWith,
  type Person,
  type RecordingAccess,
  type RecordingAction,
} from "../../controller/src/domain/access.js";

const NOW = new Date("2026-11-23T12:00:00.000Z");
const recording: RecordingAccess = {
  ownerId: "t.owner",
  staff: ["t.owner", "t.staff"],
  onHold: false,
  shares: [
    { withId: "c.shared", expiresAt: "2026-11-30T00:00:00.000Z", revoked: false },
    { withId: "c.open-ended", expiresAt: null, revoked: false },
    { withId: "c.expired", expiresAt: "2026-11-23T11:59:59.999Z", revoked: false },
    { withId: "c.revoked", expiresAt: null, revoked: true },
    // shares that should never have been made (or whose holder's roles changed since)
    { withId: "b.shared", expiresAt: null, revoked: false },
    { withId: "i.shared", expiresAt: null, revoked: false },
    { withId: "d.shared", expiresAt: null, revoked: false },
    { withId: "a.shared", expiresAt: null, revoked: false },
    { withId: "b.teaching", expiresAt: null, revoked: false },
    { withId: "s.shared", expiresAt: null, revoked: false },
    { withId: "h.shared", expiresAt: null, revoked: false },
  ],
  investigations: [
    { openedBy: "s.investigating", reason: "complaint received on 20 November", closed: false },
    { openedBy: "s.closed", reason: "an earlier matter, now closed", closed: true },
  ],
  // the owner answered coaching assignments with it, set by these people
  assignedTo: ["c.assigner", "s.assigner", "b.assigner"],
};

const person = (id: string, ...roles: Person["roles"]): Person => ({ id, roles });

// Y = allowed, . = refused, in the order of RECORDING_ACTIONS:
// view, comment, share, request-archive, consent, delete, view-metadata,
// open-investigation (with a proper reason), place-hold, release-hold, download, cut-clip
const MATRIX: [string, Person, string][] = [
  ["the owner", person("t.owner", "teacher"), "YYYYYYY....Y"],
  [
    "another teacher (teacher A opening B's recording)",
    person("t.other", "teacher"),
    "............",
  ],
  ["staff in the recording, not the owner", person("t.staff", "teacher"), "....Y.Y....."],
  ["a coach it is shared with", person("c.shared", "coach"), "YY....Y....."],
  ["a coach with an open-ended share", person("c.open-ended", "coach"), "YY....Y....."],
  ["a coach whose share has expired", person("c.expired", "coach"), "............"],
  ["a coach whose share was withdrawn", person("c.revoked", "coach"), "............"],
  ["a coach it is not shared with", person("c.none", "coach"), "............"],
  // coaching: whoever set an assignment it answers watches and comments; nobody else by it
  ["the coach who set an assignment it answers", person("c.assigner", "coach"), "YY....Y....."],
  ["SLT who set an assignment it answers", person("s.assigner", "slt"), "YY....YYYY.."],
  [
    "a setter who is no longer a colleague (now only the Bursar)",
    person("b.assigner", "bursar"),
    "......Y.....",
  ],
  ["SLT without an investigation", person("s.lead", "slt"), "......YYYY.."],
  ["SLT with an open investigation", person("s.investigating", "slt"), "YY....YYYY.."],
  ["SLT whose investigation is closed", person("s.closed", "slt"), "......YYYY.."],
  ["the headteacher", person("h.head", "headteacher"), "......YYYY.."],
  ["the Bursar", person("b.bursar", "bursar"), "......Y....."],
  ["IT", person("i.tech", "it"), "......Y....."],
  ["the DPO", person("d.dpo", "dpo"), "......Y....."],
  ["an administrator", person("a.admin", "admin"), "......Y....."],
  ["someone with no role (there are no parent accounts)", person("p.parent"), "............"],
  // a share gives footage only to a colleague: the roles that see metadata never see footage
  ["the Bursar it is shared with", person("b.shared", "bursar"), "......Y....."],
  ["IT it is shared with", person("i.shared", "it"), "......Y....."],
  ["the DPO it is shared with", person("d.shared", "dpo"), "......Y....."],
  ["an administrator it is shared with", person("a.shared", "admin"), "......Y....."],
  [
    "a Bursar who also teaches, shared with (a colleague by that role)",
    person("b.teaching", "bursar", "teacher"),
    "YY....Y.....",
  ],
  ["SLT it is shared with (a colleague)", person("s.shared", "slt"), "YY....YYYY.."],
  ["the headteacher it is shared with", person("h.shared", "headteacher"), "YY....YYYY.."],
];

void t.test("every person against every action", async (t) => {
  for (const [who, someone, expected] of MATRIX) {
    RECORDING_ACTIONS.forEach((action: RecordingAction, index) => {
      const decision = decide(
        someone,
        action,
        recording,
        NOW,
        "a reason that is long enough to be read",
      );
      const want = expected[index] === "Y";
      t.equal(decision.allowed, want, `${who}: ${action}`);
      if (!decision.allowed) t.ok(decision.reason.length > 10, `${who}: ${action} says why`);
    });
  }
});

void t.test("refusals say why", async (t) => {
  const reason = (someone: Person, action: RecordingAction, access = recording, why = "") => {
    const decision = decide(someone, action, access, NOW, why);
    return decision.allowed ? "allowed" : decision.reason;
  };
  t.match(reason(person("c.shared", "coach"), "share"), /cannot be re-shared/);
  t.match(reason(person("c.expired", "coach"), "view"), /expired or was withdrawn/);
  t.match(reason(person("b.bursar", "bursar"), "view"), /need-to-know/);
  t.match(
    reason(person("s.lead", "slt"), "view"),
    /open an investigation with a written reason first/,
  );
  t.match(
    reason(person("t.owner", "teacher"), "delete", { ...recording, onHold: true }),
    /on hold/,
  );
  t.match(reason(person("t.owner", "teacher"), "download"), /cannot be downloaded/);
  t.match(
    reason(
      person("s.lead", "slt"),
      "open-investigation",
      recording,
      "x".repeat(MIN_INVESTIGATION_REASON - 1),
    ),
    new RegExp(`at least ${MIN_INVESTIGATION_REASON} characters`),
  );
  t.equal(
    reason(
      person("s.lead", "slt"),
      "open-investigation",
      recording,
      "x".repeat(MIN_INVESTIGATION_REASON),
    ),
    "allowed",
  );
});

void t.test("a share gives footage to colleagues only", async (t) => {
  const reason = (someone: Person, action: RecordingAction) => {
    const decision = decide(someone, action, recording, NOW);
    return decision.allowed ? "allowed" : decision.reason;
  };
  for (const role of ["bursar", "it", "dpo", "admin"] as const) {
    const holder = person(`${role[0] ?? ""}.shared`, role);
    t.match(
      reason(holder, "view"),
      /never see footage, even when it is shared with them/,
      `${role}: view refused whatever the share table says`,
    );
    t.match(reason(holder, "comment"), /never see footage/, `${role}: nor comment`);
    t.equal(reason(holder, "view-metadata"), "allowed", `${role}: the details stay theirs`);
  }
  // who may be offered a share: a colleague by one of their roles, and nobody else
  const offered = ROLES.filter((role) => mayBeSharedWith(person("x", role)).allowed);
  t.same(offered, ["teacher", "coach", "slt", "headteacher"]);
  t.ok(mayBeSharedWith(person("x", "it", "coach")).allowed, "IT who also coaches");
  const bursar = mayBeSharedWith(person("x", "bursar"));
  t.notOk(bursar.allowed);
  if (!bursar.allowed) {
    t.match(bursar.reason, /the Bursar, IT, the DPO and administrators never see footage/);
  }
  t.notOk(mayBeSharedWith(person("x")).allowed, "nor someone with no role");
  t.same(
    [...OFFERED_ON_THE_DASHBOARD],
    [...COLLEAGUE_ROLES],
    "the dashboard's share dialog offers the same roles",
  );
});

void t.test("a share runs until its expiry instant, not a moment longer", async (t) => {
  const share = { withId: "c.timed", expiresAt: "2026-11-23T12:00:00.000Z", revoked: false };
  const access = { ...recording, shares: [share] };
  const coach = person("c.timed", "coach");
  t.ok(decide(coach, "view", access, new Date("2026-11-23T11:59:59.999Z")).allowed);
  t.notOk(decide(coach, "view", access, new Date("2026-11-23T12:00:00.000Z")).allowed);
});

void t.test(
  "an assignment's setter watches on the assignment's basis, and only they",
  async (t) => {
    const basis = (someone: Person, access = recording) => {
      const decision = decide(someone, "view", access, NOW);
      return decision.allowed ? decision.basis : decision.reason;
    };
    t.equal(basis(person("c.assigner", "coach")), "assignment");
    t.match(basis(person("c.none", "coach")), /only its owner and whom the owner shares it with/);
    t.match(
      basis(person("c.assigner", "coach"), { ...recording, assignedTo: [] }),
      /need-to-know/,
      "nothing once no assignment names them",
    );
  },
);
