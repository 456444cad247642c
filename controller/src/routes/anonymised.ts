/**
 * A recording's copy with every face blurred (issue 19): whether it exists,
 * is being made (how far) or failed (why), and which copy the asker is shown.
 * The copy itself is served by the footage routes.
 */
import type { FastifyInstance } from "fastify";
import { ANYONE, allow, me } from "./auth.js";
import { AnonymisedCopySchema } from "./anonymised-schemas.js";
import { answer, errors } from "./schemas.js";
import { RecordingParams } from "./recordings.js";
import { typed } from "./typed.js";
import { decide } from "../domain/access.js";
import { DomainError } from "../domain/errors.js";
import { copyFor, sharedUnblurred, type Copy } from "../domain/rendition-rule.js";

export function anonymisedRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  app.get(
    "/api/recordings/:id/anonymised-copy",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        operationId: "getAnonymisedCopy",
        description:
          "Whoever may see the recording's details: whether its copy with every face blurred (made for anyone but the owner and an investigation) exists, is being made and how far, or failed and why; and which copy the asker is shown.",
        summary: "The recording's copy with faces blurred: made, being made, or failed",
        params: RecordingParams,
        response: {
          200: answer("The copy's state", AnonymisedCopySchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const person = me(request);
      const { id } = request.params;
      const access = await app.recordings.accessOf(null, id);
      const now = app.now();
      const metadata = decide(person, "view-metadata", access, now);
      if (!metadata.allowed) throw new DomainError("forbidden", metadata.reason);
      const view = decide(person, "view", access, now);
      const policy = await app.policy.get();
      const unblurred = sharedUnblurred(person, access, now);
      const yours: Copy | "none" = view.allowed
        ? copyFor(view.basis, policy.anonymity, unblurred)
        : "none";
      return { ...(await app.anonymiser.status(id)), yours };
    },
  );
}
