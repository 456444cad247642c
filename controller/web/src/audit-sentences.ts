/**
 * Each audit entry as a sentence a DPO reads, after the name of whoever did
 * it: "booked Coaching in Demo classroom, Mon 23 Nov 2026, 09:00–10:00,
 * sound on". One function per action the server writes (`KnownAuditAction`:
 * the type-check finds one without a sentence), reading the entry's detail
 * and the page's names (people, rooms, recordings and bookings by their ids,
 * resolved by the server). An action no longer written, or a detail not as
 * expected, still reads: its words and every field, whole.
 */
import type { KnownAuditAction } from "../../src/domain/audit-actions.js";
import { auditAction, bytes, clock, day, role, when } from "./format.js";
import type { Role } from "./types.js";
import type { AuditEntry } from "./types-school.js";
import { bookingWords, masksCounted, Naming } from "./audit-naming.js";
import { list, number, object, plural, quoted, strings, text, type Detail } from "./audit-words.js";

export { Naming };

const ROLE_CODES: readonly string[] = [
  "teacher",
  "coach",
  "slt",
  "headteacher",
  "bursar",
  "it",
  "dpo",
  "admin",
];
function roles(value: unknown): string {
  const names = strings(value).map((code) =>
    ROLE_CODES.includes(code) ? role(code as Role) : code,
  );
  return names.length === 0 ? "no role" : list(names);
}

const BASIS_WORDS: Record<string, string> = {
  owner: "as its owner",
  share: "shared with them",
  investigation: "for an investigation",
  staff: "as staff in it",
  leadership: "as leadership",
  metadata: "its details only, not the footage",
  bank: "from the exemplar bank",
};
const basis = (detail: Detail) => {
  const code = text(detail, "basis");
  return code === null ? "" : ` (${BASIS_WORDS[code] ?? code})`;
};

const DELETION_WORDS: Record<string, string> = {
  "owner-request": "its owner asked",
  "buffer-retention": "its days in the classroom box were over",
  "archive-retention": "its time as a kept recording was over",
  "consent-withdrawn": "consent to keep it was withdrawn",
};

const FLAG_WORDS: Record<string, string> = {
  unbooked: "recorded outside a booking",
  "overran-booking": "it went on past its booking",
  "booking-disregarded": "the box's booking was not the one in force, so it was not used",
};

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

/** A change between two JSON objects, field by field: "maxMinutes from 60 to 90". */
function changes(before: unknown, after: unknown, words: Record<string, string> = {}): string {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
    if (isObject(b)) {
      const left = object(a);
      for (const [key, value] of Object.entries(object(b))) {
        walk(left[key], value, path === "" ? key : `${path}.${key}`);
      }
      return;
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const show = (v: unknown) =>
      v === undefined || v === null
        ? "nothing"
        : Array.isArray(v)
          ? v.length === 0
            ? "none"
            : v.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join(", ")
          : typeof v === "string"
            ? ISO_TIME.test(v)
              ? when(v)
              : v
            : JSON.stringify(v);
    const name = words[path] ?? words[path.split(".").at(-1) ?? ""] ?? path;
    out.push(
      a === undefined ? `${name} set to ${show(b)}` : `${name} from ${show(a)} to ${show(b)}`,
    );
  };
  walk(before, after, "");
  return out.length === 0 ? "nothing changed" : out.join("; ");
}

const POLICY_WORDS: Record<string, string> = {
  "retention.bufferDays": "days in the classroom box",
  "retention.archiveDays": "days a kept recording is kept",
  "bookings.maxMinutes": "longest booking (minutes)",
  "bookings.allowUnbookedRecording": "recording outside a booking",
  "bookings.horizonDays": "days ahead bookings may be made",
  audioDefault: "sound for new bookings",
  doNotRecordClasses: "do-not-record classes",
  "privacyContact.name": "whom to ask about recording",
  "privacyContact.email": "their e-mail address",
  "spokenNotice.enabled": "the spoken notice when a recording starts",
  "spokenNotice.text": "the spoken notice's words",
};

