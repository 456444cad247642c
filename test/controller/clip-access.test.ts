/** decideClip(): who may watch, offer, consent to, withdraw and download a clip, one row per case. */
import t from "tap";
import type { Person, RecordingAccess, Role } from "../../controller/src/domain/access.js";
import {
  decideClip,
  type ClipAccess,
  type ClipAction,
} from "../../controller/src/domain/clip-access.js";

const NOW = new Date("2026-11-23T12:00:00Z");
const person = (id: string, ...roles: Role[]): Person => ({ id, roles });
const recording: RecordingAccess = {
  ownerId: "owner",
  staff: ["owner", "ta"],
  onHold: false,
  shares: [{ withId: "shared", expiresAt: null, revoked: false }],
  investigations: [{ openedBy: "slt", reason: "a concern raised by a parent", closed: false }],
  assignedTo: [],
};
const clip = (inBank: boolean, awaitingConsent = false): ClipAccess => ({
  ownerId: "owner",
  staff: ["owner", "ta"],
  inBank,
  awaitingConsent,
  assignedTo: ["mentor"],
  recording,
});

const CASES: [string, Person, ClipAction, boolean, string | RegExp][] = [
  ["the owner watches", person("owner", "teacher"), "view", false, "owner"],
  [
    "whom the recording is shared with watches",
    person("shared", "teacher"),
    "view",
    false,
    "share",
  ],
  ["SLT investigating the recording watches", person("slt", "slt"), "view", false, "investigation"],
  [
    "the mentor whose assignment it answers watches",
    person("mentor", "coach"),
    "view",
    false,
    "assignment",
  ],
  [
    "a colleague before the bank is refused",
    person("other", "teacher"),
    "view",
    false,
    /need-to-know/,
  ],
  ["a colleague watches it in the bank", person("other", "teacher"), "view", true, "bank"],
  ["a coach watches it in the bank", person("c2", "coach"), "view", true, "bank"],
  ["the headteacher watches it in the bank", person("h", "headteacher"), "view", true, "bank"],
  ["the Bursar never, even in the bank", person("b", "bursar"), "view", true, /never see footage/],
  ["IT never", person("it", "it"), "view", true, /never see footage/],
  ["the DPO never", person("dpo", "dpo"), "view", true, /never see footage/],
  ["an administrator never", person("admin", "admin"), "view", true, /never see footage/],
  ["the owner gives feedback on the clip", person("owner", "teacher"), "feedback", false, "owner"],
  [
    "the mentor whose assignment it answers gives feedback",
    person("mentor", "coach"),
    "feedback",
    false,
    "assignment",
  ],
  [
    "whom the recording is shared with gives none on the clip",
    person("shared", "teacher"),
    "feedback",
    false,
    /owner and whoever set an assignment/,
  ],
  [
    "nor a colleague watching it in the bank",
    person("other", "teacher"),
    "feedback",
    true,
    /owner and whoever set an assignment/,
  ],
  ["nor the Bursar", person("b", "bursar"), "feedback", true, /owner and whoever set/],
  ["the owner offers", person("owner", "teacher"), "offer", false, "owner"],
  [
    "another teacher cannot offer",
    person("ta", "teacher"),
    "offer",
    false,
    /only the clip's owner/,
  ],
  ["staff on the booking consent", person("ta", "teacher"), "consent", false, "staff"],
  [
    "someone not on the booking cannot",
    person("other", "teacher"),
    "consent",
    false,
    /only the staff/,
  ],
  ["the owner withdraws", person("owner", "teacher"), "withdraw", true, "owner"],
  ["SLT withdraws", person("s", "slt"), "withdraw", true, "leadership"],
  ["a colleague cannot withdraw", person("other", "teacher"), "withdraw", true, /owner or SLT/],
  ["nobody downloads", person("owner", "teacher"), "download", true, /cannot be downloaded/],
];

void t.test(
  "staff in the lesson watch what they are asked to agree to, and only then",
  async (t) => {
    const ta = person("ta", "teacher");
    t.same(decideClip(ta, "view", clip(false, true), NOW), { allowed: true, basis: "staff" });
    t.match(decideClip(ta, "view", clip(false, false), NOW), { allowed: false });
    t.match(decideClip(person("other", "teacher"), "view", clip(false, true), NOW), {
      allowed: false,
    });
  },
);

for (const [name, who, action, inBank, expected] of CASES) {
  void t.test(name, async (t) => {
    const decision = decideClip(who, action, clip(inBank), NOW);
    if (typeof expected === "string") t.same(decision, { allowed: true, basis: expected });
    else t.match(decision, { allowed: false, reason: expected });
  });
}
