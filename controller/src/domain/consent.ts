/**
 * Consent to keep a recording, as one pure rule: it is archived when every
 * member of staff on the booking agrees; one decline cancels the request, and
 * so does a withdrawal (a decline after agreeing). Only the staff on the
 * recording count; a person's later word replaces their earlier one.
 *
 * `recordings` stores the decisions and acts on the verdict; this module only
 * decides.
 */

export interface ConsentDecision {
  userId: string;
  decision: "agree" | "decline";
}

export type ArchiveVerdict =
  /** Everyone agreed: protect the recording and upload it. */
  | { verdict: "archive" }
  /** Nobody declined, but these members of staff have not agreed yet (sorted). */
  | { verdict: "waiting"; pending: string[] }
  /** These members of staff declined or withdrew (sorted): the request is cancelled. */
  | { verdict: "cancelled"; declinedBy: string[] };

export function archiveVerdict(
  staff: readonly string[],
  decisions: readonly ConsentDecision[],
): ArchiveVerdict {
  const members = [...new Set(staff)].sort();
  const latest = new Map<string, ConsentDecision["decision"]>();
  for (const { userId, decision } of decisions) latest.set(userId, decision);
  const declinedBy = members.filter((member) => latest.get(member) === "decline");
  if (declinedBy.length > 0) return { verdict: "cancelled", declinedBy };
  const pending = members.filter((member) => latest.get(member) !== "agree");
  if (pending.length > 0) return { verdict: "waiting", pending };
  return { verdict: "archive" };
}
