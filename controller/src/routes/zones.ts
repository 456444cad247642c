/**
 * A room's teacher zones (issue 19, `domain/zone-rule.ts`): where its copies
 * with faces blurred leave faces sharp — the front of the room, so a coach
 * still sees the teacher's expression — and whether everything outside them
 * is blurred too ("blur the background"). Read and set by whoever sets the
 * room's privacy masks (`MASK_ROLES`); setting them is audited, and the
 * copies made under zones that now show too much are removed at once (the
 * others are made again when next watched: a copy is served only under the
 * zones it was made under).
 */
import type { FastifyInstance } from "fastify";
import { MASK_ROLES } from "../domain/access.js";
import { allow, me } from "./auth.js";
import { answer, DeviceId, errors, Obj } from "./schemas.js";
import { typed } from "./typed.js";
import { TeacherZonesSchema } from "./zone-schemas.js";

export function zoneRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);

  app.get(
    "/api/devices/:id/zones",
    {
      onRequest: allow(...MASK_ROLES),
      schema: {
        tags: ["fleet"],
        operationId: "getTeacherZones",
        description:
          "SLT, headteacher or DPO: the room's teacher zones, where its copies with faces blurred leave faces sharp (the front of the room, where the teacher stands), and whether everything outside them is blurred too.",
        summary: "A room's teacher zones (faces left sharp in its blurred copies)",
        params: Obj({ id: DeviceId }),
        response: {
          200: answer("The room's zones", TeacherZonesSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await app.devices.require(id);
      const { mode, zones } = await app.teacherZones.get(id);
      return { mode, zones: [...zones] };
    },
  );

  app.put(
    "/api/devices/:id/zones",
    {
      onRequest: allow(...MASK_ROLES),
      schema: {
        tags: ["fleet"],
        operationId: "setTeacherZones",
        description:
          "SLT, headteacher or DPO: replaces the room's teacher zones, at most 16 rectangles inside the picture, and how they are used: none (every face blurred), faces (a face mostly inside a zone is left sharp) or background (as faces, and everything outside the zones is blurred too). Audited. Copies with faces blurred made under zones that now show too much are removed at once; every copy is served only under the zones it was made under, and made again otherwise.",
        summary: "Set a room's teacher zones (faces left sharp in its blurred copies)",
        params: Obj({ id: DeviceId }),
        body: TeacherZonesSchema,
        response: {
          200: answer("The room's zones as saved", TeacherZonesSchema),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await app.devices.require(id);
      const stale = await app.teacherZones.set(id, request.body, me(request).id);
      for (const copy of stale) await app.anonymiser.remove(copy.copyId, copy.of);
      const { mode, zones } = await app.teacherZones.get(id);
      return { mode, zones: [...zones] };
    },
  );
}
