/**
 * The administrator's reconcile of the accounts with the school's staff list
 * (domain/staff-reconcile.ts): a preview of the active accounts the list
 * leaves out, then disabling those the administrator chose.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { StaffReconcile } from "../domain/staff-reconcile.js";
import { allow, me } from "./auth.js";
import { answer, errors, Obj, UserId } from "./schemas.js";
import { BODY_LIMIT, Csv, ReconcilePreviewSchema } from "./staff-reconcile-schemas.js";
import { typed } from "./typed.js";

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
