/**
 * The footage routes' view of the anonymiser: which copy a viewer gets (the
 * policy's anonymity settings through `rendition-rule.ts`), and the copy with
 * faces blurred when it is theirs — of a recording, or of a clip (made from
 * the clip's own footage, so a clip kept in the bank outlives its recording).
 */
import type { BlurredClips } from "../domain/clips.js";
import type { AnonymisedFootage } from "../domain/footage-viewing.js";
import type { PolicyStore } from "../domain/policy.js";
import { copyFor, type Copy, type ViewingBasis } from "../domain/rendition-rule.js";
import type { BlurredForExport } from "../domain/privacy/dpo-export.js";
import type { FootageSource } from "../domain/footage-source.js";
import type { Anonymiser, RenditionStatus } from "./anonymiser.js";

export class FaceBlurring implements AnonymisedFootage, BlurredForExport {
  constructor(
    private readonly policy: Pick<PolicyStore, "get">,
    private readonly anonymiser: Anonymiser,
  ) {}

  async copyFor(basis: ViewingBasis, unblurredShare = false): Promise<Copy> {
    return copyFor(basis, (await this.policy.get()).anonymity, unblurredShare);
  }

  playlist(recordingId: string): Promise<string> {
    return this.anonymiser.playlist(recordingId);
  }

  segment(recordingId: string, name: string): Promise<string> {
    return this.anonymiser.segment(recordingId, name);
  }

  key(recordingId: string): Promise<Buffer> {
    return this.anonymiser.key(recordingId);
  }

  /** Asks for the recording's copy (again, if it failed): how far it is (a subject-access export). */
  want(recordingId: string): Promise<RenditionStatus> {
    return this.anonymiser.want(recordingId);
  }

  /** Opens the recording's copy, once made, for ffmpeg (a subject-access export). */
  open(recordingId: string): Promise<FootageSource> {
    return this.anonymiser.openCopy(recordingId);
  }

  /** The same rule, for clips: their own copies with faces blurred. */
  readonly clips: BlurredClips = {
    copyFor: (basis, unblurredShare) => this.copyFor(basis, unblurredShare),
    playlist: (clipId) => this.anonymiser.playlist(clipId, "clip"),
    segment: (clipId, name) => this.anonymiser.segment(clipId, name, "clip"),
    forget: (clipId) => this.anonymiser.remove(clipId, "clip"),
    key: (clipId) => this.anonymiser.key(clipId, "clip"),
  };
}
