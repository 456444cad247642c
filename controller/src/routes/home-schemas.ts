/**
 * The home's answer (`GET /api/home`, routes/home.ts): one optional section
 * per role, each a list of what needs the person. Kept apart from the route
 * so the dashboard takes its types from it (`import type`,
 * controller/web/src/types-home.ts). Every item names the recording it is
 * about as the dashboard titles it: purpose, room and start.
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { BOOKING_PURPOSES } from "@classcam/protocol";
import { GovernanceSchema } from "./oversight-schemas.js";
import { DeviceId, Obj, OneOf, Timestamp, UserId, Uuid } from "./schemas.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const AboutRecording = {
  recordingId: Uuid,
  room: Type.String(),
  purpose: Nullable(Type.String()),
  startedAt: Timestamp,
  ownerName: Nullable(Type.String()),
};

const HomeShare = Obj({
  shareId: Type.Integer(),
  ...AboutRecording,
  sharedAt: Timestamp,
  expiresAt: Nullable(Timestamp),
});

export const HomeSchema = Obj({
  teacher: Type.Optional(
    Obj({
      /** My next bookings, soonest first. */
      bookings: Type.Array(
        Obj({
          bookingId: Uuid,
          deviceId: DeviceId,
          room: Type.String(),
          start: Timestamp,
          end: Timestamp,
          purpose: OneOf(BOOKING_PURPOSES),
          status: OneOf(["draft", "confirmed", "cancelled"]),
        }),
      ),
      /** My recordings of the last seven days I have not watched, newest first. */
      unwatched: Type.Array(
        Obj({
          ...AboutRecording,
          /** When the box overwrites it; null when it is being kept. */
          overwriteAt: Nullable(Timestamp),
          /** Whole days until then (0: less than a day); null when it is being kept. */
          daysLeft: Nullable(Type.Integer({ minimum: 0 })),
        }),
      ),
      /** Recordings I am in whose owner asks to keep them, not answered yet. */
      consents: Type.Array(Obj(AboutRecording)),
      /** Shares made to me since I last looked at the recording. */
      shares: Type.Array(HomeShare),
      /** Coaching assignments set for me that I have not answered yet, soonest due first. */
      assignments: Type.Array(
        Obj({
          assignmentId: Uuid,
          title: Type.String(),
          setByName: Type.String(),
          /** The day it is due, YYYY-MM-DD. */
          dueOn: Type.String(),
        }),
      ),
      /** Others' comments on what I may watch, since I last looked at the recording. */
      comments: Type.Array(
        Obj({
          commentId: Type.Integer(),
          ...AboutRecording,
          authorName: Type.String(),
          /** The comment's first 200 characters. */
          excerpt: Type.String(),
          createdAt: Timestamp,
        }),
      ),
    }),
  ),
  coach: Type.Optional(
    Obj({
      /** Recordings shared with me that I have not commented on yet. */
      awaitingFeedback: Type.Array(HomeShare),
      /** Answers to assignments I set, with no feedback of mine since they came. */
      answersAwaitingFeedback: Type.Array(
        Obj({
          assignmentId: Uuid,
          title: Type.String(),
          teacherId: UserId,
          teacherName: Type.String(),
          /** The recording answered with (null: a clip). */
          recordingId: Nullable(Uuid),
          /** The clip answered with (null: a whole recording or a part of it). */
          clipId: Nullable(Uuid),
          submittedAt: Timestamp,
        }),
      ),
    }),
  ),
  /** The holds and investigations in force (as GET /api/governance). */
  leadership: Type.Optional(GovernanceSchema),
  fleet: Type.Optional(
    Obj({
      /** Boxes with a problem (the list names at most 50 of them). */
      boxes: Type.Integer(),
      problems: Type.Array(
        Obj({
          deviceId: DeviceId,
          room: Type.String(),
          /** null for a problem that is not an alert row (offline, a worn card). */
          alertId: Nullable(Type.Integer()),
          kind: Type.String(),
          detail: Type.String(),
          since: Nullable(Timestamp),
        }),
      ),
    }),
  ),
  dpo: Type.Optional(
    Obj({
      /** Opened or closed in the last 30 days, or still open; newest first. */
      investigations: Type.Array(
        Obj({
          investigationId: Type.Integer(),
          ...AboutRecording,
          openedBy: Type.String(),
          openedByName: Type.String(),
          reason: Type.String(),
          openedAt: Timestamp,
          closedAt: Nullable(Timestamp),
        }),
      ),
      /** Exports of the audit log in the last 30 days, newest first. */
      exports: Type.Array(
        Obj({
          seq: Type.Integer(),
          at: Timestamp,
          by: UserId,
          byName: Type.String(),
          format: Type.String(),
        }),
      ),
      /** Copies of recordings asked to go in the last 30 days, newest first. */
      deletions: Type.Array(
        Obj({
          ...AboutRecording,
          copy: OneOf(["controller", "device"]),
          reason: Type.String(),
          requestedAt: Timestamp,
          doneAt: Nullable(Timestamp),
        }),
      ),
    }),
  ),
});
