/** Retention: running the sweep by hand, and the record of deletions. */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { latestDeletions } from "../domain/deletion-view.js";
import { allow, me } from "./auth.js";
import { answer, DeletionSchema, Obj, Timestamp, errors } from "./schemas.js";
import { typed } from "./typed.js";

export function retentionRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { custodian, audit } = app;

  app.post(
    "/api/retention/sweep",
    {
      onRequest: allow("it", "dpo"),
      schema: {
        tags: ["governance"],
        operationId: "sweepRetention",
        description:
          "IT or DPO: applies the retention policy now rather than at its next hourly run: deletes archived footage past its time on the server and asks boxes to delete what they hold past theirs, never what is on hold (audited).",
        summary: "Run the retention sweep now (it also runs on its own every hour)",
        response: {
          200: answer(
            "What the sweep examined and deleted",
            Obj({
              at: Timestamp,
              examined: Type.Integer(),
              controllerDeleted: Type.Integer(),
              deviceRequested: Type.Integer(),
            }),
          ),
          ...errors(401, 403),
        },
      },
    },
    async (request) => {
      const report = await custodian.sweep();
      await audit.record({
        actor: me(request).id,
        action: "retention.sweep",
        detail: {
          controller: report.controllerDeleted.length,
          devices: report.deviceRequested.length,
        },
      });
      return {
        at: report.at,
        examined: report.examined,
        controllerDeleted: report.controllerDeleted.length,
        deviceRequested: report.deviceRequested.length,
      };
    },
  );

  app.get(
    "/api/deletions",
    {
      onRequest: allow("dpo", "it"),
      schema: {
        tags: ["governance"],
        operationId: "listDeletions",
        description:
          "DPO or IT: every deletion of a copy of a recording (server or box), why it was made, when it was asked and when it was done.",
        summary: "The record of deletions, newest first",
        querystring: Obj({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: {
          200: answer("The deletions, newest first", Type.Array(DeletionSchema)),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => latestDeletions(app.db, request.query.limit ?? 100),
  );
}