type Sentence = (entry: AuditEntry, names: Naming) => string;

/** The kinds of coaching feedback, as the audit's sentences say them. */
const COMMENT_KIND_WORDS: Record<string, string> = {
  strength: "a strength",
  question: "a question",
  suggestion: "a suggestion",
  "next-step": "a next step",
};
const ofRecording =
  (words: string): Sentence =>
  (e, n) =>
    `${words} ${n.recording(e.subject)}`;
/** "shared the recording with …", `how` after the recording (an unblurred share says so). */
const sharing =
  (how: string): Sentence =>
  (e, n) => {
    const withId = text(e.detail, "with");
    const until = text(e.detail, "expiresAt");
    return (
      `shared ${n.recording(e.subject)}${how} with ${withId === null ? "a colleague" : n.person(withId)}` +
      (until === null ? ", with no end date" : ` until ${when(until)}`)
    );
  };
/** "the clip “Questioning”", by the title its entries carry. */
const clipOf = (e: AuditEntry): string => {
  const title = text(e.detail, "title");
  return title === null ? "a clip" : `the clip “${title}”`;
};
const ofBox =
  (words: string): Sentence =>
  (e, n) =>
    `${words} ${n.box(e.subject)}`;

/** One sentence per action the server writes. */
export const SENTENCES: Record<KnownAuditAction, Sentence> = {
  "sign-in": (e) => `signed in${from(e.detail)}`,
  "sign-in.refused": (e, n) =>
    `sign-in as ${n.person(e.subject)} refused (${text(e.detail, "why") ?? "no reason given"})${from(e.detail)}`,
  "sign-out": () => "signed out",
  "user.add": (e, n) => `added ${n.person(e.subject)} (${e.subject}) as ${roles(e.detail.roles)}`,
  "user.setup": (e, n) =>
    `set up the school's server, with ${n.person(e.subject)} as its first administrator (${roles(e.detail.roles)})`,
  "user.update": (e, n) =>
    `changed ${n.person(e.subject)}'s account: ${changes(e.detail.before, e.detail.after, {
      displayName: "name",
      roles: "roles",
      status: "status",
    })}`,
  "user.grant-role": (e, n) => {
    const footage = strings(e.detail.footage);
    return (
      `gave ${n.person(e.subject)} the role${strings(e.detail.roles).length === 1 ? "" : "s"} ${roles(e.detail.roles)}` +
      (footage.length === 0 ? "" : ` (${roles(footage)} may see footage)`)
    );
  },
  "user.reset-password": (e, n) => `reset ${n.person(e.subject)}'s password`,
  "user.change-password": () => "changed their own password",
  "user.import": (e) => {
    const added = number(e.detail, "added") ?? 0;
    const people = number(e.detail, "people") ?? added;
    const skipped = Array.isArray(e.detail.skippedLines) ? e.detail.skippedLines.length : 0;
    return (
      `imported staff from a file: ${plural(added, "person", "people")} added of ${people}` +
      (skipped === 0 ? "" : `, ${plural(skipped, "line")} skipped`)
    );
  },
  "user.link": (e, n) => {
    const email = text(e.detail, "email");
    return (
      `linked ${n.person(e.subject)}'s account to their sign-in at the school's identity provider` +
      (email === null ? "" : ` (${email})`)
    );
  },
  "oidc.role-map": (e) => {
    const footage = Array.isArray(e.detail.footage) ? e.detail.footage.length : 0;
    const after = Array.isArray(e.detail.after) ? e.detail.after.length : 0;
    return (
      `changed which roles the identity provider's groups give (${plural(after, "group")})` +
      (footage === 0 ? "" : `, giving a role that sees footage to ${plural(footage, "group")}`)
    );
  },
  "user.reconcile": (e) => {
    const disabled = Array.isArray(e.detail.disabled) ? e.detail.disabled.length : 0;
    return (
      `checked the accounts against the school's staff list (${plural(number(e.detail, "listed") ?? 0, "person", "people")}): ` +
      `${plural(disabled, "account")} not on it disabled`
    );
  },
  "timetable.import": (e) =>
    `imported the timetable: ${plural(number(e.detail, "added") ?? 0, "lesson")} added, ` +
    `${number(e.detail, "changed") ?? 0} changed, ${number(e.detail, "removed") ?? 0} removed`,
  "timetable.rooms": (e) =>
    `set which box is in which room (${plural(number(e.detail, "rooms") ?? 0, "room")})`,
  "booking.create": (e, n) => {
    const b = object(e.detail.booking);
    const masks = Array.isArray(b.masks) ? b.masks.length : 0;
    return `booked ${bookingOf(b, n)}${masks > 0 ? `, with ${plural(masks, "mask")}` : ""}`;
  },
  "booking.amend": (e, n) => {
    const [before, after] = [masksCounted(e.detail.before), masksCounted(e.detail.after)];
    return `changed the booking ${bookingOf(after, n)}: ${changes(before, after, {
      start: "start",
      end: "end",
      purpose: "purpose",
      audio: "sound",
      staff: "staff",
      status: "status",
      classCode: "class",
      mitigation: "protection of do-not-record pupils",
      masks: "masks on the booking",
    })}`;
  },
  "booking.cancel": (e, n) =>
    `cancelled the booking ${n.booking(e.subject)}${quoted(text(e.detail, "reason"))}`,
  "recording.view": (e, n) => `opened ${n.recording(e.subject)}${basis(e.detail)}`,
  "recording.flag": (e, n) => {
    const flag = text(e.detail, "flag") ?? "";
    return `flagged ${n.recording(e.subject)}: ${FLAG_WORDS[flag] ?? flag}`;
  },
  "recording.delete": ofRecording("asked to delete"),
  "footage.play": (e, n) => `played the footage of ${n.recording(e.subject)}${basis(e.detail)}`,
  "footage.key": (e, n) =>
    `opened the key of the encrypted footage of ${n.recording(e.subject)} to play it${basis(e.detail)}`,
  "footage.upload-request": (e, n) => {
    const device = text(e.detail, "device");
    return (
      `asked ${device === null ? "the classroom box" : n.box(device)} for the footage of ` +
      `${n.recording(e.subject)}${basis(e.detail)}`
    );
  },
  "footage.upload-complete": (e, n) =>
    `received the footage of ${n.recording(e.subject)}${sizes(e.detail)}`,
  "footage.delete": (e, n) => {
    const copy =
      text(e.detail, "copy") === "controller" ? "the school server's" : "the classroom box's";
    const reason = text(e.detail, "reason") ?? "";
    const erased =
      e.detail.keyErased === true ? "; its key erased, so any copy left is unreadable" : "";
    return `deleted ${copy} copy of ${n.recording(e.subject)} (${DELETION_WORDS[reason] ?? reason})${sizes(e.detail)}${erased}`;
  },
  "footage.delete-disputed": (e, n) =>
    `said it deleted its copy of ${n.recording(e.subject)}, which is on hold: not recorded as deleted`,
  "comment.add": (e, n) => {
    const at = number(e.detail, "atSeconds");
    const kind = text(e.detail, "kind");
    const verb =
      number(e.detail, "parentId") !== null
        ? "replied to a comment on"
        : kind === null
          ? "commented on"
          : `gave feedback (${COMMENT_KIND_WORDS[kind] ?? kind}) on`;
    return `${verb} ${n.recording(e.subject)}${at === null ? "" : ` at ${clock(at)}`}`;
  },
  "share.create": sharing(""),
  "share.unblurred": sharing(" unblurred — faces as recorded, as the school's policy allowed —"),
  "share.revoke": ofRecording("withdrew a share of"),
  "strand.add": (e) =>
    `added the strand ${text(e.detail, "code") ?? ""} “${text(e.detail, "name") ?? ""}” to the school's framework`,
  "strand.rename": (e) =>
    `renamed the strand ${text(e.detail, "code") ?? ""} from “${text(e.detail, "from") ?? ""}” to “${text(e.detail, "to") ?? ""}”`,
  "strand.retire": (e) =>
    `retired the strand ${text(e.detail, "code") ?? ""} “${text(e.detail, "name") ?? ""}” (it stays on earlier feedback)`,
  "assignment.set": (e, n) => {
    const teachers = strings(e.detail.teachers).map((id) => n.person(id));
    const due = text(e.detail, "dueOn");
    return (
      `set the assignment “${text(e.detail, "title") ?? ""}” for ${list(teachers)}` +
      (due === null ? "" : `, due ${day(`${due}T12:00:00Z`)}`)
    );
  },
  "assignment.submit": (e, n) => {
    const recording = text(e.detail, "recordingId");
    const setBy = text(e.detail, "setBy");
    return (
      `answered an assignment${setBy === null ? "" : ` set by ${n.person(setBy)}`}` +
      (recording === null ? "" : ` with ${n.recording(recording)}`) +
      (text(e.detail, "clipId") === null ? "" : " (a clip of it)")
    );
  },
  "next-step.done": ofRecording("marked a next step done on"),
  "next-step.reopen": ofRecording("opened a next step again on"),
  "coaching.export": () => "downloaded their own coaching timeline",
  "archive.request": (e, n) => {
    const owner = text(e.detail, "owner");
    return (
      `asked to keep ${n.recording(e.subject)}` +
      (e.detail.exemplar === true ? " in the exemplar bank" : "") +
      (text(e.detail, "via") === "record button"
        ? ` (held the record button${owner === null ? "" : `, for ${n.person(owner)}`})`
        : "")
    );
  },
  "archive.consented": (e, n) =>
    `everyone in ${n.recording(e.subject)} agreed to keep it (${list(strings(e.detail.staff).map((id) => n.person(id)))})`,
  "archive.complete": (e, n) =>
    `kept ${n.recording(e.subject)} on the school's server${sizes(e.detail)}`,
  "archive.cancel": (e, n) =>
    `stopped keeping ${n.recording(e.subject)}${quoted(text(e.detail, "why"))}`,
  "consent.give": ofRecording("agreed to keep"),
  "consent.withdraw": ofRecording("declined to keep"),
  "exemplar.release": (e, n) => `released ${n.recording(e.subject)} from the exemplar bank`,
  "clip.cut": (e, n) => {
    const cut = e.detail.cut;
    const part = Array.isArray(cut) ? ` (${cut.map((s) => clock(Number(s))).join("–")})` : "";
    return `cut ${clipOf(e)}${part} from ${n.recording(text(e.detail, "recording") ?? "")}`;
  },
  "clip.play": (e) => `played ${clipOf(e)}${basis(e.detail)}`,
  "clip.key": (e) =>
    `opened the key of the encrypted footage of ${clipOf(e)} to play it${basis(e.detail)}`,
  "clip.offer": (e) => `offered ${clipOf(e)} to the exemplar bank`,
  "clip.consent": (e) =>
    `${text(e.detail, "decision") === "agree" ? "agreed to" : "declined"} ${clipOf(e)} ` +
    "going into the exemplar bank",
  "clip.bank-enter": (e) => `put ${clipOf(e)} in the exemplar bank: every member of staff agreed`,
  "clip.bank-decline": (e) =>
    `kept ${clipOf(e)} out of the exemplar bank: a member of staff declined`,
  "clip.withdraw": (e) => `withdrew ${clipOf(e)} from the exemplar bank`,
  "clip.delete": (e) => `deleted ${clipOf(e)}${quoted(text(e.detail, "why"))}`,
  "notification.settings": (e) => {
    const kinds = strings(e.detail.emailKinds);
    return kinds.length === 0
      ? "chose to receive no notifications by e-mail"
      : `chose which notifications reach them by e-mail (${plural(kinds.length, "kind")})`;
  },
  "concern.flag": (e, n) => `flagged a concern about ${n.recording(e.subject)}`,
  "concern.answer": (e, n) => `answered a concern about ${n.recording(e.subject)}`,
  "concern.leads": (e, n) => {
    const leads = strings(e.detail.leads);
    return leads.length === 0
      ? "left concerns to go to every member of SLT, the headteacher and the DPO"
      : `named who concerns go to: ${list(leads.map((id) => n.person(id)))}`;
  },
  "hold.place": (e, n) =>
    `placed a hold on ${n.recording(e.subject)}${quoted(text(e.detail, "reason"))}`,
  "hold.release": (e, n) =>
    `released the hold on ${n.recording(e.subject)}${quoted(text(e.detail, "reason"))}`,
  "investigation.open": (e, n) =>
    `opened ${n.recording(e.subject)} for an investigation${quoted(text(e.detail, "reason"))}`,
  "investigation.close": ofRecording("closed the investigation of"),
  "policy.change": (e) =>
    `changed the school's policy: ${changes(e.detail.before, e.detail.after, POLICY_WORDS)}`,
  "device.enrol": (e) =>
    `enrolled the box “${e.subject}” for ${text(e.detail, "room") ?? "a room"}`,
  "device.disable": ofBox("disabled"),
  "device.enable": ofBox("enabled"),
  "device.retire": ofBox("retired"),
  "device.rotate-secret": (e, n) => `gave ${n.box(e.subject)} a new secret`,
  "device.masks": (e, n) => {
    const masks = Array.isArray(e.detail.masks) ? e.detail.masks.length : 0;
    return `set ${plural(masks, "privacy mask")} on ${n.box(e.subject)}`;
  },
  "device.zones": (e, n) => {
    const zones = Array.isArray(e.detail.zones) ? e.detail.zones.length : 0;
    const box = n.box(e.subject);
    if (e.detail.mode === "none") return `removed the teacher zones of ${box}: every face blurred`;
    const sharp = `set the teacher zones of ${box}: faces in ${plural(zones, "zone")} left sharp`;
    return e.detail.mode === "background" ? `${sharp}, everything outside blurred` : sharp;
  },
  "device.self-test": (e, n) =>
    `tested the camera of ${n.box(e.subject)}: ${e.detail.ok === true ? "it works" : "it failed"}` +
    (text(e.detail, "detail") === null ? "" : ` (${text(e.detail, "detail") ?? ""})`),
  "device.picture": (e, n) =>
    `took a picture of the room from ${n.box(e.subject)} to draw privacy masks, its lamp lit` +
    (e.detail.ok === false
      ? ` — none came (${text(e.detail, "detail") ?? "no reason given"})`
      : ""),
  "device.wiped": (e, n) => {
    const known = number(e.detail, "recordingsKnownHere");
    return `${n.box(e.subject)} (retired) wiped its buffer${known === null ? "" : `, ${plural(known, "recording")} known there`}`;
  },
  "alert.clear": (e) => `dealt with alert ${e.subject}`,
  "retention.sweep": (e) =>
    `ran the retention sweep: ${plural(number(e.detail, "controller") ?? 0, "copy", "copies")} deleted on the school's server, ` +
    `${plural(number(e.detail, "devices") ?? 0, "deletion")} asked of classroom boxes`,
  "dpo.export": (e) =>
    `made a subject access export for request “${text(e.detail, "reference") ?? "?"}”: ` +
    `${plural(strings(e.detail.recordings).length, "recording")}, footage of ${plural(strings(e.detail.footage).length, "recording")} (${e.detail.facesBlurred === true ? "every face blurred" : "faces not blurred"})`,
  "dpo.export-download": (e) =>
    `took away the subject access export for request “${text(e.detail, "reference") ?? "?"}” — a copy now outside the system`,
  "dpo.export-expire": (e) =>
    `deleted the subject access export for request “${text(e.detail, "reference") ?? "?"}”: not taken away within ${number(e.detail, "keptDays") ?? "?"} days`,
  "sealing-key.rotate": (e) =>
    `made a new sealing key (${text(e.detail, "keyId") ?? "?"}) and sealed the keys of ` +
    `${plural(number(e.detail, "recordings") ?? 0, "recording")} and ${plural(number(e.detail, "copies") ?? 0, "copy", "copies")} to it`,
  "footage.export": (e, n) =>
    `put ${n.recording(e.subject)} in a subject access export (request “${text(e.detail, "reference") ?? "?"}”)`,
  "dpo.erasure": (e) => {
    const refused = Array.isArray(e.detail.refused) ? e.detail.refused.length : 0;
    return (
      `asked for erasure under request “${text(e.detail, "reference") ?? "?"}”: ` +
      `${plural(strings(e.detail.erase).length, "recording")} to erase` +
      (refused === 0 ? "" : `, ${plural(refused, "recording")} refused`)
    );
  },
  "recording.erase": (e, n) =>
    `erased ${n.recording(e.subject)} on request “${text(e.detail, "reference") ?? "?"}”`,
  "audit.verify": (e) =>
    `checked the audit log: ${e.detail.ok === true ? "it is whole" : "it is NOT whole"}`,
  "audit.export": (e, n) => {
    const format = text(e.detail, "format") ?? "a file";
    const filter = object(e.detail.filter);
    const parts = Object.entries(filter).map(([key, value]) =>
      key === "actor" && typeof value === "string"
        ? `by ${n.person(value)}`
        : key === "action" && typeof value === "string"
          ? `“${auditAction(value)}”`
          : key === "subject" && typeof value === "string"
            ? `about ${n.isRecording(value) ? n.recording(value) : value}`
            : `${key} ${typeof value === "string" ? value : JSON.stringify(value)}`,
    );
    return `exported the audit log as ${format.toUpperCase()}${parts.length === 0 ? "" : ` (entries ${parts.join(", ")})`}`;
  },
};

