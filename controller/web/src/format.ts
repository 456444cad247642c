/**
 * Dates, lengths, sizes and the school's words for the API's codes.
 */
import type { KnownAuditAction } from "../../src/domain/audit-actions.js";
import type { LampMode, MitigationKind, RecordingSummary, Role } from "./types.js";

const DAY_MS = 86_400_000;

const dateTime = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const timeOnly = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
const dateOnly = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
});

/** "Tue, 3 Mar 2026, 10:05" */
export function when(iso: string): string {
  return dateTime.format(new Date(iso));
}

/** "10:05" */
export function time(iso: string): string {
  return timeOnly.format(new Date(iso));
}

/** "Tue, 3 Mar 2026" */
export function day(iso: string): string {
  return dateOnly.format(new Date(iso));
}

/** "Tue, 3 Mar 2026, 10:05 – 10:55" */
export function span(start: string, end: string): string {
  const sameDay = day(start) === day(end);
  return sameDay ? `${when(start)} – ${time(end)}` : `${when(start)} – ${when(end)}`;
}

/** A position in a recording: "2:05", "1:02:05". */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A length in words: "45 min", "1 h 5 min", "12 s". */
export function duration(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function bytes(count: number | null): string {
  if (count === null) return "—";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = count;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit] ?? ""}`;
}

export function percent(part: number | null, whole: number | null): number {
  if (part === null || whole === null || whole <= 0) return 0;
  return Math.min(100, Math.floor((part / whole) * 100));
}

const PURPOSE_WORDS: Record<string, string> = {
  "self-reflection": "Self-reflection",
  coaching: "Coaching",
  "peer-support": "Peer support",
  "ect-trainee-support": "ECT / trainee support",
  "exemplar-bank": "Exemplar bank",
};

export function purpose(code: string | null): string {
  if (code === null) return "No booking";
  return PURPOSE_WORDS[code] ?? code;
}

const MITIGATION_WORDS: Record<MitigationKind, string> = {
  "camera-position": "Camera pointed away from them",
  "privacy-mask": "Privacy mask over where they sit",
  "audio-off": "Sound off",
  "booking-masks": "Masks on this booking over where they sit",
};

export function mitigation(kind: MitigationKind): string {
  return MITIGATION_WORDS[kind];
}

const ROLE_WORDS: Record<Role, string> = {
  teacher: "Teacher",
  coach: "Coach",
  slt: "Senior leadership",
  headteacher: "Headteacher",
  bursar: "Bursar",
  it: "IT",
  dpo: "Data protection officer",
  admin: "Administrator",
};

export function role(code: Role): string {
  return ROLE_WORDS[code];
}

/** How many whole days are left until `iso` ("today" when under a day). */
export function daysLeft(iso: string, now = Date.now()): string {
  const left = Date.parse(iso) - now;
  if (left < DAY_MS) return "less than a day left";
  const days = Math.round(left / DAY_MS);
  return `${days} day${days === 1 ? "" : "s"} left`;
}

/** A recording's status in words: where it is and what happens to it next. */
export function recordingStatus(recording: RecordingSummary): string {
  if (recording.deletionRequestedAt !== null && recording.status !== "deleted") {
    return "Being deleted";
  }
  switch (recording.status) {
    case "recording":
      return "Recording now";
    case "in-buffer":
      // once copied up (to be watched), the footage is on the server: say so, and when it goes
      if (recording.onController) {
        return recording.overwriteAt === null
          ? "On the school's server"
          : `On the school's server — ${daysLeft(recording.overwriteAt)} before it is deleted unless it is kept`;
      }
      return recording.overwriteAt === null
        ? "In the classroom box"
        : `In the classroom box — ${daysLeft(recording.overwriteAt)} before it is overwritten`;
    case "awaiting-consent":
      return "Asked to keep — waiting for staff to agree";
    case "uploading":
      return "Being kept — copying from the classroom box";
    case "archived":
      return recording.exemplar ? "Kept in the exemplar bank" : "Kept (archived)";
    case "deleted":
      return "Deleted";
  }
}

const LAMP_WORDS: Record<LampMode, string> = {
  off: "Off — not recording",
  recording: "On — recording picture and sound",
  "video-only": "On — recording picture only, no sound",
  refused: "Flashing — recording refused (no booking now)",
  error: "Fault — the lamp or camera has a problem; nothing records",
};

export function lamp(mode: LampMode): string {
  return LAMP_WORDS[mode];
}

// ---------------------------------------------------------------- the school-management screens

const ALERT_WORDS: Record<string, string> = {
  "buffer-full": "Buffer full of protected footage — new recording is refused",
  "camera-lost": "Camera lost",
  "microphone-lost": "Microphone lost — lessons with sound cannot record",
  "lamp-fault": "Lamp fault — nothing records",
  "config-rejected": "The box refused its settings",
  "unbooked-recording": "Recorded outside a booking",
  "booking-masks-unusable": "A booking was not recorded — its masks could not be applied",
  "protected-footage-deleted": "Protected footage was deleted on the box",
  "event-quarantined":
    "A report from the box could not be recorded — it is kept; run 'events retry' after an upgrade",
  offline: "Offline",
  "card-worn": "Card wearing out — plan a new one",
  speaker: "Speaker not working — the spoken notice is not heard",
};

