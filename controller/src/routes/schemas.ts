/**
 * The HTTP API's JSON Schemas (TypeBox): every body, param, query and
 * response. Objects refuse unknown fields; strings have lengths; ids have
 * patterns, so nothing path-like or oversized reaches the domain.
 */
import { Type, type TSchema } from "@sinclair/typebox";
import {
  BOOKING_PURPOSES,
  DEVICE_ID_PATTERN,
  HARDWARE_BACKENDS,
  MAX_ACCEPTED_SEGMENT_SECONDS,
  MAX_BUFFER_DAYS,
  MAX_PRIVACY_MASKS,
  MIN_BUFFER_DAYS,
  PrivacyMaskSchema,
  SEALED_KEY_MAX_LENGTH,
  SEALED_KEY_PATTERN,
  SEALING_PUBLIC_KEY_PATTERN,
} from "@classcam/protocol";
import { RECORDING_ACTIONS, ROLES } from "../domain/access.js";
import { MAX_HORIZON_DAYS, MIN_HORIZON_DAYS, MITIGATIONS } from "../domain/bookings.js";
import { MAX_NOTE_LENGTH, MAX_REASON_LENGTH } from "../domain/form-limits.js";
import { CLASS_CODE_PATTERN, PRIVACY_CONTACT_LIMITS } from "../domain/policy.js";
import { USER_ID_PATTERN } from "../domain/people.js";
import { COMMENT_KINDS } from "../domain/recordings/model.js";
import { DateInput } from "./dates.js";
import {
  MAX_MANIFEST_SEGMENTS,
  MAX_SEGMENT_BYTES,
  SEGMENT_NAME_PATTERN,
  SHA256_PATTERN,
} from "../domain/footage.js";

const strict = { additionalProperties: false } as const;
export const Obj = <T extends Parameters<typeof Type.Object>[0]>(props: T) =>
  Type.Object(props, strict);
export const OneOf = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: "string", enum: [...values] });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A date and time the API gives; one it takes is a `DateInput` (routes/dates.ts), bounded. */
export const Timestamp = Type.String({ format: "date-time", maxLength: 40 });
export const UserId = Type.String({ pattern: USER_ID_PATTERN, maxLength: 64 });
export const DeviceId = Type.String({ pattern: DEVICE_ID_PATTERN, maxLength: 64 });
export const Uuid = Type.String({ format: "uuid", maxLength: 36 });
export const Serial = Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1 });
export const Role = OneOf(ROLES);
export const Reason = Type.String({ minLength: 1, maxLength: MAX_REASON_LENGTH });
export const Password = Type.String({ minLength: 1, maxLength: 256 });
export const ClassCode = Type.String({ pattern: CLASS_CODE_PATTERN, maxLength: 32 });

export const ErrorSchema = Obj({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
});
export const Ok = Obj({ ok: Type.Literal(true) });

export const UserSchema = Obj({
  id: UserId,
  displayName: Type.String(),
  roles: Type.Array(Role),
  status: OneOf(["active", "disabled"]),
  mustChangePassword: Type.Boolean(),
  createdAt: Timestamp,
  lastSignInAt: Nullable(Timestamp),
});
export const SessionSchema = Obj({
  user: UserSchema,
  csrfToken: Type.String(),
  expiresAt: Timestamp,
});

