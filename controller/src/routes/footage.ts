/**
 * A recording's footage as HLS, for whoever may view it: the playlist, its
 * segments and (for footage encrypted on its box) its key, never cached,
 * never offered as a download.
 */
import { createReadStream } from "node:fs";
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { Obj, SegmentName, Uuid, errors } from "./schemas.js";
import { RecordingParams } from "./recordings.js";
import { typed, typedRequests } from "./typed.js";
import { KEY_ANSWER, sendKey } from "./key-answer.js";
import { MAX_POSITION_SECONDS } from "../domain/footage-live.js";

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
          "Whoever decide() lets view the recording: the HLS playlist of its footage, audited as playing it (once per viewing, not per reload) and never cached. Footage only in the box is asked for (the box is asked to upload it): 404 until its first segment has arrived, then a growing EVENT playlist of the segments that have arrived and been verified (#EXT-X-GAP where the upload went ahead of them), with #EXT-X-ENDLIST once the upload is complete. `at` (seconds from the start) says where the viewer wants to watch: the upload goes there first. Anyone but the owner (and an investigation) gets the copy with every face blurred (issue 19): 409 saying how far it is while it is made, never the original in the meantime; 409 too when faces cannot be blurred on this controller.",
        summary:
          "The footage's HLS playlist, growing while the box uploads it (audited as playing " +
          "it). 404 until the first segment is in — asking for it asks the device to upload it",
        params: RecordingParams,
        querystring: Obj({
          at: Type.Optional(
            Type.Number({
              minimum: 0,
              maximum: MAX_POSITION_SECONDS,
              description: "Where the viewer wants to watch, in seconds from the start",
            }),
          ),
        }),
        response: {
          200: {
            description: "The HLS playlist (served only when decide() lets the person view it)",
            content: { "application/vnd.apple.mpegurl": { schema: Type.String() } },
          },
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const text = await footage.playlist(me(request), request.params.id, request.query.at);
      return reply
        .header("cache-control", "private, no-store")
        .type("application/vnd.apple.mpegurl")
        .send(text);
    },
  );

  // the key is sent as bytes, which its schema describes as binary
  streaming.get(
    "/api/recordings/:id/footage/key",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "getFootageKey",
        description:
          "Whoever decide() lets view the recording: the 16-byte AES-128 key of footage encrypted on its classroom box, which its playlist names (#EXT-X-KEY); opened from the sealed key only for this request, audited every time, never cached. 404 for footage in the clear or whose key has been erased.",
        summary: "The key of encrypted footage, for whoever may view it (audited)",
        params: RecordingParams,
        response: {
          200: KEY_ANSWER,
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      return sendKey(reply, await footage.key(me(request), request.params.id));
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
          "Whoever decide() lets view the recording: one MPEG-TS segment named in its playlist, as soon as it has arrived from the box and been verified against the manifest; never cached and never offered as a download. Asking for one that has not arrived yet answers 404 and moves the upload there.",
        summary: "One segment of the footage (MPEG-TS), for whoever may view it",
        params: Obj({ id: Uuid, segment: SegmentName }),
        response: {
          200: {
            description: "One MPEG-TS segment (served only when decide() lets the person view it)",
            content: { "video/mp2t": { schema: Type.String({ format: "binary" }) } },
          },
          ...errors(400, 401, 403, 404, 409),
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
