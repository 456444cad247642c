/**
 * The home each person starts from: `GET /api/home` answers the sections of
 * the caller's roles (domain/home-view.ts), and `POST /api/recordings/:id/seen`
 * records that they looked at a recording, so what was shared or commented on
 * it until then is no longer new to them (domain/seen.ts).
 */
import type { FastifyInstance } from "fastify";
import { homeFor } from "../domain/home-view.js";
import { markSeen } from "../domain/seen.js";
import { ANYONE, allow, me } from "./auth.js";
import { HomeSchema } from "./home-schemas.js";
import { RecordingParams } from "./recordings.js";
import { answer, Ok, errors } from "./schemas.js";
import { typed } from "./typed.js";

export function homeRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);

  app.get(
    "/api/home",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["home"],
        operationId: "getHome",
        description:
          "Anyone signed in: the person's home, one section for each role they hold, each item with a link to where it is dealt with; the dashboard fetches it again on live notices.",
        summary:
          "What needs me, one section per role I hold: a teacher's next bookings, unwatched " +
          "recordings with the days left, consents asked, new shares and comments; a coach's " +
          "shares awaiting feedback; leadership's holds and investigations in force; the " +
          "fleet's problems for the Bursar and IT; the DPO's recent investigations, exports " +
          "and deletions",
        response: { 200: answer("My home's sections", HomeSchema), ...errors(401, 403) },
      },
    },
    async (request) => {
      const { db, recordings, timetable, policy, devices } = app;
      return homeFor({ db, recordings, timetable, policy, devices, now: app.now() }, me(request));
    },
  );

  app.post(
    "/api/recordings/:id/seen",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["home"],
        operationId: "markRecordingSeen",
        description:
          "Anyone who may see the recording: marks its shares and comments so far as seen by this person, so they stop being new on their home. Nothing else changes.",
        summary:
          "I have looked at this recording: its shares and comments so far are no longer new " +
          "on my home",
        params: RecordingParams,
        response: { 200: answer("Marked as seen", Ok), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      await markSeen(app.db, app.recordings, me(request), request.params.id, app.now());
      return { ok: true as const };
    },
  );
}