function from(detail: Detail): string {
  const address = text(detail, "address");
  return address === null ? "" : ` from ${address}`;
}

function sizes(detail: Detail): string {
  const segments = number(detail, "segments");
  const size = number(detail, "bytes");
  const parts = [
    segments === null ? null : plural(segments, "segment"),
    size === null ? null : bytes(size),
  ].filter((part): part is string => part !== null);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

function bookingOf(b: Record<string, unknown>, n: Naming): string {
  const str = (key: string) => (typeof b[key] === "string" ? b[key] : "");
  const teacher = str("teacherId");
  const words = bookingWords({
    purpose: str("purpose"),
    room: n.box(str("deviceId")).replace(/^the box in /, ""),
    start: str("start"),
    end: str("end"),
    audio: b.audio === true,
  });
  return teacher === "" ? words : `${words}, for ${n.person(teacher)}`;
}

/** Every field of a detail, whole: for an action without a sentence. */
function fields(detail: Detail): string {
  return Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join("; ");
}

/** An entry as a sentence after its actor's name. */
export function sentence(entry: AuditEntry, names: Naming): string {
  const known = (SENTENCES as Record<string, Sentence | undefined>)[entry.action];
  if (known !== undefined) {
    try {
      return known(entry, names);
    } catch {
      // a detail not as expected: fall through to the words and every field
    }
  }
  const about = names.subject(entry);
  const rest = fields(entry.detail);
  return [
    auditAction(entry.action),
    about === "" ? null : `about ${about}`,
    rest === "" ? null : `(${rest})`,
  ]
    .filter((part): part is string => part !== null)
    .join(" ");
}
