/**
 * What the school tells everyone about recording: the public privacy notice
 * at `/privacy` (no sign-in: the door signs' QR code leads here) and each
 * room's door sign as an A4 PDF, both written from the live policy.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { publicUrlOf } from "../config.js";
import { doorSign, doorSignPdf, PRIVACY_NOTICE_PATH } from "../domain/privacy/door-sign.js";
import { privacyNotice, privacyNoticeHtml } from "../domain/privacy/notice.js";
import { ANYONE, PUBLIC_ROUTE, allow } from "./auth.js";
import { DeviceId, Obj, errors } from "./schemas.js";
import { typedRequests } from "./typed.js";

export function privacyRoutes(fastify: FastifyInstance): void {
  const app = typedRequests(fastify);
  const { policy, devices, config } = app;

  app.get(
    PRIVACY_NOTICE_PATH,
    {
      config: PUBLIC_ROUTE,
      schema: {
        tags: ["privacy"],
        operationId: "getPrivacyNotice",
        summary: "The public privacy notice for lesson recording",
        description:
          "Anyone, without signing in (the door signs' QR code leads here): what is recorded, why, how long it is kept, who may see it and whom to ask, written from the school's live policy. An HTML page.",
        response: {
          200: {
            description: "The notice, as an HTML page",
            content: { "text/html": { schema: Type.String() } },
          },
        },
      },
    },
    async (_request, reply) => {
      const rooms = await app.teacherZones.roomsWithZones();
      const html = privacyNoticeHtml(privacyNotice(await policy.get(), rooms));
      return reply.header("cache-control", "no-cache").type("text/html; charset=utf-8").send(html);
    },
  );

  app.get(
    "/api/devices/:id/door-sign",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["privacy"],
        operationId: "getDoorSign",
        summary: "The door sign for a box's room (A4 PDF)",
        description:
          "Anyone signed in: a printable A4 sign for the door of the box's room — lessons here may be recorded for teacher development, what the lamp means, whom to ask, and a QR code to the privacy notice — made from the live policy.",
        params: Obj({ id: DeviceId }),
        response: {
          200: {
            description: "The sign (PDF)",
            content: { "application/pdf": { schema: Type.String({ format: "binary" }) } },
          },
          ...errors(401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { room } = await devices.require(request.params.id);
      const sign = doorSign(await policy.get(), room, publicUrlOf(config));
      const pdf = await doorSignPdf(sign);
      const file = `door-sign-${room.replace(/[^A-Za-z0-9-]+/g, "-")}.pdf`;
      return reply
        .header("cache-control", "no-store")
        .header("content-disposition", `inline; filename="${file}"`)
        .type("application/pdf")
        .send(pdf);
    },
  );
}
