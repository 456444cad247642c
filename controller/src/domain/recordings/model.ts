/**
 * What a recording looks like to people: the summaries and details the API
 * returns, the row they are read from, and the events the recordings module
 * emits. No I/O.
 */
import { bufferExpiresAt } from "@classcam/protocol";
import type { RecordingAction } from "../access.js";
import type { FootageStatus } from "../footage-facts.js";
import type { Strand } from "../coaching/strands.js";

export type ArchiveState = "none" | "awaiting-consent" | "uploading" | "archived";
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
  /** Why the recording needs a look: 'unbooked', 'overran-booking'. */
  flag: string | null;
  status: RecordingStatus;
  onHold: boolean;
  exemplar: boolean;
  onDevice: boolean;
  onController: boolean;
  /** When the device will overwrite it if nobody keeps it (null when kept or in progress). */
  overwriteAt: string | null;
  deletionRequestedAt: string | null;
}

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
  /** Shared unblurred (faces as recorded) where the policy allows it. */
  unblurred: boolean;
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

export interface RecordingDetail extends RecordingSummary {
  consents: Consent[];
  /** Only for the owner. */
  shares: Share[];
  /** For the owner (who sees that an investigation happened) and leadership. */
  investigations: Investigation[];
  holds: Hold[];
  /** What the person asking may do, so a front end shows only those buttons. */
  allowed: RecordingAction[];
  /** Where the footage is: only on the device, asked for, uploading, or on the controller. */
  footage: FootageStatus;
  /** Why the person asking may not watch it (the access decision's reason); null when they may. */
  cannotWatch: string | null;
  /** Until when a recording kept by consent is kept; null when not kept, or an exemplar. */
  keptUntil: string | null;
}

/** What kind of feedback a comment is (coaching); `comment` is a plain comment, as before. */
export const COMMENT_KINDS = [
  "comment",
  "strength",
  "question",
  "suggestion",
  "next-step",
] as const;
export type CommentKind = (typeof COMMENT_KINDS)[number];

export interface Comment {
  commentId: number;
  recordingId: string;
  authorId: string;
  authorName: string;
  atSeconds: number;
  body: string;
  createdAt: string;
  kind: CommentKind;
  /** The strands of the school's framework it is about (a retired one stays). */
  strands: Strand[];
  /** The comment this one replies to; null for a comment of its own. */
  parentId: number | null;
  /** A next step: when it was marked done, and by whom (null: open, or not a next step). */
  doneAt: string | null;
  doneBy: string | null;
}

/** A recording as `SELECT` reads it. */
export interface RecordingRow {
  id: string;
  device_id: string;
  room: string;
  booking_id: string | null;
  owner_id: string | null;
  owner_name: string | null;
  purpose: string | null;
  staff_json: string;
  started_at: string;
  ended_at: string | null;
  audio: number;
  duration_seconds: number | null;
  bytes: number | null;
  flag: string | null;
  on_device: number;
  on_controller: number;
  archive_state: ArchiveState;
  archived_at: string | null;
  exemplar: number;
  deletion_requested_at: string | null;
  deleted_at: string | null;
  held: number;
}

/** Every recording column a summary needs, with the room, owner and hold. */
export const SELECT = `
  SELECT r.id, r.device_id, d.room, r.booking_id, r.owner_id, u.display_name AS owner_name,
         r.purpose, r.staff_json, r.started_at, r.ended_at, r.audio, r.duration_seconds, r.bytes,
         r.flag, r.on_device, r.on_controller, r.archive_state, r.archived_at, r.exemplar,
         r.deletion_requested_at, r.deleted_at,
         EXISTS (SELECT 1 FROM holds h WHERE h.recording_id = r.id AND h.released_at IS NULL) AS held
  FROM recordings r JOIN devices d ON d.id = r.device_id LEFT JOIN users u ON u.id = r.owner_id`;

export { MIN_HOLD_REASON } from "../form-limits.js";
export const MAX_LIST = 200;

function status(row: RecordingRow): RecordingStatus {
  if (row.deleted_at !== null) return "deleted";
  if (row.ended_at === null) return "recording";
  if (row.archive_state === "none") return "in-buffer";
  return row.archive_state;
}

export interface RecordingsEvents {
  /** Holds or uploads changed on a device: its config must be pushed again. */
  protectionChanged: [deviceId: string];
  /** An archive has everyone's consent: ask the device to upload it. */
  uploadWanted: [recordingId: string];
  /** The owner asked for deletion: sweep it now. */
  deletionWanted: [recordingId: string];
}

export type ListScope = "mine" | "shared" | "investigating" | "all" | "flagged";

export function summary(row: RecordingRow, bufferDays: number): RecordingSummary {
  const kept = row.archive_state !== "none" || row.held === 1;
  return {
    recordingId: row.id,
    deviceId: row.device_id,
    room: row.room,
    bookingId: row.booking_id,
    ownerId: row.owner_id,
    ownerName: row.owner_name,
    purpose: row.purpose,
    staff: JSON.parse(row.staff_json) as string[],
    startedAt: row.started_at,
    endedAt: row.ended_at,
    audio: row.audio === 1,
    durationSeconds: row.duration_seconds,
    bytes: row.bytes,
    flag: row.flag,
    status: status(row),
    onHold: row.held === 1,
    exemplar: row.exemplar === 1,
    onDevice: row.on_device === 1,
    onController: row.on_controller === 1,
    overwriteAt:
      row.ended_at === null || kept || row.deleted_at !== null
        ? null
        : bufferExpiresAt(row.ended_at, bufferDays).toISOString(),
    deletionRequestedAt: row.deletion_requested_at,
  };
}
