/**
 * The school's policy, one document kept in the database: retention, booking
 * limits, whether unbooked recording is allowed, whether bookings record audio
 * by default, the classes with pupils on the "do not record" list (by
 * class code only: no pupil's name is stored), and the spoken notice the boxes
 * say when a recording starts. Every change is audited with
 * what it was before.
 */
import {
  DEFAULT_SPOKEN_NOTICE,
  MAX_BUFFER_DAYS,
  MIN_BUFFER_DAYS,
  spokenNoticeProblems,
  type SpokenNotice,
} from "@classcam/protocol";
import type { Database, Transaction } from "../db/database.js";
import type { AuditLog } from "./audit.js";
import {
  DEFAULT_BOOKING_POLICY,
  MAX_HORIZON_DAYS,
  MIN_HORIZON_DAYS,
  type BookingPolicy,
} from "./bookings.js";
import { DomainError } from "./errors.js";
import { DEFAULT_ANONYMITY, type AnonymityPolicy } from "./rendition-rule.js";
import { DEFAULT_RETENTION, type RetentionPolicy } from "./retention.js";

export interface SchoolPolicy {
  retention: RetentionPolicy;
  bookings: BookingPolicy;
  /** Whether a new booking records audio unless the booker says otherwise. */
  audioDefault: boolean;
  /** Class codes with pupils on the "do not record" list. */
  doNotRecordClasses: string[];
  /** Whom pupils, parents and staff ask about recording: the public notice and door signs name them. */
  privacyContact: PrivacyContact;
  /** Faces blurred for everyone but the owner, and whether an owner may share unblurred (issue 19). */
  anonymity: AnonymityPolicy;
  /** The sentence each box says when a recording starts, after its lamp is lit (issue 20 §2). */
  spokenNotice: SpokenNotice;
}

/** The school's contact for privacy questions (usually its data protection officer). */
export interface PrivacyContact {
  name: string;
  email: string;
}

/** The longest contact name and e-mail address the policy keeps. */
export const PRIVACY_CONTACT_LIMITS = { name: 100, email: 200 } as const;

export const DEFAULT_POLICY: SchoolPolicy = {
  retention: DEFAULT_RETENTION,
  bookings: DEFAULT_BOOKING_POLICY,
  audioDefault: true,
  doNotRecordClasses: [],
  privacyContact: { name: "", email: "" },
  anonymity: DEFAULT_ANONYMITY,
  spokenNotice: DEFAULT_SPOKEN_NOTICE,
};

export const CLASS_CODE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9 ./_-]{0,31}$";

/** Every reason a policy cannot stand; empty when it can. */
export function policyProblems(policy: SchoolPolicy): string[] {
  const problems: string[] = [];
  const { bufferDays, archiveDays } = policy.retention;
  if (
    !Number.isInteger(bufferDays) ||
    bufferDays < MIN_BUFFER_DAYS ||
    bufferDays > MAX_BUFFER_DAYS
  ) {
    problems.push(
      `buffer retention is a whole number of days from ${MIN_BUFFER_DAYS} to ${MAX_BUFFER_DAYS}`,
    );
  }
  if (!Number.isInteger(archiveDays) || archiveDays < 1 || archiveDays > 3650) {
    problems.push("archive retention is a whole number of days from 1 to 3650");
  } else if (archiveDays < bufferDays) {
    problems.push("archive retention must not be shorter than buffer retention");
  }
  const { maxMinutes } = policy.bookings;
  if (!Number.isInteger(maxMinutes) || maxMinutes < 5 || maxMinutes > 480) {
    problems.push("the longest booking is a whole number of minutes from 5 to 480");
  }
  const { horizonDays } = policy.bookings;
  if (
    !Number.isInteger(horizonDays) ||
    horizonDays < MIN_HORIZON_DAYS ||
    horizonDays > MAX_HORIZON_DAYS
  ) {
    problems.push(
      `bookings may be made a whole number of days ahead, from ${MIN_HORIZON_DAYS} to ${MAX_HORIZON_DAYS}`,
    );
  }
  const codes = policy.doNotRecordClasses;
  const pattern = new RegExp(CLASS_CODE_PATTERN);
  for (const code of codes) {
    if (!pattern.test(code)) problems.push(`'${code}' is not a class code`);
  }
  if (new Set(codes.map((c) => c.toLowerCase())).size !== codes.length) {
    problems.push("a class is listed twice on the do-not-record list");
  }
  problems.push(...privacyContactProblems(policy.privacyContact));
  problems.push(...spokenNoticeProblems(policy.spokenNotice));
  return problems;
}

