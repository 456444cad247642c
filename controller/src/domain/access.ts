/**
 * Need-to-know access to recordings, as one pure decision. The owner may view,
 * comment, share, ask to keep and delete (unless on hold). Whom the owner
 * shares with may view and comment until the share expires — no re-sharing —
 * if they are a colleague: a teacher, coach, SLT member or the headteacher
 * (a person who is also a teacher or coach is a colleague by that role).
 * Whoever set a coaching assignment the owner answered with the recording
 * may view and comment on it (and no other coach, nor SLT for that).
 * SLT and the headteacher may open footage for an investigation with a
 * written reason (audited, and shown to the owner), and place or release
 * holds. The Bursar, IT and the DPO see metadata, never footage. There are no
 * parent accounts, no public links and no download.
 */

import { MIN_INVESTIGATION_REASON, reasonTooShort } from "./form-limits.js";

/** `admin` manages accounts and roles; like the Bursar and IT it never sees footage. */
export const ROLES = [
  "teacher",
  "coach",
  "slt",
  "headteacher",
  "bursar",
  "it",
  "dpo",
  "admin",
] as const;
export type Role = (typeof ROLES)[number];

export const RECORDING_ACTIONS = [
  "view",
  "comment",
  "share",
  "request-archive",
  "consent",
  "delete",
  "view-metadata",
  "open-investigation",
  "place-hold",
  "release-hold",
  "download",
  "cut-clip",
] as const;
export type RecordingAction = (typeof RECORDING_ACTIONS)[number];

export interface Person {
  id: string;
  roles: readonly Role[];
}

export interface RecordingAccess {
  ownerId: string;
  /** Staff on the booking: the people in the footage, whose consent an archive needs. */
  staff: readonly string[];
  onHold: boolean;
  shares: readonly {
    withId: string;
    expiresAt: string | null;
    revoked: boolean;
    /** Made unblurred by the owner (rendition-rule.ts honours it only where the policy allows). */
    unblurred?: boolean;
  }[];
  /** Investigations opened on this recording, each by one SLT member or the headteacher. */
  investigations: readonly { openedBy: string; reason: string; closed: boolean }[];
  /** Who set the assignments this recording was submitted to (coaching): they may watch it. */
  assignedTo: readonly string[];
}

export type AccessDecision =
  | {
      allowed: true;
      basis:
        "owner" | "share" | "assignment" | "investigation" | "staff" | "leadership" | "metadata";
    }
  | { allowed: false; reason: string };

/**
 * Who sets a room's privacy masks, and so may take a live picture of the room
 * to draw them on: with the box's lamp lit while it is taken, audited, shown
 * once and never stored. Not footage: no recording is opened for it.
 */
export const MASK_ROLES: readonly Role[] = ["slt", "headteacher", "dpo"];

/** The shortest written reason accepted for opening footage in an investigation (form-limits.ts). */
export { MIN_INVESTIGATION_REASON };

/** The school's leadership: SLT and the headteacher. */
export const LEADERSHIP: readonly Role[] = ["slt", "headteacher"];
/** Roles that may watch footage shared with them as a colleague. */
export const COLLEAGUE_ROLES: readonly Role[] = ["teacher", "coach", "slt", "headteacher"];
const NOT_FOR_FOOTAGE =
  "the Bursar, IT, the DPO and administrators never see footage, even when it is shared with them";
/** Roles that see (and list) every recording's metadata, never its footage. */
export const METADATA_ROLES: readonly Role[] = [
  "slt",
  "headteacher",
  "bursar",
  "it",
  "dpo",
  "admin",
];

const allow = (basis: Extract<AccessDecision, { allowed: true }>["basis"]): AccessDecision => ({
  allowed: true,
  basis,
});
const refuse = (reason: string): AccessDecision => ({ allowed: false, reason });

const colleague = (person: Person): boolean =>
  person.roles.some((role) => COLLEAGUE_ROLES.includes(role));

