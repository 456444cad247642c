/**
 * The shapes of the controller's API answers, as the dashboard reads them:
 * each is the `Static` type of the server's own schema
 * (`controller/src/routes/schemas.ts`), imported with `import type`, so no
 * server code reaches the browser (esbuild drops type-only imports) and a
 * change to a schema shows up here at type-check time. The lists the screens
 * need at run time (roles, purposes, mitigations) are kept here as values,
 * checked against the server's types.
 */
import type { Static } from "@sinclair/typebox";
import type {
  BookingSchema,
  CommentSchema,
  DemoLampSchema,
  DeviceSchema,
  HoldSchema,
  InvestigationSchema,
  PolicySchema,
  RecordingDetailSchema,
  RecordingSummarySchema,
  SessionSchema,
  ShareSchema,
  UserSchema,
} from "../../src/routes/schemas.js";
import type { RecordingAction, Role as ServerRole } from "../../src/domain/access.js";
import type { BookingPurpose, Mitigation as ServerMitigation } from "../../src/domain/bookings.js";

export type { RecordingAction };

export const ROLES = [
  "teacher",
  "coach",
  "slt",
  "headteacher",
  "bursar",
  "it",
  "dpo",
  "admin",
] as const satisfies readonly ServerRole[];
export type Role = ServerRole;

/**
 * The roles that may watch footage shared with them, as colleagues (the
 * server's `COLLEAGUE_ROLES` in `domain/access.ts`): the Bursar, IT, the DPO
 * and administrators never see footage, so a share is never offered to them.
 */
export const COLLEAGUE_ROLES: readonly Role[] = ["teacher", "coach", "slt", "headteacher"];

export type User = Static<typeof UserSchema>;
export type Session = Static<typeof SessionSchema>;
/** `GET /api/staff`: who a booking can name. */
export type StaffMember = Pick<User, "id" | "displayName" | "roles">;

export const PURPOSES = [
  "self-reflection",
  "coaching",
  "peer-support",
  "ect-trainee-support",
  "exemplar-bank",
] as const satisfies readonly BookingPurpose[];
export type Purpose = BookingPurpose;

export const MITIGATIONS = [
  "camera-position",
  "privacy-mask",
  "audio-off",
  "booking-masks",
] as const satisfies readonly ServerMitigation[];
export type MitigationKind = ServerMitigation;

export type Booking = Static<typeof BookingSchema>;

export type RecordingSummary = Static<typeof RecordingSummarySchema>;
export type RecordingStatus = RecordingSummary["status"];

export type Share = Static<typeof ShareSchema>;
export type Hold = Static<typeof HoldSchema>;
export type Investigation = Static<typeof InvestigationSchema>;

export type RecordingDetail = Static<typeof RecordingDetailSchema>;
export type Consent = RecordingDetail["consents"][number];
export type FootageState = RecordingDetail["footage"]["state"];

export type Comment = Static<typeof CommentSchema>;

/** The demo box's lamp, as `GET /api/demo/lamp` reports it. */
export type DemoLamp = Static<typeof DemoLampSchema>;
export type LampMode = DemoLamp["mode"];

/** A device as every signed-in person sees it. */
export type Device = Pick<
  Static<typeof DeviceSchema>,
  "id" | "room" | "status" | "online" | "lastSeenAt" | "lamp" | "recording"
>;

export type Policy = Static<typeof PolicySchema>;
