/**
 * Each person's own notifications and e-mail choices: the list (newest
 * first) with how many are unread, marking one or all read, and which kinds
 * reach them by e-mail and at what address. Only ever the person's own: no
 * one reads another's list. `notify()` (notifications.ts) adds to it.
 */
import type { Database } from "../db/database.js";
import type { Person } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import {
  checkAddress,
  emailSettings,
  isNotificationKind,
  type EmailSettings,
  type NotificationKind,
} from "./notifications.js";

export interface Notification {
  notificationId: number;
  kind: NotificationKind;
  subject: string;
  link: string;
  createdAt: string;
  readAt: string | null;
}

export interface NotificationPage {
  unread: number;
  notifications: Notification[];
}

interface Row {
  id: number;
  kind: string;
  subject: string;
  link: string;
  created_at: string;
  read_at: string | null;
}

export class NotificationDesk {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    /** Whether e-mail is set up (the `mail` setting): the settings screen says so. */
    readonly emailConfigured: boolean,
  ) {}

  async unread(person: Person): Promise<number> {
    const row = await this.db.get<{ n: number }>(
      "SELECT count(*) AS n FROM notifications WHERE user_id = ? AND read_at IS NULL",
      [person.id],
    );
    return row?.n ?? 0;
  }

  /** The newest `limit`, newest first (and any older than `before`, to page on). */
  async list(person: Person, limit: number, before?: number): Promise<NotificationPage> {
    const rows = await this.db.all<Row>(
      "SELECT id, kind, subject, link, created_at, read_at FROM notifications " +
        "WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
      [person.id, before ?? Number.MAX_SAFE_INTEGER, limit],
    );
    return {
      unread: await this.unread(person),
      notifications: rows.map((row) => ({
        notificationId: row.id,
        kind: isNotificationKind(row.kind) ? row.kind : "share",
        subject: row.subject,
        link: row.link,
        createdAt: row.created_at,
        readAt: row.read_at,
      })),
    };
  }

  /** Marks one of mine read (already read: nothing changes). */
  async markRead(person: Person, notificationId: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await tx.get<{ read_at: string | null }>(
        "SELECT read_at FROM notifications WHERE id = ? AND user_id = ?",
        [notificationId, person.id],
      );
      if (!row) throw new DomainError("not-found", `you have no notification ${notificationId}`);
      if (row.read_at !== null) return;
      await tx.run("UPDATE notifications SET read_at = ? WHERE id = ?", [
        this.clock().toISOString(),
        notificationId,
      ]);
    });
  }

  /** Marks all of mine read; says how many were unread. */
  async markAllRead(person: Person): Promise<number> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run(
        "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
        [this.clock().toISOString(), person.id],
      );
      return changes;
    });
  }

  async settings(person: Person): Promise<EmailSettings & { emailConfigured: boolean }> {
    return { ...(await emailSettings(this.db, person.id)), emailConfigured: this.emailConfigured };
  }

  /** Sets which kinds reach me by e-mail and my own address (null: my sign-in's, if any). Audited. */
  async setSettings(
    person: Person,
    change: { ownAddress: string | null; kinds: readonly string[] },
  ): Promise<EmailSettings & { emailConfigured: boolean }> {
    const unknown = change.kinds.filter((kind) => !isNotificationKind(kind));
    if (unknown.length > 0)
      throw new DomainError(
        "invalid",
        `there is no kind of notification '${unknown.join("', '")}'`,
      );
    const kinds = [...new Set(change.kinds)];
    const address =
      change.ownAddress === null || change.ownAddress.trim() === ""
        ? null
        : checkAddress(change.ownAddress);
    await this.db.transaction(async (tx) => {
      await tx.run(
        "INSERT INTO notification_settings (user_id, email, kinds_json, updated_at) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, kinds_json = excluded.kinds_json, " +
          "updated_at = excluded.updated_at",
        [person.id, address, JSON.stringify(kinds), this.clock().toISOString()],
      );
      // the address is personal: the log says it changed, not what it is
      await this.audit.append(tx, {
        actor: person.id,
        action: "notification.settings",
        subject: person.id,
        detail: { emailKinds: kinds, ownAddress: address !== null },
      });
    });
    return this.settings(person);
  }
}
