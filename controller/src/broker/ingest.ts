/**
 * Device messages into the database. Each event is validated, then committed
 * in a transaction (many at a time: a group commit), deduplicated by its UUID,
 * and only after the commit is the device sent an application ack — so the
 * device may drop an event from its outbox exactly when it is safe to.
 * At-least-once on the wire, exactly-once in the database.
 *
 * A malformed message is kept in `rejected_messages` with the reason, logged,
 * and (when its id can be read) refused to the device, so the stream goes on.
 * So is an event that names another device's recording or booking
 * (`domain/claims.ts`): checked here, in the commit's transaction, against the
 * database and the events before it in the same batch.
 */
import type { Logger } from "pino";
import {
  eventIdOf,
  parse,
  parseJson,
  type DeviceEvent,
  type EventAck,
  type Result,
} from "@classcam/protocol";
import type { Database, Transaction } from "../db/database.js";
import { Claims, trespassToDevice } from "../domain/claims.js";

export interface IngestOptions {
  db: Database;
  logger: Logger;
  sendAck: (deviceId: string, ack: EventAck) => void;
  now?: () => Date;
  /** Most events committed in one transaction. */
  maxBatch?: number;
  /** Most events waiting in memory; beyond it new ones are dropped unacked (the device resends). */
  maxQueued?: number;
  /**
   * How long state reports gather before they are written (default 250 ms). A
   * fleet reports its state every second; only the newest per device is
   * written, and each one written rewrites its device's row, so they go in a
   * few transactions a second, not in every event's.
   */
  stateDelayMs?: number;
  /**
   * How long the first message of a quiet spell waits for others to share its
   * transaction (default 5 ms; 0 commits at once). Messages that arrive while a
   * transaction runs go in the next one without waiting. Each transaction is a
   * dozen trips through SQLite's threads, pages written to the WAL and an fsync,
   * whatever its size (issue 21).
   */
  holdMs?: number;
}

interface QueuedEvent {
  deviceId: string;
  topic: string;
  event: DeviceEvent;
  receivedAt: string;
}

interface Rejection {
  deviceId: string;
  topic: string;
  eventId: string | null;
  reason: string;
  payload: Buffer;
  receivedAt: string;
}

export interface IngestStats {
  committed: number;
  duplicates: number;
  rejected: number;
  dropped: number;
  batches: number;
  failedBatches: number;
}

const EXCERPT_BYTES = 1024;
const NO_STATES: ReadonlyMap<string, { json: string; at: string }> = new Map();

export class Ingest {
  private events: QueuedEvent[] = [];
  private rejections: Rejection[] = [];
  /** The newest state per device, as the JSON text it came in (checked, so written as it is). */
  private states = new Map<string, { json: string; at: string }>();
  private availability = new Map<string, { status: "online" | "offline"; at: string }>();
  private presence = new Map<string, { connected: boolean; at: string }>();
  private running = false;
  /** States are written at the next transaction, or when this timer fires. */
  private stateTimer: NodeJS.Timeout | null = null;
  private statesDue = false;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => Date;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private readonly stateDelayMs: number;
  private readonly holdMs: number;
  readonly stats: IngestStats = {
    committed: 0,
    duplicates: 0,
    rejected: 0,
    dropped: 0,
    batches: 0,
    failedBatches: 0,
  };

  /** Called after a batch with new events commits (the projector listens). */
  onCommitted: (() => void) | null = null;
  /** Called after a batch commits with the devices whose state, availability or connection changed. */
  onDevicesChanged: ((deviceIds: readonly string[]) => void) | null = null;

  constructor(private readonly options: IngestOptions) {
    this.now = options.now ?? (() => new Date());
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxQueued = options.maxQueued ?? 50_000;
    this.stateDelayMs = options.stateDelayMs ?? 250;
    this.holdMs = options.holdMs ?? 5;
  }

