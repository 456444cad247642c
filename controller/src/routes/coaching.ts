/**
 * Coaching's routes: the school's framework of strands (SLT and the
 * headteacher edit it), assignments (set by a coach, SLT or the headteacher;
 * answered by a teacher with a recording and a reflection), and a teacher's
 * coaching timeline with its export for the teacher alone. Feedback is a
 * comment of a kind (routes/sharing.ts); who may watch what was submitted is
 * `decide()`'s.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import {
  AssignmentCreate,
  AssignmentListsSchema,
  AssignmentSchema,
  CommentCreate,
  StrandCreate,
  SubmissionCreate,
  TimelineSchema,
} from "./coaching-schemas.js";
import {
  answer,
  CommentSchema,
  Obj,
  OneOf,
  Serial,
  StrandSchema,
  UserId,
  Uuid,
  errors,
} from "./schemas.js";
import { MAX_STRAND_NAME } from "../domain/coaching/strands.js";
import { typed, typedRequests } from "./typed.js";
import { ClipParams } from "./clip-schemas.js";
import { clipPart } from "../domain/coaching/clip-feedback.js";

const StrandParams = Obj({ strandId: Serial });
const AssignmentParams = Obj({ assignmentId: Uuid });

export function coachingRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { coaching, clips, recordings } = app;

  app.get(
    "/api/strands",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["coaching"],
        operationId: "listStrands",
        description:
          "Anyone signed in: the strands of the school's framework that coaching feedback and assignments are tagged with, in order; `includeRetired` adds the retired ones (they stay on earlier feedback).",
        summary: "The school's framework: its strands",
        querystring: Obj({ includeRetired: Type.Optional(Type.Boolean()) }),
        response: {
          200: answer("The strands", Type.Array(StrandSchema)),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => coaching.strands(request.query.includeRetired ?? false),
  );

  app.post(
    "/api/strands",
    {
      onRequest: allow("slt", "headteacher"),
      schema: {
        tags: ["coaching"],
        operationId: "addStrand",
        description:
          "SLT or the headteacher: adds a strand to the school's framework, with a short code of its own (audited).",
        summary: "Add a strand to the school's framework",
        body: StrandCreate,
        response: {
          201: answer("The strand added", StrandSchema),
          ...errors(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await coaching.addStrand(me(request), request.body)),
  );

  app.patch(
    "/api/strands/:strandId",
    {
      onRequest: allow("slt", "headteacher"),
      schema: {
        tags: ["coaching"],
        operationId: "renameStrand",
        description:
          "SLT or the headteacher: renames a strand in force; its version goes up by one, and what it tags shows the new words (audited, with the old ones).",
        summary: "Rename a strand (a new version of it)",
        params: StrandParams,
        body: Obj({ name: Type.String({ minLength: 1, maxLength: MAX_STRAND_NAME }) }),
        response: {
          200: answer("The strand renamed", StrandSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) =>
      coaching.renameStrand(me(request), request.params.strandId, request.body.name),
  );

  app.post(
    "/api/strands/:strandId/retire",
    {
      onRequest: allow("slt", "headteacher"),
      schema: {
        tags: ["coaching"],
        operationId: "retireStrand",
        description:
          "SLT or the headteacher: retires a strand. It can no longer be chosen, and stays on the feedback and assignments it tags (audited).",
        summary: "Retire a strand",
        params: StrandParams,
        response: {
          200: answer("The strand retired", StrandSchema),
          ...errors(401, 403, 404, 409),
        },
      },
    },
    async (request) => coaching.retireStrand(me(request), request.params.strandId),
  );

  app.get(
    "/api/assignments",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["coaching"],
        operationId: "listAssignments",
        description:
          "Anyone signed in: the assignments set for them (with their own answer) and those they set (with every teacher's answer); `strand` keeps those tagged with it.",
        summary: "Assignments set for me, and set by me",
        querystring: Obj({ strand: Type.Optional(Serial) }),
        response: {
          200: answer("The assignments", AssignmentListsSchema),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => coaching.assignments(me(request), request.query.strand),
  );

  app.post(
    "/api/assignments",
    {
      onRequest: allow("coach", "slt", "headteacher"),
      schema: {
        tags: ["coaching"],
        operationId: "setAssignment",
        description:
          "A coach, SLT or the headteacher: sets an assignment for one teacher or several: a title, the focus, strands in force, a due day from today to a year ahead, an optional suggestion of a lesson to record, and next steps carried forward from earlier feedback on those teachers' lessons (audited).",
        summary: "Set an assignment for one teacher or a group",
        body: AssignmentCreate,
        response: {
          201: answer("The assignment set", AssignmentSchema),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await coaching.setAssignment(me(request), request.body)),
  );

  app.get(
    "/api/assignments/:assignmentId",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["coaching"],
        operationId: "getAssignment",
        description:
          "Whoever set it, or a teacher it was set for: the assignment, with the answers the asker may see (the setter every teacher's, a teacher their own).",
        summary: "One assignment",
        params: AssignmentParams,
        response: {
          200: answer("The assignment", AssignmentSchema),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => coaching.assignment(me(request), request.params.assignmentId),
  );

  app.post(
    "/api/assignments/:assignmentId/submission",
    {
      onRequest: allow("teacher"),
      schema: {
        tags: ["coaching"],
        operationId: "submitAssignment",
        description:
          "A teacher it was set for: answers it once with a recording of their own (whole, or between in and out points) or a clip of their own, and a short reflection. From then on whoever set it may watch that recording and comment on it; nobody else gains anything (audited).",
        summary: "Answer an assignment with a recording and a reflection",
        params: AssignmentParams,
        body: SubmissionCreate,
        response: {
          201: answer("The assignment with the answer", AssignmentSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await coaching.submit(me(request), request.params.assignmentId, request.body)),
  );

  app.get(
    "/api/clips/:clipId/comments",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["coaching"],
        operationId: "listClipFeedback",
        description:
          "The clip's owner, or whoever set an assignment the owner answered with it: the feedback at the clip's moments (in seconds from the start of the recording), in timeline order. The owner sees every thread there; the setter the threads they started, with their replies. Nobody gains the rest of the recording by it.",
        summary: "Feedback at the moments of a clip that answers an assignment",
        params: ClipParams,
        response: {
          200: answer("The feedback", Type.Array(CommentSchema)),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const person = me(request);
      const { recordingId, part } = await clipPart(clips.bank, person, request.params.clipId);
      return recordings.comments(person, recordingId, part);
    },
  );

  app.post(
    "/api/clips/:clipId/comments",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["coaching"],
        operationId: "addClipFeedback",
        description:
          "The clip's owner, or whoever set an assignment the owner answered with it: feedback (or a reply to a thread they see) at a moment of the clip, in seconds from the start of the recording. It is a comment on the owner's recording, audited, and the owner is told, as for any feedback.",
        summary: "Give feedback at a moment of a clip that answers an assignment",
        params: ClipParams,
        body: CommentCreate,
        response: {
          201: answer("The feedback given", CommentSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const person = me(request);
      const { recordingId, part } = await clipPart(clips.bank, person, request.params.clipId);
      const { atSeconds, body, kind, strands, parentId } = request.body;
      const extras = {
        ...(kind !== undefined && { kind }),
        ...(strands !== undefined && { strands }),
        ...(parentId !== undefined && { parentId }),
      };
      return reply
        .code(201)
        .send(await recordings.comment(person, recordingId, atSeconds, body, extras, part));
    },
  );

  app.put(
    "/api/clips/:clipId/next-steps/:commentId",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["coaching"],
        operationId: "markClipNextStep",
        description:
          "Whoever set an assignment the clip answers (a next step they gave at the clip's moments), or the clip's owner: marks the next step done, or open again (audited), without gaining the rest of the recording.",
        summary: "Mark a next step at a clip answer's moments done, or open again",
        params: Obj({ clipId: Uuid, commentId: Serial }),
        body: Obj({ done: Type.Boolean() }),
        response: {
          200: answer("The next step as it now is", CommentSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const person = me(request);
      const { part } = await clipPart(clips.bank, person, request.params.clipId);
      return recordings.markNextStep(person, request.params.commentId, request.body.done, part);
    },
  );

  app.get(
    "/api/coaching/timeline",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["coaching"],
        operationId: "coachingTimeline",
        description:
          "A teacher's coaching timeline: their assignments, the feedback on their lessons and their next steps. The teacher (no `teacher`, or their own id) sees all of it; anyone else only the assignments they set and the feedback they gave. No ratings. `strand` keeps what is tagged with it.",
        summary:
          "A teacher's coaching timeline (all of it for the teacher; for a coach, what they set)",
        querystring: Obj({ teacher: Type.Optional(UserId), strand: Type.Optional(Serial) }),
        response: {
          200: answer("The timeline", TimelineSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const person = me(request);
      return coaching.timeline(person, request.query.teacher ?? person.id, request.query.strand);
    },
  );

  typedRequests(fastify).get(
    "/api/coaching/timeline/export",
    {
      onRequest: allow("teacher"),
      schema: {
        tags: ["coaching"],
        operationId: "exportCoachingTimeline",
        description:
          "The teacher alone: their own coaching timeline as a file to keep, JSON or CSV. Nobody can export another person's (audited).",
        summary: "Download my own coaching timeline (JSON or CSV)",
        querystring: Obj({ format: OneOf(["json", "csv"]) }),
        response: {
          200: {
            description: "My timeline as a file to download (Content-Disposition: attachment)",
            content: {
              "application/json": { schema: TimelineSchema },
              "text/csv": { schema: Type.String() },
            },
          },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const file = await fastify.coaching.exportTimeline(me(request), request.query.format);
      return reply
        .header("content-type", file.contentType)
        .header("content-disposition", `attachment; filename="${file.filename}"`)
        .send(file.body);
    },
  );
}
