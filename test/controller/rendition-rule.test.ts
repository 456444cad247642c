// Who sees which copy of footage (domain/rendition-rule.ts), as a table: the
// owner and an investigation see the original; a share sees faces blurred
// unless the school turned blurring off, or the owner shared unblurred where
// the policy allows it.
import t from "tap";
import {
  copyFor,
  DEFAULT_ANONYMITY,
  sharedUnblurred,
  type AnonymityPolicy,
  type Copy,
  type ViewingBasis,
} from "../../controller/src/domain/rendition-rule.js";

const on = DEFAULT_ANONYMITY;
const off: AnonymityPolicy = { blurFaces: false, ownerMayShareUnblurred: false };
const unblurredAllowed: AnonymityPolicy = { blurFaces: true, ownerMayShareUnblurred: true };

const TABLE: [ViewingBasis, AnonymityPolicy, boolean, Copy, string][] = [
  ["owner", on, false, "original", "the owner sees their own footage as it is"],
  [
    "investigation",
    on,
    false,
    "original",
    "an investigation under the existing rule sees it as it is",
  ],
  [
    "share",
    on,
    false,
    "anonymised",
    "a colleague it is shared with sees faces blurred (the default)",
  ],
  [
    "share",
    on,
    true,
    "anonymised",
    "an unblurred share is not honoured while the policy forbids it",
  ],
  ["share", unblurredAllowed, true, "original", "an unblurred share where the policy allows it"],
  [
    "share",
    unblurredAllowed,
    false,
    "anonymised",
    "an ordinary share stays blurred when unblurred ones are allowed",
  ],
  ["share", off, false, "original", "the school turned blurring off"],
  ["owner", off, false, "original", "the owner, with blurring off"],
  ["assignment", on, false, "anonymised", "the mentor who set an assignment sees faces blurred"],
  ["assignment", off, false, "original", "the mentor, with blurring off"],
  ["staff", off, false, "original", "staff asked to agree to a clip, with blurring off"],
  ["metadata", off, false, "anonymised", "blurring off does not make a non-footage basis one"],
  ["metadata", on, false, "anonymised", "a basis that is not for footage never gets the original"],
  [
    "leadership",
    on,
    false,
    "anonymised",
    "leadership without an investigation never gets the original",
  ],
  [
    "staff",
    unblurredAllowed,
    true,
    "anonymised",
    "staff in the lesson are not a basis for the original",
  ],
  ["bank", on, false, "anonymised", "a colleague watching a bank clip sees faces blurred"],
  ["bank", unblurredAllowed, true, "anonymised", "a bank clip is never an unblurred share"],
  ["bank", off, false, "original", "a bank clip, with blurring off"],
  [
    "subject-access",
    on,
    false,
    "anonymised",
    "a subject-access export blurs the faces of everyone in it",
  ],
  [
    "subject-access",
    off,
    false,
    "anonymised",
    "an export leaves the school: other pupils' faces stay blurred even with blurring off",
  ],
  ["subject-access", unblurredAllowed, true, "anonymised", "an export is never an unblurred share"],
];

void t.test("which copy each viewer gets", async (t) => {
  for (const [basis, policy, unblurred, expected, why] of TABLE) {
    t.equal(copyFor(basis, policy, unblurred), expected, why);
  }
});

void t.test("an unblurred share is the viewer's own, in force", async (t) => {
  const now = new Date("2026-11-23T12:00:00Z");
  const share = { withId: "teacher-b", expiresAt: null, revoked: false, unblurred: true };
  const recording = {
    ownerId: "teacher-a",
    staff: ["teacher-a"],
    onHold: false,
    shares: [share],
    investigations: [],
    assignedTo: [],
  };
  const b = { id: "teacher-b", roles: ["teacher"] as const };
  t.equal(sharedUnblurred(b, recording, now), true, "the colleague it was shared with unblurred");
  t.equal(sharedUnblurred({ id: "teacher-c", roles: ["teacher"] }, recording, now), false);
  const withdrawn = { ...recording, shares: [{ ...share, revoked: true }] };
  t.equal(sharedUnblurred(b, withdrawn, now), false, "not once it is withdrawn");
  const expired = { ...recording, shares: [{ ...share, expiresAt: "2026-11-23T11:00:00Z" }] };
  t.equal(sharedUnblurred(b, expired, now), false, "nor once it has expired");
  const plain = { ...recording, shares: [{ ...share, unblurred: false }] };
  t.equal(sharedUnblurred(b, plain, now), false, "an ordinary share is not");
});
