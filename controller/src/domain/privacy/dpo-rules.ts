/**
 * The data protection officer's two powers over footage, as pure decisions.
 *
 * - Erasure on request: the DPO deletes a recording as its owner could, and
 *   under the same protection — the owner's own deletion rule in `decide()`
 *   is asked, so footage on hold is refused with that rule's reason and no
 *   second copy of the rule exists.
 * - Subject access: the DPO alone makes the one copy of footage that leaves
 *   the system, an export package for the person who asked.
 */
import { decide, type AccessDecision, type Person, type RecordingAccess } from "../access.js";

const dpo = (person: Person) => person.roles.includes("dpo");

/** May `person` erase this recording (every copy, on the box and the controller) now? */
export function mayErase(person: Person, recording: RecordingAccess, now: Date): AccessDecision {
  if (!dpo(person)) {
    return { allowed: false, reason: "only the data protection officer erases footage on request" };
  }
  const asOwner: Person = { id: recording.ownerId, roles: [] };
  const owners = decide(asOwner, "delete", recording, now);
  return owners.allowed ? { allowed: true, basis: "metadata" } : owners;
}

/** May `person` export this recording's footage for a subject access request? */
export function mayExportForSubjectAccess(person: Person): AccessDecision {
  if (!dpo(person)) {
    return {
      allowed: false,
      reason: "only the data protection officer exports footage, for a subject access request",
    };
  }
  return { allowed: true, basis: "metadata" };
}

/**
 * How long a subject access export not taken away stays on the controller:
 * a copy made to leave the system should not linger in it. The retention
 * sweep deletes it after (`dpo-export-expiry.ts`), and the DPO's screen says
 * by when to take it.
 */
export const EXPORT_KEPT_DAYS = 7;

/** When an export made at `madeAt` is deleted if nobody has taken it away. */
export function exportExpiresAt(madeAt: Date): Date {
  return new Date(madeAt.getTime() + EXPORT_KEPT_DAYS * 86_400_000);
}

/** Whether an export made at `madeAt` and not taken away is past its time at `now`. */
export function exportExpired(madeAt: Date, now: Date): boolean {
  return now.getTime() >= exportExpiresAt(madeAt).getTime();
}
