/**
 * Every payload of the protocol, written once as a TypeBox schema: the JSON
 * Schema used for validation and the TypeScript type both come from here.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { MAX_BUFFER_DAYS, MIN_BUFFER_DAYS } from "./buffer-expiry.js";
import { ANY_UUID_PATTERN, UUID_PATTERN } from "./ids.js";
import { SPOKEN_NOTICE_MAX_LENGTH } from "./spoken-notice.js";
import type { RequestOp } from "./topics.js";

/** Largest payload either side accepts on any topic. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/**
 * The largest room picture (JPEG) a self-test answer carries: base64 in the
 * answer, it stays under `MAX_PAYLOAD_BYTES` with the rest of the answer.
 */
export const MAX_PICTURE_BYTES = 45_000;

const strict = { additionalProperties: false } as const;
/** Canonical only (see `UUID_PATTERN`): an id has one spelling on the wire. */
const Uuid = Type.String({ pattern: UUID_PATTERN });
const Timestamp = Type.String({ format: "date-time" });
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });
/** One of a fixed list of strings, as a plain JSON Schema `enum` (clear errors). */
function OneOf<const T extends readonly string[]>(values: T) {
  return Type.Unsafe<T[number]>({ type: "string", enum: [...values] });
}

// ---------------------------------------------------------------- availability

export const AvailabilitySchema = Type.Object(
  {
    status: OneOf(["online", "offline"]),
    /** Absent in the Last Will, which is written at connect time. */
    at: Type.Optional(Timestamp),
  },
  strict,
);
export type Availability = Static<typeof AvailabilitySchema>;

// ---------------------------------------------------------------- state

/**
 * What drives a box's lamp, button, camera and microphone: `linux` the real
 * hardware, `sim` a simulated box (the demo and tests), whose footage is not a
 * lesson. Optional on the wire: software from before it was reported omits it.
 */
export const HARDWARE_BACKENDS = ["linux", "sim"] as const;
export type HardwareBackend = (typeof HARDWARE_BACKENDS)[number];
const Backend = OneOf(HARDWARE_BACKENDS);

export const LAMP_MODES = ["off", "recording", "video-only", "refused", "error"] as const;

export const DeviceStateSchema = Type.Object(
  {
    at: Timestamp,
    software: Text(64),
    bootId: Uuid,
    backend: Type.Optional(Backend),
    lamp: OneOf(LAMP_MODES),
    recording: Type.Union([
      Type.Null(),
      Type.Object(
        {
          recordingId: Uuid,
          bookingId: Type.Union([Type.Null(), Text(64)]),
          startedAt: Timestamp,
          audio: Type.Boolean(),
        },
        strict,
      ),
    ]),
    configVersion: Type.Union([Type.Null(), Count]),
    encoder: Type.Optional(Type.Union([Type.Null(), Text(64)])),
    storage: Type.Optional(
      Type.Object(
        { totalBytes: Count, freeBytes: Count, bufferBytes: Count, protectedBytes: Count },
        strict,
      ),
    ),
    health: Type.Optional(
      Type.Object(
        {
          uptimeSeconds: Count,
          temperatureC: Type.Union([Type.Null(), Type.Number({ minimum: -50, maximum: 150 })]),
          bytesWritten: Count,
        },
        strict,
      ),
    ),
    outboxDepth: Type.Optional(Count),
    /** The speaker that says the spoken notice: "ok", "off", "missing: <why>" or "failed: <why>". */
    speaker: Type.Optional(Text(500)),
  },
  strict,
);
export type DeviceState = Static<typeof DeviceStateSchema>;

// ---------------------------------------------------------------- events

const RecordingStopReason = OneOf([
  "button",
  "booking-ended",
  "camera-lost",
  "microphone-lost",
  "lamp-fault",
  "disk-full",
  "shutdown",
  "error",
]);
const RefusalReason = OneOf([
  "no-booking",
  "storage-full",
  "lamp-fault",
  "camera-missing",
  "microphone-missing",
  /** The booking's own masks cannot be burned in: it is not recorded rather than unmasked. */
  "masks-unusable",
]);

