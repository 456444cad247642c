/** The school's policy: anyone signed in reads it; leadership and the DPO change it. */
import type { FastifyInstance } from "fastify";
import { typed } from "./typed.js";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import { answer, PolicyChange, PolicySchema, errors } from "./schemas.js";

export function policyRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { policy, custodian } = app;

  app.get(
    "/api/policy",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["policy"],
        operationId: "getPolicy",
        description:
          "Anyone signed in: how long footage stays in a box's buffer and in the archive, the booking rules, whether sound is on by default, and the classes that are never recorded.",
        summary: "The school's policy",
        response: { 200: answer("The policy", PolicySchema), ...errors(401, 403) },
      },
    },
    () => policy.get(),
  );

  app.patch(
    "/api/policy",
    {
      onRequest: allow("slt", "headteacher", "dpo"),
      schema: {
        tags: ["policy"],
        operationId: "changePolicy",
        description:
          "SLT, headteacher or DPO: changes any part of the policy; what is not sent stays as it is. Audited; every box gets the new rules at once.",
        summary: "Change the policy (audited; devices get it at once)",
        body: Type.Composite([PolicyChange], { additionalProperties: false, minProperties: 1 }),
        response: {
          200: answer("The policy as it now is", PolicySchema),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const next = await policy.update(request.body, me(request).id);
      await custodian.refreshAll();
      return next;
    },
  );
}
