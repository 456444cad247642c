/**
 * The shapes of the controller's API answers, as the dashboard reads them
 * (the server's schemas are in `controller/src/routes/schemas.ts`; the
 * dashboard keeps its own copy so no server code reaches the browser).
 */

export const ROLES = [
  "teacher",
  "coach",
  "slt",
  "headteacher",
  "bursar",
  "it",
  "dpo",
  "admin",
] as const;
export type Role = (typeof ROLES)[number];

/**
 * The roles that may watch footage shared with them, as colleagues (the
 * server's `COLLEAGUE_ROLES` in `domain/access.ts`): the Bursar, IT, the DPO
 * and administrators never see footage, so a share is never offered to them.
 */
export const COLLEAGUE_ROLES: readonly Role[] = ["teacher", "coach", "slt", "headteacher"];

export interface User {
  id: string;
  displayName: string;
  roles: Role[];
  status: "active" | "disabled";
  mustChangePassword: boolean;
  createdAt: string;
}

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: string;
}

export interface StaffMember {
  id: string;
  displayName: string;
  roles: Role[];
}

export const PURPOSES = [
  "self-reflection",
  "coaching",
  "peer-support",
  "ect-trainee-support",
  "exemplar-bank",
] as const;
export type Purpose = (typeof PURPOSES)[number];

export const MITIGATIONS = ["camera-position", "privacy-mask", "audio-off"] as const;
export type MitigationKind = (typeof MITIGATIONS)[number];

export interface Booking {
  bookingId: string;
  deviceId: string;
  teacherId: string;
  start: string;
  end: string;
  purpose: Purpose;
  staff: string[];
  audio: boolean;
  status: "draft" | "confirmed" | "cancelled";
  classCode: string | null;
  doNotRecordPupils: boolean;
  mitigation: { kind: MitigationKind; note: string } | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export type RecordingStatus =
  "recording" | "in-buffer" | "awaiting-consent" | "uploading" | "archived" | "deleted";

export interface RecordingSummary {
  recordingId: string;
  deviceId: string;
  room: string;
  bookingId: string | null;
  ownerId: string | null;
  ownerName: string | null;
  purpose: string | null;
  staff: string[];
  startedAt: string;
  endedAt: string | null;
  audio: boolean;
  durationSeconds: number | null;
  bytes: number | null;
  flag: string | null;
  status: RecordingStatus;
  onHold: boolean;
  exemplar: boolean;
  onDevice: boolean;
  onController: boolean;
  overwriteAt: string | null;
  deletionRequestedAt: string | null;
}

export type RecordingAction =
  | "view"
  | "comment"
  | "share"
  | "request-archive"
  | "consent"
  | "delete"
  | "open-investigation"
  | "place-hold"
  | "release-hold";

export interface Consent {
  userId: string;
  name: string;
  decision: "agree" | "decline" | "pending";
  decidedAt: string | null;
}

export interface Share {
  shareId: number;
  withId: string;
  withName: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface Hold {
  holdId: number;
  recordingId: string;
  placedBy: string;
  reason: string;
  placedAt: string;
  releasedBy: string | null;
  releaseReason: string | null;
  releasedAt: string | null;
}

export interface Investigation {
  investigationId: number;
  recordingId: string;
  openedBy: string;
  reason: string;
  openedAt: string;
  closedAt: string | null;
}

export type FootageState =
  "on-device" | "upload-requested" | "uploading" | "on-controller" | "unavailable";

export interface RecordingDetail extends RecordingSummary {
  consents: Consent[];
  shares: Share[];
  investigations: Investigation[];
  holds: Hold[];
  allowed: RecordingAction[];
  footage: { state: FootageState; receivedBytes: number | null; totalBytes: number | null };
}

export interface Comment {
  commentId: number;
  recordingId: string;
  authorId: string;
  authorName: string;
  atSeconds: number;
  body: string;
  createdAt: string;
}

export type LampMode = "off" | "recording" | "video-only" | "refused" | "error";

export interface Device {
  id: string;
  room: string;
  status: "active" | "disabled" | "retired";
  online: boolean;
  lastSeenAt: string | null;
  lamp: string | null;
  recording: boolean;
}

export interface Policy {
  retention: { bufferDays: number; archiveDays: number };
  bookings: { maxMinutes: number; allowUnbookedRecording: boolean; horizonDays: number };
  audioDefault: boolean;
  doNotRecordClasses: string[];
}

export interface DemoLamp {
  mode: LampMode;
  level: "on" | "off";
}