/** The data each event kind carries. Adding a kind here adds it everywhere. */
export const EVENT_DATA_SCHEMAS = {
  "device.started": Type.Object(
    { software: Text(64), bootId: Uuid, backend: Type.Optional(Backend) },
    strict,
  ),
  "recording.started": Type.Object(
    {
      recordingId: Uuid,
      bookingId: Type.Union([Type.Null(), Text(64)]),
      audio: Type.Boolean(),
      encoder: Text(64),
    },
    strict,
  ),
  "recording.stopped": Type.Object(
    {
      recordingId: Uuid,
      reason: RecordingStopReason,
      durationSeconds: Type.Number({ minimum: 0 }),
      segments: Count,
      bytes: Count,
    },
    strict,
  ),
  "recording.refused": Type.Object(
    { reason: RefusalReason, bookingId: Type.Union([Type.Null(), Text(64)]) },
    strict,
  ),
  "recording.deleted": Type.Object(
    {
      recordingId: Uuid,
      reason: OneOf(["retention", "overwrite", "request"]),
      bytes: Count,
    },
    strict,
  ),
  "archive.requested": Type.Object({ recordingId: Uuid }, strict),
  "lamp.fault": Type.Object(
    {
      expected: OneOf(["on", "off"]),
      observed: Type.Union([Type.Null(), Type.Literal("on"), Type.Literal("off")]),
      detail: Text(500),
    },
    strict,
  ),
  "camera.lost": Type.Object({ detail: Text(500) }, strict),
  "camera.restored": Type.Object({ detail: Text(500) }, strict),
  "microphone.lost": Type.Object({ detail: Text(500) }, strict),
  "microphone.restored": Type.Object({ detail: Text(500) }, strict),
  "storage.exhausted": Type.Object({ freeBytes: Count, protectedBytes: Count }, strict),
  "config.applied": Type.Object({ version: Count }, strict),
  "config.rejected": Type.Object(
    { version: Type.Union([Type.Null(), Count]), reason: Text(2000) },
    strict,
  ),
  /**
   * A retired device wiped its buffer: every recording, its index and the
   * events still waiting to be sent (this report is the last event it sends).
   */
  "device.wiped": Type.Object(
    {
      /** When the device was told it is retired. */
      retiredAt: Timestamp,
      recordings: Count,
      segments: Count,
      bytes: Count,
      /** Events still waiting in the outbox, dropped unsent. */
      droppedEvents: Count,
    },
    strict,
  ),
} as const;

export type EventKind = keyof typeof EVENT_DATA_SCHEMAS;
export const EVENT_KINDS = Object.keys(EVENT_DATA_SCHEMAS) as readonly EventKind[];
export type EventData<K extends EventKind> = Static<(typeof EVENT_DATA_SCHEMAS)[K]>;

/** The envelope every event shares; `data` is checked against its kind's schema. */
export const EventEnvelopeSchema = Type.Object(
  {
    /** Chosen by the device; the controller deduplicates on it. */
    id: Uuid,
    /** The device's own monotonic counter, kept across restarts. */
    seq: Count,
    /** When the device raised the event. */
    at: Timestamp,
    kind: OneOf(EVENT_KINDS),
    data: Type.Object({}),
  },
  strict,
);

export type DeviceEvent = {
  [K in EventKind]: { id: string; seq: number; at: string; kind: K; data: EventData<K> };
}[EventKind];

// ---------------------------------------------------------------- ack

export const EventAckSchema = Type.Object(
  {
    /** Committed to the controller's database (now or before): drop from the outbox. */
    accepted: Type.Array(Uuid, { maxItems: 1000 }),
    /**
     * Refused for good, with the reason; kept by the controller for inspection.
     * The id as the device spelt it (a refusal may be for spelling it wrongly).
     */
    rejected: Type.Array(
      Type.Object({ id: Type.String({ pattern: ANY_UUID_PATTERN }), reason: Text(1000) }, strict),
      { maxItems: 1000 },
    ),
  },
  strict,
);
export type EventAck = Static<typeof EventAckSchema>;

// ---------------------------------------------------------------- config

export const BOOKING_PURPOSES = [
  "self-reflection",
  "coaching",
  "peer-support",
  "ect-trainee-support",
  "exemplar-bank",
] as const;

/** A privacy mask: a rectangle in fractions of the picture, burned in at capture. */
export const PrivacyMaskSchema = Type.Object(
  {
    x: Type.Number({ minimum: 0, maximum: 1 }),
    y: Type.Number({ minimum: 0, maximum: 1 }),
    width: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    height: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
  },
  strict,
);

/** The most privacy masks a room has, and the most a booking adds to them. */
export const MAX_PRIVACY_MASKS = 16;

export const ScheduledBookingSchema = Type.Object(
  {
    bookingId: Text(64),
    start: Timestamp,
    end: Timestamp,
    purpose: OneOf(BOOKING_PURPOSES),
    audio: Type.Boolean(),
    /**
     * The booking's own masks (a seat of a pupil who may not be recorded), burned
     * in with the room's for a recording under it; absent when it has none.
     */
    masks: Type.Optional(Type.Array(PrivacyMaskSchema, { maxItems: MAX_PRIVACY_MASKS })),
  },
  strict,
);

