/**
 * Keeping a recording past the buffer: asking to keep it (as an exemplar or
 * not), withdrawing the ask, each member of staff's consent, and releasing an
 * exemplar to archive retention.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { answer, Obj, Ok, OneOf, RecordingDetailSchema, errors } from "./schemas.js";
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
        operationId: "requestKeeping",
        description:
          "The owner: asks to keep the recording beyond the box's buffer (optionally as an exemplar). Every member of staff in the lesson is asked to agree; when all have, the box uploads it to the school's archive. Audited.",
        summary: "Ask to keep the recording: every member of staff in it must agree",
        params: RecordingParams,
        body: Obj({ exemplar: Type.Optional(Type.Boolean()) }),
        response: {
          200: answer("The recording, with its consents asked", RecordingDetailSchema),
          ...errors(400, 401, 403, 404, 409),
        },
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
        operationId: "withdrawKeeping",
        description:
          "The owner: withdraws the request to keep, while the upload is not yet done; the recording goes back to the box's buffer and its overwriting (audited).",
        summary: "Withdraw the request to keep (before the upload is done)",
        params: RecordingParams,
        response: {
          200: answer("The recording, no longer to be kept", RecordingDetailSchema),
          ...errors(401, 403, 404, 409),
        },
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
        operationId: "decideConsent",
        description:
          "A member of staff in the lesson: agrees or declines to keep the recording. One decline cancels the request to keep; when everyone has agreed the box uploads it. Audited.",
        summary: "Agree or decline to keep a recording I am in (declining cancels the archive)",
        params: RecordingParams,
        body: Obj({ decision: OneOf(["agree", "decline"]) }),
        response: {
          200: answer("The recording with my decision", RecordingDetailSchema),
          ...errors(400, 401, 403, 404, 409),
        },
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
        operationId: "releaseExemplar",
        description:
          "The owner (or the roles that may): an exemplar is kept until released; from now on the policy's archive retention applies to it (audited).",
        summary: "Release an exemplar: archive retention applies to it from now on",
        params: RecordingParams,
        response: { 200: answer("Released", Ok), ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      await recordings.releaseExemplar(me(request), request.params.id);
      return { ok: true as const };
    },
  );
}
