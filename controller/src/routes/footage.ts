/**
 * A recording's footage as HLS, for whoever may view it: the playlist and its
 * segments, never cached, never offered as a download.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { Obj, SegmentName, Uuid, errors } from "./schemas.js";
import { RecordingParams } from "./recordings.js";
import { typed, typedRequests } from "./typed.js";

export function footageRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { footage } = app;
  // a segment is sent as a file stream, which its schema describes as binary
  const streaming = typedRequests(fastify);

  app.get(
    "/api/recordings/:id/footage/index.m3u8",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "getFootagePlaylist",
        description:
          "Whoever decide() lets view the recording: the HLS playlist of its footage on the school's server, audited as playing it and never cached. While the footage is only in the box this answers 404 and asks the box to upload it.",
        summary:
          "The footage's HLS playlist (audited as playing it). 404 while the footage is only " +
          "on the device — asking for it asks the device to upload it",
        params: RecordingParams,
        response: {
          200: {
            description: "The HLS playlist (served only when decide() lets the person view it)",
            content: { "application/vnd.apple.mpegurl": { schema: Type.String() } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const path = await footage.playlist(me(request), request.params.id);
      return reply
        .header("cache-control", "private, no-store")
        .type("application/vnd.apple.mpegurl")
        .send(await readFile(path, "utf8"));
    },
  );

  streaming.get(
    "/api/recordings/:id/footage/:segment",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "getFootageSegment",
        description:
          "Whoever decide() lets view the recording: one MPEG-TS segment named in its playlist, never cached and never offered as a download.",
        summary: "One segment of the footage (MPEG-TS), for whoever may view it",
        params: Obj({ id: Uuid, segment: SegmentName }),
        response: {
          200: {
            description: "One MPEG-TS segment (served only when decide() lets the person view it)",
            content: { "video/mp2t": { schema: Type.String({ format: "binary" }) } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { id, segment } = request.params;
      const path = await footage.segment(me(request), id, segment);
      return reply
        .header("cache-control", "private, no-store")
        .type("video/mp2t")
        .send(createReadStream(path));
    },
  );
}
