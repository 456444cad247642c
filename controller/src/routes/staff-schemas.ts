/**
 * The staff import's bodies and answers (routes/users.ts, domain/staff-import.ts),
 * kept apart from the routes so the dashboard takes its types from them
 * (`import type`).
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { IMPORT_MODES } from "../domain/staff-import.js";
import { MAX_IMPORT_BYTES } from "../domain/staff-csv.js";
import { Obj, OneOf, Role } from "./schemas.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * The file's text. Longer than the file limit, so a file somewhat over it is
 * answered with the import's own words (its size, and what to do).
 */
const Csv = Type.String({
  maxLength: 2 * MAX_IMPORT_BYTES,
  description:
    "The CSV file's text: a header line (Name, Username or Email, Roles), then a line per person",
});

/** The request body's bound: the file escaped as JSON may nearly double. */
export const IMPORT_BODY_LIMIT = 4 * MAX_IMPORT_BYTES + 16 * 1024;

export const StaffPreviewBody = Obj({ csv: Csv });
export const StaffImportBody = Obj({
  csv: Csv,
  mode: OneOf(IMPORT_MODES),
});

export const StaffLineSchema = Obj({
  line: Type.Integer({ description: "The line of the file (the header is line 1)" }),
  id: Type.String(),
  displayName: Type.String(),
  roles: Type.Array(Role),
  problems: Type.Array(Type.String(), { description: "Empty: the line can be imported" }),
});

export const StaffPreviewSchema = Obj({
  people: Type.Array(StaffLineSchema),
  fileProblems: Type.Array(Obj({ line: Nullable(Type.Integer()), message: Type.String() }), {
    description:
      "Problems of the whole file (empty, no header, too large): nothing can be imported",
  }),
  good: Type.Integer(),
  bad: Type.Integer(),
});

export const StaffImportedSchema = Obj({
  mode: OneOf(IMPORT_MODES),
  added: Type.Array(
    Obj({
      line: Type.Integer(),
      id: Type.String(),
      displayName: Type.String(),
      roles: Type.Array(Role),
      temporaryPassword: Type.String({ description: "Shown once, never stored" }),
    }),
  ),
  skipped: Type.Array(StaffLineSchema),
});
