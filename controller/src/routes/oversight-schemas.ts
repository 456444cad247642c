/**
 * The answers of the school-management views (routes/oversight.ts): the fleet
 * page, the use of the boxes, the holds and investigations in force. Kept
 * apart from the routes so the dashboard can take its types from them
 * (`import type`, controller/web/src/types-school.ts).
 */
import { Type, type TSchema } from "@sinclair/typebox";
import { DEVICE_SUMMARY, DeviceId, Obj, Timestamp, Uuid } from "./schemas.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const StorageSchema = Obj({
  totalBytes: Type.Integer(),
  freeBytes: Type.Integer(),
  bufferBytes: Type.Integer(),
  protectedBytes: Type.Integer(),
});

export const FleetAlertSchema = Obj({
  /** null for a problem that is not an alert row (a box that is offline). */
  alertId: Nullable(Type.Integer()),
  kind: Type.String(),
  detail: Type.String(),
  raisedAt: Nullable(Timestamp),
});

export const FleetDeviceSchema = Obj({
  ...DEVICE_SUMMARY,
  storage: Nullable(StorageSchema),
  /** Days of recording the free and overwritable space holds at the box's recent rate. */
  bufferDays: Nullable(Type.Number()),
  temperatureC: Nullable(Type.Number()),
  bytesWritten: Nullable(Type.Integer()),
  /** How many times the card's whole size has been written (wear). */
  cardWrites: Nullable(Type.Number()),
  alerts: Type.Array(FleetAlertSchema),
  wipedAt: Nullable(Timestamp),
});

export const FleetPageSchema = Obj({
  /** Devices of the status asked for, before the text and `show` filters. */
  total: Type.Integer(),
  /** Devices that match every filter (the pages' length). */
  matched: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  /** Over the devices of the status asked for. */
  counts: Obj({
    online: Type.Integer(),
    recording: Type.Integer(),
    alerts: Type.Integer(),
    offline: Type.Integer(),
  }),
  devices: Type.Array(FleetDeviceSchema),
});

const HoursSeries = Type.Array(Type.Number());

export const UseSchema = Obj({
  /** Monday 00:00 UTC of each week charted, oldest first. */
  weeks: Type.Array(Timestamp),
  hoursByRoom: Type.Array(
    Obj({ deviceId: Nullable(DeviceId), room: Type.String(), hours: HoursSeries }),
  ),
  hoursByPurpose: Type.Array(Obj({ purpose: Nullable(Type.String()), hours: HoursSeries })),
  /** Footage held at the end of each day, oldest first (the last point is now). */
  storage: Obj({
    days: Type.Array(Timestamp),
    onBoxes: Type.Array(Type.Integer()),
    onServer: Type.Array(Type.Integer()),
  }),
  /** Per week: keeping asked for, consents given and declined, recordings kept. */
  keeping: Obj({
    asked: Type.Array(Type.Integer()),
    agreed: Type.Array(Type.Integer()),
    declined: Type.Array(Type.Integer()),
    kept: Type.Array(Type.Integer()),
  }),
  now: Obj({
    recordings: Type.Integer(),
    awaitingConsent: Type.Integer(),
    archived: Type.Integer(),
    exemplars: Type.Integer(),
    onHold: Type.Integer(),
  }),
});

const AboutRecording = {
  recordingId: Uuid,
  deviceId: DeviceId,
  room: Type.String(),
  ownerName: Nullable(Type.String()),
  startedAt: Timestamp,
};

export const GovernanceSchema = Obj({
  holds: Type.Array(
    Obj({
      holdId: Type.Integer(),
      ...AboutRecording,
      placedBy: Type.String(),
      placedByName: Type.String(),
      reason: Type.String(),
      placedAt: Timestamp,
    }),
  ),
  investigations: Type.Array(
    Obj({
      investigationId: Type.Integer(),
      ...AboutRecording,
      openedBy: Type.String(),
      openedByName: Type.String(),
      reason: Type.String(),
      openedAt: Timestamp,
    }),
  ),
});