/**
 * May a recording be shared with `recipient`? Only with a colleague, by one
 * of their roles: a share to anyone else would give them no footage.
 */
export function mayBeSharedWith(recipient: Person): AccessDecision {
  if (colleague(recipient)) return allow("share");
  return refuse(
    `a recording can be shared only with a teacher, coach, SLT member or the headteacher: ${NOT_FOR_FOOTAGE}`,
  );
}

function activeShare(person: Person, recording: RecordingAccess, now: Date): boolean {
  return recording.shares.some(
    (share) =>
      share.withId === person.id &&
      !share.revoked &&
      (share.expiresAt === null || Date.parse(share.expiresAt) > now.getTime()),
  );
}

/** Set an assignment this recording answers, and still a colleague (a coach, SLT or a teacher). */
function setAnAssignment(person: Person, recording: RecordingAccess): boolean {
  return recording.assignedTo.includes(person.id) && colleague(person);
}

function investigating(person: Person, recording: RecordingAccess): boolean {
  return (
    person.roles.some((role) => LEADERSHIP.includes(role)) &&
    recording.investigations.some((i) => i.openedBy === person.id && !i.closed)
  );
}

/**
 * May `person` do `action` to `recording` now? `reason` is the written reason
 * that opening an investigation requires.
 */
export function decide(
  person: Person,
  action: RecordingAction,
  recording: RecordingAccess,
  now: Date,
  reason = "",
): AccessDecision {
  const owner = person.id === recording.ownerId;
  const leadership = person.roles.some((role) => LEADERSHIP.includes(role));
  switch (action) {
    case "view":
    case "comment":
      if (owner) return allow("owner");
      if (activeShare(person, recording, now) && colleague(person)) return allow("share");
      if (setAnAssignment(person, recording)) return allow("assignment");
      if (investigating(person, recording)) return allow("investigation");
      if (activeShare(person, recording, now)) {
        return refuse(`footage is need-to-know: ${NOT_FOR_FOOTAGE}`);
      }
      if (recording.shares.some((share) => share.withId === person.id)) {
        return refuse("the share has expired or was withdrawn");
      }
      return refuse(
        leadership
          ? "footage is need-to-know: open an investigation with a written reason first"
          : "footage is need-to-know: only its owner and whom the owner shares it with",
      );
    case "share":
      if (owner) return allow("owner");
      return refuse("only the owner may share a recording (shared footage cannot be re-shared)");
    case "request-archive":
      if (owner) return allow("owner");
      return refuse("only the owner may ask to keep a recording");
    case "consent":
      if (recording.staff.includes(person.id)) return allow("staff");
      return refuse("only staff in the recording give or withdraw consent to keep it");
    case "delete":
      if (!owner) return refuse("only the owner may delete a recording");
      if (recording.onHold) return refuse("the recording is on hold and cannot be deleted");
      return allow("owner");
    case "view-metadata":
      if (
        owner ||
        recording.staff.includes(person.id) ||
        activeShare(person, recording, now) ||
        setAnAssignment(person, recording) ||
        person.roles.some((role) => METADATA_ROLES.includes(role))
      ) {
        return allow("metadata");
      }
      return refuse(
        "a recording's details are for its owner, the staff in it, whom it is shared with, " +
          "and the school's leadership, Bursar, IT, DPO and administrators",
      );
    case "open-investigation":
      if (!leadership)
        return refuse("only SLT or the headteacher may open footage for an investigation");
      if (reason.trim().length < MIN_INVESTIGATION_REASON) {
        return refuse(reasonTooShort(MIN_INVESTIGATION_REASON));
      }
      return allow("leadership");
    case "place-hold":
    case "release-hold":
      if (leadership) return allow("leadership");
      return refuse("only SLT or the headteacher may place or release a hold");
    case "cut-clip":
      if (owner) return allow("owner");
      return refuse("only the owner of a recording may cut a clip from it");
    case "download":
      return refuse("recordings cannot be downloaded");
  }
}
