/**
 * The shapes of the staff-list reconcile's routes (staff-reconcile.ts),
 * shared with the dashboard by `import type`.
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { MAX_STAFF_FILE_BYTES } from "../domain/form-limits.js";
import { Obj, Role, UserId } from "./schemas.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Csv = Type.String({
  maxLength: 2 * MAX_STAFF_FILE_BYTES,
  description:
    "The staff list's text (CSV): a header line with a Username, Email or Id column, then a line per person; other columns are ignored",
});
export const BODY_LIMIT = 4 * MAX_STAFF_FILE_BYTES + 16 * 1024;

const FileProblems = Type.Array(Obj({ line: Nullable(Type.Integer()), message: Type.String() }), {
  description: "Every bad line; when there is any, nobody is disabled",
});

export const ReconcilePreviewSchema = Obj({
  listed: Type.Integer({ description: "How many people the list names" }),
  problems: FileProblems,
  notListed: Type.Array(
    Obj({
      id: UserId,
      displayName: Type.String(),
      roles: Type.Array(Role),
      providerEmail: Nullable(Type.String()),
      lastSignInAt: Nullable(Type.String({ format: "date-time" })),
    }),
    { description: "Active accounts not on the list (never the administrator asking)" },
  ),
});
