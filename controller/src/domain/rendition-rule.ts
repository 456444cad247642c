/**
 * Who sees which copy of footage, as one pure decision: the owner and an
 * investigation opened under the existing rule see the original; everyone
 * else whom `decide()` (or `decideClip()`) lets view it — a share, an
 * assignment's mentor, staff asked to agree to a clip, a colleague watching a
 * bank clip — and every subject-access export sees the anonymised copy with
 * every face blurred, unless the school turned blurring off (colleagues only),
 * or the owner shared an unblurred copy with this colleague where the policy
 * allows it.
 */
import type { AccessDecision, Person, RecordingAccess } from "./access.js";

export type Copy = "original" | "anonymised";

/**
 * Why footage is being seen: `decide()`'s basis for viewing it, a clip in the
 * exemplar bank (`decideClip()`), or a subject-access export made by the DPO.
 */
export type ViewingBasis =
  Extract<AccessDecision, { allowed: true }>["basis"] | "bank" | "subject-access";

/** The policy's anonymity settings (domain/policy.ts). */
export interface AnonymityPolicy {
  /** Faces are blurred for everyone but the owner (default: on). */
  blurFaces: boolean;
  /** An owner may share an unblurred copy with a named colleague (default: off; audited). */
  ownerMayShareUnblurred: boolean;
}

/**
 * The ways a colleague other than the owner comes to watch footage. Staff
 * asked to agree to a clip entering the bank are among them, not beside the
 * owner: they were in the room, but what they agree to is the copy their
 * colleagues will watch, so that is the copy they judge — and the pupils'
 * faces are no more theirs to take away than any colleague's.
 */
const COLLEAGUE_BASES: readonly ViewingBasis[] = ["share", "assignment", "staff", "bank"];

export const DEFAULT_ANONYMITY: AnonymityPolicy = {
  blurFaces: true,
  ownerMayShareUnblurred: false,
};

/**
 * Which copy a viewer gets. `unblurredShare`: the viewer's share was made
 * unblurred by the owner (honoured only while the policy allows it).
 */
export function copyFor(
  basis: ViewingBasis,
  policy: AnonymityPolicy,
  unblurredShare = false,
): Copy {
  if (basis === "owner" || basis === "investigation") return "original";
  // the school turned blurring off: colleagues see footage as recorded, however it reached them
  if (!policy.blurFaces && COLLEAGUE_BASES.includes(basis)) return "original";
  if (basis === "share") {
    return unblurredShare && policy.ownerMayShareUnblurred ? "original" : "anonymised";
  }
  // every other way of seeing footage (an assignment's mentor, a bank clip, an export), and
  // any basis added later, sees no face. A subject-access export goes to someone outside the
  // school about one person: other pupils' faces in it are third parties' data, blurred
  // whatever the school chose for its own staff
  return "anonymised";
}

/** Whether `person`'s share of the recording in force now was made unblurred by the owner. Pure. */
export function sharedUnblurred(person: Person, recording: RecordingAccess, now: Date): boolean {
  return recording.shares.some(
    (share) =>
      share.withId === person.id &&
      !share.revoked &&
      share.unblurred === true &&
      (share.expiresAt === null || Date.parse(share.expiresAt) > now.getTime()),
  );
}
