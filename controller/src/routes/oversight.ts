/**
 * Read-only views behind the dashboard's school-management screens:
 *
 * - `GET /api/fleet`: the fleet a page at a time (a school may have thousands
 *   of boxes), filtered and counted, with what the fleet page shows of each
 *   box — how many days of recording its free and overwritable space holds at
 *   its recent rate, how often its card has been written over, its alerts;
 * - `GET /api/use`: the boxes' use over the weeks — recording hours by room
 *   and by purpose, footage held over time, asking to keep and consent;
 * - `GET /api/governance`: the holds and investigations in force, with the
 *   recording each is about.
 *
 * Each route names the roles it serves, as the school's routes do; none
 * changes anything but the audit log. The figures come from the domain's read
 * models: domain/fleet-view.ts, domain/use-view.ts, domain/governance-view.ts.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { FLEET_ROLES, FLEET_SHOW, FLEET_STATUS, fleetPage } from "../domain/fleet-view.js";
import { useOverWeeks } from "../domain/use-view.js";
import { inForce } from "../domain/governance-view.js";
import { allow } from "./auth.js";
import { FleetPageSchema, GovernanceSchema, UseSchema } from "./oversight-schemas.js";
import { answer, Obj, OneOf, errors } from "./schemas.js";
import { typed } from "./typed.js";

export * from "./oversight-schemas.js";
export { bufferDays } from "../domain/fleet-view.js";
export { weekStart } from "../domain/use-view.js";

/** Who sees the fleet: as `GET /api/alerts` (less the DPO, who has no fleet page). */
/** Who sees the use of the boxes. */
export const USE_ROLES = ["bursar", "slt", "headteacher"] as const;
/** Who sees the holds and investigations in force (as `GET /api/holds`). */
export const GOVERNANCE_ROLES = ["slt", "headteacher", "dpo"] as const;

export function oversightRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  // ------------------------------------------------------------------ the fleet, a page at a time
  app.get(
    "/api/fleet",
    {
      onRequest: allow(...FLEET_ROLES),
      schema: {
        tags: ["fleet"],
        operationId: "listFleet",
        description:
          "The fleet roles (Bursar, IT, SLT, headteacher, administrator): the boxes a page at a time, by room, searchable and filtered by what needs attention or by status, with each box's health.",
        summary:
          "The fleet a page at a time, by room: online, lamp, storage and days of buffer, " +
          "card wear, temperature, software, last seen and alerts",
        querystring: Obj({
          q: Type.Optional(Type.String({ maxLength: 100 })),
          show: Type.Optional(OneOf(FLEET_SHOW)),
          status: Type.Optional(OneOf(FLEET_STATUS)),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
        }),
        response: { 200: answer("A page of the fleet", FleetPageSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => fleetPage(app.db, app.devices, app.now(), request.query),
  );

  // ------------------------------------------------------------------ use over the weeks
  app.get(
    "/api/use",
    {
      onRequest: allow(...USE_ROLES),
      schema: {
        tags: ["use"],
        operationId: "getUse",
        description:
          "Bursar, SLT or headteacher: how the boxes were used over the last weeks (1 to 52), in numbers only: recording hours by room and by purpose, footage held, keeping and consent.",
        summary:
          "The boxes' use over the last weeks: recording hours by room and by purpose, footage " +
          "held over time, asking to keep and consent",
        querystring: Obj({ weeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 52 })) }),
        response: { 200: answer("The use, week by week", UseSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => useOverWeeks(app.db, app.now(), request.query.weeks ?? 12),
  );

  // ------------------------------------------------------------------ holds and investigations
  app.get(
    "/api/governance",
    {
      onRequest: allow(...GOVERNANCE_ROLES),
      schema: {
        tags: ["governance"],
        operationId: "getGovernance",
        description:
          "SLT, headteacher or DPO: the holds and investigations in force, each with the recording it is about (its room, purpose and date).",
        summary: "Holds and investigations in force, with the recording each is about",
        response: {
          200: answer("Holds and investigations in force", GovernanceSchema),
          ...errors(401, 403),
        },
      },
    },
    async () => inForce(app.db),
  );
}
