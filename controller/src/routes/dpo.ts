/**
 * The data protection officer's requests (issue 20 §3): find what footage
 * exists of someone, export it for a subject access request (the one place a
 * copy leaves the system), erase it on request, and the deletion
 * certificate. The DPO only; every step audited.
 */
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { DomainError } from "../domain/errors.js";
import { findFootage, type FootageSearch } from "../domain/privacy/dpo-find.js";
import { deletionCertificate, requestErasure } from "../domain/privacy/dpo-erasure.js";
import { makeExport, takeExport } from "../domain/privacy/dpo-export.js";
import { FaceBlurring } from "../anonymise/serving.js";
import { allow, me } from "./auth.js";
import {
  CertificateSchema,
  ErasureAnswerSchema,
  ErasureRequest,
  ExportAnswerSchema,
  ExportRequest,
  FootageQuery,
  FoundRecordingSchema,
} from "./dpo-schemas.js";
import { Obj, Uuid, answer, errors } from "./schemas.js";
import { typed, typedRequests } from "./typed.js";

export function dpoRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { db, audit, policy, recordings, config, now, copyKeys: keys } = app;
  const exportsDir = join(config.dataDir, "exports");
  const recordingsDir = join(config.dataDir, "recordings");

  app.get(
    "/api/dpo/footage",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["privacy"],
        operationId: "findFootage",
        summary: "Find footage by rooms and time, or by class and dates",
        description:
          "The DPO: every recording made in the rooms given (or of the class given) between from and to (at most a year), and where its copies are: in the classroom box, on the school's server, archived, an exemplar, clips. Metadata only.",
        querystring: FootageQuery,
        response: {
          200: answer("The recordings found, oldest first", Type.Array(FoundRecordingSchema)),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { rooms, classCode, from, to } = request.query;
      if ((rooms === undefined) === (classCode === undefined)) {
        throw new DomainError("invalid", "search by rooms or by class, one of the two");
      }
      const search: FootageSearch =
        rooms !== undefined
          ? { rooms: rooms.split(","), from, to }
          : { classCode: classCode ?? "", from, to };
      return findFootage(db, search);
    },
  );

  app.post(
    "/api/dpo/exports",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["privacy"],
        operationId: "makeSubjectAccessExport",
        summary: "Make a subject access export (audited)",
        description:
          "The DPO: a package (tar) of the recordings' details, every audit entry about each, and the footage of those marked to include, with every face blurred (the rendition rule for a subject-access export): 409 saying how far each copy is while they are made, or why one could not be, never the original. Audited; taken away once with the download route.",
        body: ExportRequest,
        response: {
          201: answer("The export, ready to take away", ExportAnswerSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const made = await makeExport(
        // its footage: the copies with every face blurred (the rendition rule's "subject-access")
        {
          db,
          audit,
          recordingsDir,
          exportsDir,
          blurred: new FaceBlurring(policy, app.anonymiser),
          keys,
        },
        me(request),
        request.body,
        now(),
      );
      return reply.code(201).send(made);
    },
  );

  // the file is streamed as it is: its schema only describes it
  typedRequests(fastify).get(
    "/api/dpo/exports/:exportId",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["privacy"],
        operationId: "takeSubjectAccessExport",
        summary: "Take a subject access export away (once; audited)",
        description:
          "The DPO: the export's tar file. This is the one place a copy leaves the system; audited, and deleted from the server once sent. An export not taken away within its time (expiresAt) is deleted by the retention sweep: 410 then.",
        params: Obj({ exportId: Uuid }),
        response: {
          200: {
            description: "The package (tar)",
            content: { "application/x-tar": { schema: Type.String({ format: "binary" }) } },
          },
          ...errors(400, 401, 403, 404, 410),
        },
      },
    },
    async (request, reply) => {
      const { exportId } = request.params;
      const taken = await takeExport({ audit, exportsDir, keys }, me(request), exportId);
      reply.raw.once("close", () => {
        taken.done().catch((error: unknown) => {
          request.log.error({ err: error }, "could not delete a taken export");
        });
      });
      return reply
        .header("cache-control", "no-store")
        .header("content-length", String(taken.bytes))
        .header("content-disposition", `attachment; filename="subject-access-${exportId}.tar"`)
        .type("application/x-tar")
        .send(taken.open());
    },
  );

  app.post(
    "/api/dpo/erasures",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["privacy"],
        operationId: "requestErasure",
        summary: "Erase recordings on request (audited)",
        description:
          "The DPO: every recording named is deleted on its classroom box and on the school's server (a box that is offline when it is next online). Footage on hold is refused, with the reason. The certificate says when it is done.",
        body: ErasureRequest,
        response: {
          201: answer("What is being erased, and what was refused and why", ErasureAnswerSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { reference, recordingIds } = request.body;
      const answered = await requestErasure(
        { db, audit, policy, recordings, clock: now },
        me(request),
        reference,
        recordingIds,
      );
      return reply.code(201).send(answered);
    },
  );

  app.get(
    "/api/dpo/erasures/:erasureId/certificate",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["privacy"],
        operationId: "erasureCertificate",
        summary: "The deletion certificate of an erasure request",
        description:
          "The DPO: what was deleted, where and when, under which request, each step's audit entry and the chain's hash at that point (check it with classcam-controller audit verify --anchor SEQ:HASH); complete once every copy is gone.",
        params: Obj({ erasureId: Uuid }),
        response: {
          200: answer("The certificate", CertificateSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    (request) => deletionCertificate({ db, audit }, request.params.erasureId),
  );
}