  /** An event payload from `deviceId`'s events topic. */
  event(deviceId: string, topic: string, payload: Buffer): void {
    const receivedAt = this.now().toISOString();
    const parsed = parse.event(payload);
    if (!parsed.ok) {
      const json = parseJson(payload);
      this.reject({
        deviceId,
        topic,
        eventId: json.ok ? eventIdOf(json.value) : null,
        reason: parsed.error,
        payload,
        receivedAt,
      });
      return;
    }
    if (this.events.length >= this.maxQueued) {
      this.stats.dropped += 1;
      this.options.logger.warn(
        { deviceId, eventId: parsed.value.id },
        "ingest queue full; event dropped unacknowledged, the device will send it again",
      );
      return;
    }
    this.events.push({ deviceId, topic, event: parsed.value, receivedAt });
    this.schedule();
  }

  /** A retained state payload; only the newest per device is written. */
  state(deviceId: string, topic: string, payload: Buffer): void {
    const at = this.now().toISOString();
    const json = payload.toString("utf8");
    const state = this.accept(parse.state(json), { deviceId, topic, payload, receivedAt: at });
    if (state === null) return;
    // the text that was checked, not the value serialised again (issue 21: 1,000 reports a second)
    this.states.set(deviceId, { json, at });
    this.scheduleStates();
  }

  /** A retained availability payload (or the device's Last Will). */
  availabilityReport(deviceId: string, topic: string, payload: Buffer): void {
    // an empty retained payload only clears the retained message
    if (payload.length === 0) return;
    const at = this.now().toISOString();
    const report = this.accept(parse.availability(payload), {
      deviceId,
      topic,
      payload,
      receivedAt: at,
    });
    if (report === null) return;
    this.availability.set(deviceId, { status: report.status, at });
    this.schedule();
  }

  /** The parsed value, or null after rejecting the message with the parser's reason. */
  private accept<T>(result: Result<T>, message: Omit<Rejection, "eventId" | "reason">): T | null {
    if (result.ok) return result.value;
    this.reject({ ...message, eventId: null, reason: result.error });
    return null;
  }

  /** What the broker itself saw: the device's connection opened or closed. */
  connection(deviceId: string, connected: boolean): void {
    this.presence.set(deviceId, { connected, at: this.now().toISOString() });
    this.schedule();
  }

  /** A message that failed at a layer before ingest (e.g. an unparsable response). */
  reject(rejection: Rejection): void {
    this.logRejection(rejection);
    this.rejections.push(rejection);
    this.schedule();
  }

  private logRejection({ deviceId, topic, eventId, reason }: Rejection): void {
    this.options.logger.warn({ deviceId, topic, eventId, reason }, "device message rejected");
  }

  /** Resolves once everything submitted so far has been committed (or has failed). */
  idle(): Promise<void> {
    if (this.states.size > 0) {
      this.statesDue = true; // waiting for them is waiting for their transaction
      this.schedule();
    }
    if (!this.running && !this.hasWork()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether a transaction is wanted now: anything but state reports not yet due. */
  private hasWork(): boolean {
    return (
      this.events.length > 0 ||
      this.rejections.length > 0 ||
      (this.statesDue && this.states.size > 0) ||
      this.availability.size > 0 ||
      this.presence.size > 0
    );
  }

  private schedule(): void {
    if (this.running) return;
    this.running = true;
    if (this.holdMs > 0) setTimeout(() => void this.drain(), this.holdMs);
    else setImmediate(() => void this.drain());
  }

  /** State reports are written `stateDelayMs` after the first of them, in whatever transaction runs then. */
  private scheduleStates(): void {
    if (this.stateTimer !== null || this.statesDue) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = null;
      this.statesDue = true;
      this.schedule();
    }, this.stateDelayMs);
  }

