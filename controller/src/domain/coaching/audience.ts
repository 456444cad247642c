/**
 * Who a coaching change concerns, for the live notices (`routes/live.ts`):
 * an assignment's setter and the teachers it is for; for feedback on a
 * recording, its owner and whoever set an assignment it (or a clip of it)
 * answers. They are told only that something changed, never what.
 */
import type { Database } from "../../db/database.js";

export async function coachingAudience(
  db: Pick<Database, "all">,
  of: "assignment" | "recording",
  id: string,
): Promise<Set<string>> {
  const rows =
    of === "assignment"
      ? await db.all<{ person: string }>(
          `SELECT set_by AS person FROM assignments WHERE id = ?
           UNION SELECT teacher_id FROM assignment_teachers WHERE assignment_id = ?`,
          [id, id],
        )
      : await db.all<{ person: string }>(
          `SELECT owner_id AS person FROM recordings WHERE id = ? AND owner_id IS NOT NULL
           UNION SELECT a.set_by FROM assignment_teachers t JOIN assignments a ON a.id = t.assignment_id
           WHERE t.recording_id = ? AND t.submitted_at IS NOT NULL`,
          [id, id],
        );
  return new Set(rows.map((r) => r.person));
}
