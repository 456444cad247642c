/** The audit log, for the DPO: a filtered page, the hash chain's check, an export. */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { auditNames } from "../domain/audit-names.js";
import { DomainError } from "../domain/errors.js";
import { allow, me } from "./auth.js";
import { DateInput, DatedObject } from "./dates.js";
import {
  answer,
  AuditEntrySchema,
  AuditPageSchema,
  AuditVerificationSchema,
  errors,
  Obj,
  OneOf,
} from "./schemas.js";
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
        operationId: "listAudit",
        description:
          "The DPO: a page of the audit log, oldest first after afterSeq, filtered by person, recording, action or date, with the names of the people, rooms and recordings its entries name.",
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
          200: answer("A page of entries, and where the next page starts", AuditPageSchema),
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
        operationId: "verifyAudit",
        description:
          "The DPO: checks the audit log's hash chain from the start (or from an anchor kept elsewhere) and names the first entry edited, removed or inserted. The check itself is audited.",
        summary: "Walk the hash chain and name the first edited, removed or inserted entry",
        querystring: Obj({
          anchorSeq: Type.Optional(Type.Integer({ minimum: 1 })),
          anchorHash: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
        }),
        response: {
          200: answer(
            "Whether the chain is whole, or the first entry that does not check out",
            AuditVerificationSchema,
          ),
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
        operationId: "exportAudit",
        description:
          "The DPO: the audit log, filtered as for a page, as a file to download: JSON or CSV, with every entry's raw fields and hashes. The export itself is audited.",
        summary: "Export the (filtered) audit log as JSON or CSV",
        querystring: DatedObject({ ...AuditFilter, format: OneOf(["json", "csv"]) }, AUDIT_WINDOW),
        response: {
          200: {
            description: "The audit log as a file to download (Content-Disposition: attachment)",
            content: {
              "application/json": { schema: Type.Array(AuditEntrySchema) },
              "text/csv": { schema: Type.String() },
            },
          },
          ...errors(400, 401, 403),
        },
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
