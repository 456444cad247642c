/**
 * A recording's routes: the lists (mine, shared with me, under my
 * investigation, all, flagged; those awaiting my consent), its details, opening
 * it to watch (audited) and deleting it. Who may do what with footage is
 * `decide()`'s rule, applied in the domain.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { DateInput } from "./dates.js";
import {
  answer,
  Obj,
  Ok,
  OneOf,
  RecordingDetailSchema,
  RecordingSummarySchema,
  Uuid,
  errors,
} from "./schemas.js";
import { typed } from "./typed.js";

/** The params of a route about one recording. */
export const RecordingParams = Obj({ id: Uuid });

export function recordingRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { recordings } = app;

  app.get(
    "/api/recordings",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "listRecordings",
        description:
          "Anyone signed in: the recordings this person may know of, by scope (their own, shared with them, under an investigation they hold, or all of them for the roles that oversee), with their facts and never their footage; `before` pages back in time.",
        summary:
          "Recordings, newest first: mine, shared with me, under my investigation, or all (metadata)",
        querystring: Obj({
          scope: Type.Optional(OneOf(["mine", "shared", "investigating", "all", "flagged"])),
          before: Type.Optional(DateInput),
        }),
        response: {
          200: answer("The recordings, newest first", Type.Array(RecordingSummarySchema)),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { scope, before } = request.query;
      return recordings.list(me(request), scope ?? "mine", before);
    },
  );

  app.get(
    "/api/consents",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "listConsents",
        description:
          "Anyone signed in: the recordings of lessons this person was in whose keeping waits for their agreement (answer with PUT /api/recordings/{id}/consent).",
        summary: "Recordings I am asked to agree to keep",
        response: {
          200: answer("The recordings awaiting my decision", Type.Array(RecordingSummarySchema)),
          ...errors(401, 403),
        },
      },
    },
    async (request) => recordings.awaitingMyConsent(me(request)),
  );

  app.get(
    "/api/recordings/:id",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "getRecording",
        description:
          "Anyone who may know of the recording: its facts, consents, shares, investigations, holds, where its footage is, and the actions this person may take on it (`allowed`, from decide()).",
        summary: "A recording's details and what I may do with it",
        params: RecordingParams,
        response: {
          200: answer("The recording's details", RecordingDetailSchema),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => recordings.detail(me(request), request.params.id),
  );

  app.post(
    "/api/recordings/:id/views",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "watchRecording",
        description:
          "Whoever decide() lets view the recording: records the viewing in the audit log, with the basis it was allowed on, and answers the watermark (who, when) that the player shows over the picture.",
        summary: "Open the footage to watch (audited); gives the watermark to show over it",
        params: RecordingParams,
        response: {
          200: answer(
            "Allowed: the basis and the watermark to show over the footage",
            Obj({ recordingId: Uuid, basis: Type.String(), watermark: Type.String() }),
          ),
          ...errors(401, 403, 404, 409),
        },
      },
    },
    async (request) => recordings.view(me(request), request.params.id),
  );

  app.delete(
    "/api/recordings/:id",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "deleteRecording",
        description:
          "The owner: deletes the recording from the box and from the school's server at once. Refused (409) while a hold is on it. Audited, and kept in the record of deletions.",
        summary:
          "Delete a recording (owner; refused while on hold); carried out at once on every copy",
        params: RecordingParams,
        response: { 200: answer("Deleted", Ok), ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      await recordings.requestDeletion(me(request), request.params.id);
      return { ok: true as const };
    },
  );
}
