/** The roles in the school's words, for what the server writes for people (notices, signs). */
import type { Role } from "../access.js";

export const ROLE_WORDS: Record<Role, string> = {
  teacher: "teachers",
  coach: "coaches",
  slt: "senior leaders",
  headteacher: "the headteacher",
  bursar: "the bursar",
  it: "IT staff",
  dpo: "the data protection officer",
  admin: "administrators",
};

/** "teachers, coaches and senior leaders" */
export function roleList(roles: readonly Role[]): string {
  const words = roles.map((role) => ROLE_WORDS[role]);
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1) ?? ""}`;
}
