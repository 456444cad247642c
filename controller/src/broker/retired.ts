/**
 * Retired devices on the broker. A retired device that connects with its own
 * (still correct) secret is let in for one purpose: to be told it is retired,
 * so it stops recording, wipes its buffer and says so. While connected it:
 *
 * - receives only the `retire` request and the acks of its events;
 * - may publish its availability and state (both ignored: a retired device
 *   is never shown online), events (only `device.wiped` is taken in; any
 *   other is refused for good, so the device drops it) and its answer to
 *   `retire`; anything else closes the connection;
 * - is disconnected after a grace period, whatever it did. The device itself
 *   disconnects as soon as its wipe report is acknowledged.
 *
 * A wrong or rotated-away secret never gets this far (CONNACK 4), nor does
 * a disabled device (CONNACK 5).
 */
import { randomUUID } from "node:crypto";
import type { Client } from "aedes";
import type { Logger } from "pino";
import { checkRequest, encode, eventIdOf, parseJson, parseTopic, topics } from "@classcam/protocol";
import { canPublish, type Decision } from "./acl.js";

/** How long a retired device may stay connected before the broker closes its connection. */
export const RETIRED_GRACE_MS = 60_000;

/** The event kind a retired device may still send. */
export const WIPE_REPORT = "device.wiped";

/** What a retired device may publish (on top of the ordinary own-subtree rules). */
export function canPublishRetired(
  deviceId: string,
  packet: { topic: string; qos: number; retain: boolean },
): Decision {
  const ordinary = canPublish(deviceId, packet);
  if (!ordinary.allowed) return ordinary;
  const parsed = parseTopic(packet.topic);
  if (parsed === null)
    return { allowed: false, reason: `'${packet.topic}' is not a classcam topic` };
  switch (parsed.channel) {
    case "availability":
    case "state":
    case "events":
      return ordinary;
    case "response":
      return parsed.op === "retire"
        ? ordinary
        : { allowed: false, reason: `device '${deviceId}' is retired: it answers only 'retire'` };
    case "config":
    case "ack":
    case "request":
      return { allowed: false, reason: `'${packet.topic}' is a controller→device topic` };
  }
}

/** What the broker delivers to a retired device: the retire notice and acks of its events. */
export function canReceiveRetired(deviceId: string, topic: string): boolean {
  return topic === topics.ack(deviceId) || topic === topics.request(deviceId, "retire");
}

/**
 * An event payload from a retired device: null when it is its wipe report
 * (ingested like any event), else the reason it is refused for good, with the
 * event id when one can be read (so the device is told and drops it).
 */
export function screenRetiredEvent(
  deviceId: string,
  payload: Buffer,
): { eventId: string | null; reason: string } | null {
  const json = parseJson(payload);
  const kind = json.ok ? (json.value as { kind?: unknown } | null)?.kind : undefined;
  if (kind === WIPE_REPORT) return null;
  return {
    eventId: json.ok ? eventIdOf(json.value) : null,
    reason: `device '${deviceId}' is retired: only its ${WIPE_REPORT} report is accepted`,
  };
}

/** The retired devices connected now: their notices and grace timers. */
export class RetiredClients {
  private readonly timers = new Map<Client, NodeJS.Timeout>();

  constructor(
    private readonly options: {
      publish: (topic: string, payload: Buffer) => Promise<void>;
      logger: Logger;
      now: () => Date;
      graceMs?: number;
    },
  ) {}

  /** The client authenticated as a retired device: it may stay for the grace period. */
  admit(client: Client): void {
    const graceMs = this.options.graceMs ?? RETIRED_GRACE_MS;
    const timer = setTimeout(() => {
      this.options.logger.info(
        { deviceId: client.id, graceMs },
        "retired device's grace period is over; disconnecting it",
      );
      client.close();
    }, graceMs);
    timer.unref();
    this.timers.set(client, timer);
  }

  has(client: Client | null): boolean {
    return client !== null && this.timers.has(client);
  }

  /** The client subscribed: once it listens for `retire`, it is told. */
  subscribed(client: Client, filters: readonly string[]): void {
    if (!this.has(client)) return;
    const topic = topics.request(client.id, "retire");
    if (!filters.includes(topic)) return;
    const payload = encode((value) => checkRequest("retire", value), {
      id: randomUUID(),
      sentAt: this.options.now().toISOString(),
      args: {},
    });
    this.options.publish(topic, payload).then(
      () => this.options.logger.info({ deviceId: client.id }, "retired device told to wipe"),
      (error: unknown) =>
        this.options.logger.warn({ err: error, deviceId: client.id }, "could not send retire"),
    );
  }

  forget(client: Client): void {
    const timer = this.timers.get(client);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(client);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
