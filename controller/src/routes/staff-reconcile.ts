/**
 * The administrator's reconcile of the accounts with the school's staff list
 * (domain/staff-reconcile.ts): a preview of the active accounts the list
 * leaves out, then disabling those the administrator chose.
 */
import type { FastifyInstance } from "fastify";
import { Type, type TSchema } from "@sinclair/typebox";
import { MAX_STAFF_FILE_BYTES } from "../domain/form-limits.js";
import { StaffReconcile } from "../domain/staff-reconcile.js";
import { allow, me } from "./auth.js";
import { answer, errors, Obj, Role, UserId } from "./schemas.js";
import { typed } from "./typed.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const Csv = Type.String({
  maxLength: 2 * MAX_STAFF_FILE_BYTES,
  description:
    "The staff list's text (CSV): a header line with a Username, Email or Id column, then a line per person; other columns are ignored",
});
const BODY_LIMIT = 4 * MAX_STAFF_FILE_BYTES + 16 * 1024;

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

export function staffReconcileRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const reconcile = new StaffReconcile(app.db, app.audit);

  app.post(
    "/api/users/reconcile/preview",
    {
      onRequest: allow("admin"),
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ["people"],
        operationId: "previewStaffReconcile",
        summary: "Which active accounts the school's staff list leaves out (changes nothing)",
        description:
          "The administrator: reads the school's staff list (CSV exported from its MIS or directory) and lists every active account not on it — matched by user name, the e-mail's part before the @, or the e-mail the person signs in with at the identity provider — and every bad line, without changing anything.",
        body: Obj({ csv: Csv }),
        response: {
          200: answer("The accounts not on the list, and every bad line", ReconcilePreviewSchema),
          ...errors(400, 401, 403, 413),
        },
      },
    },
    async (request) => reconcile.preview(request.body.csv, me(request).id),
  );

  app.post(
    "/api/users/reconcile",
    {
      onRequest: allow("admin"),
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ["people"],
        operationId: "reconcileStaff",
        summary: "Disable the chosen accounts the school's staff list leaves out",
        description:
          "The administrator: reads the staff list again and disables, in one change, the accounts chosen of those it leaves out; their sessions end. Refused, disabling nobody, when the file has a bad line or a chosen account is on the list. Audited.",
        body: Obj({ csv: Csv, disable: Type.Array(UserId, { minItems: 1, maxItems: 1000 }) }),
        response: {
          200: answer("Who was disabled", Obj({ disabled: Type.Array(UserId) })),
          ...errors(400, 401, 403, 404, 409, 413),
        },
      },
    },
    async (request) => reconcile.run(request.body.csv, request.body.disable, me(request).id),
  );
}
