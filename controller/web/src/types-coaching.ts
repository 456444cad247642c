/** Coaching's API answers as the dashboard reads them: the `Static` types of the server's schemas. */
import type { Static } from "@sinclair/typebox";
import type {
  AssignmentListsSchema,
  AssignmentSchema,
  FeedbackSchema,
  TimelineSchema,
} from "../../src/routes/coaching-schemas.js";
import type { StrandSchema } from "../../src/routes/schemas.js";
import type { CommentKind } from "../../src/domain/recordings/model.js";

export type Strand = Static<typeof StrandSchema>;
export type Assignment = Static<typeof AssignmentSchema>;
export type AssignmentLists = Static<typeof AssignmentListsSchema>;
export type Feedback = Static<typeof FeedbackSchema>;
export type Timeline = Static<typeof TimelineSchema>;
export type { CommentKind };

/** The kinds of feedback, in the school's words, in the order the form offers them. */
export const COMMENT_KIND_WORDS = {
  comment: "Comment",
  strength: "Strength",
  question: "Question",
  suggestion: "Suggestion",
  "next-step": "Next step",
} as const satisfies Record<CommentKind, string>;

/** "TS4 Plan and teach well-structured lessons (retired)". */
export function strandWords(strand: Strand): string {
  return `${strand.code} ${strand.name}${strand.retiredAt === null ? "" : " (retired)"}`;
}