export const DeviceConfigSchema = Type.Object(
  {
    /** Increases with every change; the device reports the version it applied. */
    version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    issuedAt: Timestamp,
    room: Text(100),
    schedule: Type.Array(ScheduledBookingSchema, { maxItems: 500 }),
    retention: Type.Object(
      { bufferDays: Type.Integer({ minimum: MIN_BUFFER_DAYS, maximum: MAX_BUFFER_DAYS }) },
      strict,
    ),
    policy: Type.Object(
      {
        allowUnbookedRecording: Type.Boolean(),
        /** Said through the box's speaker when a recording starts; absent: the default notice. */
        spokenNotice: Type.Optional(
          Type.Object(
            {
              enabled: Type.Boolean(),
              text: Type.String({ maxLength: SPOKEN_NOTICE_MAX_LENGTH }),
            },
            strict,
          ),
        ),
      },
      strict,
    ),
    masks: Type.Array(PrivacyMaskSchema, { maxItems: MAX_PRIVACY_MASKS }),
    /** Recordings under a hold: never deleted or overwritten on the device. */
    holds: Type.Array(Uuid, { maxItems: 5000 }),
    /**
     * Recordings the staff in them agreed to keep, waiting to be uploaded: never
     * deleted or overwritten on the device, even before the upload request arrives.
     */
    uploads: Type.Optional(Type.Array(Uuid, { maxItems: 5000 })),
  },
  strict,
);
export type DeviceConfig = Static<typeof DeviceConfigSchema>;
export type ScheduledBooking = Static<typeof ScheduledBookingSchema>;
export type PrivacyMask = Static<typeof PrivacyMaskSchema>;

// ---------------------------------------------------------------- requests

/** Arguments and result of each request op. */
export const REQUEST_SCHEMAS = {
  ping: {
    args: Type.Object({}, strict),
    data: Type.Object({ at: Timestamp }, strict),
  },
  "delete-recording": {
    args: Type.Object({ recordingId: Uuid }, strict),
    data: Type.Object({ recordingId: Uuid, bytes: Count }, strict),
  },
  "upload-recording": {
    args: Type.Object(
      { recordingId: Uuid, url: Type.String({ format: "uri", maxLength: 2000 }), token: Text(200) },
      strict,
    ),
    data: Type.Object({ recordingId: Uuid, segments: Count, bytes: Count }, strict),
  },
  /** The device is retired: it stops recording, wipes its buffer and reports `device.wiped`. */
  retire: {
    args: Type.Object({}, strict),
    data: Type.Object(
      {
        /** When it wiped (now, or at an earlier notice). */
        wipedAt: Timestamp,
        /** False when the buffer had already been wiped at an earlier notice. */
        wipedNow: Type.Boolean(),
      },
      strict,
    ),
  },
  /**
   * One frame from the camera, taken with the lamp lit (video-only) and read
   * back; refused while recording. Says whether the picture looks right and,
   * when `picture` is asked for, gives the frame as a small JPEG with the
   * privacy masks burned in (to draw masks on; never stored by either side).
   */
  "self-test": {
    args: Type.Object({ picture: Type.Optional(Type.Boolean()) }, strict),
    data: Type.Object(
      {
        ok: Type.Boolean(),
        detail: Text(500),
        camera: Text(300),
        format: Text(32),
        width: Count,
        height: Count,
        bytes: Count,
        meanLuma: Type.Union([Type.Null(), Type.Number({ minimum: 0, maximum: 255 })]),
        /** The JPEG, base64, only when asked for. */
        picture: Type.Optional(
          Type.String({
            minLength: 4,
            maxLength: Math.ceil(MAX_PICTURE_BYTES / 3) * 4,
            pattern: "^[A-Za-z0-9+/]+={0,2}$",
          }),
        ),
      },
      strict,
    ),
  },
} as const satisfies Record<RequestOp, { args: TSchema; data: TSchema }>;

export type RequestArgs<Op extends RequestOp> = Static<(typeof REQUEST_SCHEMAS)[Op]["args"]>;
export type ResponseData<Op extends RequestOp> = Static<(typeof REQUEST_SCHEMAS)[Op]["data"]>;

export const RequestEnvelopeSchema = Type.Object(
  { id: Uuid, sentAt: Timestamp, args: Type.Object({}) },
  strict,
);
export interface DeviceRequest<Op extends RequestOp> {
  id: string;
  sentAt: string;
  args: RequestArgs<Op>;
}

export const ResponseEnvelopeSchema = Type.Object(
  {
    id: Uuid,
    status: OneOf(["ok", "error"]),
    data: Type.Union([Type.Null(), Type.Object({})]),
    error: Type.Union([Type.Null(), Text(2000)]),
  },
  strict,
);
export type DeviceResponse<Op extends RequestOp> =
  | { id: string; status: "ok"; data: ResponseData<Op>; error: null }
  | { id: string; status: "error"; data: null; error: string };
