/**
 * The classroom boxes' cameras, asked through the box's `self-test` (the
 * box lights its lamp, reads it back, takes one frame, and darkens it):
 *
 * - `POST /api/devices/:id/self-test`, for IT: whether the camera gives a
 *   picture that looks right — in words and numbers, never the picture;
 * - `POST /api/devices/:id/picture`, for whoever sets the room's privacy
 *   masks (`MASK_ROLES`): a picture of the room taken now, to draw the masks
 *   on. The masks already set are burned in by the box; the room sees the
 *   lamp lit while it is taken; each one is audited (who, when, which room);
 *   it is passed through once — no file is written, no cache may keep it.
 * - `POST /api/bookings/:id/picture`, for whoever may change the booking: the
 *   same picture of the booking's room, to draw the booking's own masks on —
 *   only as `domain/booking-picture-rule.ts` allows (before it starts, for a
 *   class with a pupil on the do-not-record list, while the room is free).
 *
 * Neither is footage: no recording is opened, so `decide()` is not asked. A
 * still of a kept recording would be, and none is served for masks.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { Type } from "@sinclair/typebox";
import { REQUEST_SCHEMAS, type ResponseData } from "@classcam/protocol";
import { MASK_ROLES } from "../domain/access.js";
import { DomainError } from "../domain/errors.js";
import { allow, me } from "./auth.js";
import { answer, DeviceId, Obj, Uuid, errors } from "./schemas.js";
import { BOOKING_PICTURE_ROLES, bookingPictureVerdict } from "../domain/booking-picture-rule.js";
import { mayManage } from "../domain/timetable.js";
import { typedRequests } from "./typed.js";

const ANSWER_MS = 30_000;
/** The self-test's answer as IT gets it: everything but a picture. */
const SelfTestResult = Type.Omit(REQUEST_SCHEMAS["self-test"].data, ["picture"]);

/** What the two picture routes answer: a JPEG taken now, or why not. */
const PICTURE_RESPONSE = {
  200: {
    description: "The picture (JPEG), at most 960 pixels wide",
    content: { "image/jpeg": { schema: Type.String({ format: "binary" }) } },
  },
  ...errors(401, 403, 404, 409),
};

