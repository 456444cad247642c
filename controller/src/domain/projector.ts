/**
 * The devices' events, applied to the school's tables: a `recording.started`
 * becomes a recording owned by the booking's teacher (or is flagged when it
 * matches no booking and the school does not allow unbooked recording), a
 * `recording.stopped` ends it, a `recording.deleted` records the deletion, and
 * faults raise alerts.
 *
 * The projector reads the events table in insertion order from a cursor kept
 * in the same transaction as what it writes, so every event is applied exactly
 * once, whenever it arrived and however often the controller restarted.
 * Each event applies whole or not at all: one that fails (or names another
 * box's recording or booking) is undone and kept in quarantine
 * (`quarantine.ts`) for `classcam-controller events retry`. A step's events
 * share one savepoint while all of them apply; when one fails, the step's
 * writes are undone and its events applied again one savepoint each.
 * Footage deletions are applied in `device-deletions.ts`.
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { EARLY_START_MS, latestEnd, type DeviceEvent, type EventData } from "@classcam/protocol";
import type { Database, Transaction } from "../db/database.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { checkStart } from "./bookings.js";
import type { PolicyStore, SchoolPolicy } from "./policy.js";
import { toBooking, type StoredBooking } from "./timetable.js";
import { savepoint, TransactionLost } from "../db/database.js";
import { clearAlert, raiseAlert } from "./alerts.js";
import { Claims, namedIn, trespassForIt } from "./claims.js";
import {
  quarantine,
  quarantined,
  quarantinedRecordings,
  release,
  storedEvent,
  waitingBehind,
  type QuarantinedEvent,
} from "./quarantine.js";
import { askConsent } from "./recordings/consent-asked.js";
import { applyDeleted, applyWiped } from "./device-deletions.js";

const BATCH = 500;
/** A recording that stops later than this after its booking's end is flagged. */
export const OVERRUN_MS = 60_000;

export { raiseAlert, type AlertKind } from "./alerts.js";

/** What `events retry` did: how many quarantined events applied, and those still failing. */
export interface RetryReport {
  applied: number;
  failing: QuarantinedEvent[];
}

export interface ProjectorEvents {
  /** Device events applied, after their transaction committed (the dashboard's live notices). */
  applied: [events: readonly { deviceId: string; event: DeviceEvent }[]];
}

