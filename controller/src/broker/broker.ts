/**
 * The embedded MQTT broker (aedes) the classroom devices connect to. It
 * authenticates each device, applies the ACL in `acl.ts`, hands what devices
 * say to `Ingest`, publishes each device's retained config from the database,
 * and carries controller→device requests and their responses.
 */
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import {
  Aedes,
  type AedesPublishPacket,
  type Client,
  type ConnectPacket,
  type PublishPacket,
} from "aedes";
import type { Logger } from "pino";
import {
  CHANNEL_DIRECTION,
  MAX_PAYLOAD_BYTES,
  checkAck,
  checkConfig,
  encode,
  isDeviceId,
  parse,
  parseTopic,
  topics,
  type DeviceConfig,
  type DeviceResponse,
  type EventAck,
  type RequestArgs,
  type RequestOp,
} from "@classcam/protocol";
import type { Database } from "../db/database.js";
import type { DeviceRegistry, DeviceStatus } from "../domain/devices.js";
import { canPublish, canReceive, canSubscribe, isDeliverable } from "./acl.js";
import { ConnectionLog } from "./connection-log.js";
import { guardFrames } from "./frame-guard.js";
import { Ingest } from "./ingest.js";
import { writePacketIdsAsTheyCome } from "./packet-ids.js";
import { PendingRequests } from "./requests.js";
import { indexedPersistence } from "./retained.js";
import {
  RetiredClients,
  canPublishRetired,
  canReceiveRetired,
  screenRetiredEvent,
} from "./retired.js";
import { DeviceSignIn, type SignInDone } from "./sign-in.js";

export { ConnackCode } from "./sign-in.js";

export interface BrokerOptions {
  db: Database;
  registry: DeviceRegistry;
  logger: Logger;
  connectFailures: { max: number; windowMs: number };
  now?: () => Date;
  /** How often to pick up changes made outside this process (e.g. the CLI). */
  syncIntervalMs?: number;
  /** How long a retired device may stay connected to be told to wipe (see retired.ts). */
  retiredGraceMs?: number;
}

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { port: number; cert: Buffer; key: Buffer; ca?: Buffer };
}

/** Whole MQTT packets above this size close the connection before being buffered. */
export const MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES * 4;

