/**
 * The controller's schema as it stood through version 9 (the first releases):
 * devices and events, bookings and recordings, accounts, audit, uploads,
 * sign-in identities and the timetable. Never edit a migration once
 * released; add the next one to `migrations.ts`.
 */
import type { Migration } from "@classcam/sqlite";

export const firstMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "devices, events and rejected messages",
    sql: `
      CREATE TABLE devices (
        id                TEXT PRIMARY KEY,
        room              TEXT NOT NULL,
        secret_hash       TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('active', 'disabled', 'retired')),
        enrolled_at       TEXT NOT NULL,
        status_changed_at TEXT NOT NULL,
        config_json       TEXT NOT NULL,
        config_version    INTEGER NOT NULL,
        connected         INTEGER NOT NULL DEFAULT 0,
        connected_at      TEXT,
        availability      TEXT CHECK (availability IN ('online', 'offline')),
        availability_at   TEXT,
        state_json        TEXT,
        state_at          TEXT,
        last_seen_at      TEXT,
        last_seq          INTEGER
      ) STRICT;

      CREATE TABLE events (
        id          TEXT PRIMARY KEY,
        device_id   TEXT NOT NULL REFERENCES devices (id),
        seq         INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        data_json   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX events_by_device ON events (device_id, seq);
      CREATE INDEX events_by_kind ON events (kind, occurred_at);

      CREATE TABLE rejected_messages (
        id          INTEGER PRIMARY KEY,
        device_id   TEXT NOT NULL,
        topic       TEXT NOT NULL,
        event_id    TEXT,
        reason      TEXT NOT NULL,
        bytes       INTEGER NOT NULL,
        excerpt     BLOB NOT NULL,
        received_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX rejected_by_device ON rejected_messages (device_id, received_at);
    `,
  },
  {
    version: 2,
    name: "append-only, hash-chained audit log",
    // Triggers make the log append-only for the application itself: no UPDATE,
    // no DELETE, and an INSERT must extend the chain (next seq, previous hash).
    // Someone editing the file directly can drop them; AuditLog.verify() is
    // what catches that.
    sql: `
      CREATE TABLE audit_log (
        seq         INTEGER PRIMARY KEY CHECK (seq > 0),
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL CHECK (actor != ''),
        action      TEXT NOT NULL CHECK (action != ''),
        subject     TEXT NOT NULL,
        detail_json TEXT NOT NULL,
        prev_hash   TEXT NOT NULL CHECK (length(prev_hash) = 64),
        hash        TEXT NOT NULL CHECK (length(hash) = 64)
      ) STRICT;
      CREATE INDEX audit_by_actor ON audit_log (actor, seq);
      CREATE INDEX audit_by_action ON audit_log (action, seq);
      CREATE INDEX audit_by_subject ON audit_log (subject, seq);
      CREATE INDEX audit_by_time ON audit_log (at);

      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN
        SELECT RAISE(ABORT, 'audit_log is append-only');
      END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN
        SELECT RAISE(ABORT, 'audit_log is append-only');
      END;
      CREATE TRIGGER audit_log_extends_chain BEFORE INSERT ON audit_log
      WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
        OR NEW.prev_hash IS NOT coalesce(
          (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
          '0000000000000000000000000000000000000000000000000000000000000000')
      BEGIN
        SELECT RAISE(ABORT, 'audit_log entries must extend the chain (next seq, previous hash)');
      END;
    `,
  },
  {
    version: 3,
    name: "people, sessions, policy, bookings, recordings and their governance",
    sql: `
      CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value_json TEXT NOT NULL
      ) STRICT;

      CREATE TABLE users (
        id                   TEXT PRIMARY KEY,
        display_name         TEXT NOT NULL,
        roles_json           TEXT NOT NULL,
        password_hash        TEXT NOT NULL,
        must_change_password INTEGER NOT NULL DEFAULT 0,
        status               TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
        created_at           TEXT NOT NULL,
        password_changed_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE sessions (
        token_hash   TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users (id),
        csrf_token   TEXT NOT NULL,
        address      TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX sessions_by_user ON sessions (user_id);

      CREATE TABLE bookings (
        id              TEXT PRIMARY KEY,
        device_id       TEXT NOT NULL REFERENCES devices (id),
        teacher_id      TEXT NOT NULL REFERENCES users (id),
        start_at        TEXT NOT NULL,
        end_at          TEXT NOT NULL,
        purpose         TEXT NOT NULL,
        staff_json      TEXT NOT NULL,
        audio           INTEGER NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('draft', 'confirmed', 'cancelled')),
        class_code      TEXT,
        do_not_record   INTEGER NOT NULL,
        mitigation_kind TEXT,
        mitigation_note TEXT,
        created_by      TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
      ) STRICT;
      CREATE INDEX bookings_by_device ON bookings (device_id, start_at);
      CREATE INDEX bookings_by_time ON bookings (start_at);
      CREATE INDEX bookings_by_teacher ON bookings (teacher_id, start_at);

      CREATE TABLE recordings (
        id                    TEXT PRIMARY KEY,
        device_id             TEXT NOT NULL REFERENCES devices (id),
        booking_id            TEXT REFERENCES bookings (id),
        owner_id              TEXT REFERENCES users (id),
        staff_json            TEXT NOT NULL,
        purpose               TEXT,
        started_at            TEXT NOT NULL,
        ended_at              TEXT,
        audio                 INTEGER NOT NULL,
        encoder               TEXT NOT NULL,
        stop_reason           TEXT,
        duration_seconds      REAL,
        segments              INTEGER,
        bytes                 INTEGER,
        flag                  TEXT,
        on_device             INTEGER NOT NULL DEFAULT 1,
        on_controller         INTEGER NOT NULL DEFAULT 0,
        archive_state         TEXT NOT NULL DEFAULT 'none' CHECK (archive_state IN
                                ('none', 'awaiting-consent', 'uploading', 'archived')),
        archive_requested_at  TEXT,
        upload_token_hash     TEXT,
        archived_at           TEXT,
        exemplar              INTEGER NOT NULL DEFAULT 0,
        deletion_requested_at TEXT,
        deleted_at            TEXT
      ) STRICT;
      CREATE INDEX recordings_by_owner ON recordings (owner_id, started_at);
      CREATE INDEX recordings_by_device ON recordings (device_id, started_at);
      CREATE INDEX recordings_live ON recordings (deleted_at, started_at);

      CREATE TABLE consents (
        recording_id TEXT NOT NULL REFERENCES recordings (id),
        user_id      TEXT NOT NULL REFERENCES users (id),
        decision     TEXT NOT NULL CHECK (decision IN ('agree', 'decline')),
        decided_at   TEXT NOT NULL,
        PRIMARY KEY (recording_id, user_id)
      ) STRICT;
      CREATE INDEX consents_by_user ON consents (user_id);

      CREATE TABLE shares (
        id           INTEGER PRIMARY KEY,
        recording_id TEXT NOT NULL REFERENCES recordings (id),
        with_id      TEXT NOT NULL REFERENCES users (id),
        created_by   TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        expires_at   TEXT,
        revoked_at   TEXT
      ) STRICT;
      CREATE INDEX shares_by_recording ON shares (recording_id);
      CREATE INDEX shares_by_user ON shares (with_id);

      CREATE TABLE comments (
        id           INTEGER PRIMARY KEY,
        recording_id TEXT NOT NULL REFERENCES recordings (id),
        author_id    TEXT NOT NULL REFERENCES users (id),
        at_seconds   REAL NOT NULL,
        body         TEXT NOT NULL,
        created_at   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX comments_by_recording ON comments (recording_id, at_seconds);

      CREATE TABLE holds (
        id             INTEGER PRIMARY KEY,
        recording_id   TEXT NOT NULL REFERENCES recordings (id),
        placed_by      TEXT NOT NULL,
        reason         TEXT NOT NULL,
        placed_at      TEXT NOT NULL,
        released_by    TEXT,
        release_reason TEXT,
        released_at    TEXT
      ) STRICT;
      CREATE INDEX holds_by_recording ON holds (recording_id, released_at);

      CREATE TABLE investigations (
        id           INTEGER PRIMARY KEY,
        recording_id TEXT NOT NULL REFERENCES recordings (id),
        opened_by    TEXT NOT NULL,
        reason       TEXT NOT NULL,
        opened_at    TEXT NOT NULL,
        closed_at    TEXT
      ) STRICT;
      CREATE INDEX investigations_by_recording ON investigations (recording_id);

      CREATE TABLE deletions (
        id           INTEGER PRIMARY KEY,
        recording_id TEXT NOT NULL REFERENCES recordings (id),
        copy         TEXT NOT NULL CHECK (copy IN ('controller', 'device')),
        reason       TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        done_at      TEXT,
        bytes        INTEGER,
        UNIQUE (recording_id, copy)
      ) STRICT;
      CREATE INDEX deletions_pending ON deletions (done_at, copy);

      CREATE TABLE alerts (
        id         INTEGER PRIMARY KEY,
        device_id  TEXT NOT NULL REFERENCES devices (id),
        kind       TEXT NOT NULL,
        detail     TEXT NOT NULL,
        raised_at  TEXT NOT NULL,
        cleared_at TEXT,
        cleared_by TEXT
      ) STRICT;
      CREATE INDEX alerts_open ON alerts (cleared_at, device_id);
    `,
  },
  {
    version: 4,
    name: "footage uploads: who asked, the device's manifest and each verified segment",
    // One uploads row per recording whose footage was asked for (to keep it or
    // to watch it); its segments as the device's manifest named them, each
    // marked when it arrived and matched its length and SHA-256.
    sql: `
      CREATE TABLE uploads (
        recording_id   TEXT PRIMARY KEY REFERENCES recordings (id),
        wanted_at      TEXT,
        wanted_by      TEXT,
        requested_at   TEXT,
        manifest_at    TEXT,
        total_bytes    INTEGER,
        received_bytes INTEGER NOT NULL DEFAULT 0,
        completed_at   TEXT
      ) STRICT;
      CREATE INDEX uploads_wanted ON uploads (wanted_at);

      CREATE TABLE upload_segments (
        recording_id     TEXT NOT NULL REFERENCES recordings (id),
        seq              INTEGER NOT NULL CHECK (seq >= 0),
        name             TEXT NOT NULL,
        duration_seconds REAL NOT NULL CHECK (duration_seconds > 0),
        bytes            INTEGER NOT NULL CHECK (bytes > 0),
        sha256           TEXT NOT NULL CHECK (length(sha256) = 64),
        received_at      TEXT,
        PRIMARY KEY (recording_id, name),
        UNIQUE (recording_id, seq)
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: "each recording's box found from its events; events that could not be applied, kept aside",
    // The ingest looks up which box first named a recording (its box: no
    // other may report on it). An event the projector cannot apply waits in
    // event_quarantine, with the reason, for `classcam-controller events retry`.
    sql: `
      CREATE INDEX events_by_recording ON events (data_json ->> '$.recordingId')
        WHERE data_json ->> '$.recordingId' IS NOT NULL;

      CREATE TABLE event_quarantine (
        event_id       TEXT PRIMARY KEY REFERENCES events (id),
        device_id      TEXT NOT NULL REFERENCES devices (id),
        recording_id   TEXT,
        reason         TEXT NOT NULL CHECK (reason != ''),
        quarantined_at TEXT NOT NULL,
        attempts       INTEGER NOT NULL DEFAULT 1 CHECK (attempts > 0),
        last_tried_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX quarantine_by_recording ON event_quarantine (recording_id)
        WHERE recording_id IS NOT NULL;
    `,
  },
  {
    version: 6,
    name: "each account's last sign-in, for the administrator's list of staff",
    sql: `
      ALTER TABLE users ADD COLUMN last_sign_in_at TEXT;
    `,
  },
  {
    version: 7,
    name: "when each person last looked at a recording, for what is new to them on their home",
    // One row per person and recording they opened; shares and comments made
    // after `seen_at` are new to them (domain/home-view.ts).
    sql: `
      CREATE TABLE recording_seen (
        user_id      TEXT NOT NULL REFERENCES users (id),
        recording_id TEXT NOT NULL REFERENCES recordings (id),
        seen_at      TEXT NOT NULL,
        PRIMARY KEY (user_id, recording_id)
      ) STRICT;
    `,
  },
  {
    version: 8,
    name: "which account a person of the school's identity provider signs in as",
    // One row per provider account (issuer + subject) that has signed in;
    // domain/oidc-sign-in.ts. A local account has none.
    sql: `
      CREATE TABLE oidc_identities (
        issuer        TEXT NOT NULL,
        subject       TEXT NOT NULL,
        user_id       TEXT NOT NULL UNIQUE REFERENCES users (id),
        email         TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        PRIMARY KEY (issuer, subject)
      ) STRICT;
    `,
  },
  {
    version: 9,
    name: "the school's timetable of lessons, and which box is in which room",
    // Lessons imported from the school's system (domain/timetable-import.ts),
    // one per room and start; a booking is made from one (domain/lessons.ts).
    // rooms: each room the timetable names, and its box (none: not bookable).
    sql: `
      CREATE TABLE rooms (
        name       TEXT PRIMARY KEY COLLATE NOCASE,
        device_id  TEXT REFERENCES devices (id)
      ) STRICT;

      CREATE TABLE lessons (
        id          TEXT PRIMARY KEY,
        start_at    TEXT NOT NULL,
        end_at      TEXT NOT NULL,
        room        TEXT NOT NULL,
        class_code  TEXT NOT NULL,
        subject     TEXT NOT NULL,
        teacher_id  TEXT NOT NULL REFERENCES users (id),
        imported_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX lessons_by_start ON lessons (start_at);
      CREATE INDEX lessons_by_teacher ON lessons (teacher_id, start_at);
    `,
  },
];
