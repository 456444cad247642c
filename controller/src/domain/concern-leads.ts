/**
 * Who a concern about a recording goes to (the policy's route for concerns
 * about content): the leads the school names on the policy screen — each of
 * them still an active account holding a lead's role (SLT, the headteacher,
 * the DPO) — or, when the school has named none (or none of them can still
 * take it), every active SLT member, headteacher and DPO. Nobody is ever
 * without someone to tell.
 */
import type { Role } from "./access.js";

export const CONCERN_LEAD_ROLES: readonly Role[] = ["slt", "headteacher", "dpo"];

export interface Candidate {
  id: string;
  roles: readonly Role[];
  active: boolean;
}

export const mayLeadConcerns = (person: Candidate): boolean =>
  person.active && person.roles.some((role) => CONCERN_LEAD_ROLES.includes(role));

/** The people a concern goes to, in the order named (or by id). */
export function concernLeads(named: readonly string[], people: readonly Candidate[]): string[] {
  const byId = new Map(people.map((person) => [person.id, person]));
  const chosen = named.filter((id) => {
    const person = byId.get(id);
    return person !== undefined && mayLeadConcerns(person);
  });
  if (chosen.length > 0) return [...new Set(chosen)];
  return people
    .filter(mayLeadConcerns)
    .map((person) => person.id)
    .sort();
}
