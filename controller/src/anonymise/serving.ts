/**
 * The footage routes' view of the anonymiser: which copy a viewer gets (the
 * policy's anonymity settings through `rendition-rule.ts`), and the copy with
 * faces blurred when it is theirs.
 */
import type { AnonymisedFootage } from "../domain/footage-viewing.js";
import type { PolicyStore } from "../domain/policy.js";
import { copyFor, type Copy, type ViewingBasis } from "../domain/rendition-rule.js";
import type { Anonymiser } from "./anonymiser.js";

export class FaceBlurring implements AnonymisedFootage {
  constructor(
    private readonly policy: Pick<PolicyStore, "get">,
    private readonly anonymiser: Anonymiser,
  ) {}

  async copyFor(basis: ViewingBasis): Promise<Copy> {
    return copyFor(basis, (await this.policy.get()).anonymity);
  }

  playlist(recordingId: string): Promise<string> {
    return this.anonymiser.playlist(recordingId);
  }

  segment(recordingId: string, name: string): Promise<string> {
    return this.anonymiser.segment(recordingId, name);
  }
}
