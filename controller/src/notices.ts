/**
 * Live notices for the dashboard: small "something changed" messages, one
 * topic each, carrying ids and never content. The dashboard refetches what it
 * shows when a notice names it; `routes/live.ts` sends each person only the
 * notices about what they may see.
 *
 * Where the notices come from:
 * - the audit log: every change people (and the custodian) make to a
 *   recording is audited in the same transaction as the change, so reading
 *   the log's new entries after they commit names every recording that
 *   changed — `AuditTail` does that, when told something may have changed
 *   and on a slow timer while anyone listens;
 * - the projector, for the devices' events (a recording started or stopped);
 * - the ingest, for devices' state, availability and connection (the lamp);
 * - the upload routes, for upload progress;
 * - the timetable, for bookings;
 * - the audit log again for coaching: an assignment set or answered, feedback
 *   or a next step marked (told to the teacher and whoever set it).
 *
 * A listener that throws is logged and the bus goes on (as zigbee2mqtt's bus).
 */
import type { Database } from "./db/database.js";
import { TableTail } from "./table-tail.js";

/** The part of a pino (or fastify) logger the notices use. */
export interface NoticeLogger {
  error: (details: object, message: string) => void;
}

export type Notice =
  /** A recording's details changed (started, stopped, shared, kept, held, deleted…). */
  | { topic: "recordings"; recordingId: string }
  /** Footage is arriving from a device. */
  | {
      topic: "upload";
      recordingId: string;
      receivedBytes: number;
      totalBytes: number;
      complete: boolean;
    }
  /** Keeping a recording was asked for, agreed, declined or withdrawn. */
  | { topic: "consents"; recordingId: string }
  /** Devices' state (lamp, recording, storage), availability or alerts changed. */
  | { topic: "devices"; deviceIds: string[] }
  /** A booking on a device was made, amended or cancelled. */
  | { topic: "bookings"; deviceId: string }
  /** How far an administrator's staff import has got (told to that administrator only). */
  | { topic: "staff-import"; actor: string; done: number; total: number }
  /** A person's notifications changed: one arrived, or they read some (told to that person only). */
  | { topic: "notifications"; userId: string }
  /**
   * Coaching changed: an assignment set or answered (`of: "assignment"`), or feedback, a reply
   * or a next step marked on a recording (`of: "recording"`); told to the people in it.
   */
  | { topic: "coaching"; of: "assignment" | "recording"; id: string };

export type NoticeTopic = Notice["topic"];
export const NOTICE_TOPICS: readonly NoticeTopic[] = [
  "recordings",
  "upload",
  "consents",
  "devices",
  "bookings",
  "staff-import",
  "notifications",
  "coaching",
];

export type NoticeListener = (notice: Notice) => void;

export class Notices {
  private readonly listeners = new Set<NoticeListener>();

  constructor(private readonly logger: NoticeLogger) {}

  publish(notice: Notice): void {
    for (const listener of this.listeners) {
      try {
        listener(notice);
      } catch (error) {
        this.logger.error({ err: error, topic: notice.topic }, "a notice listener failed");
      }
    }
  }

  /** Returns the function that stops listening. */
  subscribe(listener: NoticeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listening(): number {
    return this.listeners.size;
  }
}

/** Audit actions whose subject is a recording, and those that concern keeping it. */
const RECORDING_ACTION =
  /^(recording|comment|share|archive|consent|hold|investigation|footage|exemplar|next-step)\./;
/** Coaching's audit actions: on an assignment (its subject), or on a recording (feedback). */
const ASSIGNMENT_ACTION = /^assignment\.(set|submit)$/;
const FEEDBACK_ACTION = /^(comment\.add|next-step\.)/;
const CONSENT_ACTION = /^(archive|consent)\./;

/**
 * Reads the audit log's entries past the last one read and turns those about
 * recordings into notices. `poke()` reads soon (coalesced); `start()` also
 * reads on a timer, for changes made by background work nobody pokes for.
 */
export class AuditTail extends TableTail<{ action: string; subject: string }> {
  constructor(
    db: Database,
    private readonly notices: Notices,
    logger: NoticeLogger,
  ) {
    super(db, logger, {
      table: "audit_log",
      key: "seq",
      columns: "action, subject",
      what: "the audit log",
    });
  }

  protected tell(rows: readonly { action: string; subject: string }[]): void {
    const changed = new Set<string>();
    const consents = new Set<string>();
    const assignments = new Set<string>();
    const feedback = new Set<string>();
    for (const row of rows) {
      if (row.subject === "") continue;
      if (ASSIGNMENT_ACTION.test(row.action)) assignments.add(row.subject);
      if (FEEDBACK_ACTION.test(row.action)) feedback.add(row.subject);
      if (!RECORDING_ACTION.test(row.action)) continue;
      changed.add(row.subject);
      if (CONSENT_ACTION.test(row.action)) consents.add(row.subject);
    }
    for (const recordingId of changed) this.notices.publish({ topic: "recordings", recordingId });
    for (const recordingId of consents) this.notices.publish({ topic: "consents", recordingId });
    for (const id of assignments) this.notices.publish({ topic: "coaching", of: "assignment", id });
    for (const id of feedback) this.notices.publish({ topic: "coaching", of: "recording", id });
  }
}