export function cameraRoutes(fastify: FastifyInstance): void {
  // the live picture is sent as JPEG bytes, which its response schema describes
  const app = typedRequests(fastify);
  const { devices, audit } = app;

  /**
   * A picture of the room taken now by its box, lamp lit: every ask audited
   * as `device.picture` with `why` (what it is for), taken or not; never kept.
   */
  async function takePicture(
    deviceId: string,
    actor: string,
    why: Record<string, string>,
  ): Promise<Buffer> {
    const { room } = await devices.require(deviceId);
    const taken = (detail: Record<string, unknown>) =>
      audit.record({
        actor,
        action: "device.picture",
        subject: deviceId,
        detail: { room, ...why, ...detail },
      });
    const answer = await askTheBox(deviceId, true, (problem) =>
      taken({ ok: false, detail: problem }),
    );
    if (answer.picture === undefined) {
      await taken({ ok: false, detail: "no picture in the answer" });
      throw new DomainError(
        "conflict",
        `the box in ${room} sent no picture: its software may be older than the school's server`,
      );
    }
    const picture = Buffer.from(answer.picture, "base64");
    await taken({ ok: true, bytes: picture.length });
    return picture;
  }

  /** The box's answer to a self-test, or a 409 saying why there is none. */
  async function askTheBox(
    id: string,
    picture: boolean,
    onRefused: (why: string) => Promise<unknown>,
  ): Promise<ResponseData<"self-test">> {
    const device = await devices.require(id);
    if (!app.broker.connectedDevices().includes(id)) {
      throw new DomainError("conflict", `the box in ${device.room} is not connected`);
    }
    const response = await app.broker
      .request(id, "self-test", picture ? { picture: true } : {}, ANSWER_MS)
      .catch(async (error: unknown) => {
        await onRefused((error as Error).message);
        throw new DomainError("conflict", (error as Error).message);
      });
    if (response.status === "error") {
      await onRefused(response.error);
      throw new DomainError(
        "conflict",
        `the box could not take ${picture ? "a picture" : "a test frame"}: ${response.error}`,
      );
    }
    return response.data;
  }

  app.post(
    "/api/devices/:id/self-test",
    {
      onRequest: allow("it"),
      schema: {
        tags: ["fleet"],
        operationId: "selfTestCamera",
        description:
          "IT: asks a box for one frame from its camera, taken with its lamp lit so the room sees it, and says whether the picture looks right (not black, not frozen). The frame itself is not kept (audited).",
        summary:
          "Ask a box for one camera frame, taken with its lamp lit, and say whether the picture looks right",
        params: Obj({ id: DeviceId }),
        response: {
          200: answer("The self-test's verdict", Obj({ result: SelfTestResult })),
          ...errors(401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const actor = me(request).id;
      const answer = await askTheBox(id, false, (why) =>
        audit.record({
          actor,
          action: "device.self-test",
          subject: id,
          detail: { ok: false, detail: why },
        }),
      );
      // IT is told in words and numbers: a picture, were one sent, goes no further
      const { ok, detail, camera, format, width, height, bytes, meanLuma } = answer;
      const result = { ok, detail, camera, format, width, height, bytes, meanLuma };
      await audit.record({
        actor,
        action: "device.self-test",
        subject: id,
        detail: { ok: result.ok, detail: result.detail },
      });
      return { result };
    },
  );

  app.post(
    "/api/devices/:id/picture",
    {
      onRequest: allow(...MASK_ROLES),
      schema: {
        tags: ["fleet"],
        operationId: "takeMaskPicture",
        description:
          "SLT, headteacher or DPO: a picture of the room taken now, with the box's lamp lit, to draw privacy masks on. Never kept; audited.",
        summary:
          "A picture of the room taken now by its box, with the lamp lit, to draw privacy masks " +
          "on (the masks already set are blacked out). Audited; never stored",
        params: Obj({ id: DeviceId }),
        response: PICTURE_RESPONSE,
      },
    },
    async (request, reply) => {
      const picture = await takePicture(request.params.id, me(request).id, {
        purpose: "privacy masks",
      });
      return sendPicture(reply, picture);
    },
  );

  app.post(
    "/api/bookings/:id/picture",
    {
      // not the Bursar, who may change bookings but never sees a classroom's pixels
      onRequest: allow(...BOOKING_PICTURE_ROLES),
      schema: {
        tags: ["timetable"],
        operationId: "takeBookingPicture",
        description:
          "Whoever may change the booking and may see pictures of classrooms (its teacher, SLT, the headteacher; never the Bursar): a picture of its room taken now, with the box's lamp lit, to draw the booking's own masks on — only before the booking starts, for a class with a pupil on the do-not-record list, and while no other booking of the room is in progress. Never kept; audited.",
        summary:
          "A picture of a booking's room taken now, lamp lit, to draw its masks on (audited; never stored)",
        params: Obj({ id: Uuid }),
        response: PICTURE_RESPONSE,
      },
    },
    async (request, reply) => {
      const person = me(request);
      const booking = await app.timetable.require(request.params.id);
      const now = app.now();
      const others = await app.timetable.list({
        from: now.toISOString(),
        to: new Date(now.getTime() + 1).toISOString(),
        deviceId: booking.deviceId,
      });
      const other = others.find((b) => b.bookingId !== booking.bookingId) ?? null;
      const verdict = bookingPictureVerdict({
        roles: person.roles,
        mayManage: mayManage(person, booking),
        booking,
        inProgress: other,
        now,
      });
      if (!verdict.allowed) throw new DomainError(verdict.kind, verdict.message);
      const picture = await takePicture(booking.deviceId, person.id, {
        purpose: "masks on a booking",
        bookingId: booking.bookingId,
      });
      return sendPicture(reply, picture);
    },
  );
}

/** A picture as the picture routes answer: JPEG, shown inline, never cached. */
function sendPicture(reply: FastifyReply, picture: Buffer): FastifyReply {
  return reply
    .header("cache-control", "no-store")
    .header("content-disposition", "inline")
    .type("image/jpeg")
    .send(picture);
}