export const Mitigation = Obj({
  kind: OneOf(MITIGATIONS),
  note: Type.String({ minLength: 1, maxLength: MAX_NOTE_LENGTH }),
});
export const BookingSchema = Obj({
  bookingId: Uuid,
  deviceId: DeviceId,
  teacherId: UserId,
  start: Timestamp,
  end: Timestamp,
  purpose: OneOf(BOOKING_PURPOSES),
  staff: Type.Array(UserId),
  audio: Type.Boolean(),
  status: OneOf(["draft", "confirmed", "cancelled"]),
  classCode: Nullable(Type.String()),
  doNotRecordPupils: Type.Boolean(),
  mitigation: Nullable(Mitigation),
  /** The booking's own masks, burned in on the box with the room's. */
  masks: Type.Array(PrivacyMaskSchema),
  createdBy: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
/** A booking's own masks as given: rectangles in fractions of the room's picture, at most 16. */
export const BookingMasks = Type.Array(PrivacyMaskSchema, { maxItems: MAX_PRIVACY_MASKS });
const BookingFields = {
  start: DateInput,
  end: DateInput,
  purpose: OneOf(BOOKING_PURPOSES),
  staff: Type.Array(UserId, { minItems: 1, maxItems: 20 }),
  audio: Type.Boolean(),
  classCode: Nullable(ClassCode),
  mitigation: Nullable(Mitigation),
  masks: BookingMasks,
  status: OneOf(["draft", "confirmed"]),
};
export const BookingCreate = Obj({
  deviceId: DeviceId,
  teacherId: Type.Optional(UserId),
  start: DateInput,
  end: DateInput,
  purpose: OneOf(BOOKING_PURPOSES),
  staff: Type.Optional(BookingFields.staff),
  audio: Type.Optional(Type.Boolean()),
  classCode: Type.Optional(BookingFields.classCode),
  mitigation: Type.Optional(BookingFields.mitigation),
  masks: Type.Optional(BookingFields.masks),
  status: Type.Optional(BookingFields.status),
});
export const BookingAmend = Type.Partial(Obj(BookingFields), { minProperties: 1 });

export const RecordingSummarySchema = Obj({
  recordingId: Uuid,
  deviceId: DeviceId,
  room: Type.String(),
  bookingId: Nullable(Type.String()),
  ownerId: Nullable(Type.String()),
  ownerName: Nullable(Type.String()),
  purpose: Nullable(Type.String()),
  staff: Type.Array(Type.String()),
  startedAt: Timestamp,
  endedAt: Nullable(Timestamp),
  audio: Type.Boolean(),
  durationSeconds: Nullable(Type.Number()),
  bytes: Nullable(Type.Integer()),
  flag: Nullable(Type.String()),
  status: OneOf(["recording", "in-buffer", "awaiting-consent", "uploading", "archived", "deleted"]),
  onHold: Type.Boolean(),
  exemplar: Type.Boolean(),
  onDevice: Type.Boolean(),
  onController: Type.Boolean(),
  overwriteAt: Nullable(Timestamp),
  deletionRequestedAt: Nullable(Timestamp),
});
export const HoldSchema = Obj({
  holdId: Type.Integer(),
  recordingId: Uuid,
  placedBy: Type.String(),
  reason: Type.String(),
  placedAt: Timestamp,
  releasedBy: Nullable(Type.String()),
  releaseReason: Nullable(Type.String()),
  releasedAt: Nullable(Timestamp),
});
export const InvestigationSchema = Obj({
  investigationId: Type.Integer(),
  recordingId: Uuid,
  openedBy: Type.String(),
  reason: Type.String(),
  openedAt: Timestamp,
  closedAt: Nullable(Timestamp),
});
export const ShareSchema = Obj({
  shareId: Type.Integer(),
  withId: Type.String(),
  withName: Type.String(),
  createdAt: Timestamp,
  expiresAt: Nullable(Timestamp),
  revokedAt: Nullable(Timestamp),
  /** Shared unblurred: the colleague sees faces as recorded while the policy allows it (issue 19). */
  unblurred: Type.Boolean(),
});
/** A strand of the school's framework (coaching): retired ones stay on what they tag. */
export const StrandSchema = Obj({
  strandId: Type.Integer(),
  framework: Type.String(),
  code: Type.String(),
  name: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  retiredAt: Nullable(Timestamp),
});
export const CommentSchema = Obj({
  commentId: Type.Integer(),
  recordingId: Uuid,
  authorId: Type.String(),
  authorName: Type.String(),
  atSeconds: Type.Number(),
  body: Type.String(),
  createdAt: Timestamp,
  /** Coaching feedback's kind; `comment` is a plain comment. */
  kind: OneOf(COMMENT_KINDS),
  strands: Type.Array(StrandSchema),
  /** The comment this one replies to (null: not a reply). */
  parentId: Nullable(Type.Integer()),
  /** A next step marked done: when and by whom. */
  doneAt: Nullable(Timestamp),
  doneBy: Nullable(Type.String()),
});
export const FootageStatusSchema = Obj({
  state: OneOf(["on-device", "upload-requested", "uploading", "on-controller", "unavailable"]),
  receivedBytes: Nullable(Type.Integer()),
  totalBytes: Nullable(Type.Integer()),
});
export const RecordingDetailSchema = Type.Composite(
  [
    RecordingSummarySchema,
    Obj({
      consents: Type.Array(
        Obj({
          userId: Type.String(),
          name: Type.String(),
          decision: OneOf(["agree", "decline", "pending"]),
          decidedAt: Nullable(Timestamp),
        }),
      ),
      shares: Type.Array(ShareSchema),
      investigations: Type.Array(InvestigationSchema),
      holds: Type.Array(HoldSchema),
      allowed: Type.Array(OneOf(RECORDING_ACTIONS)),
      footage: FootageStatusSchema,
      /** Why the person asking may not watch it, in the access rule's words; null when they may. */
      cannotWatch: Nullable(Type.String()),
      /** Until when a recording kept by consent is kept; null when not kept, or an exemplar. */
      keptUntil: Nullable(Timestamp),
    }),
  ],
  strict,
);

export const PolicySchema = Obj({
  retention: Obj({
    bufferDays: Type.Integer({ minimum: MIN_BUFFER_DAYS, maximum: MAX_BUFFER_DAYS }),
    archiveDays: Type.Integer({ minimum: 1, maximum: 3650 }),
  }),
  bookings: Obj({
    maxMinutes: Type.Integer({ minimum: 5, maximum: 480 }),
    allowUnbookedRecording: Type.Boolean(),
    horizonDays: Type.Integer({ minimum: MIN_HORIZON_DAYS, maximum: MAX_HORIZON_DAYS }),
  }),
  audioDefault: Type.Boolean(),
  doNotRecordClasses: Type.Array(ClassCode, { maxItems: 500 }),
  /** Whom to ask about recording (the public notice and door signs name them); empty until set. */
  privacyContact: Obj({
    name: Type.String({ maxLength: PRIVACY_CONTACT_LIMITS.name }),
    email: Type.String({ maxLength: PRIVACY_CONTACT_LIMITS.email }),
  }),
  /** Pupils' anonymity (issue 19): who sees footage with every face blurred. */
  anonymity: Obj({
    /** Faces blurred in every copy seen by anyone but the owner (and an investigation). */
    blurFaces: Type.Boolean(),
    /** An owner may share an unblurred copy with a named colleague (audited when used). */
    ownerMayShareUnblurred: Type.Boolean(),
  }),
  /** Said by each box when a recording starts, after its lamp is lit (issue 20 §2). */
  spokenNotice: Obj({
    enabled: Type.Boolean(),
    /**
     * Plain text on one line, needed while the notice is on. The schema only bounds the
     * input; the policy refuses past SPOKEN_NOTICE_MAX_LENGTH saying how long it is.
     */
    text: Type.String({ maxLength: 2000 }),
  }),
});
export const PolicyChange = Obj({
  retention: Type.Optional(Type.Partial(PolicySchema.properties.retention)),
  bookings: Type.Optional(Type.Partial(PolicySchema.properties.bookings)),
  audioDefault: Type.Optional(Type.Boolean()),
  doNotRecordClasses: Type.Optional(PolicySchema.properties.doNotRecordClasses),
  privacyContact: Type.Optional(Type.Partial(PolicySchema.properties.privacyContact)),
  anonymity: Type.Optional(Type.Partial(PolicySchema.properties.anonymity)),
  spokenNotice: Type.Optional(Type.Partial(PolicySchema.properties.spokenNotice)),
});

/** Who a box is and what it is doing: the fields every view of a device starts with. */
export const DEVICE_SUMMARY = {
  id: DeviceId,
  room: Type.String(),
  status: OneOf(["active", "disabled", "retired"]),
  enrolledAt: Timestamp,
  online: Type.Boolean(),
  lastSeenAt: Nullable(Timestamp),
  lamp: Nullable(Type.String()),
  recording: Type.Boolean(),
  software: Nullable(Type.String()),
  /** What the box last said drives it (`sim`: a simulated box, not a classroom); null when its software does not say. */
  backend: Nullable(OneOf(HARDWARE_BACKENDS)),
};

export const DeviceSchema = Obj({
  ...DEVICE_SUMMARY,
  encoder: Nullable(Type.String()),
  storage: Nullable(
    Obj({
      totalBytes: Type.Integer(),
      freeBytes: Type.Integer(),
      bufferBytes: Type.Integer(),
      protectedBytes: Type.Integer(),
    }),
  ),
  temperatureC: Nullable(Type.Number()),
  bytesWritten: Nullable(Type.Integer()),
  configVersion: Type.Integer(),
  configApplied: Nullable(Type.Integer()),
  masks: Type.Array(PrivacyMaskSchema),
  alerts: Type.Array(Type.String()),
  /** A retired device's report that it wiped its buffer; null until then. */
  wipedAt: Nullable(Timestamp),
});
export const AlertSchema = Obj({
  alertId: Type.Integer(),
  deviceId: DeviceId,
  room: Type.String(),
  kind: Type.String(),
  detail: Type.String(),
  raisedAt: Timestamp,
});

export const AuditEntrySchema = Obj({
  seq: Type.Integer(),
  at: Timestamp,
  actor: Type.String(),
  action: Type.String(),
  subject: Type.String(),
  detail: Type.Unsafe<Record<string, unknown>>({ type: "object", additionalProperties: true }),
  prevHash: Type.String(),
  hash: Type.String(),
});
export const DeletionSchema = Obj({
  recordingId: Uuid,
  copy: OneOf(["controller", "device"]),
  reason: Type.String(),
  requestedAt: Timestamp,
  doneAt: Nullable(Timestamp),
  bytes: Nullable(Type.Integer()),
});

export const SegmentName = Type.String({ pattern: SEGMENT_NAME_PATTERN, maxLength: 66 });
export const ManifestSchema = Obj({
  segments: Type.Array(
    Obj({
      seq: Type.Integer({ minimum: 0, maximum: 2 ** 31 }),
      name: SegmentName,
      durationSeconds: Type.Number({ exclusiveMinimum: 0, maximum: MAX_ACCEPTED_SEGMENT_SECONDS }),
      bytes: Type.Integer({ minimum: 1, maximum: MAX_SEGMENT_BYTES }),
      sha256: Type.String({ pattern: SHA256_PATTERN }),
    }),
    { minItems: 1, maxItems: MAX_MANIFEST_SEGMENTS },
  ),
  sealedKey: Type.Optional(
    Type.String({
      pattern: SEALED_KEY_PATTERN,
      maxLength: SEALED_KEY_MAX_LENGTH,
      description:
        "Footage encrypted on the box (HLS AES-128): its content key sealed to the controller's sealing key",
    }),
  ),
});
export const UploadProgressSchema = Obj({
  receivedBytes: Type.Integer(),
  totalBytes: Type.Integer(),
  received: Type.Array(Type.String()),
  complete: Type.Boolean(),
});

/** What each error status means, as the API documentation says it (the message says which case). */
export const ERROR_MEANINGS = {
  400: "Bad request: a field, parameter or value is missing, malformed or out of bounds",
  401: "Not signed in (or the session has ended); for a device route, no valid upload token",
  403: "Not allowed: none of the roles this needs, a one-time password still to change, or a missing or wrong X-CSRF-Token or Origin",
  404: "Not found: no such thing, or nothing this person may know of",
  409: "Conflict: it cannot be done in the state things are in now (the message says why)",
  410: "Gone: it was there and has been deleted for good (the message says why and what to do)",
  413: "Too large: the body is over the route's limit",
  415: "Unsupported media type: the body is not in the content type the route takes",
  422: "Unprocessable: the bytes do not match what the manifest declared (length or SHA-256)",
  429: "Too many attempts: wait for the seconds in Retry-After",
  502: "Bad gateway: the classroom box (or the demo's simulated one) did not answer as it should",
} as const;
export type ErrorStatus = keyof typeof ERROR_MEANINGS;

/** The common error answers a route may give, each with its meaning. */
export const errors = (...codes: ErrorStatus[]) =>
  Object.fromEntries(
    codes.map((code) => [
      code,
      Type.Object(ErrorSchema.properties, { ...strict, description: ERROR_MEANINGS[code] }),
    ]),
  );

/** A success answer's schema with what it means, for the API documentation. */
export const answer = <T extends TSchema>(description: string, schema: T): T => ({
  ...schema,
  description,
});

/** The names behind the ids in a page of the audit log (domain/audit-names.ts). */
export const AuditNamesSchema = Obj({
  people: Type.Record(Type.String(), Type.String()),
  rooms: Type.Record(Type.String(), Type.String()),
  recordings: Type.Record(
    Type.String(),
    Obj({ purpose: Nullable(Type.String()), room: Type.String(), startedAt: Timestamp }),
  ),
  bookings: Type.Record(
    Type.String(),
    Obj({
      purpose: Type.String(),
      room: Type.String(),
      start: Timestamp,
      end: Timestamp,
      audio: Type.Boolean(),
      teacherId: Type.String(),
    }),
  ),
});

/**
 * `GET /api/audit`: a page of entries, the sequence number to ask for after it,
 * and the names of the people, rooms, recordings and bookings its entries name.
 */
export const AuditPageSchema = Obj({
  entries: Type.Array(AuditEntrySchema),
  next: Type.Union([Type.Integer(), Type.Null()]),
  names: AuditNamesSchema,
});

/** `GET /api/audit/verify`: the chain is whole, or the first entry that does not check out. */
export const AuditVerificationSchema = Type.Union([
  Obj({ ok: Type.Literal(true), entries: Type.Integer() }),
  Obj({ ok: Type.Literal(false), seq: Type.Integer(), problem: Type.String() }),
]);

/** A device after a change, with its new secret when one was made (shown once). */
/** The controller's public sealing key, for a box's settings (issue 20 §1). */
export const SealingKey = Type.Optional(
  Type.String({
    pattern: SEALING_PUBLIC_KEY_PATTERN,
    description:
      "The controller's public sealing key (x25519:…): the box seals each recording's content key to it (controller.sealingKey in its settings)",
  }),
);
export const DeviceWithSecretSchema = Obj({
  device: DeviceSchema,
  secret: Type.Optional(Type.String()),
  sealingKey: SealingKey,
});

/** The demo box's lamp as the panel reports it (what the dashboard's demo screen reads). */
export const DemoLampSchema = Obj({
  mode: OneOf(["off", "recording", "video-only", "refused", "error"]),
  level: OneOf(["on", "off"]),
});
