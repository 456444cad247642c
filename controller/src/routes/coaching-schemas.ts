/** The coaching routes' schemas: assignments, submissions and a teacher's timeline. */
import { Type } from "@sinclair/typebox";
import {
  MAX_FOCUS,
  MAX_REFLECTION,
  MAX_SUGGESTION,
  MAX_TEACHERS,
  MAX_TITLE,
} from "../domain/coaching/assignments.js";
import {
  MAX_FRAMEWORK_NAME,
  MAX_STRAND_CODE,
  MAX_STRAND_NAME,
} from "../domain/coaching/strands.js";
import { MAX_COMMENT_LENGTH } from "../domain/form-limits.js";
import { COMMENT_KINDS } from "../domain/recordings/model.js";
import { Obj, OneOf, Serial, StrandSchema, Timestamp, UserId, Uuid } from "./schemas.js";

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

/** A day, YYYY-MM-DD (the domain checks it is a real day, from today to a year ahead). */
export const Day = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$", maxLength: 10 });

export const StrandCreate = Obj({
  framework: Type.String({ minLength: 1, maxLength: MAX_FRAMEWORK_NAME }),
  code: Type.String({ minLength: 1, maxLength: MAX_STRAND_CODE }),
  name: Type.String({ minLength: 1, maxLength: MAX_STRAND_NAME }),
});

export const AssignmentCreate = Obj({
  title: Type.String({ minLength: 1, maxLength: MAX_TITLE }),
  focus: Type.String({ minLength: 1, maxLength: MAX_FOCUS }),
  strands: Type.Array(Serial, { maxItems: 20 }),
  dueOn: Day,
  teachers: Type.Array(UserId, { minItems: 1, maxItems: MAX_TEACHERS }),
  /** Which lesson to record for it, in words (optional). */
  suggestion: Type.Optional(Nullable(Type.String({ maxLength: MAX_SUGGESTION }))),
  /** Next steps (comment ids) from earlier feedback that this assignment carries forward. */
  carryForward: Type.Optional(Type.Array(Serial, { maxItems: 20 })),
});

export const SubmissionCreate = Obj({
  /** A recording of the teacher's own (whole, or from `inSeconds` to `outSeconds`)… */
  recordingId: Type.Optional(Uuid),
  /** …or a clip the teacher cut from one. */
  clipId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  inSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
  outSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
  reflection: Type.String({ minLength: 1, maxLength: MAX_REFLECTION }),
});

/** A comment at a moment of a recording: plain, or feedback of a kind with strands, or a reply. */
export const CommentCreate = Obj({
  atSeconds: Type.Number({ minimum: 0, maximum: 86_400 }),
  body: Type.String({ minLength: 1, maxLength: MAX_COMMENT_LENGTH }),
  /** Coaching feedback's kind (default: a plain comment). */
  kind: Type.Optional(OneOf(COMMENT_KINDS)),
  /** Strands of the school's framework it is about (ones in force). */
  strands: Type.Optional(Type.Array(Serial, { maxItems: 20 })),
  /** The comment this replies to, on the same recording (its moment is the reply's). */
  parentId: Type.Optional(Serial),
});

export const SubmissionSchema = Obj({
  recordingId: Uuid,
  clipId: Nullable(Type.String()),
  inSeconds: Nullable(Type.Number()),
  outSeconds: Nullable(Type.Number()),
  reflection: Type.String(),
  submittedAt: Timestamp,
});

export const AssignmentSchema = Obj({
  assignmentId: Uuid,
  setBy: Type.String(),
  setByName: Type.String(),
  title: Type.String(),
  focus: Type.String(),
  strands: Type.Array(StrandSchema),
  dueOn: Type.String(),
  suggestion: Nullable(Type.String()),
  createdAt: Timestamp,
  carriedForward: Type.Array(
    Obj({
      commentId: Type.Integer(),
      recordingId: Uuid,
      body: Type.String(),
      doneAt: Nullable(Timestamp),
    }),
  ),
  /** The teachers it is for, each with their answer: a teacher sees only themselves. */
  teachers: Type.Array(
    Obj({ teacherId: Type.String(), name: Type.String(), submission: Nullable(SubmissionSchema) }),
  ),
});

export const AssignmentListsSchema = Obj({
  /** Set for me. */
  forMe: Type.Array(AssignmentSchema),
  /** Set by me. */
  setByMe: Type.Array(AssignmentSchema),
});

export const FeedbackSchema = Obj({
  commentId: Type.Integer(),
  recordingId: Uuid,
  authorId: Type.String(),
  authorName: Type.String(),
  kind: OneOf(COMMENT_KINDS.filter((kind) => kind !== "comment")),
  body: Type.String(),
  atSeconds: Type.Number(),
  strands: Type.Array(StrandSchema),
  createdAt: Timestamp,
  doneAt: Nullable(Timestamp),
  replies: Type.Integer({ minimum: 0 }),
});

export const TimelineSchema = Obj({
  teacherId: Type.String(),
  teacherName: Type.String(),
  /** The asker's own timeline (everything), or only what the asker set and gave. */
  own: Type.Boolean(),
  assignments: Type.Array(AssignmentSchema),
  feedback: Type.Array(FeedbackSchema),
  nextSteps: Type.Array(FeedbackSchema),
});