export class Projector extends EventEmitter<ProjectorEvents> {
  private running: Promise<void> | null = null;
  /** Bumped by every call; the loop runs until it has seen the latest. */
  private requested = 0;
  /**
   * The school's policy as the running transaction read it, once: the
   * projector never changes it, and each unbooked start in a step read it
   * again (issue 21). Forgotten as each of the projector's transactions begins.
   */
  private policyRead: Promise<SchoolPolicy> | null = null;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly policy: PolicyStore,
    private readonly logger: Logger,
    private readonly clock: Clock = () => new Date(),
  ) {
    super();
  }

  /** Applies every event not applied yet; calls made while running run once more after it. */
  catchUp(): Promise<void> {
    this.requested += 1;
    if (this.running) return this.running;
    this.running = (async () => {
      let seen = -1;
      while (seen !== this.requested) {
        seen = this.requested;
        while (await this.step()) {
          /* next batch */
        }
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async step(): Promise<boolean> {
    const applied: { deviceId: string; event: DeviceEvent }[] = [];
    const more = await this.db.transaction(async (tx) => {
      applied.length = 0;
      this.policyRead = null;
      // the cursor is read in the same statement (each one is a trip through SQLite's threads)
      const rows = await tx.all<{
        rowid: number;
        id: string;
        device_id: string;
        seq: number;
        kind: DeviceEvent["kind"];
        occurred_at: string;
        data_json: string;
      }>(
        "SELECT rowid, id, device_id, seq, kind, occurred_at, data_json FROM events " +
          "WHERE rowid > coalesce((SELECT CAST(value_json AS INTEGER) FROM settings " +
          "WHERE key = 'projector_cursor'), 0) ORDER BY rowid LIMIT ?",
        [BATCH],
      );
      applied.push(
        ...(await this.applyAll(
          tx,
          rows.map((row) => ({ deviceId: row.device_id, event: storedEvent(row) })),
        )),
      );
      const last = rows.at(-1);
      if (last) {
        await tx.run(
          "INSERT INTO settings (key, value_json) VALUES ('projector_cursor', ?) " +
            "ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
          [JSON.stringify(last.rowid)],
        );
      }
      return rows.length === BATCH;
    });
    if (applied.length > 0) this.emit("applied", applied);
    return more;
  }

  /**
   * Applies the events in quarantine again, oldest first, in one transaction
   * (so two retries at once still apply each exactly once): each that applies
   * leaves quarantine, each that fails stays with its new reason.
   */
  async retryQuarantined(): Promise<RetryReport> {
    const applied: { deviceId: string; event: DeviceEvent }[] = [];
    const failing = await this.db.transaction(async (tx) => {
      applied.length = 0;
      this.policyRead = null;
      for (const { deviceId, event } of await quarantined(tx)) {
        const claims = await Claims.load(tx, [event]);
        if (await this.applyWhole(tx, deviceId, event, claims, null)) {
          await release(tx, event.id, deviceId, this.clock().toISOString());
          applied.push({ deviceId, event });
        }
      }
      return (await quarantined(tx)).map(({ event: _event, ...entry }) => entry);
    });
    if (applied.length > 0) this.emit("applied", applied);
    return { applied: applied.length, failing };
  }

  /**
   * Applies a batch of new events, in order, and says which applied. Each
   * applies whole or not at all (`applyWhole`). The common case, where every
   * one applies, takes one savepoint for the batch instead of one per event
   * (each is two trips through SQLite's threads: issue 21); when one fails,
   * the batch's writes are undone and it runs again one event at a time.
   */
  private async applyAll(
    tx: Transaction,
    events: readonly { deviceId: string; event: DeviceEvent }[],
  ): Promise<{ deviceId: string; event: DeviceEvent }[]> {
    if (events.length === 0) return [];
    const named = events.map(({ event }) => event);
    const recordingIds = named.flatMap((event) => namedIn(event).recordingId ?? []);
    const held = await quarantinedRecordings(tx, recordingIds);
    if (!recordingIds.some((id) => held.has(id))) {
      try {
        const claims = await Claims.load(tx, named);
        await savepoint(tx, async () => {
          for (const { deviceId, event } of events) await this.apply(tx, deviceId, event, claims);
        });
        return [...events];
      } catch (error) {
        if (error instanceof TransactionLost) throw error;
        // one of them cannot be applied: nothing of the batch stays; found below, one at a time
      }
    }
    // read afresh: the undone try had counted what its events named
    const claims = await Claims.load(tx, named);
    const applied: { deviceId: string; event: DeviceEvent }[] = [];
    for (const { deviceId, event } of events) {
      // one event that cannot be applied must not stop the others: it waits in quarantine
      if (await this.applyWhole(tx, deviceId, event, claims, held))
        applied.push({ deviceId, event });
    }
    return applied;
  }

  /**
   * Applies one event in a savepoint: all its writes or none. One that fails,
   * or whose recording has an earlier event in quarantine, goes to quarantine
   * (false). A failure that lost the whole transaction is rethrown: nothing of
   * it commits, the cursor does not move, and the batch is tried again.
   * `held` names the recordings with an event in quarantine before this one
   * (it grows as events go there), or is null to ask the database each time.
   */
  private async applyWhole(
    tx: Transaction,
    deviceId: string,
    event: DeviceEvent,
    claims: Claims,
    held: Set<string> | null,
  ): Promise<boolean> {
    const { recordingId } = namedIn(event);
    const at = this.clock().toISOString();
    const blocker =
      recordingId === null || held?.has(recordingId) === false
        ? null
        : await waitingBehind(tx, recordingId, event.id);
    if (blocker !== null) {
      const reason = `waits for event ${blocker} of the same recording, which is in quarantine`;
      await quarantine(tx, { event, deviceId, recordingId, reason }, at);
      return false;
    }
    try {
      await savepoint(tx, () => this.apply(tx, deviceId, event, claims));
      return true;
    } catch (error) {
      if (error instanceof TransactionLost) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error(
        { err: error, eventId: event.id, kind: event.kind, deviceId },
        "event not applied; kept in quarantine",
      );
      await quarantine(tx, { event, deviceId, recordingId, reason }, at);
      if (recordingId !== null) held?.add(recordingId);
      return false;
    }
  }

  private async apply(
    tx: Transaction,
    deviceId: string,
    event: DeviceEvent,
    claims: Claims,
  ): Promise<void> {
    // the ingest refuses these; an event stored before that check, or by another route, is not applied
    const trespass = claims.check(deviceId, event);
    if (trespass !== null) throw new Error(trespassForIt(trespass, deviceId));
    switch (event.kind) {
      case "recording.started":
        return this.started(tx, deviceId, event.at, event.data);
      case "recording.stopped":
        return this.stopped(tx, event.at, event.data);
      case "recording.deleted":
        return applyDeleted(tx, this.audit, deviceId, event.at, event.data);
      case "archive.requested":
        return this.archiveRequested(tx, deviceId, event.data.recordingId);
      case "storage.exhausted":
        return raiseAlert(
          tx,
          deviceId,
          "buffer-full",
          `only protected footage is left (${Math.round(event.data.protectedBytes / 1e9)} GB); ` +
            "new recording is refused until a hold is released or an upload finishes",
          event.at,
        );
      case "lamp.fault":
        return raiseAlert(tx, deviceId, "lamp-fault", event.data.detail, event.at);
      case "camera.lost":
        return raiseAlert(tx, deviceId, "camera-lost", event.data.detail, event.at);
      case "camera.restored":
        return clearAlert(tx, deviceId, "camera-lost", event.at, deviceId);
      case "microphone.lost":
        return raiseAlert(tx, deviceId, "microphone-lost", event.data.detail, event.at);
      case "microphone.restored":
        return clearAlert(tx, deviceId, "microphone-lost", event.at, deviceId);
      case "config.rejected":
        return raiseAlert(tx, deviceId, "config-rejected", event.data.reason, event.at);
      case "device.wiped":
        return applyWiped(tx, this.audit, deviceId, event.at, event.data);
      case "recording.refused":
        if (event.data.reason !== "masks-unusable") return;
        return raiseAlert(
          tx,
          deviceId,
          "booking-masks-unusable",
          `booking ${event.data.bookingId ?? "(none)"} was not recorded: the box could not burn in ` +
            "its masks (it never records such a booking unmasked); see whether it refused its settings",
          event.at,
        );
      case "device.started":
      case "config.applied":
        return;
    }
  }

  /** The policy, read in `tx` once per transaction (a failed read is tried again). */
  private policyIn(tx: Transaction): Promise<SchoolPolicy> {
    if (this.policyRead === null) {
      const read = this.policy.get(tx);
      this.policyRead = read;
      read.catch(() => {
        if (this.policyRead === read) this.policyRead = null;
      });
    }
    return this.policyRead;
  }

  private async started(
    tx: Transaction,
    deviceId: string,
    at: string,
    data: EventData<"recording.started">,
  ): Promise<void> {
    const time = new Date(Date.parse(at));
    // the bookings that could cover `time` under the start rule (it starts early): the rule decides
    const rows = await tx.all<Parameters<typeof toBooking>[0]>(
      "SELECT * FROM bookings WHERE device_id = ? AND status = 'confirmed' AND start_at <= ? AND end_at > ?",
      [deviceId, new Date(time.getTime() + EARLY_START_MS).toISOString(), time.toISOString()],
    );
    const bookings = rows.map(toBooking);
    const policy = await this.policyIn(tx);
    const check = checkStart(bookings, policy.bookings, time);
    // the box names the booking it chose; it counts when the rule lets that booking cover `time`
    const named = bookings.find((b) => b.bookingId === data.bookingId);
    const booking: StoredBooking | undefined =
      named ?? (check.allowed && check.booking ? check.booking : undefined);
    const flag = booking || check.allowed ? null : "unbooked";
    // a booking the box named that is none of its own covering `time` (moved to another room
    // while the box was offline, or a false claim) counts for nothing, and IT can see it did
    const disregarded = data.bookingId !== null && named === undefined ? data.bookingId : null;
    const { changes } = await tx.run(
      `INSERT INTO recordings (id, device_id, booking_id, owner_id, staff_json, purpose, started_at,
         audio, encoder, flag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [
        data.recordingId,
        deviceId,
        booking?.bookingId ?? null,
        booking?.teacherId ?? null,
        JSON.stringify(booking?.staff ?? []),
        booking?.purpose ?? null,
        at,
        data.audio ? 1 : 0,
        data.encoder,
        flag,
      ],
    );
    if (changes === 0 || (flag === null && disregarded === null)) return;
    if (flag !== null) {
      await raiseAlert(
        tx,
        deviceId,
        "unbooked-recording",
        `recording ${data.recordingId} started at ${at} outside any booking` +
          (disregarded === null ? "" : ` (it named booking ${disregarded}, not one of this box's)`),
        at,
      );
    }
    await this.audit.append(tx, {
      actor: deviceId,
      action: "recording.flag",
      subject: data.recordingId,
      detail: {
        flag: flag ?? "booking-disregarded",
        bookingId: data.bookingId,
        ...(disregarded !== null && { disregardedBooking: disregarded }),
      },
    });
  }

  private async stopped(
    tx: Transaction,
    at: string,
    data: EventData<"recording.stopped">,
  ): Promise<void> {
    const row = await tx.get<{
      end_at: string | null;
      flag: string | null;
      device_id: string;
      started_at: string;
    }>(
      "SELECT b.end_at, r.flag, r.device_id, r.started_at FROM recordings r LEFT JOIN bookings b ON b.id = r.booking_id WHERE r.id = ?",
      [data.recordingId],
    );
    if (!row) return;
    // the start rule's latest end: the booking's end, or the unbooked limit after the start
    const latest = latestEnd(new Date(row.started_at), row.end_at);
    const overran =
      row.flag === null && Date.parse(at) > latest.getTime() + OVERRUN_MS
        ? row.end_at === null
          ? "overran-unbooked-limit"
          : "overran-booking"
        : null;
    await tx.run(
      `UPDATE recordings SET ended_at = ?, stop_reason = ?, duration_seconds = ?, segments = ?,
         bytes = ?, flag = coalesce(flag, ?) WHERE id = ?`,
      [at, data.reason, data.durationSeconds, data.segments, data.bytes, overran, data.recordingId],
    );
    if (overran !== null) {
      await this.audit.append(tx, {
        actor: row.device_id,
        action: "recording.flag",
        subject: data.recordingId,
        detail: { flag: overran, latestEnd: latest.toISOString(), bookingEnd: row.end_at },
      });
    }
  }

  /** A long press of the record button: the owner asks to keep the recording. */
  private async archiveRequested(
    tx: Transaction,
    deviceId: string,
    recordingId: string,
  ): Promise<void> {
    const row = await tx.get<{
      owner_id: string | null;
      archive_state: string;
      ended_at: string | null;
      staff_json: string;
    }>(
      "SELECT owner_id, archive_state, ended_at, staff_json FROM recordings WHERE id = ? AND device_id = ?",
      [recordingId, deviceId],
    );
    if (!row || row.owner_id === null || row.archive_state !== "none") return;
    await tx.run(
      "UPDATE recordings SET archive_state = 'awaiting-consent', archive_requested_at = ? WHERE id = ?",
      [this.clock().toISOString(), recordingId],
    );
    await this.audit.append(tx, {
      actor: deviceId,
      action: "archive.request",
      subject: recordingId,
      detail: { via: "record button", owner: row.owner_id },
    });
    await askConsent(tx, this.clock(), { id: recordingId, staff_json: row.staff_json }, null);
  }
}
