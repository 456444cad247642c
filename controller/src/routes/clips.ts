/**
 * Clips and the exemplar bank: the owner cuts a clip from a recording on the
 * controller, offers it to the bank, the staff in it agree or decline;
 * colleagues search the bank and watch; the owner or SLT withdraws. Footage
 * as HLS, never cached, never offered as a download; every decision is
 * `decideClip()`'s (domain/clip-access.ts), applied in the domain.
 */
import { createReadStream } from "node:fs";
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { COLLEAGUE_ROLES } from "../domain/access.js";
import { ANYONE, allow, me } from "./auth.js";
import {
  BankEntrySchema,
  BankQuery,
  ClipParams,
  ClipSchema,
  CutBody,
  OfferBody,
} from "./clip-schemas.js";
import { RecordingParams } from "./recordings.js";
import { Obj, OneOf, SegmentName, Uuid, answer, errors } from "./schemas.js";
import { typed, typedRequests } from "./typed.js";
import { KEY_ANSWER, sendKey } from "./key-answer.js";

export function clipRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { clips } = app;
  const streaming = typedRequests(fastify);

  app.post(
    "/api/recordings/:id/clips",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "cutClip",
        description:
          "The recording's owner, when its footage is on the controller: cuts the part from inSeconds to outSeconds into a clip of its own with ffmpeg's stream copy (no re-encode). The start moves back to a keyframe, the end on to one; the answer says how far each moved. Audited with why the clip exists. 409 when the footage is not on the controller yet (ask for it to be uploaded first).",
        summary: "Cut a clip (on keyframes, stream copy)",
        params: RecordingParams,
        body: CutBody,
        response: {
          201: answer("The clip cut", ClipSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await clips.cut(me(request), request.params.id, request.body)),
  );

  app.get(
    "/api/clips",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "listMyClips",
        description: "The clips I cut, newest first.",
        summary: "My clips",
        response: { 200: answer("My clips", Type.Array(ClipSchema)), ...errors(401) },
      },
    },
    async (request) => clips.mine(me(request)),
  );

  app.get(
    "/api/clips/bank",
    {
      onRequest: allow(...COLLEAGUE_ROLES),
      schema: {
        tags: ["clips"],
        operationId: "searchBank",
        description:
          "Teachers, coaches, SLT and the headteacher: the clips in the exemplar bank, by a strand of the school's framework, subject, year group and words of the title (newest first, at most 200).",
        summary: "Search the exemplar bank",
        querystring: BankQuery,
        response: {
          200: answer("Clips in the bank", Type.Array(BankEntrySchema)),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => clips.bank.search(me(request), request.query),
  );

  app.get(
    "/api/clips/consents",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "clipsAwaitingMyConsent",
        description:
          "Clips offered to the exemplar bank from lessons I am in, waiting for me to agree or decline.",
        summary: "Clips waiting for my consent",
        response: { 200: answer("Clips", Type.Array(BankEntrySchema)), ...errors(401) },
      },
    },
    async (request) => clips.bank.awaitingMyConsent(me(request)),
  );

  app.get(
    "/api/clips/:clipId",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "getClip",
        description:
          "Whoever may watch the clip, or is asked for consent to it: its details, strands, consents and what protects pupils on the do-not-record list.",
        summary: "A clip's details",
        params: ClipParams,
        response: {
          200: answer("The clip", BankEntrySchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => clips.bank.detail(me(request), request.params.clipId),
  );

  app.post(
    "/api/clips/:clipId/offer",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "offerClip",
        description:
          "The clip's owner offers it to the exemplar bank with a subject, year group and strands (and a new title if wanted); the owner's consent comes with it. It enters when every member of staff on the booking agrees (the same rule as keeping a recording); one decline keeps it out. Audited; the others are told.",
        summary: "Offer a clip to the exemplar bank",
        params: ClipParams,
        body: OfferBody,
        response: {
          200: answer("The clip as offered", BankEntrySchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => clips.bank.offer(me(request), request.params.clipId, request.body),
  );

  app.post(
    "/api/clips/:clipId/consent",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "consentToClip",
        description:
          "A member of staff on the booking agrees or declines to the clip going into the bank (a later word replaces an earlier one; declining takes it out again). Audited.",
        summary: "Agree or decline to a clip in the bank",
        params: ClipParams,
        body: Obj({ decision: OneOf(["agree", "decline"] as const) }),
        response: {
          200: answer("The clip", BankEntrySchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) =>
      clips.bank.consent(me(request), request.params.clipId, request.body.decision),
  );

  app.post(
    "/api/clips/:clipId/withdraw",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "withdrawClip",
        description:
          "The clip's owner or SLT withdraws it from the exemplar bank; its footage is deleted unless another rule keeps it (it answers a coaching assignment), and the answer says which. Audited.",
        summary: "Withdraw a clip from the bank",
        params: ClipParams,
        response: {
          200: answer(
            "Whether its footage was deleted, or why it is kept",
            Obj({
              deleted: Type.Boolean(),
              keptBecause: Type.Union([Type.String(), Type.Null()]),
            }),
          ),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => clips.bank.withdraw(me(request), request.params.clipId),
  );

  app.get(
    "/api/clips/:clipId/footage/index.m3u8",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "getClipPlaylist",
        description:
          "Whoever decideClip() lets watch the clip (its owner, whoever may watch the recording, whoever set an assignment it answers, and every colleague once it is in the bank — never the Bursar, IT, the DPO or administrators): its HLS playlist, audited as playing it once per viewing, never cached.",
        summary: "The clip's HLS playlist (audited as playing it)",
        params: ClipParams,
        response: {
          200: {
            description: "The HLS playlist",
            content: { "application/vnd.apple.mpegurl": { schema: Type.String() } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const text = await clips.playlist(me(request), request.params.clipId);
      return reply
        .header("cache-control", "private, no-store")
        .type("application/vnd.apple.mpegurl")
        .send(text);
    },
  );

  // the key is sent as bytes, which its schema describes as binary
  streaming.get(
    "/api/clips/:clipId/footage/key",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "getClipKey",
        description:
          "Whoever decideClip() lets watch the clip: the 16-byte AES-128 key its footage is encrypted with at rest (every clip has its own, which its playlist names in #EXT-X-KEY); opened from its sealed key only for this request, audited every time, never cached. 404 for a clip whose key has been erased (or cut before clips were encrypted).",
        summary: "The clip's key, for whoever may watch it (audited)",
        params: ClipParams,
        response: {
          200: KEY_ANSWER,
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      return sendKey(reply, await clips.key(me(request), request.params.clipId));
    },
  );

  streaming.get(
    "/api/clips/:clipId/footage/:segment",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["clips"],
        operationId: "getClipSegment",
        description:
          "Whoever decideClip() lets watch the clip: one MPEG-TS segment of it, never cached and never offered as a download.",
        summary: "One segment of the clip (MPEG-TS)",
        params: Obj({ clipId: Uuid, segment: SegmentName }),
        response: {
          200: {
            description: "One MPEG-TS segment",
            content: { "video/mp2t": { schema: Type.String({ format: "binary" }) } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { clipId, segment } = request.params;
      const path = await clips.segment(me(request), clipId, segment);
      return reply
        .header("cache-control", "private, no-store")
        .type("video/mp2t")
        .send(createReadStream(path));
    },
  );
}
