/**
 * Retention on the controller: what the sweep deletes, here and on the
 * devices. Footage lives in a device's buffer for `bufferDays`; it is kept
 * longer only as an archive (by everyone's consent) for `archiveDays`, or as
 * an exemplar until released. The owner may delete at any time. A hold stops
 * every deletion, whatever else is due, until it is released. Pure: the clock
 * is an argument.
 */
import { DEFAULT_BUFFER_DAYS, bufferExpired } from "@classcam/protocol";

export interface RetentionPolicy {
  /** Days footage stays in a device's rolling buffer (1–14, default 7). */
  bufferDays: number;
  /** Days an archived recording is kept (default two years). */
  archiveDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  bufferDays: DEFAULT_BUFFER_DAYS,
  archiveDays: 730,
};

export interface RetainedRecording {
  recordingId: string;
  deviceId: string;
  /** null while the recording is in progress. */
  endedAt: string | null;
  onHold: boolean;
  /** Kept by consent: when it was archived, and whether it is in the exemplar bank. */
  archive: { archivedAt: string; exemplar: boolean } | null;
  /** The owner asked for deletion (it waits while the recording is on hold). */
  deletionRequestedAt: string | null;
  /** Where copies exist now. */
  onDevice: boolean;
  onController: boolean;
}

export type DeletionReason = "owner-request" | "buffer-retention" | "archive-retention";

export interface SweepPlan {
  /** Copies the controller deletes now. */
  controller: { recordingId: string; reason: DeletionReason }[];
  /** Copies the devices are asked to delete (they also apply buffer retention themselves). */
  devices: { recordingId: string; deviceId: string; reason: DeletionReason }[];
}

const DAY = 24 * 60 * 60 * 1000;

/** Why a recording's copies must go now, or null to keep them. */
export function deletionDue(
  recording: RetainedRecording,
  policy: RetentionPolicy,
  now: Date,
): DeletionReason | null {
  if (recording.onHold || recording.endedAt === null) return null;
  if (recording.deletionRequestedAt !== null) return "owner-request";
  const { archive } = recording;
  if (archive === null) {
    return bufferExpired(recording.endedAt, policy.bufferDays, now) ? "buffer-retention" : null;
  }
  const until = keptUntil(archive, policy.archiveDays);
  return until !== null && until.getTime() <= now.getTime() ? "archive-retention" : null;
}

/** When a recording kept by consent goes (archive retention); null for an exemplar, kept until released. */
export function keptUntil(
  archive: { archivedAt: string; exemplar: boolean },
  archiveDays: number,
): Date | null {
  if (archive.exemplar) return null;
  return new Date(Date.parse(archive.archivedAt) + archiveDays * DAY);
}

/**
 * The sweep: every copy that is due goes, and nothing else. An archived
 * recording's device copy is the device's own buffer footage: it follows
 * buffer retention once the upload is done.
 */
export function planSweep(
  recordings: readonly RetainedRecording[],
  policy: RetentionPolicy,
  now: Date,
): SweepPlan {
  const plan: SweepPlan = { controller: [], devices: [] };
  for (const recording of recordings) {
    const due = deletionDue(recording, policy, now);
    const { recordingId, deviceId } = recording;
    if (due !== null) {
      if (recording.onController) plan.controller.push({ recordingId, reason: due });
      if (recording.onDevice) plan.devices.push({ recordingId, deviceId, reason: due });
      continue;
    }
    const bufferDone =
      !recording.onHold &&
      recording.endedAt !== null &&
      bufferExpired(recording.endedAt, policy.bufferDays, now);
    if (recording.onDevice && recording.archive !== null && recording.onController && bufferDone) {
      plan.devices.push({ recordingId, deviceId, reason: "buffer-retention" });
    }
  }
  return plan;
}
