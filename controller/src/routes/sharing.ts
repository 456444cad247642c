/**
 * Working on a recording together: time-stamped comments, and shares with a
 * colleague (made and withdrawn by the owner).
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { CommentCreate } from "./coaching-schemas.js";
import { DateInput } from "./dates.js";
import {
  answer,
  CommentSchema,
  Obj,
  Ok,
  Serial,
  ShareSchema,
  UserId,
  Uuid,
  errors,
} from "./schemas.js";
import { RecordingParams } from "./recordings.js";
import { typed } from "./typed.js";

export function sharingRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { recordings } = app;

  app.get(
    "/api/recordings/:id/comments",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "listComments",
        description:
          "Whoever may see the recording's comments (the owner, colleagues it is shared with, an investigation): each comment at its moment, in seconds from the start, in timeline order.",
        summary: "Time-stamped comments, in timeline order",
        params: RecordingParams,
        response: {
          200: answer("The comments", Type.Array(CommentSchema)),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => recordings.comments(me(request), request.params.id),
  );

  app.post(
    "/api/recordings/:id/comments",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "addComment",
        description:
          "Whoever decide() lets comment on the recording: a comment at a moment of it, within the length limit (audited; the owner is told live).",
        summary: "Comment at a moment of the recording",
        params: RecordingParams,
        body: CommentCreate,
        response: {
          201: answer("The comment added", CommentSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { atSeconds, body, kind, strands, parentId } = request.body;
      return reply.code(201).send(
        await recordings.comment(me(request), request.params.id, atSeconds, body, {
          ...(kind !== undefined && { kind }),
          ...(strands !== undefined && { strands }),
          ...(parentId !== undefined && { parentId }),
        }),
      );
    },
  );

  app.put(
    "/api/next-steps/:commentId",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["coaching"],
        operationId: "markNextStep",
        description:
          "The teacher whose recording it is, or whoever gave it: marks a next step (a comment of kind next-step) done, or open again (audited).",
        summary: "Mark a next step done, or open again",
        params: Obj({ commentId: Serial }),
        body: Obj({ done: Type.Boolean() }),
        response: {
          200: answer("The next step as it now is", CommentSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      recordings.markNextStep(me(request), request.params.commentId, request.body.done),
  );

  app.post(
    "/api/recordings/:id/shares",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "shareRecording",
        description:
          "The owner: shares the recording with a colleague, who may then watch and comment until the share is withdrawn or its optional expiry. Shared footage cannot be shared on. Audited. The colleague sees faces blurred unless `unblurred` is set, which the school's policy must allow (403 otherwise; audited as share.unblurred); if the policy is turned off later, the share falls back to the copy with faces blurred.",
        summary: "Share with a colleague to view and comment (owner only; optional expiry)",
        params: RecordingParams,
        body: Obj({
          withId: UserId,
          expiresAt: Type.Optional(Type.Union([DateInput, Type.Null()])),
          /** Faces as recorded, where the school's policy allows owners to share so. */
          unblurred: Type.Optional(Type.Boolean()),
        }),
        response: { 201: answer("The share", ShareSchema), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { withId, expiresAt, unblurred } = request.body;
      return reply
        .code(201)
        .send(
          await recordings.share(
            me(request),
            request.params.id,
            withId,
            expiresAt ?? null,
            unblurred ?? false,
          ),
        );
    },
  );

  app.delete(
    "/api/recordings/:id/shares/:shareId",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "revokeShare",
        description:
          "The owner: withdraws a share; the colleague can no longer watch or comment (audited).",
        summary: "Withdraw a share (owner only)",
        params: Obj({ id: Uuid, shareId: Serial }),
        response: { 200: answer("Withdrawn", Ok), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const { id, shareId } = request.params;
      await recordings.revokeShare(me(request), id, shareId);
      return { ok: true as const };
    },
  );
}