/** Every reason the privacy contact cannot stand (both may be left empty until the school sets them). */
export function privacyContactProblems(contact: PrivacyContact): string[] {
  const problems: string[] = [];
  if (contact.name.length > PRIVACY_CONTACT_LIMITS.name) {
    problems.push(
      `the privacy contact's name is at most ${PRIVACY_CONTACT_LIMITS.name} characters`,
    );
  }
  const { email } = contact;
  if (email.length > PRIVACY_CONTACT_LIMITS.email) {
    problems.push(
      `the privacy contact's e-mail address is at most ${PRIVACY_CONTACT_LIMITS.email} characters`,
    );
  } else if (email !== "" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    problems.push(`'${email}' is not an e-mail address (name@school.example)`);
  }
  return problems;
}

export class PolicyStore {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
  ) {}

  async get(tx?: Transaction): Promise<SchoolPolicy> {
    const sql = "SELECT value_json FROM settings WHERE key = 'policy'";
    const row = tx
      ? await tx.get<{ value_json: string }>(sql)
      : await this.db.get<{ value_json: string }>(sql);
    if (!row) return DEFAULT_POLICY;
    const stored = JSON.parse(row.value_json) as SchoolPolicy;
    // a policy saved before a setting existed has the setting's default
    return {
      ...DEFAULT_POLICY,
      ...stored,
      retention: { ...DEFAULT_POLICY.retention, ...stored.retention },
      bookings: { ...DEFAULT_POLICY.bookings, ...stored.bookings },
      privacyContact: { ...DEFAULT_POLICY.privacyContact, ...stored.privacyContact },
      anonymity: { ...DEFAULT_POLICY.anonymity, ...stored.anonymity },
      spokenNotice: { ...DEFAULT_POLICY.spokenNotice, ...stored.spokenNotice },
    };
  }

  /** Replaces the parts given; audited with the policy before and after. */
  async update(
    change: {
      retention?: Partial<RetentionPolicy>;
      bookings?: Partial<BookingPolicy>;
      audioDefault?: boolean;
      doNotRecordClasses?: string[];
      privacyContact?: Partial<PrivacyContact>;
      anonymity?: Partial<AnonymityPolicy>;
      spokenNotice?: Partial<SpokenNotice>;
    },
    actor: string,
  ): Promise<SchoolPolicy> {
    return this.db.transaction(async (tx) => {
      const before = await this.get(tx);
      const after: SchoolPolicy = {
        retention: { ...before.retention, ...change.retention },
        bookings: { ...before.bookings, ...change.bookings },
        audioDefault: change.audioDefault ?? before.audioDefault,
        doNotRecordClasses: change.doNotRecordClasses ?? before.doNotRecordClasses,
        privacyContact: { ...before.privacyContact, ...change.privacyContact },
        anonymity: { ...before.anonymity, ...change.anonymity },
        spokenNotice: { ...before.spokenNotice, ...change.spokenNotice },
      };
      const problems = policyProblems(after);
      if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
      await tx.run(
        "INSERT INTO settings (key, value_json) VALUES ('policy', ?) " +
          "ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
        [JSON.stringify(after)],
      );
      await this.audit.append(tx, {
        actor,
        action: "policy.change",
        subject: "policy",
        detail: { before, after },
      });
      return after;
    });
  }
}
