/**
 * Keeping a recording past the buffer: asking to keep it (as an exemplar or
 * not), withdrawing the ask, each member of staff's consent, and releasing an
 * exemplar to archive retention.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { Obj, Ok, OneOf, RecordingDetailSchema, errors } from "./schemas.js";
import { RecordingParams } from "./recordings.js";
import { typed } from "./typed.js";

export function keepingRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { recordings } = app;

  app.post(
    "/api/recordings/:id/archive",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Ask to keep the recording: every member of staff in it must agree",
        params: RecordingParams,
        body: Obj({ exemplar: Type.Optional(Type.Boolean()) }),
        response: { 200: RecordingDetailSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await recordings.requestArchive(me(request), id, request.body.exemplar);
      return recordings.detail(me(request), id);
    },
  );

  app.delete(
    "/api/recordings/:id/archive",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Withdraw the request to keep (before the upload is done)",
        params: RecordingParams,
        response: { 200: RecordingDetailSchema, ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await recordings.withdrawArchive(me(request), id);
      return recordings.detail(me(request), id);
    },
  );

  app.put(
    "/api/recordings/:id/consent",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Agree or decline to keep a recording I am in (declining cancels the archive)",
        params: RecordingParams,
        body: Obj({ decision: OneOf(["agree", "decline"]) }),
        response: { 200: RecordingDetailSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await recordings.consent(me(request), id, request.body.decision);
      return recordings.detail(me(request), id);
    },
  );

  app.post(
    "/api/recordings/:id/exemplar/release",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Release an exemplar: archive retention applies to it from now on",
        params: RecordingParams,
        response: { 200: Ok, ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      await recordings.releaseExemplar(me(request), request.params.id);
      return { ok: true as const };
    },
  );
}
