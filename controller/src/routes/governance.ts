/**
 * Holds and investigations, for leadership (and the DPO, who sees the holds):
 * each placed or opened with a written reason, and audited.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { LEADERSHIP } from "../domain/access.js";
import { allow, me } from "./auth.js";
import {
  answer,
  HoldSchema,
  InvestigationSchema,
  Obj,
  Ok,
  Reason,
  Serial,
  errors,
} from "./schemas.js";
import { RecordingParams } from "./recordings.js";
import { typed } from "./typed.js";

export function governanceRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { recordings } = app;

  app.get(
    "/api/holds",
    {
      onRequest: allow(...LEADERSHIP, "dpo"),
      schema: {
        tags: ["governance"],
        operationId: "listHolds",
        description:
          "SLT, headteacher or DPO: the holds not yet released, with who placed each and why.",
        summary: "Holds in force",
        response: {
          200: answer("The holds in force", Type.Array(HoldSchema)),
          ...errors(401, 403),
        },
      },
    },
    async (request) => recordings.activeHolds(me(request)),
  );

  app.post(
    "/api/recordings/:id/holds",
    {
      onRequest: allow(...LEADERSHIP),
      schema: {
        tags: ["governance"],
        operationId: "placeHold",
        description:
          "SLT or headteacher: places a hold on a recording with a written reason; while it holds, nothing of the recording is deleted or overwritten, on the box or the server. Audited; the box is told at once.",
        summary:
          "Place a hold with a written reason: nothing of the recording is deleted or overwritten",
        params: RecordingParams,
        body: Obj({ reason: Reason }),
        response: {
          201: answer("The hold placed", HoldSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await recordings.placeHold(me(request), request.params.id, request.body.reason)),
  );

  app.post(
    "/api/holds/:holdId/release",
    {
      onRequest: allow(...LEADERSHIP),
      schema: {
        tags: ["governance"],
        operationId: "releaseHold",
        description:
          "SLT or headteacher: releases a hold with a written reason; retention applies to the recording again (audited).",
        summary: "Release a hold, with a written reason",
        params: Obj({ holdId: Serial }),
        body: Obj({ reason: Reason }),
        response: {
          200: answer("The released hold", HoldSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) =>
      recordings.releaseHold(me(request), request.params.holdId, request.body.reason),
  );

  app.post(
    "/api/recordings/:id/investigations",
    {
      onRequest: allow(...LEADERSHIP),
      schema: {
        tags: ["governance"],
        operationId: "openInvestigation",
        description:
          "SLT or headteacher: opens an investigation with a written reason, which lets them watch the recording; the owner is told and sees it on the recording (audited).",
        summary: "Open footage for an investigation, with a written reason (the owner sees it)",
        params: RecordingParams,
        body: Obj({ reason: Reason }),
        response: {
          201: answer("The investigation opened", InvestigationSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await recordings.openInvestigation(me(request), request.params.id, request.body.reason),
        ),
  );

  app.post(
    "/api/investigations/:investigationId/close",
    {
      onRequest: allow(...LEADERSHIP),
      schema: {
        tags: ["governance"],
        operationId: "closeInvestigation",
        description:
          "SLT or headteacher: closes an investigation; the footage is need-to-know again (audited).",
        summary: "Close an investigation: the footage is need-to-know again",
        params: Obj({ investigationId: Serial }),
        response: { 200: answer("Closed", Ok), ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      await recordings.closeInvestigation(me(request), request.params.investigationId);
      return { ok: true as const };
    },
  );
}
