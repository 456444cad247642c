/**
 * The device's MQTT link to the controller. It connects with the device's own
 * credentials and a Last Will (availability offline, retained), publishes its
 * retained state, sends the outbox's events in order (QoS 1) and drops each
 * only when the controller's application ack says it is committed, resending
 * what is not acknowledged in time. It applies the retained config through the
 * config cache and answers requests on the response topic with their id.
 * Every payload received is validated; a bad one is logged and refused.
 */
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "pino";
import {
  MAX_PAYLOAD_BYTES,
  checkAvailability,
  checkResponse,
  checkState,
  deviceSubscriptions,
  encode,
  parse,
  parseJson,
  parseTopic,
  topics,
  type DeviceResponse,
  type DeviceState,
  type RequestArgs,
  type RequestOp,
  type ResponseData,
} from "@classcam/protocol";
import type { ConfigCache } from "./config-cache.js";
import type { Outbox } from "./outbox.js";

/** The longest a stop waits on the controller (a goodbye, a clean end) before cutting it off. */
const END_WAIT_MS = 3000;

/** Whether `promise` settled (either way) within `ms`. */
function within(ms: number, promise: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export type RequestHandlers = {
  [Op in RequestOp]: (args: RequestArgs<Op>) => Promise<ResponseData<Op>>;
};

export interface LinkOptions {
  deviceId: string;
  secret: string;
  mqttUrl: string;
  caFile?: string;
  outbox: Outbox;
  config: ConfigCache;
  handlers: RequestHandlers;
  logger: Logger;
  now?: () => Date;
  /** A config payload was refused (the daemon raises `config.rejected`). */
  onConfigRejected: (version: number | null, reason: string) => void;
  /** A new config was applied (the daemon raises `config.applied`). */
  onConfigApplied: (version: number) => void;
  /** Resend an event not acknowledged within this time. */
  ackTimeoutMs?: number;
  reconnectMs?: number;
  /** Most events sent and not yet acknowledged. */
  maxInFlight?: number;
}

export class Link {
  private client: MqttClient | null = null;
  private readonly inFlight = new Map<string, number>();
  private flushing: Promise<void> | null = null;
  private flushAgain = false;
  private resendTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastState: DeviceState | null = null;
  private readonly log: Logger;
  private readonly now: () => Date;
  /** Counts for the tests and the state report. */
  readonly stats = { sent: 0, acknowledged: 0, rejected: 0, badPayloads: 0, connects: 0 };

  constructor(private readonly options: LinkOptions) {
    this.log = options.logger.child({ part: "link" });
    this.now = options.now ?? (() => new Date());
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  start(): void {
    const { deviceId } = this.options;
    const clientOptions: IClientOptions = {
      clientId: deviceId,
      username: deviceId,
      password: this.options.secret,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: this.options.reconnectMs ?? 2000,
      connectTimeout: 10_000,
      will: {
        topic: topics.availability(deviceId),
        payload: encode(checkAvailability, { status: "offline" }),
        retain: true,
        qos: 1,
      },
    };
    if (this.options.caFile !== undefined) {
      clientOptions.ca = readFileSync(this.options.caFile);
      clientOptions.rejectUnauthorized = true;
    }
    const client = mqtt.connect(this.options.mqttUrl, clientOptions);
    this.client = client;
    client.on("connect", () => {
      this.stats.connects += 1;
      this.log.info({ url: this.options.mqttUrl }, "connected to the controller");
      this.inFlight.clear();
      void this.onConnect(client);
    });
    let problems = 0;
    client.on("close", () => this.log.debug("connection closed"));
    client.on("connect", () => (problems = 0));
    client.on("error", (error) => {
      // the first failure of an outage is a warning; its retries are not news
      problems += 1;
      if (problems === 1) this.log.warn({ err: error }, "MQTT connection problem; retrying");
      else this.log.debug({ err: error, attempt: problems }, "MQTT connection problem");
    });
    client.on("message", (topic, payload) => {
      this.receive(topic, payload);
    });
    // new events arrive through notify(); the timer only resends what is not acknowledged
    this.resendTimer = setInterval(() => {
      if (this.inFlight.size > 0) this.notify();
    }, 1000);
    this.resendTimer.unref();
  }

  /** New events are in the outbox: send what may be sent. */
  notify(): void {
    if (this.flushing !== null) {
      this.flushAgain = true;
      return;
    }
    this.flushing = this.flush()
      .catch((error: unknown) => {
        this.log.error({ err: error }, "could not send events");
      })
      .finally(() => {
        this.flushing = null;
        if (this.flushAgain) {
          this.flushAgain = false;
          this.notify();
        }
      });
  }

  /** Publishes the device's state (retained); the latest is republished on every connect. */
  publishState(state: DeviceState): Promise<void> {
    this.lastState = state;
    const client = this.client;
    if (client === null || !client.connected) return Promise.resolve();
    // not waiting for the PUBACK: one lost as the connection drops would hold the daemon's
    // stop forever; the next state (or the reconnect) publishes it again
    client.publish(
      topics.state(this.options.deviceId),
      encode(checkState, state),
      { qos: 1, retain: true },
      (error) => {
        if (error) this.log.debug({ err: error }, "the state was not delivered");
      },
    );
    return Promise.resolve();
  }

  /**
   * Says goodbye (availability offline) and closes the connection. Nothing here
   * waits on the controller for long: a connection that drops as the box stops
   * leaves acknowledgements that never come.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resendTimer !== null) clearInterval(this.resendTimer);
    await this.flushing;
    const client = this.client;
    if (client === null) return;
    if (client.connected) {
      await within(
        END_WAIT_MS,
        client.publishAsync(
          topics.availability(this.options.deviceId),
          encode(checkAvailability, { status: "offline", at: this.now().toISOString() }),
          { qos: 1, retain: true },
        ),
      );
    }
    // offline, a graceful end would wait for QoS 1 messages that cannot be delivered
    const ended = await within(END_WAIT_MS, client.endAsync(!client.connected));
    if (!ended) client.end(true);
  }

  private async onConnect(client: MqttClient): Promise<void> {
    const { deviceId } = this.options;
    try {
      await client.subscribeAsync(deviceSubscriptions(deviceId), { qos: 1 });
      await client.publishAsync(
        topics.availability(deviceId),
        encode(checkAvailability, { status: "online", at: this.now().toISOString() }),
        { qos: 1, retain: true },
      );
      if (this.lastState !== null) await this.publishState(this.lastState);
    } catch (error) {
      this.log.warn({ err: error }, "could not set up the connection; it will be retried");
      return;
    }
    this.notify();
  }

  private async flush(): Promise<void> {
    const client = this.client;
    if (client === null || !client.connected || this.stopped) return;
    const timeout = this.options.ackTimeoutMs ?? 30_000;
    const room = (this.options.maxInFlight ?? 200) - this.inFlight.size;
    const clock = performance.now();
    const pending = await this.options.outbox.pending(0, 1000);
    let sent = 0;
    for (const event of pending) {
      const sentAt = this.inFlight.get(event.id);
      if (sentAt !== undefined && clock - sentAt < timeout) continue;
      if (sentAt === undefined && sent >= room) break;
      if (!this.connected) return;
      this.inFlight.set(event.id, clock);
      sent += 1;
      this.stats.sent += 1;
      // QoS 1, not awaited: a PUBACK lost with the connection must not stall the link
      // (or its stop); the application ack is what drops the event, a resend covers the rest
      client.publish(topics.events(this.options.deviceId), event.payload, { qos: 1 }, (error) => {
        if (error)
          this.log.debug({ err: error, eventId: event.id }, "event not sent; resent later");
      });
    }
  }

  private receive(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (parsed === null || parsed.deviceId !== this.options.deviceId) {
      this.bad(topic, "not a topic of this device");
      return;
    }
    if (payload.length > MAX_PAYLOAD_BYTES) {
      this.bad(topic, `payload of ${payload.length} bytes is over the ${MAX_PAYLOAD_BYTES} limit`);
      return;
    }
    switch (parsed.channel) {
      case "ack":
        this.ack(topic, payload);
        return;
      case "config":
        this.config(payload);
        return;
      case "request":
        void this.request(parsed.op, payload);
        return;
      case "availability":
      case "state":
      case "events":
      case "response":
        this.bad(topic, "a device does not receive on this channel");
        return;
    }
  }

  private ack(topic: string, payload: Buffer): void {
    const result = parse.ack(payload);
    if (!result.ok) {
      this.bad(topic, result.error);
      return;
    }
    const ack = result.value;
    for (const id of ack.accepted) this.inFlight.delete(id);
    for (const { id, reason } of ack.rejected) {
      this.inFlight.delete(id);
      this.log.error({ eventId: id, reason }, "the controller refused an event for good");
    }
    this.options.outbox.settle(ack, this.now()).then(
      ({ accepted, rejected }) => {
        this.stats.acknowledged += accepted;
        this.stats.rejected += rejected;
        this.notify();
      },
      (error: unknown) => this.log.error({ err: error }, "could not settle acknowledged events"),
    );
  }

  private config(payload: Buffer): void {
    // an empty retained payload is the controller clearing its retained config
    if (payload.length === 0) return;
    const outcome = this.options.config.receive(payload);
    switch (outcome.outcome) {
      case "applied":
        this.log.info({ version: outcome.config.version }, "config applied");
        if (outcome.saveProblem !== null) {
          this.log.error(
            { version: outcome.config.version, problem: outcome.saveProblem },
            "the config could not be saved: it is enforced until the daemon restarts",
          );
        }
        this.options.onConfigApplied(outcome.config.version);
        return;
      case "unchanged":
        return;
      case "rejected":
        this.stats.badPayloads += 1;
        this.log.warn(
          { version: outcome.version, reason: outcome.reason },
          "config refused; keeping the last good config",
        );
        this.options.onConfigRejected(outcome.version, outcome.reason);
        return;
    }
  }

  private async request(op: RequestOp, payload: Buffer): Promise<void> {
    const parsed = parse.request(op, payload);
    if (!parsed.ok) {
      this.bad(topics.request(this.options.deviceId, op), parsed.error);
      const json = parseJson(payload);
      const id = json.ok ? (json.value as { id?: unknown } | null)?.id : undefined;
      if (typeof id === "string" && /^[0-9a-f-]{36}$/i.test(id)) {
        await this.respond(op, { id, status: "error", data: null, error: parsed.error });
      }
      return;
    }
    const { id, args } = parsed.value;
    let response: DeviceResponse<typeof op>;
    try {
      const handler = this.options.handlers[op] as (
        a: typeof args,
      ) => Promise<ResponseData<typeof op>>;
      const data = await handler(args);
      response = { id, status: "ok", data, error: null };
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
      this.log.warn({ op, requestId: id, reason: message }, "request refused");
      response = { id, status: "error", data: null, error: message || "failed" };
    }
    await this.respond(op, response);
  }

  private async respond<Op extends RequestOp>(op: Op, response: DeviceResponse<Op>): Promise<void> {
    const client = this.client;
    if (client === null || !client.connected) return;
    try {
      const bytes = encode((value) => checkResponse(op, value), response);
      await client.publishAsync(topics.response(this.options.deviceId, op), bytes, { qos: 1 });
    } catch (error) {
      this.log.error({ err: error, op }, "could not answer a request");
    }
  }

  private bad(topic: string, reason: string): void {
    this.stats.badPayloads += 1;
    this.log.warn({ topic, reason }, "refused a message from the controller");
  }
}
