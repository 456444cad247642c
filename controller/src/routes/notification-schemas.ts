/**
 * The schemas of notifications, e-mail choices, the mail outbox and concerns
 * (routes/notifications.ts); the dashboard's types are their `Static` types
 * (web/src/types-notifications.ts).
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { CONCERN_TEXT } from "../domain/concerns.js";
import { MAX_SUBJECT, NOTIFICATION_KINDS } from "../domain/notifications.js";
import { Obj, OneOf, Serial, Timestamp, UserId, Uuid } from "./schemas.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const NotificationKind = OneOf(NOTIFICATION_KINDS);
const Address = Type.String({ maxLength: 254 });

export const NotificationSchema = Obj({
  notificationId: Serial,
  kind: NotificationKind,
  subject: Type.String({ maxLength: MAX_SUBJECT }),
  /** The dashboard address it leads to, after `#/`. */
  link: Type.String({ maxLength: 300 }),
  createdAt: Timestamp,
  readAt: Nullable(Timestamp),
});

export const NotificationPageSchema = Obj({
  unread: Type.Integer({ minimum: 0 }),
  notifications: Type.Array(NotificationSchema),
});

export const UnreadSchema = Obj({ unread: Type.Integer({ minimum: 0 }) });

export const EmailSettingsSchema = Obj({
  /** Where e-mail goes (my own address, else my sign-in's); null: none known. */
  address: Nullable(Address),
  ownAddress: Nullable(Address),
  signInAddress: Nullable(Address),
  /** The kinds that reach me by e-mail. */
  kinds: Type.Array(NotificationKind),
  /** E-mail is set up on this controller. */
  emailConfigured: Type.Boolean(),
});

export const EmailSettingsChange = Obj({
  /** My own address; null or "": use my sign-in's. */
  ownAddress: Nullable(Address),
  kinds: Type.Array(Type.String({ maxLength: 40 }), { maxItems: NOTIFICATION_KINDS.length * 2 }),
});

export const OutboxStatusSchema = Obj({
  configured: Type.Boolean(),
  waiting: Type.Integer({ minimum: 0 }),
  failing: Type.Integer({ minimum: 0 }),
  oldestWaitingAt: Nullable(Timestamp),
  lastError: Nullable(Type.String()),
  nextAttemptAt: Nullable(Timestamp),
  sentLastDay: Type.Integer({ minimum: 0 }),
});

export const ConcernText = Type.String({ minLength: 1, maxLength: CONCERN_TEXT.max });

export const ConcernSchema = Obj({
  concernId: Serial,
  recordingId: Uuid,
  raisedBy: UserId,
  raisedByName: Type.String(),
  raisedAt: Timestamp,
  text: Type.String(),
  answeredBy: Nullable(UserId),
  answeredByName: Nullable(Type.String()),
  answeredAt: Nullable(Timestamp),
  answer: Nullable(Type.String()),
});

export const ConcernLeadsSchema = Obj({
  /** The leads the school named (empty: none named). */
  named: Type.Array(UserId),
  /** Who concerns go to now: those named who still can, else every SLT member, headteacher and DPO. */
  leads: Type.Array(UserId),
});
