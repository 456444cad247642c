/** What the DPO's routes (routes/dpo.ts) take and answer; the dashboard's types are these. */
import { Type, type TSchema } from "@sinclair/typebox";
import { MAX_FOUND, MAX_SEARCH_DAYS } from "../domain/privacy/dpo-find.js";
import { REFERENCE } from "../domain/privacy/dpo-erasure.js";
import { DEVICE_ID_PATTERN } from "@classcam/protocol";
import { DateInput, DatedObject } from "./dates.js";
import { ClassCode, Obj, Timestamp, Uuid } from "./schemas.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const ROOM_LIST = DEVICE_ID_PATTERN.slice(1, -1);

export const FootageQuery = DatedObject(
  {
    rooms: Type.Optional(
      Type.String({
        pattern: `^${ROOM_LIST}(,${ROOM_LIST})*$`,
        maxLength: 2000,
        description: "The rooms' boxes, by id, separated by commas",
      }),
    ),
    classCode: Type.Optional(ClassCode),
    from: DateInput,
    to: DateInput,
  },
  { from: "from", to: "to", maxDays: MAX_SEARCH_DAYS },
);

export const FoundRecordingSchema = Obj({
  recordingId: Uuid,
  deviceId: Type.String(),
  room: Type.String(),
  classCode: Nullable(Type.String()),
  ownerId: Nullable(Type.String()),
  ownerName: Nullable(Type.String()),
  purpose: Nullable(Type.String()),
  startedAt: Timestamp,
  endedAt: Nullable(Timestamp),
  audio: Type.Boolean(),
  onHold: Type.Boolean(),
  deleted: Type.Boolean(),
  where: Obj({
    box: Type.Boolean(),
    controller: Type.Boolean(),
    archived: Type.Boolean(),
    exemplar: Type.Boolean(),
    clips: Type.Integer(),
  }),
});

const Reference = Type.String({
  minLength: REFERENCE.min,
  maxLength: REFERENCE.max,
  description: "The request's reference in the DPO's records, e.g. SAR-2026-014",
});
const RecordingIds = Type.Array(Uuid, { minItems: 1, maxItems: MAX_FOUND, uniqueItems: true });

export const ExportRequest = Obj({
  reference: Reference,
  recordingIds: RecordingIds,
  /** The recordings whose footage goes in the package (faces are not blurred). */
  footage: Type.Array(Uuid, { maxItems: MAX_FOUND, uniqueItems: true }),
});

export const ExportAnswerSchema = Obj({
  exportId: Uuid,
  reference: Type.String(),
  file: Type.String(),
  bytes: Type.Integer(),
  sha256: Type.String(),
  recordings: Type.Integer(),
  footage: Type.Integer(),
  facesBlurred: Type.Boolean(),
  expiresAt: Type.String({
    format: "date-time",
    description: "When it is deleted from the server if nobody has taken it away",
  }),
});

export const ErasureRequest = Obj({ reference: Reference, recordingIds: RecordingIds });

const Refused = Obj({ recordingId: Type.String(), reason: Type.String() });
export const ErasureAnswerSchema = Obj({
  erasureId: Uuid,
  reference: Type.String(),
  erasing: Type.Array(Type.String()),
  refused: Type.Array(Refused),
});

const CitedEntrySchema = Obj({
  seq: Type.Integer(),
  at: Timestamp,
  actor: Type.String(),
  action: Type.String(),
  hash: Type.String(),
  prevHash: Type.String(),
});

export const CertificateSchema = Obj({
  erasureId: Uuid,
  reference: Type.String(),
  requestedBy: Type.String(),
  requestedAt: Timestamp,
  request: CitedEntrySchema,
  recordings: Type.Array(
    Obj({
      recordingId: Type.String(),
      room: Type.String(),
      startedAt: Type.String(),
      marked: Nullable(CitedEntrySchema),
      deleted: Type.Array(
        Obj({
          copy: Type.Union([Type.Literal("controller"), Type.Literal("box"), Type.Literal("clip")]),
          where: Type.String(),
          at: Timestamp,
          entry: CitedEntrySchema,
        }),
      ),
      waiting: Type.Array(Type.String()),
      complete: Type.Boolean(),
    }),
  ),
  refused: Type.Array(Refused),
  complete: Type.Boolean(),
  anchor: Obj({ seq: Type.Integer(), hash: Type.String() }),
  verify: Type.String(),
});
