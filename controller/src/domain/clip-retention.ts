/**
 * How long a clip's footage is kept, as one pure rule: while it is in the
 * exemplar bank (or waiting for consent to enter it), and while it answers a
 * coaching assignment; a clip never offered is its owner's, kept with the
 * recording it was cut from. Withdrawn from the bank (or kept out of it by a
 * decline after the owner withdrew) and kept by nothing else, it goes.
 */
import type { BankState } from "./clip-rows.js";

export interface RetainedClip {
  bankState: BankState;
  /** Submitted as the answer to a coaching assignment. */
  answersAssignment: boolean;
  /** The recording it was cut from has been deleted. */
  recordingDeleted: boolean;
}

/** Why the clip is kept, or null when its footage must go now. */
export function clipKeptBecause(clip: RetainedClip): string | null {
  if (clip.bankState === "in-bank") return "it is in the exemplar bank";
  if (clip.bankState === "awaiting-consent") return "it is waiting for consent to enter the bank";
  if (clip.answersAssignment) return "it answers a coaching assignment";
  if (clip.bankState === "withdrawn") return null;
  if (clip.recordingDeleted) return null;
  return "its owner keeps it with the recording it was cut from";
}
