/** The audit log, for the DPO: a filtered page, the hash chain's check, an export. */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { auditNames } from "../domain/audit-names.js";
import { DomainError } from "../domain/errors.js";
import { allow, me } from "./auth.js";
import { DateInput, DatedObject } from "./dates.js";
import { AuditPageSchema, AuditVerificationSchema, errors, Obj, OneOf } from "./schemas.js";
import { typed } from "./typed.js";

const AuditFilter = {
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  subject: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  from: Type.Optional(DateInput),
  to: Type.Optional(DateInput),
};
const AUDIT_WINDOW = { from: "from", to: "to" };

export function auditRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { audit } = app;

  app.get(
    "/api/audit",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["audit"],
        summary: "A page of the audit log, filtered by person, recording, action or date",
        querystring: DatedObject(
          {
            ...AuditFilter,
            afterSeq: Type.Optional(Type.Integer({ minimum: 0 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          AUDIT_WINDOW,
        ),
        response: {
          200: AuditPageSchema,
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { query } = request;
      const page = await audit.page({ ...query, limit: query.limit ?? 100 });
      return { ...page, names: await auditNames(fastify.db, page.entries) };
    },
  );

  app.get(
    "/api/audit/verify",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["audit"],
        summary: "Walk the hash chain and name the first edited, removed or inserted entry",
        querystring: Obj({
          anchorSeq: Type.Optional(Type.Integer({ minimum: 1 })),
          anchorHash: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
        }),
        response: {
          200: AuditVerificationSchema,
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { anchorSeq, anchorHash } = request.query;
      if ((anchorSeq === undefined) !== (anchorHash === undefined)) {
        throw new DomainError("invalid", "give both anchorSeq and anchorHash, or neither");
      }
      const result = await audit.verify(
        anchorSeq !== undefined && anchorHash !== undefined
          ? { anchor: { seq: anchorSeq, hash: anchorHash } }
          : {},
      );
      await audit.record({
        actor: me(request).id,
        action: "audit.verify",
        detail: { ok: result.ok },
      });
      return result;
    },
  );

  app.get(
    "/api/audit/export",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["audit"],
        summary: "Export the (filtered) audit log as JSON or CSV",
        querystring: DatedObject({ ...AuditFilter, format: OneOf(["json", "csv"]) }, AUDIT_WINDOW),
        response: { 200: Type.String(), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query;
      const body = await audit.export(format, filter);
      await audit.record({
        actor: me(request).id,
        action: "audit.export",
        detail: { format, filter: { ...filter } },
      });
      return reply
        .header(
          "content-type",
          format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
        )
        .header("content-disposition", `attachment; filename="classcam-audit.${format}"`)
        .send(body);
    },
  );
}
