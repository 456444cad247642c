/**
 * Who may do what with a clip, as one pure decision beside `decide()`.
 * Watching: its owner; whoever may watch the recording it was cut from (a
 * share, an investigation: `decide()` says); whoever set an assignment the
 * owner answered with the clip; the staff in the lesson while they are asked
 * to agree to it entering the bank; and, while it is in the bank, every
 * colleague (a teacher, coach, SLT member or the headteacher). The Bursar,
 * IT, the DPO and administrators never see footage. Offering it to the bank
 * is the owner's; consenting is for the staff on the booking; withdrawing it
 * is the owner's or SLT's (the headteacher's too). Feedback at moments of the
 * clip is its owner's and the setter's of an assignment it answers. No download.
 */
import {
  COLLEAGUE_ROLES,
  LEADERSHIP,
  decide,
  type AccessDecision,
  type Person,
  type RecordingAccess,
} from "./access.js";

export const CLIP_ACTIONS = [
  "view",
  "feedback",
  "offer",
  "consent",
  "withdraw",
  "download",
] as const;
export type ClipAction = (typeof CLIP_ACTIONS)[number];

export interface ClipAccess {
  ownerId: string;
  /** Staff on the recording's booking: the people in the footage, whose consent the bank needs. */
  staff: readonly string[];
  inBank: boolean;
  /** Offered to the bank and waiting for the staff's consent. */
  awaitingConsent: boolean;
  /** Who set the assignments the owner answered with this clip. */
  assignedTo: readonly string[];
  /** The recording it was cut from. */
  recording: RecordingAccess;
}

type Basis = Extract<AccessDecision, { allowed: true }>["basis"] | "bank";
export type ClipDecision = { allowed: true; basis: Basis } | { allowed: false; reason: string };

const allow = (basis: Basis): ClipDecision => ({ allowed: true, basis });
const refuse = (reason: string): ClipDecision => ({ allowed: false, reason });
const colleague = (person: Person) => person.roles.some((role) => COLLEAGUE_ROLES.includes(role));

export function decideClip(
  person: Person,
  action: ClipAction,
  clip: ClipAccess,
  now: Date,
): ClipDecision {
  const owner = person.id === clip.ownerId;
  switch (action) {
    case "view": {
      if (owner) return allow("owner");
      const viaRecording = decide(person, "view", clip.recording, now);
      if (viaRecording.allowed) return allow(viaRecording.basis);
      if (clip.assignedTo.includes(person.id) && colleague(person)) return allow("assignment");
      if (clip.inBank && colleague(person)) return allow("bank");
      // asked to agree to share it, a member of staff in the lesson sees what they agree to
      if (clip.awaitingConsent && clip.staff.includes(person.id) && colleague(person)) {
        return allow("staff");
      }
      if (!colleague(person)) {
        return refuse(
          "the Bursar, IT, the DPO and administrators never see footage, even in the exemplar bank",
        );
      }
      return refuse(
        "a clip is need-to-know until it is in the exemplar bank: only its owner and whom " +
          "the recording is shared with",
      );
    }
    // feedback at moments of the clip: its owner, and whoever set an assignment it answers (who
    // gains no other part of the recording by it); the bank and consent are for watching only
    case "feedback":
      if (owner) return allow("owner");
      if (clip.assignedTo.includes(person.id) && colleague(person)) return allow("assignment");
      return refuse("feedback on a clip is for its owner and whoever set an assignment it answers");
    case "offer":
      if (owner) return allow("owner");
      return refuse("only the clip's owner may offer it to the exemplar bank");
    case "consent":
      if (clip.staff.includes(person.id)) return allow("staff");
      return refuse("only the staff in the recording agree or decline to a clip going in the bank");
    case "withdraw":
      if (owner) return allow("owner");
      if (person.roles.some((role) => LEADERSHIP.includes(role))) return allow("leadership");
      return refuse("only the clip's owner or SLT may withdraw it from the exemplar bank");
    case "download":
      return refuse("clips cannot be downloaded");
  }
}
