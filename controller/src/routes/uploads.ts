/**
 * The footage upload, for classroom devices: the manifest of a recording's
 * HLS segments, then each segment's raw bytes, then (any time) the progress.
 * A device authenticates with the one-time token the custodian sent with its
 * `upload-recording` request, as `Authorization: Bearer <token>`; these
 * routes never take a session (see `DEVICE_ROUTE` in `auth.ts`). The checks
 * on names, lengths and checksums are the domain's (`domain/footage.ts`).
 */
import { Readable } from "node:stream";
import type { FastifyInstance, onRequestAsyncHookHandler } from "fastify";
import { Type } from "@sinclair/typebox";
import { MAX_MANIFEST_SEGMENTS, UploadRefused } from "../domain/footage.js";
import { DEVICE_ROUTE } from "./auth.js";
import {
  answer,
  ManifestSchema,
  Obj,
  SegmentName,
  UploadProgressSchema,
  Uuid,
  errors,
} from "./schemas.js";
import { pathParam, typed } from "./typed.js";

const UploadParams = Obj({ recordingId: Uuid });
const SegmentParams = Obj({ recordingId: Uuid, name: SegmentName });
const security = [{ uploadToken: [] }];
/** The segment a viewer waits for, which the box sends next (protocol's upload-order). */
const NextSegment = Type.String({
  description:
    "The segment to send next: a viewer is waiting for it (the rest follows in recording order)",
});
/** A manifest entry is about 130 bytes of JSON. */
const MANIFEST_BODY_LIMIT = MAX_MANIFEST_SEGMENTS * 200;

export async function uploadRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify);
  const { footage } = app;

  /** The bearer token against the recording's upload token, before any body is read. */
  const token: onRequestAsyncHookHandler = async (request) => {
    await footage.authenticate(pathParam(request, "recordingId"), request.headers.authorization);
  };

  app.get(
    "/api/uploads/:recordingId",
    {
      config: DEVICE_ROUTE,
      onRequest: token,
      schema: {
        tags: ["uploads"],
        operationId: "getUploadProgress",
        description:
          "The classroom box, with the upload token of the controller's upload request: which segments have arrived and whether the upload is complete, so an interrupted upload resumes.",
        summary: "How far a recording's upload got (for the device with its upload token)",
        security,
        params: UploadParams,
        response: {
          200: answer("The upload's progress", UploadProgressSchema),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => footage.progress(request.params.recordingId),
  );

  app.put(
    "/api/uploads/:recordingId/manifest",
    {
      config: DEVICE_ROUTE,
      onRequest: token,
      bodyLimit: MANIFEST_BODY_LIMIT,
      schema: {
        tags: ["uploads"],
        operationId: "putUploadManifest",
        description:
          "The classroom box, with its upload token: declares every segment of the recording (name, length in bytes, SHA-256) before sending them, and for footage encrypted on the box its sealed content key (refused, 400, when this controller cannot open it); answers which have already arrived.",
        summary:
          "The recording's segments (name, length, SHA-256); answers which are already in, " +
          "so an interrupted upload resumes",
        security,
        params: UploadParams,
        body: ManifestSchema,
        response: {
          200: answer(
            "The segments already received, whether the upload is complete, and (when a viewer waits) the segment to send next",
            Obj({
              received: Type.Array(Type.String()),
              complete: Type.Boolean(),
              next: Type.Optional(NextSegment),
            }),
          ),
          ...errors(400, 401, 403, 404, 409, 413),
        },
      },
    },
    async (request) => {
      const { recordingId } = request.params;
      const { segments, sealedKey } = request.body;
      return footage.putManifest(recordingId, segments, sealedKey);
    },
  );

  // the segment's body is raw bytes, streamed to disk: no parser reads it into memory
  await app.register((plugin: FastifyInstance, _options, done) => {
    const segments = typed(plugin);
    segments.removeAllContentTypeParsers();
    segments.addContentTypeParser("*", (_request, payload, parsed) => {
      parsed(null, payload);
    });
    segments.put(
      "/api/uploads/:recordingId/segments/:name",
      {
        config: DEVICE_ROUTE,
        onRequest: token,
        schema: {
          tags: ["uploads"],
          operationId: "putUploadSegment",
          description:
            "The classroom box, with its upload token: the raw bytes of one segment declared in the manifest, as application/octet-stream, with its SHA-256 in X-Content-SHA256. Streamed to disk and kept only if its length and checksum match the manifest.",
          summary:
            "One segment's bytes (application/octet-stream, X-Content-SHA256); kept only if " +
            "its length and checksum match the manifest",
          security,
          params: SegmentParams,
          streamedBody: { contentType: "application/octet-stream" },
          headers: Type.Object({
            "x-content-sha256": Type.Optional(Type.String({ maxLength: 64 })),
          }),
          response: {
            200: answer(
              "The segment is kept; how much of the upload has arrived; (when a viewer waits) the segment to send next",
              Obj({
                name: Type.String(),
                receivedBytes: Type.Integer(),
                totalBytes: Type.Integer(),
                complete: Type.Boolean(),
                next: Type.Optional(NextSegment),
              }),
            ),
            ...errors(400, 401, 403, 409, 413, 415, 422),
          },
        },
      },
      async (request) => {
        const { recordingId, name } = request.params;
        const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
        if (type !== "application/octet-stream") {
          throw new UploadRefused(
            415,
            "unsupported-media-type",
            "send the segment's bytes as the body, with Content-Type: application/octet-stream",
          );
        }
        const length = request.headers["content-length"];
        const sha256 = request.headers["x-content-sha256"];
        return footage.receiveSegment(
          recordingId,
          name,
          request.body instanceof Readable ? request.body : Readable.from([]),
          {
            sha256: typeof sha256 === "string" ? sha256 : undefined,
            contentLength: length === undefined ? undefined : Number(length),
          },
        );
      },
    );
    done();
  });
}
