/**
 * Who sees which copy of footage, as one pure decision: the owner and an
 * investigation opened under the existing rule see the original; everyone
 * else whom `decide()` lets view it (a share today; later an assignment's
 * mentor, a bank clip, a subject-access export) sees the anonymised copy with
 * every face blurred — unless the school turned blurring off, or the owner
 * shared an unblurred copy with this colleague where the policy allows it.
 */
import type { AccessDecision } from "./access.js";

export type Copy = "original" | "anonymised";

/** Why footage is being seen: `decide()`'s basis for viewing it. */
export type ViewingBasis = Extract<AccessDecision, { allowed: true }>["basis"];

/** The policy's anonymity settings (domain/policy.ts). */
export interface AnonymityPolicy {
  /** Faces are blurred for everyone but the owner (default: on). */
  blurFaces: boolean;
  /** An owner may share an unblurred copy with a named colleague (default: off; audited). */
  ownerMayShareUnblurred: boolean;
}

/** The ways a colleague other than the owner comes to watch footage. */
const COLLEAGUE_BASES: readonly ViewingBasis[] = ["share", "assignment", "staff"];

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
  // any basis added later, sees no face
  return "anonymised";
}
