/**
 * What the clip and exemplar-bank routes take and give (routes/clips.ts);
 * the dashboard's types are `Static<>` of these.
 */
import { Type } from "@sinclair/typebox";
import { MAX_BANK_FIELD, MAX_CLIP_STRANDS } from "../domain/clip-bank.js";
import { MAX_CLIP_TITLE } from "../domain/clips.js";
import { Obj, OneOf, Serial, Timestamp, UserId, Uuid } from "./schemas.js";

export const ClipParams = Obj({ clipId: Uuid });

const BANK_STATES = ["none", "awaiting-consent", "declined", "in-bank", "withdrawn"] as const;

export const ClipSchema = Obj({
  clipId: Uuid,
  recordingId: Uuid,
  ownerId: UserId,
  ownerName: Type.String(),
  title: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  yearGroup: Type.Union([Type.String(), Type.Null()]),
  /** Ids of the framework's strands, as text. */
  strands: Type.Array(Type.String()),
  askedInSeconds: Type.Number({
    description: "The start asked for, in seconds from the start of the recording",
  }),
  askedOutSeconds: Type.Number({ description: "The end asked for" }),
  startSeconds: Type.Number({
    description: "Where the clip starts: a keyframe at or before the asked start",
  }),
  endSeconds: Type.Number({
    description: "Where the clip ends: a keyframe at or after the asked end",
  }),
  inMovedSeconds: Type.Number({ description: "How far the start moved back to reach a keyframe" }),
  outMovedSeconds: Type.Number({ description: "How far the end moved on to reach a keyframe" }),
  durationSeconds: Type.Number(),
  bytes: Type.Integer(),
  bankState: OneOf(BANK_STATES),
  createdAt: Timestamp,
});

export const BankEntrySchema = Type.Composite(
  [
    ClipSchema,
    Obj({
      strandNames: Type.Array(
        Obj({ id: Type.Integer(), code: Type.String(), name: Type.String() }),
      ),
      mitigation: Type.String({ description: "What protects pupils on the do-not-record list" }),
      consents: Type.Array(
        Obj({ userId: UserId, decision: OneOf(["agree", "decline", "pending"] as const) }),
      ),
    }),
  ],
  { additionalProperties: false },
);

export const CutBody = Obj({
  inSeconds: Type.Number({ minimum: 0, maximum: 86_400 }),
  outSeconds: Type.Number({ minimum: 0, maximum: 86_400 }),
  title: Type.String({ minLength: 1, maxLength: MAX_CLIP_TITLE }),
});

const BankField = Type.String({ minLength: 1, maxLength: MAX_BANK_FIELD });

export const OfferBody = Obj({
  title: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_CLIP_TITLE })),
  subject: BankField,
  yearGroup: BankField,
  strands: Type.Array(Serial, { maxItems: MAX_CLIP_STRANDS }),
});

export const BankQuery = Obj({
  strand: Type.Optional(Serial),
  subject: Type.Optional(Type.String({ maxLength: MAX_BANK_FIELD })),
  yearGroup: Type.Optional(Type.String({ maxLength: MAX_BANK_FIELD })),
  q: Type.Optional(Type.String({ maxLength: MAX_CLIP_TITLE })),
});
