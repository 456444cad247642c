/**
 * The timetable's routes: list, read, book, amend and cancel bookings. A
 * whole school's week is answered from a cache that any change to the
 * timetable drops.
 */
import type { FastifyInstance } from "fastify";
import { typed, typedRequests } from "./typed.js";
import { Type } from "@sinclair/typebox";
import { MAX_LIST_DAYS, type StoredBooking } from "../domain/timetable.js";
import { ANYONE, allow, me } from "./auth.js";
import {
  answer,
  BookingAmend,
  BookingCreate,
  BookingSchema,
  DeviceId,
  Obj,
  Reason,
  UserId,
  Uuid,
  errors,
} from "./schemas.js";
import { DateInput, DatedObject } from "./dates.js";

const BOOKERS = ["teacher", "bursar", "slt", "headteacher"] as const;

/** A booking as the API gives it. */
export const bookingView = (booking: StoredBooking) => ({
  ...booking,
  staff: [...booking.staff],
  masks: booking.masks.map((mask) => ({ ...mask })),
});

export function bookingRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { timetable } = app;
  // the list is sent as JSON serialised ahead of time (below)
  const listing = typedRequests(fastify);

  const weeks = new Map<string, string>();
  let weeksGeneration = 0;
  timetable.on("changed", () => {
    weeksGeneration += 1;
    weeks.clear();
  });

  listing.get(
    "/api/bookings",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["timetable"],
        operationId: "listBookings",
        description:
          "Anyone signed in: the bookings that overlap the window given in the query (at most 62 days), for the timetable.",
        summary: "Bookings overlapping a window (at most 62 days)",
        querystring: DatedObject(
          {
            from: DateInput,
            to: DateInput,
            deviceId: Type.Optional(DeviceId),
            teacherId: Type.Optional(UserId),
            includeCancelled: Type.Optional(Type.Boolean()),
          },
          { from: "from", to: "to", maxDays: MAX_LIST_DAYS },
        ),
        response: {
          200: answer("The bookings in the window", Type.Array(BookingSchema)),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const { query } = request;
      // a whole school's week is the same answer for everyone until a booking changes:
      // kept serialised, and dropped at any change to the timetable
      const key = JSON.stringify([
        query.from,
        query.to,
        query.deviceId,
        query.teacherId,
        query.includeCancelled,
      ]);
      let body = weeks.get(key);
      if (body === undefined) {
        const generation = weeksGeneration;
        body = JSON.stringify(await timetable.list(query));
        if (generation === weeksGeneration) {
          if (weeks.size >= 200) weeks.clear();
          weeks.set(key, body);
        }
      }
      return reply.type("application/json; charset=utf-8").send(body);
    },
  );

  app.get(
    "/api/bookings/:id",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["timetable"],
        operationId: "getBooking",
        description: "Anyone signed in: one booking, by its id.",
        summary: "One booking",
        params: Obj({ id: Uuid }),
        response: { 200: answer("The booking", BookingSchema), ...errors(401, 403, 404) },
      },
    },
    async (request) => bookingView(await timetable.require(request.params.id)),
  );

  app.post(
    "/api/bookings",
    {
      onRequest: allow(...BOOKERS),
      schema: {
        tags: ["timetable"],
        operationId: "createBooking",
        description:
          "A teacher books for themself; the Bursar, SLT and headteacher for any teacher. The slot must lie ahead, within the policy's horizon and longest booking, and not overlap another booking of the box. The booking may carry up to 16 masks of its own (rectangles on the room's picture), burned in on the box with the room's. Audited; the box gets its new schedule at once.",
        summary: "Book a slot (a teacher for themself; the Bursar, SLT and headteacher for anyone)",
        body: BookingCreate,
        response: { 201: answer("The booking made", BookingSchema), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(bookingView(await timetable.create(me(request), request.body))),
  );

  app.patch(
    "/api/bookings/:id",
    {
      onRequest: allow(...BOOKERS),
      schema: {
        tags: ["timetable"],
        operationId: "amendBooking",
        description:
          "The booking's teacher, or the Bursar, SLT or headteacher: changes the times, purpose, staff, sound, class, masks or status of a booking that has not started, under the same rules as making it; its masks are fixed once a recording was made under it. Audited; the box gets its new schedule at once.",
        summary: "Amend a booking that has not started (audited)",
        params: Obj({ id: Uuid }),
        body: BookingAmend,
        response: {
          200: answer("The booking as amended", BookingSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) =>
      bookingView(await timetable.amend(me(request), request.params.id, request.body)),
  );

  app.post(
    "/api/bookings/:id/cancel",
    {
      onRequest: allow(...BOOKERS),
      schema: {
        tags: ["timetable"],
        operationId: "cancelBooking",
        description:
          "The booking's teacher, or the Bursar, SLT or headteacher: cancels a booking that has not started, with a written reason (audited). The box gets its new schedule at once.",
        summary: "Cancel a booking (audited, with a reason)",
        params: Obj({ id: Uuid }),
        body: Obj({ reason: Reason }),
        response: {
          200: answer("The cancelled booking", BookingSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) =>
      bookingView(await timetable.cancel(me(request), request.params.id, request.body.reason)),
  );
}
