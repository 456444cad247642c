/**
 * A device's outbox, as the tests need it: publishes events at QoS 1, keeps
 * every one until the controller's application ack names it, and resends what
 * is unacknowledged after a reconnect. It can be made to misbehave on purpose:
 * duplicates, reordering, and connections dropped mid-stream.
 */
import type { MqttClient } from "mqtt";
import { parse, topics, type DeviceEvent } from "@classcam/protocol";
import { connectDevice, sleep } from "./controller.js";
import { shuffle } from "./events.js";

export interface Chaos {
  /** Chance that an event is sent twice in a row. */
  duplicate: number;
  /** Chance, after each burst, that the connection is dropped (half forced close, half socket destroyed). */
  disconnect: number;
  /** Events per burst before waiting for acks to catch up. */
  burst: number;
}

export class OutboxPublisher {
  readonly acked = new Set<string>();
  readonly rejected = new Map<string, string>();
  readonly sent = { publishes: 0, duplicates: 0, disconnects: 0, reconnects: 0 };
  private client: MqttClient | null = null;
  private readonly byId: Map<string, DeviceEvent>;

  constructor(
    private url: string,
    readonly deviceId: string,
    private readonly secret: string,
    events: readonly DeviceEvent[],
    private readonly random: () => number,
  ) {
    this.byId = new Map(events.map((event) => [event.id, event]));
  }

  setUrl(url: string): void {
    this.url = url;
  }

  unacked(): DeviceEvent[] {
    return [...this.byId.values()].filter(
      (event) => !this.acked.has(event.id) && !this.rejected.has(event.id),
    );
  }

  /** Connects, retrying until `deadline` (the controller may be restarting). */
  async connect(deadline: number): Promise<void> {
    for (;;) {
      try {
        const client = await connectDevice(this.url, this.deviceId, this.secret, {
          connectTimeout: 2000,
        });
        client.on("error", () => undefined);
        client.on("message", (topic, payload) => {
          if (topic !== topics.ack(this.deviceId)) return;
          const ack = parse.ack(payload);
          if (!ack.ok) throw new Error(`controller sent a bad ack: ${ack.error}`);
          for (const id of ack.value.accepted) this.acked.add(id);
          for (const { id, reason } of ack.value.rejected) this.rejected.set(id, reason);
        });
        await client.subscribeAsync(topics.ack(this.deviceId), { qos: 1 });
        this.client = client;
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(100);
      }
    }
  }

  private connected(): boolean {
    return this.client?.connected === true;
  }

  private publish(event: DeviceEvent): void {
    // a publish on a dropped connection fails; the event stays unacked and is sent again
    this.client?.publish(
      topics.events(this.deviceId),
      JSON.stringify(event),
      { qos: 1 },
      () => undefined,
    );
    this.sent.publishes += 1;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (!client) return;
    this.sent.disconnects += 1;
    if (this.random() < 0.5) client.stream.destroy(); // like a pulled cable: the Last Will fires
    await client.endAsync(true);
  }

  /**
   * Sends every unacknowledged event, in shuffled order, with the chaos asked
   * for, until all are acknowledged (or `deadline`). `afterBurstSent` runs
   * as soon as a burst is on the wire, before its acks are awaited; it may,
   * e.g., kill the controller while those events are in flight.
   */
  async run(
    chaos: Chaos,
    deadline: number,
    afterBurstSent: () => Promise<void> = async () => undefined,
  ): Promise<void> {
    while (this.unacked().length > 0) {
      if (Date.now() > deadline)
        throw new Error(`gave up with ${this.unacked().length} events unacknowledged`);
      if (!this.connected()) {
        await this.client?.endAsync(true);
        this.client = null;
        await this.connect(deadline);
        this.sent.reconnects += 1;
      }
      const round = shuffle(this.unacked(), this.random);
      for (let start = 0; start < round.length && this.connected(); start += chaos.burst) {
        const burst = round.slice(start, start + chaos.burst);
        for (const event of burst) {
          this.publish(event);
          if (this.random() < chaos.duplicate) {
            this.publish(event);
            this.sent.duplicates += 1;
          }
        }
        await afterBurstSent();
        if (this.random() < chaos.disconnect) {
          await this.drop();
          break;
        }
        await this.waitForAcks(burst, 2000);
      }
      if (this.connected()) await this.waitForAcks(round, 3000);
    }
  }

  private async waitForAcks(events: readonly DeviceEvent[], ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && this.connected()) {
      if (events.every((event) => this.acked.has(event.id) || this.rejected.has(event.id))) return;
      await sleep(5);
    }
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = null;
  }
}
