/**
 * People told when something needs them (issue 17). `notify()` is called
 * inside the transaction of the change it tells about, so a notification
 * exists exactly when the change does: it adds one row to the person's list
 * and, when they want that kind by e-mail and an address is known, one
 * message to the mail outbox (`mail-outbox.ts` sends it after the commit,
 * retrying while the relay is down). The dashboard learns of new rows
 * through the live stream (`notification-tail.ts`).
 *
 * A notification's subject is one short sentence in the school's words that
 * names who did what and links to it: it never carries footage, a pupil's
 * name or what a comment says (it goes out by e-mail as it is).
 */
import type { Transaction } from "../db/database.js";
import { DomainError } from "./errors.js";

export const NOTIFICATION_KINDS = [
  "share",
  "assignment-set",
  "assignment-answered",
  "feedback",
  "consent-asked",
  "investigation-opened",
  "clip-bank-entered",
  "clip-bank-left",
  "upload-ready",
  "concern-flagged",
  "concern-answered",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** The kinds that reach a person by e-mail until they choose otherwise. */
export const EMAIL_BY_DEFAULT: readonly NotificationKind[] = [
  "share",
  "assignment-set",
  "assignment-answered",
  "feedback",
  "consent-asked",
  "investigation-opened",
  "concern-flagged",
  "concern-answered",
];

export const MAX_SUBJECT = 200;

export interface NotificationInput {
  /** Who is told. */
  userId: string;
  kind: NotificationKind;
  /** One sentence: who did what (no footage, no pupil's name, no comment's content). */
  subject: string;
  /** Where in the dashboard it leads, as its address after `#/`: `recordings/<id>`. */
  link: string;
  /** When (the caller's clock). */
  at: Date;
}

/**
 * Tells a person, inside the caller's transaction: one notification, and one
 * e-mail in the outbox when they want this kind by e-mail. Returns the
 * notification's id. A person without an active account is not told.
 */
export async function notify(tx: Transaction, input: NotificationInput): Promise<number | null> {
  const subject = input.subject.trim();
  if (subject === "" || subject.length > MAX_SUBJECT || /[\r\n]/.test(subject))
    throw new Error(`a notification's subject must be one line of 1–${MAX_SUBJECT} characters`);
  if (input.link.startsWith("#") || input.link.startsWith("/") || /^[a-z]+:/i.test(input.link))
    throw new Error(`a notification's link is a dashboard address without '#/': '${input.link}'`);
  const user = await tx.get<{ status: string }>("SELECT status FROM users WHERE id = ?", [
    input.userId,
  ]);
  if (user?.status !== "active") return null;
  const at = input.at.toISOString();
  const { lastID } = await tx.run(
    "INSERT INTO notifications (user_id, kind, subject, link, created_at) VALUES (?, ?, ?, ?, ?)",
    [input.userId, input.kind, subject, input.link, at],
  );
  const settings = await emailSettings(tx, input.userId);
  if (settings.address !== null && settings.kinds.includes(input.kind)) {
    await tx.run(
      "INSERT INTO mail_outbox (notification_id, to_address, subject, link, created_at, next_attempt_at) " +
        "VALUES (?, ?, ?, ?, ?, ?)",
      [lastID, settings.address, subject, input.link, at, at],
    );
  }
  return lastID;
}

export interface EmailSettings {
  /** Where e-mail goes: the address the person gave, else the one their sign-in gave; null: none known. */
  address: string | null;
  /** The address the person gave themselves (null: none). */
  ownAddress: string | null;
  /** The address their school sign-in gave (null: none). */
  signInAddress: string | null;
  kinds: NotificationKind[];
}

type Reader = Pick<Transaction, "get">;

export async function emailSettings(db: Reader, userId: string): Promise<EmailSettings> {
  const row = await db.get<{ email: string | null; kinds_json: string }>(
    "SELECT email, kinds_json FROM notification_settings WHERE user_id = ?",
    [userId],
  );
  const identity = await db.get<{ email: string }>(
    "SELECT email FROM oidc_identities WHERE user_id = ? ORDER BY created_at DESC LIMIT 1",
    [userId],
  );
  const ownAddress = row?.email ?? null;
  const signInAddress = identity?.email ?? null;
  const kinds = row
    ? (JSON.parse(row.kinds_json) as string[]).filter(isNotificationKind)
    : [...EMAIL_BY_DEFAULT];
  return { address: ownAddress ?? signInAddress, ownAddress, signInAddress, kinds };
}

export function isNotificationKind(kind: string): kind is NotificationKind {
  return (NOTIFICATION_KINDS as readonly string[]).includes(kind);
}

/** A plain e-mail address (one @, a dot in the domain, no spaces): refused with words otherwise. */
export function checkAddress(address: string): string {
  const trimmed = address.trim();
  if (!/^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/.test(trimmed) || trimmed.length > 254)
    throw new DomainError(
      "invalid",
      `'${address}' is not an e-mail address (it should look like name@school.org)`,
    );
  return trimmed.toLowerCase();
}

/** A person's name as notifications give it ("Ms Smith"), or their id when unknown. */
export async function nameOf(tx: Pick<Transaction, "get">, userId: string): Promise<string> {
  const row = await tx.get<{ display_name: string }>(
    "SELECT display_name FROM users WHERE id = ?",
    [userId],
  );
  return row?.display_name ?? userId;
}