export class Broker {
  readonly ingest: Ingest;
  private readonly aedes: Aedes;
  private readonly log: Logger;
  private readonly connectionLog: ConnectionLog;
  private readonly signIn: DeviceSignIn;
  private readonly retired: RetiredClients;
  private readonly connectPackets = new WeakMap<Client, ConnectPacket>();
  private readonly clients = new Map<string, Client>();
  private readonly publishedConfig = new Map<string, number>();
  private readonly pending: PendingRequests;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly now: () => Date;
  private syncTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly options: BrokerOptions,
    aedes: Aedes,
  ) {
    this.aedes = aedes;
    this.log = options.logger;
    this.connectionLog = new ConnectionLog(options.logger);
    this.now = options.now ?? (() => new Date());
    this.signIn = new DeviceSignIn({
      registry: options.registry,
      logger: options.logger,
      connectFailures: options.connectFailures,
      admitRetired: (client) => {
        this.retired.admit(client);
      },
    });
    this.ingest = new Ingest({
      db: options.db,
      logger: options.logger.child({ part: "ingest" }),
      now: options.now,
      sendAck: (deviceId, ack) => {
        this.sendAck(deviceId, ack);
      },
    });
    this.retired = new RetiredClients({
      publish: (topic, payload) => this.publish(topic, payload, false),
      logger: options.logger,
      now: this.now,
      graceMs: options.retiredGraceMs,
    });
    this.pending = new PendingRequests({
      publish: (topic, payload) => this.publish(topic, payload, false),
      now: this.now,
    });
  }

  static async create(options: BrokerOptions): Promise<Broker> {
    writePacketIdsAsTheyCome();
    // aedes wants its hooks at construction; they reach the Broker built right after
    const ref: { broker?: Broker } = {};
    const self = (): Broker => {
      if (!ref.broker) throw new Error("broker used before it was created");
      return ref.broker;
    };
    const aedes = new Aedes({
      id: "classcam-controller",
      persistence: indexedPersistence(isDeliverable),
      maxClientsIdLength: 64,
      preConnect: (client, packet, done) => {
        self().connectPackets.set(client, packet);
        done(null, true);
      },
      authenticate: (client, username, password, done) => {
        self().authenticate(client, username, password, done);
      },
      authorizePublish: (client, packet, done) => {
        done(self().authorizePublish(client, packet));
      },
      authorizeSubscribe: (client, subscription, done) => {
        const decision = canSubscribe(client.id, subscription.topic);
        if (!decision.allowed) {
          self().log.warn(
            { deviceId: client.id, topic: subscription.topic, reason: decision.reason },
            "subscription refused",
          );
          done(null, null);
          return;
        }
        done(null, subscription);
      },
      authorizeForward: (client, packet) => {
        const retired = self().retired.has(client);
        const may = retired ? canReceiveRetired : canReceive;
        return may(client.id, packet.topic) ? packet : null;
      },
    });
    const broker = new Broker(options, aedes);
    ref.broker = broker;
    broker.wire();
    try {
      await aedes.listen();
      await options.registry.resetConnections();
      await broker.republishConfigs();
    } catch (error) {
      await new Promise<void>((resolve) => {
        aedes.close(() => resolve());
      });
      throw error;
    }
    broker.syncTimer = setInterval(() => void broker.sync(), options.syncIntervalMs ?? 5000);
    broker.syncTimer.unref();
    return broker;
  }

  private wire(): void {
    const { registry } = this.options;
    registry.on("config", (deviceId, config) => {
      this.publishConfig(deviceId, config);
    });
    registry.on("revoked", (deviceId, status) => {
      this.revoke(deviceId, status);
    });
    this.aedes.on("publish", (packet, client) => {
      this.onPublish(packet, client);
    });
    this.aedes.on("subscribe", (subscriptions, client) => {
      this.retired.subscribed(
        client,
        subscriptions.map((s) => s.topic),
      );
    });
    this.aedes.on("clientReady", (client) => {
      if (!isDeviceId(client.id) || this.retired.has(client)) return;
      this.clients.set(client.id, client);
      this.ingest.connection(client.id, true);
      this.connectionLog.connection(client.id, true);
    });
    this.aedes.on("clientDisconnect", (client) => {
      this.retired.forget(client);
      if (this.clients.get(client.id) !== client) return;
      this.clients.delete(client.id);
      this.ingest.connection(client.id, false);
      this.connectionLog.connection(client.id, false);
    });
    this.aedes.on("clientError", (client, error) => {
      this.log.warn({ deviceId: client.id, err: error.message }, "device connection error");
    });
    this.aedes.on("connectionError", (client, error) => {
      this.log.warn({ clientId: client.id, err: error.message }, "connection error before sign-in");
    });
  }

  private sourceOf(client: Client): string {
    return (client.conn as Partial<Socket>).remoteAddress ?? "local";
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: SignInDone,
  ): void {
    const packet = this.connectPackets.get(client);
    this.connectPackets.delete(client);
    this.signIn.check(client, this.sourceOf(client), packet, username, password, done);
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    if (client === null) {
      // the Last Will of a device whose connection is already gone
      return parseTopic(packet.topic)?.channel === "availability"
        ? null
        : new Error(`broker-held will on '${packet.topic}' refused`);
    }
    const decision = this.retired.has(client)
      ? canPublishRetired(client.id, packet)
      : canPublish(client.id, packet);
    if (decision.allowed) return null;
    this.log.warn(
      { deviceId: client.id, topic: packet.topic, reason: decision.reason },
      "publish refused; disconnecting",
    );
    return new Error(decision.reason);
  }

  private onPublish(packet: AedesPublishPacket, client: Client | null): void {
    const parsed = parseTopic(packet.topic);
    if (parsed === null || CHANNEL_DIRECTION[parsed.channel] !== "up") return;
    // authorizePublish has already refused any topic outside the client's own subtree
    if (client !== null && client.id !== parsed.deviceId) return;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (this.retired.has(client)) {
      this.onRetiredPublish(parsed.deviceId, parsed.channel, packet.topic, payload);
      return;
    }
    switch (parsed.channel) {
      case "events":
        this.ingest.event(parsed.deviceId, packet.topic, payload);
        break;
      case "state":
        if (payload.length > 0) this.ingest.state(parsed.deviceId, packet.topic, payload);
        break;
      case "availability":
        this.ingest.availabilityReport(parsed.deviceId, packet.topic, payload);
        break;
      case "response":
        this.onResponse(parsed.deviceId, parsed.op, packet.topic, payload);
        break;
      case "config":
      case "ack":
      case "request":
        break; // controller→device: filtered out above
    }
  }

  /** A retired device speaks: only its wipe report counts (retired.ts). */
  private onRetiredPublish(
    deviceId: string,
    channel: string,
    topic: string,
    payload: Buffer,
  ): void {
    if (channel === "response") {
      const parsed = parse.response("retire", payload);
      if (parsed.ok) this.log.info({ deviceId, ...parsed.value.data }, "retired device answered");
      else this.log.warn({ deviceId, reason: parsed.error }, "retired device's answer refused");
      return;
    }
    if (channel !== "events") return; // availability and state: a retired device is not shown
    const refused = screenRetiredEvent(deviceId, payload);
    if (refused === null) {
      this.ingest.event(deviceId, topic, payload);
      return;
    }
    this.ingest.reject({
      deviceId,
      topic,
      ...refused,
      payload,
      receivedAt: this.now().toISOString(),
    });
  }

  private publish(topic: string, payload: Buffer, retain: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.aedes.publish(
        { cmd: "publish", topic, payload, qos: 1, retain, dup: false },
        (error) => {
          if (error) reject(error);
          else resolve();
        },
      );
    });
  }

  private sendAck(deviceId: string, ack: EventAck): void {
    this.publish(topics.ack(deviceId), encode(checkAck, ack), false).catch((error: unknown) => {
      // the events are committed; an ack that does not arrive only makes the device resend
      this.log.warn({ err: error, deviceId }, "could not publish ack");
    });
  }

  /** Publishes a device's configuration, retained, so it gets it whenever it connects. */
  publishConfig(deviceId: string, config: DeviceConfig): void {
    if (this.closed) return;
    this.publishedConfig.set(deviceId, config.version);
    this.publish(topics.config(deviceId), encode(checkConfig, config), true).catch(
      (error: unknown) => {
        this.publishedConfig.delete(deviceId);
        this.log.error({ err: error, deviceId }, "could not publish config");
      },
    );
  }

  /** Every active device's configuration, from the database (at start: a restart loses nothing). */
  async republishConfigs(): Promise<number> {
    const configs = await this.options.registry.activeConfigs();
    for (const { deviceId, config } of configs) this.publishConfig(deviceId, config);
    return configs.length;
  }

  private revoke(deviceId: string, status: DeviceStatus): void {
    if (status !== "active") {
      this.publishedConfig.delete(deviceId);
      // an empty retained payload removes the retained config
      this.publish(topics.config(deviceId), Buffer.alloc(0), true).catch(() => undefined);
    }
    this.disconnect(deviceId, status === "active" ? "secret rotated" : `device ${status}`);
  }

  /** Drops a device's connection, if it has one. */
  disconnect(deviceId: string, reason: string): void {
    const client = this.clients.get(deviceId);
    if (!client) return;
    this.log.info({ deviceId, reason }, "disconnecting device");
    client.close();
  }

  /** Picks up changes made by another process (the CLI) on the same database. */
  async sync(): Promise<void> {
    if (this.closed) return;
    try {
      for (const [deviceId, status] of await this.options.registry.inactive()) {
        if (this.clients.has(deviceId) || this.publishedConfig.has(deviceId)) {
          this.revoke(deviceId, status);
        }
      }
      const versions = await this.options.registry.activeConfigVersions();
      for (const [deviceId, version] of versions) {
        if (this.publishedConfig.get(deviceId) === version) continue;
        // only a changed config is read and parsed
        const device = await this.options.registry.get(deviceId);
        if (device?.status === "active") this.publishConfig(deviceId, device.config);
      }
    } catch (error) {
      this.log.error({ err: error }, "device sync failed");
    }
  }

  connectedDevices(): string[] {
    return [...this.clients.keys()].sort();
  }

  /**
   * Asks a device to do something and waits for its answer on the response
   * topic, matched by a correlation id.
   */
  request<Op extends RequestOp>(
    deviceId: string,
    op: Op,
    args: RequestArgs<Op>,
    timeoutMs = 15_000,
  ): Promise<DeviceResponse<Op>> {
    if (!this.clients.has(deviceId)) {
      return Promise.reject(new Error(`device '${deviceId}' is not connected`));
    }
    return this.pending.send(deviceId, op, args, timeoutMs);
  }

  private onResponse(deviceId: string, op: RequestOp, topic: string, payload: Buffer): void {
    const parsed = parse.response(op, payload);
    if (!parsed.ok) {
      this.ingest.reject({
        deviceId,
        topic,
        eventId: null,
        reason: parsed.error,
        payload,
        receivedAt: this.now().toISOString(),
      });
      return;
    }
    if (this.pending.answer(deviceId, op, parsed.value) === "unmatched") {
      this.log.warn(
        { deviceId, op, id: parsed.value.id },
        "response to no pending request; ignored",
      );
    }
  }

  /** Starts accepting device connections: plain TCP, and TLS when configured. */
  async listen(options: ListenOptions): Promise<{ port: number; tlsPort: number | null }> {
    const accept = (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.setNoDelay(true);
      this.aedes.handle(guardFrames(socket, MAX_PACKET_BYTES));
    };
    const start = (server: Server, port: number) =>
      new Promise<number>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, options.host, () => {
          server.off("error", reject);
          this.servers.push(server);
          const address = server.address();
          resolve(typeof address === "object" && address !== null ? address.port : port);
        });
      });
    const port = await start(createServer(accept), options.port);
    let tlsPort: number | null = null;
    if (options.tls) {
      const { cert, key, ca } = options.tls;
      tlsPort = await start(
        createTlsServer({ cert, key, ca, minVersion: "TLSv1.2" }, accept),
        options.tls.port,
      );
    }
    return { port, tlsPort };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.retired.close();
    const stopped = this.servers.map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    await new Promise<void>((resolve) => {
      this.aedes.close(() => resolve());
    });
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(stopped);
    this.pending.rejectAll("controller is shutting down");
    this.connectionLog.flush();
    await this.ingest.idle();
  }
}
