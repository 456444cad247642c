/**
 * `build()` assembles the controller — database, device registry, MQTT broker
 * and HTTP routes — without listening on anything; `main.ts` listens. Tests
 * build it against a temporary data folder.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fastify, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { ControllerConfig } from "./config.js";
import { Database } from "./db/database.js";
import { migrate } from "./db/migrations.js";
import { DeviceRegistry } from "./domain/devices.js";
import { Broker, type ListenOptions } from "./broker/broker.js";
import { createLogger } from "./logger.js";
import { healthRoutes } from "./routes/health.js";

export interface BuildOptions {
  config: ControllerConfig;
  logger?: Logger;
  now?: () => Date;
  /** How often the broker picks up device changes made by another process. */
  syncIntervalMs?: number;
}

declare module "fastify" {
  interface FastifyInstance {
    db: Database;
    devices: DeviceRegistry;
    broker: Broker;
    config: ControllerConfig;
  }
}

export const DATABASE_FILE = "controller.sqlite";

export async function build(options: BuildOptions): Promise<FastifyInstance> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.log.level);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  const db = await Database.open(join(config.dataDir, DATABASE_FILE));
  let broker: Broker | undefined;
  try {
    const migrated = await migrate(db);
    if (migrated.applied.length > 0) {
      logger.info(
        { part: "db", from: migrated.from, to: migrated.to, applied: migrated.applied },
        "database migrated",
      );
    }
    const now = options.now ?? (() => new Date());
    const devices = new DeviceRegistry(db, now);
    broker = await Broker.create({
      db,
      registry: devices,
      logger: logger.child({ part: "broker" }),
      connectFailures: {
        max: config.security.connectFailuresPerWindow,
        windowMs: config.security.connectFailureWindowSeconds * 1000,
      },
      now,
      syncIntervalMs: options.syncIntervalMs,
    });
    const httpLogger: FastifyBaseLogger = logger.child({ part: "http" });
    const app: FastifyInstance = fastify({
      loggerInstance: httpLogger,
      bodyLimit: 256 * 1024,
    });
    app.decorate("config", config);
    app.decorate("db", db);
    app.decorate("devices", devices);
    app.decorate("broker", broker);
    const started = broker;
    app.addHook("onClose", async () => {
      await started.close();
      await db.close();
    });
    await app.register(healthRoutes);
    return app;
  } catch (error) {
    await broker?.close();
    await db.close();
    throw error;
  }
}

/** The broker's listen options from the config, reading the TLS files if any. */
export function mqttListenOptions(config: ControllerConfig): ListenOptions {
  const { tls } = config.mqtt;
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read the MQTT TLS ${what} ${file}: ${(error as Error).message}`);
    }
  };
  return {
    host: config.mqtt.host,
    port: config.mqtt.port,
    ...(tls && {
      tls: {
        port: tls.port,
        cert: read("certificate", tls.certFile),
        key: read("key", tls.keyFile),
        ...(tls.caFile !== undefined && { ca: read("CA chain", tls.caFile) }),
      },
    }),
  };
}
