/**
 * People told when something needs them (issue 17): my notifications (list,
 * unread count, mark read), which of them reach me by e-mail, the mail
 * outbox for IT, and concerns flagged about recordings for the school's
 * concern leads. Everyone reads only their own notifications.
 */
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { ANYONE, allow, me } from "./auth.js";
import {
  ConcernLeadsSchema,
  ConcernSchema,
  ConcernText,
  EmailSettingsChange,
  EmailSettingsSchema,
  NotificationPageSchema,
  OutboxStatusSchema,
  UnreadSchema,
} from "./notification-schemas.js";
import { Obj, Ok, Serial, UserId, answer, errors } from "./schemas.js";
import { RecordingParams } from "./recordings.js";
import { typed } from "./typed.js";

const CONCERN_LEADS = ["slt", "headteacher", "dpo"] as const;

export function notificationRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { notifications, concerns } = app;
  /** My other tabs learn that my list changed (read elsewhere). */
  const changed = (userId: string) => {
    app.notices.publish({ topic: "notifications", userId });
  };

  app.get(
    "/api/notifications",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["notifications"],
        operationId: "listNotifications",
        description:
          "Anyone signed in: my notifications, newest first, with how many are unread. `before` (a notification id) pages to older ones.",
        summary: "My notifications, newest first, and the unread count",
        querystring: Obj({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          before: Type.Optional(Serial),
        }),
        response: {
          200: answer("My notifications", NotificationPageSchema),
          ...errors(400, 401),
        },
      },
    },
    async (request) =>
      notifications.list(me(request), request.query.limit ?? 50, request.query.before),
  );

  app.get(
    "/api/notifications/unread",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["notifications"],
        operationId: "countUnreadNotifications",
        description:
          "Anyone signed in: how many of my notifications are unread (the header's count).",
        summary: "How many of my notifications are unread",
        response: { 200: answer("The count", UnreadSchema), ...errors(401) },
      },
    },
    async (request) => ({ unread: await notifications.unread(me(request)) }),
  );

  app.post(
    "/api/notifications/:notificationId/read",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["notifications"],
        operationId: "markNotificationRead",
        description: "Anyone signed in: marks one of my notifications read.",
        summary: "Mark one of my notifications read",
        params: Obj({ notificationId: Serial }),
        response: { 200: answer("Marked read", Ok), ...errors(401, 404) },
      },
    },
    async (request) => {
      const person = me(request);
      await notifications.markRead(person, request.params.notificationId);
      changed(person.id);
      return { ok: true as const };
    },
  );

  app.post(
    "/api/notifications/read-all",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["notifications"],
        operationId: "markAllNotificationsRead",
        description:
          "Anyone signed in: marks all my notifications read; says how many were unread.",
        summary: "Mark all my notifications read",
        body: Type.Optional(Obj({})),
        response: {
          200: answer("How many were marked", Obj({ marked: Type.Integer({ minimum: 0 }) })),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const person = me(request);
      const marked = await notifications.markAllRead(person);
      changed(person.id);
      return { marked };
    },
  );

  app.get(
    "/api/notifications/settings",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["notifications"],
        operationId: "getEmailSettings",
        description:
          "Anyone signed in: which kinds of notification reach me by e-mail, and the address they go to.",
        summary: "My e-mail choices",
        response: { 200: answer("My e-mail choices", EmailSettingsSchema), ...errors(401) },
      },
    },
    async (request) => notifications.settings(me(request)),
  );

  app.put(
    "/api/notifications/settings",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["notifications"],
        operationId: "setEmailSettings",
        description:
          "Anyone signed in: chooses which kinds of notification reach me by e-mail (the rest stay in the dashboard) and my own address (null: the one my school sign-in gives). Audited, without the address.",
        summary: "Choose what reaches me by e-mail",
        body: EmailSettingsChange,
        response: { 200: answer("My e-mail choices", EmailSettingsSchema), ...errors(400, 401) },
      },
    },
    async (request) => notifications.setSettings(me(request), request.body),
  );

  app.get(
    "/api/mail/outbox",
    {
      onRequest: allow("it", "admin"),
      schema: {
        tags: ["notifications"],
        operationId: "mailOutboxStatus",
        description:
          "IT and administrators: how many e-mails wait for the school's SMTP relay, how many have failed at least once, the relay's last refusal and when the next try is.",
        summary: "E-mail waiting for the relay, and its last error",
        response: { 200: answer("The outbox", OutboxStatusSchema), ...errors(401, 403) },
      },
    },
    async () => app.mailOutbox.status(),
  );

  app.post(
    "/api/recordings/:id/concerns",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["concerns"],
        operationId: "flagConcern",
        description:
          "Whoever may see the recording's details: flags a concern about its content, in a few words (at least 10 characters). It goes to the school's concern leads, who are told; audited.",
        summary: "Flag a concern about a recording",
        params: RecordingParams,
        body: Obj({ text: ConcernText }),
        response: { 201: answer("The concern", ConcernSchema), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await concerns.flag(me(request), request.params.id, request.body.text)),
  );

  app.get(
    "/api/concerns",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["concerns"],
        operationId: "listConcerns",
        description:
          "The school's concern leads: every concern flagged, newest first. Anyone else: the concerns they flagged, with any answer.",
        summary: "Concerns flagged (all, for a lead; mine otherwise)",
        response: { 200: answer("The concerns", Type.Array(ConcernSchema)), ...errors(401) },
      },
    },
    async (request) => concerns.list(me(request)),
  );

  app.get(
    "/api/concerns/leads",
    {
      onRequest: allow(...CONCERN_LEADS),
      schema: {
        tags: ["concerns"],
        operationId: "getConcernLeads",
        description:
          "SLT, the headteacher and the DPO: the concern leads the school named, and who concerns go to now.",
        summary: "Who concerns go to",
        response: { 200: answer("The leads", ConcernLeadsSchema), ...errors(401, 403) },
      },
    },
    async () => concerns.leads(),
  );

  app.put(
    "/api/concerns/leads",
    {
      onRequest: allow(...CONCERN_LEADS),
      schema: {
        tags: ["concerns"],
        operationId: "setConcernLeads",
        description:
          "SLT, the headteacher and the DPO: names the concern leads (each an active member of SLT, the headteacher or the DPO); none named: concerns go to all of them. Audited.",
        summary: "Name who concerns go to",
        body: Obj({ leads: Type.Array(UserId, { maxItems: 20 }) }),
        response: { 200: answer("The leads", ConcernLeadsSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => concerns.setLeads(me(request), request.body.leads),
  );

  app.get(
    "/api/concerns/:concernId",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["concerns"],
        operationId: "getConcern",
        description: "A concern lead, or whoever flagged it: one concern and its answer.",
        summary: "One concern",
        params: Obj({ concernId: Serial }),
        response: { 200: answer("The concern", ConcernSchema), ...errors(401, 403, 404) },
      },
    },
    async (request) => concerns.get(me(request), request.params.concernId),
  );

  app.post(
    "/api/concerns/:concernId/answer",
    {
      onRequest: allow(...CONCERN_LEADS),
      schema: {
        tags: ["concerns"],
        operationId: "answerConcern",
        description:
          "A concern lead: answers a concern; whoever flagged it is told. Once answered it stays answered. Audited.",
        summary: "Answer a concern (concern leads)",
        params: Obj({ concernId: Serial }),
        body: Obj({ answer: ConcernText }),
        response: { 200: answer("The concern", ConcernSchema), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => concerns.answer(me(request), request.params.concernId, request.body.answer),
  );
}