/** An alert's kind in words ("Camera lost"). */
export function alertKind(kind: string): string {
  return ALERT_WORDS[kind] ?? kind.replace(/-/g, " ");
}

/** Words for every action the server writes: the type-check finds one without words. */
const AUDIT_WORDS: Record<KnownAuditAction, string> = {
  "sign-in": "Signed in",
  "sign-in.refused": "Sign-in refused",
  "sign-out": "Signed out",
  "user.add": "Account added",
  "user.setup": "First administrator set up",
  "user.update": "Account changed",
  "user.grant-role": "Role granted",
  "user.reset-password": "Password reset",
  "user.change-password": "Password changed",
  "user.import": "Staff imported from a file",
  "user.link": "Account linked to the identity provider",
  "oidc.role-map": "Groups' roles changed",
  "user.reconcile": "Accounts checked against the staff list",
  "booking.create": "Booking made",
  "booking.amend": "Booking changed",
  "booking.cancel": "Booking cancelled",
  "timetable.import": "Timetable imported",
  "timetable.rooms": "Rooms and their boxes changed",
  "recording.view": "Recording opened",
  "recording.flag": "Recording flagged",
  "recording.delete": "Deletion asked for",
  "footage.play": "Footage played",
  "footage.key": "Footage key opened",
  "footage.upload-request": "Footage fetched from the box",
  "footage.upload-complete": "Footage arrived",
  "footage.delete": "Footage deleted",
  "footage.delete-disputed": "Box said it deleted held footage (not recorded as deleted)",
  "comment.add": "Comment added",
  "share.create": "Shared",
  "share.unblurred": "Shared unblurred (faces as recorded)",
  "share.revoke": "Share withdrawn",
  "strand.add": "Strand added to the framework",
  "strand.rename": "Strand renamed",
  "strand.retire": "Strand retired",
  "assignment.set": "Assignment set",
  "assignment.submit": "Assignment answered",
  "next-step.done": "Next step done",
  "next-step.reopen": "Next step opened again",
  "coaching.export": "Coaching timeline downloaded",
  "archive.request": "Asked to keep",
  "archive.consented": "Everyone agreed to keep",
  "archive.complete": "Kept (archived)",
  "archive.cancel": "Keeping cancelled",
  "consent.give": "Agreed to keep",
  "consent.withdraw": "Declined to keep",
  "exemplar.release": "Exemplar released",
  "clip.cut": "Clip cut",
  "clip.play": "Clip played",
  "clip.key": "Clip key opened",
  "clip.offer": "Clip offered to the exemplar bank",
  "clip.consent": "Consent to a clip in the bank",
  "clip.bank-enter": "Clip entered the exemplar bank",
  "clip.bank-decline": "Clip kept out of the bank (declined)",
  "clip.withdraw": "Clip withdrawn from the bank",
  "clip.delete": "Clip deleted",
  "notification.settings": "E-mail choices changed",
  "concern.flag": "Concern flagged",
  "concern.answer": "Concern answered",
  "concern.leads": "Concern leads named",
  "hold.place": "Hold placed",
  "hold.release": "Hold released",
  "investigation.open": "Opened for an investigation",
  "investigation.close": "Investigation closed",
  "policy.change": "Policy changed",
  "device.enrol": "Box enrolled",
  "device.disable": "Box disabled",
  "device.enable": "Box enabled",
  "device.retire": "Box retired",
  "device.rotate-secret": "Box given a new secret",
  "device.masks": "Privacy masks changed",
  "device.zones": "Teacher zones changed (faces left sharp)",
  "device.self-test": "Camera test",
  "device.picture": "Room picture taken now, lamp lit (for masks)",
  "device.wiped": "Retired box wiped",
  "alert.clear": "Alert dealt with",
  "retention.sweep": "Retention sweep run",
  "dpo.export": "Subject access export made",
  "dpo.export-download": "Subject access export taken away",
  "dpo.export-expire": "Subject access export deleted (not taken away)",
  "sealing-key.rotate": "Sealing key rotated",
  "footage.export": "Footage exported (subject access)",
  "dpo.erasure": "Erasure request",
  "recording.erase": "Recording erased on request",
  "audit.verify": "Audit log checked",
  "audit.export": "Audit log exported",
};

/** Words for actions no longer written, which older entries still carry. */
const FORMER_AUDIT_WORDS: Record<string, string> = {
  "device.frame": "Room picture shown (for masks)",
};

const ALL_AUDIT_WORDS: Record<string, string> = { ...AUDIT_WORDS, ...FORMER_AUDIT_WORDS };

/** An audit action in words ("Hold placed"), or the code when it is new. */
export function auditAction(action: string): string {
  return ALL_AUDIT_WORDS[action] ?? action;
}

/** The audit actions with words, for choosing one to filter by. */
export const AUDIT_ACTIONS: readonly string[] = Object.keys(ALL_AUDIT_WORDS);
