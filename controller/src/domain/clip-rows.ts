/**
 * A clip's row and its shape for the API, and what the bank needs of the
 * clips (`ClipStore`): shared by `clips.ts`, `clip-bank.ts` and
 * `clip-retention.ts` without their importing one another in a circle.
 */
import type { Database, Transaction } from "../db/database.js";
import type { RecordingAccess } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";

export const MAX_CLIP_TITLE = 120;
/** The shortest part worth cutting. */
export const MIN_CLIP_SECONDS = 1;

export type BankState = "none" | "awaiting-consent" | "declined" | "in-bank" | "withdrawn";

export interface ClipRow {
  id: string;
  recording_id: string;
  owner_id: string;
  owner_name: string;
  staff_json: string;
  asked_in_seconds: number;
  asked_out_seconds: number;
  start_seconds: number;
  end_seconds: number;
  bytes: number;
  segments: number;
  title: string;
  subject: string | null;
  year_group: string | null;
  bank_state: BankState;
  offered_at: string | null;
  entered_bank_at: string | null;
  withdrawn_at: string | null;
  created_at: string;
  deleted_at: string | null;
}

export const CLIP_SELECT = `
  SELECT c.id, c.recording_id, c.owner_id, u.display_name AS owner_name, c.staff_json,
         c.asked_in_seconds, c.asked_out_seconds, c.start_seconds, c.end_seconds, c.bytes,
         c.segments, c.title, c.subject, c.year_group, c.bank_state, c.offered_at,
         c.entered_bank_at, c.withdrawn_at, c.created_at, c.deleted_at
  FROM clips c JOIN users u ON u.id = c.owner_id`;

export interface Clip {
  clipId: string;
  recordingId: string;
  ownerId: string;
  ownerName: string;
  title: string;
  subject: string | null;
  yearGroup: string | null;
  strands: string[];
  /** The points asked for, in seconds from the start of the recording. */
  askedInSeconds: number;
  askedOutSeconds: number;
  /** Where the clip starts and ends: on keyframes. */
  startSeconds: number;
  endSeconds: number;
  /** How far each point moved to reach a keyframe (the start earlier, the end later). */
  inMovedSeconds: number;
  outMovedSeconds: number;
  durationSeconds: number;
  bytes: number;
  bankState: BankState;
  createdAt: string;
}

/** Seconds to the millisecond. */
export const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

export function clipOf(row: ClipRow, strands: readonly string[]): Clip {
  return {
    clipId: row.id,
    recordingId: row.recording_id,
    ownerId: row.owner_id,
    ownerName: row.owner_name,
    title: row.title,
    subject: row.subject,
    yearGroup: row.year_group,
    strands: [...strands],
    askedInSeconds: row.asked_in_seconds,
    askedOutSeconds: row.asked_out_seconds,
    startSeconds: round(row.start_seconds),
    endSeconds: round(row.end_seconds),
    inMovedSeconds: round(Math.max(0, row.asked_in_seconds - row.start_seconds)),
    outMovedSeconds: round(row.end_seconds - row.asked_out_seconds),
    durationSeconds: round(row.end_seconds - row.start_seconds),
    bytes: row.bytes,
    bankState: row.bank_state,
    createdAt: row.created_at,
  };
}

/** What cutting needs from the recordings (`Recordings` is one). */
export interface ClipSources {
  accessOf(
    tx: Transaction | null,
    recordingId: string,
  ): Promise<
    RecordingAccess & {
      row: {
        ended_at: string | null;
        on_controller: number;
        deleted_at: string | null;
        duration_seconds: number | null;
      };
    }
  >;
}

/** What the exemplar bank needs of the clips (`Clips` is it). */
export interface ClipStore {
  readonly context: { db: Database; audit: AuditLog; clock: Clock; recordings: ClipSources };
  folder(clipId: string): string;
  /** A deleted clip's footage goes: its folder and its copy with faces blurred. */
  removeFootage(clipId: string): Promise<void>;
  row(tx: Transaction | null, clipId: string): Promise<ClipRow>;
  deleteUnlessKept(
    tx: Transaction,
    clipId: string,
    why: string,
  ): Promise<{ deleted: boolean; keptBecause: string | null }>;
}
