/**
 * People told when something needs them (issue 17): each person's
 * notifications, which kinds each wants by e-mail and where, the mail
 * outbox the mailer drains, and concerns flagged on recordings.
 */
import type { Migration } from "@classcam/sqlite";

export function notificationsMigration(version: number): Migration {
  return {
    version,
    name: "notifications, e-mail preferences, the mail outbox and concerns",
    sql: `
      CREATE TABLE notifications (
        id         INTEGER PRIMARY KEY,
        user_id    TEXT NOT NULL REFERENCES users (id),
        kind       TEXT NOT NULL,
        subject    TEXT NOT NULL,
        link       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        read_at    TEXT
      ) STRICT;
      CREATE INDEX notifications_by_user ON notifications (user_id, id);
      CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

      CREATE TABLE notification_settings (
        user_id     TEXT PRIMARY KEY REFERENCES users (id),
        email       TEXT,
        kinds_json  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE mail_outbox (
        id              INTEGER PRIMARY KEY,
        notification_id INTEGER REFERENCES notifications (id),
        to_address      TEXT NOT NULL,
        subject         TEXT NOT NULL,
        link            TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        sent_at         TEXT
      ) STRICT;
      CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

      CREATE TABLE concerns (
        id           INTEGER PRIMARY KEY,
        recording_id TEXT NOT NULL REFERENCES recordings (id),
        raised_by    TEXT NOT NULL REFERENCES users (id),
        raised_at    TEXT NOT NULL,
        text         TEXT NOT NULL,
        answered_by  TEXT REFERENCES users (id),
        answered_at  TEXT,
        answer       TEXT
      ) STRICT;
      CREATE INDEX concerns_by_recording ON concerns (recording_id);
    `,
  };
}
