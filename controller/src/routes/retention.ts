/** Retention: running the sweep by hand, and the record of deletions. */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { latestDeletions } from "../domain/deletion-view.js";
import { allow, me } from "./auth.js";
import { DeletionSchema, Obj, Timestamp, errors } from "./schemas.js";
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
        summary: "Run the retention sweep now (it also runs on its own every hour)",
        response: {
          200: Obj({
            at: Timestamp,
            examined: Type.Integer(),
            controllerDeleted: Type.Integer(),
            deviceRequested: Type.Integer(),
          }),
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
        summary: "The record of deletions, newest first",
        querystring: Obj({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 200: Type.Array(DeletionSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => latestDeletions(app.db, request.query.limit ?? 100),
  );
}
