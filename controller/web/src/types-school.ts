/**
 * The API's answers for the school-management screens (timetable, fleet,
 * use, holds, audit, policy, devices), as the dashboard reads them. The
 * server's schemas are in `controller/src/routes/oversight.ts` and
 * `schemas.ts`; the rest of the API's shapes are in `types.ts`.
 */
import type { Device } from "./types.js";

export type AlertKind =
  | "buffer-full"
  | "camera-lost"
  | "microphone-lost"
  | "lamp-fault"
  | "config-rejected"
  | "unbooked-recording"
  | "protected-footage-deleted"
  | "event-quarantined"
  | "offline";

export interface FleetAlert {
  /** null for a problem that is not an alert to clear (a box that is offline). */
  alertId: number | null;
  kind: AlertKind | (string & {});
  detail: string;
  raisedAt: string | null;
}

export interface DeviceStorage {
  totalBytes: number;
  freeBytes: number;
  bufferBytes: number;
  protectedBytes: number;
}

export interface FleetDevice {
  id: string;
  room: string;
  status: "active" | "disabled" | "retired";
  enrolledAt: string;
  online: boolean;
  lastSeenAt: string | null;
  lamp: string | null;
  recording: boolean;
  software: string | null;
  /** `sim`: a simulated box, not a classroom; null when its software does not say. */
  backend: "linux" | "sim" | null;
  storage: DeviceStorage | null;
  /** Days of recording its free and overwritable space holds at its recent rate. */
  bufferDays: number | null;
  temperatureC: number | null;
  bytesWritten: number | null;
  /** How many times the card's whole size has been written over. */
  cardWrites: number | null;
  alerts: FleetAlert[];
  wipedAt: string | null;
}

export type FleetShow = "all" | "alerts" | "offline" | "recording";
export type FleetStatus = "in-use" | "active" | "disabled" | "retired" | "any";

export interface FleetPage {
  total: number;
  matched: number;
  offset: number;
  limit: number;
  counts: { online: number; recording: number; alerts: number; offline: number };
  devices: FleetDevice[];
}

export interface SelfTestResult {
  ok: boolean;
  detail: string;
  camera: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  meanLuma: number | null;
}

export interface Alert {
  alertId: number;
  deviceId: string;
  room: string;
  kind: string;
  detail: string;
  raisedAt: string;
}

/** `POST /api/devices` and `POST /api/devices/:id/rotate-secret`: the secret, shown once. */
export interface DeviceWithSecret {
  device: Device;
  secret?: string;
}

export interface PrivacyMask {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `GET /api/devices` as the fleet roles see it (with the masks). */
export interface DeviceDetail extends Device {
  masks: PrivacyMask[];
  software: string | null;
  backend: "linux" | "sim" | null;
}

export interface Use {
  weeks: string[];
  hoursByRoom: { deviceId: string | null; room: string; hours: number[] }[];
  hoursByPurpose: { purpose: string | null; hours: number[] }[];
  storage: { days: string[]; onBoxes: number[]; onServer: number[] };
  keeping: { asked: number[]; agreed: number[]; declined: number[]; kept: number[] };
  now: {
    recordings: number;
    awaitingConsent: number;
    archived: number;
    exemplars: number;
    onHold: number;
  };
}

interface AboutRecording {
  recordingId: string;
  deviceId: string;
  room: string;
  ownerName: string | null;
  startedAt: string;
}

export interface HoldInForce extends AboutRecording {
  holdId: number;
  placedBy: string;
  placedByName: string;
  reason: string;
  placedAt: string;
}

export interface OpenInvestigation extends AboutRecording {
  investigationId: number;
  openedBy: string;
  openedByName: string;
  reason: string;
  openedAt: string;
}

export interface Governance {
  holds: HoldInForce[];
  investigations: OpenInvestigation[];
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  next: number | null;
}

export type AuditVerification =
  { ok: true; entries: number } | { ok: false; seq: number; problem: string };