  private async drain(): Promise<void> {
    while (this.hasWork()) {
      // states go once their delay is over: each one written rewrites its device's row, and
      // a fleet's reports ride in four transactions a second, not in every event's
      const states = this.statesDue ? this.states : NO_STATES;
      if (this.statesDue) {
        this.statesDue = false;
        this.states = new Map();
        if (this.stateTimer !== null) {
          clearTimeout(this.stateTimer); // idle() made them due before their delay was over
          this.stateTimer = null;
        }
      }
      const events = this.events.splice(0, this.maxBatch);
      const rejections = this.rejections.splice(0, this.maxBatch);
      const availability = this.availability;
      const presence = this.presence;
      this.availability = new Map();
      this.presence = new Map();
      try {
        const acks = await this.options.db.transaction((tx) =>
          this.commit(tx, events, rejections, states, availability, presence),
        );
        this.stats.batches += 1;
        for (const [deviceId, ack] of acks) this.sendAcks(deviceId, ack);
        if (events.length > 0) this.onCommitted?.();
        const touched = new Set([...states.keys(), ...availability.keys(), ...presence.keys()]);
        if (touched.size > 0) this.onDevicesChanged?.([...touched]);
      } catch (error) {
        // nothing of the batch was committed and nothing is acked: the devices resend
        this.stats.failedBatches += 1;
        this.options.logger.error(
          { err: error, events: events.length },
          "ingest transaction failed; its events stay unacknowledged",
        );
      }
    }
    this.running = false;
    if (this.states.size > 0) this.scheduleStates();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async commit(
    tx: Transaction,
    events: readonly QueuedEvent[],
    rejections: readonly Rejection[],
    states: ReadonlyMap<string, { json: string; at: string }>,
    availability: ReadonlyMap<string, { status: "online" | "offline"; at: string }>,
    presence: ReadonlyMap<string, { connected: boolean; at: string }>,
  ): Promise<Map<string, EventAck>> {
    const acks = new Map<string, EventAck>();
    const ackFor = (deviceId: string): EventAck => {
      let ack = acks.get(deviceId);
      if (!ack) acks.set(deviceId, (ack = { accepted: [], rejected: [] }));
      return ack;
    };
    // a stored event marks its device as seen in its INSERT (migration-event-seen.ts); a resend,
    // which stores nothing, is marked here
    const resent = new Map<string, { seq: number; at: string }>();
    const allRejections = [...rejections];
    let committed = 0;
    let duplicates = 0;

    // Who sent each id already stored, and who owns what the events name: one statement, and a
    // batch of states and connections alone asks nothing (each statement is a trip through
    // SQLite's threads: issue 21). Then earlier events of this batch count, in order.
    const claims = await Claims.load(
      tx,
      events.map(({ event }) => event),
      events.map(({ event }) => event.id),
    );
    const owners = new Map(claims.stored);
    const inserts: unknown[][] = [];
    for (const { deviceId, topic, event, receivedAt } of events) {
      const owner = owners.get(event.id);
      const trespass = owner === undefined ? claims.check(deviceId, event) : null;
      if (trespass !== null) {
        const rejection = {
          deviceId,
          topic,
          eventId: event.id,
          reason: trespassToDevice(trespass),
          payload: Buffer.from(JSON.stringify(event)),
          receivedAt,
        };
        this.logRejection(rejection);
        allRejections.push(rejection);
        continue;
      }
      if (owner === undefined) {
        owners.set(event.id, deviceId);
        inserts.push([
          event.id,
          deviceId,
          event.seq,
          event.kind,
          event.at,
          receivedAt,
          JSON.stringify(event.data),
        ]);
        committed += 1;
      } else if (owner === deviceId) {
        duplicates += 1; // a resend: acknowledged again, stored once
        const seen = resent.get(deviceId);
        resent.set(deviceId, {
          seq: Math.max(seen?.seq ?? -1, event.seq),
          at: receivedAt > (seen?.at ?? "") ? receivedAt : (seen?.at ?? receivedAt),
        });
      } else {
        const rejection = {
          deviceId,
          topic,
          eventId: event.id,
          reason: `event id ${event.id} was already used by another device`,
          payload: Buffer.from(JSON.stringify(event)),
          receivedAt,
        };
        this.logRejection(rejection);
        allRejections.push(rejection);
        continue;
      }
      ackFor(deviceId).accepted.push(event.id);
    }
    // one statement per table, however large the batch
    await bulk(
      tx,
      "INSERT INTO events (id, device_id, seq, kind, occurred_at, received_at, data_json) " +
        "SELECT value->>'$[0]', value->>'$[1]', value->>'$[2]', value->>'$[3]', value->>'$[4]', " +
        "value->>'$[5]', value->>'$[6]' FROM json_each(?) WHERE true ON CONFLICT (id) DO NOTHING",
      inserts,
    );

    for (const rejection of allRejections) {
      await tx.run(
        "INSERT INTO rejected_messages (device_id, topic, event_id, reason, bytes, excerpt, received_at) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
          rejection.deviceId,
          rejection.topic,
          rejection.eventId,
          rejection.reason,
          rejection.payload.length,
          rejection.payload.subarray(0, EXCERPT_BYTES),
          rejection.receivedAt,
        ],
      );
      if (rejection.eventId !== null) {
        ackFor(rejection.deviceId).rejected.push({
          id: rejection.eventId,
          reason: rejection.reason.slice(0, 1000),
        });
      }
    }

    await bulk(
      tx,
      "UPDATE devices SET last_seq = MAX(COALESCE(last_seq, -1), u.value->>'$[1]'), " +
        "last_seen_at = MAX(COALESCE(last_seen_at, ''), u.value->>'$[2]') " +
        "FROM json_each(?) AS u WHERE devices.id = u.value->>'$[0]'",
      [...resent].map(([deviceId, { seq, at }]) => [deviceId, seq, at]),
    );
    // each state goes into the array as JSON, not as a string of JSON: nothing to escape
    if (states.size > 0) {
      await tx.run(
        "UPDATE devices SET state_json = u.value->'$[1]', state_at = u.value->>'$[2]', " +
          "last_seen_at = MAX(COALESCE(last_seen_at, ''), u.value->>'$[2]') " +
          "FROM json_each(?) AS u WHERE devices.id = u.value->>'$[0]'",
        [
          `[${[...states]
            .map(([deviceId, { json, at }]) => `[${JSON.stringify(deviceId)},${json},"${at}"]`)
            .join(",")}]`,
        ],
      );
    }
    await bulk(
      tx,
      "UPDATE devices SET availability = u.value->>'$[1]', availability_at = u.value->>'$[2]' " +
        "FROM json_each(?) AS u WHERE devices.id = u.value->>'$[0]'",
      [...availability].map(([deviceId, { status, at }]) => [deviceId, status, at]),
    );
    await bulk(
      tx,
      "UPDATE devices SET connected = u.value->>'$[1]', " +
        "connected_at = CASE WHEN u.value->>'$[1]' = 1 THEN u.value->>'$[2]' ELSE connected_at END, " +
        "last_seen_at = MAX(COALESCE(last_seen_at, ''), u.value->>'$[2]') " +
        "FROM json_each(?) AS u WHERE devices.id = u.value->>'$[0]'",
      [...presence].map(([deviceId, { connected, at }]) => [deviceId, connected ? 1 : 0, at]),
    );

    this.stats.committed += committed;
    this.stats.duplicates += duplicates;
    this.stats.rejected += allRejections.length;
    return acks;
  }

  private sendAcks(deviceId: string, ack: EventAck): void {
    // the ack schema allows at most 1000 ids of each kind per message
    for (let i = 0; i < Math.max(ack.accepted.length, ack.rejected.length); i += 1000) {
      this.options.sendAck(deviceId, {
        accepted: ack.accepted.slice(i, i + 1000),
        rejected: ack.rejected.slice(i, i + 1000),
      });
    }
  }
}

/** Runs one statement over many rows, passed as a JSON array for `json_each(?)`. */
async function bulk(tx: Transaction, sql: string, rows: readonly unknown[][]): Promise<void> {
  if (rows.length > 0) await tx.run(sql, [JSON.stringify(rows)]);
}
