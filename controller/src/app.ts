/**
 * `build()` assembles the controller — database, device registry, MQTT broker
 * and HTTP routes — without listening on anything; `main.ts` listens. Tests
 * build it against a temporary data folder.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  LogController,
  fastify,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Logger } from "pino";
import { ConfigError, publicUrlOf, type ControllerConfig } from "./config.js";
import { resolveMail } from "./config-mail.js";
import { lazySerializers } from "./lazy-serializers.js";
import { smtpSender } from "./mailer.js";
import { Database } from "./db/database.js";
import { migrate } from "./db/migrations.js";
import { DeviceRegistry } from "./domain/devices.js";
import { deviceKeyPath, loadDeviceKey } from "./device-key.js";
import { loadSealingKeys, sealingKeysPath } from "./sealing-keys.js";
import { Broker } from "./broker/broker.js";
import { httpsOptions } from "./tls-files.js";
import { createLogger } from "./logger.js";
import { healthRoutes } from "./routes/health.js";
import { authRoutes } from "./routes/auth.js";
import { oidcRoutes } from "./routes/oidc.js";
import { schoolRoutes } from "./routes/school.js";
import { addDateKeywords } from "./routes/dates.js";
import { oversightRoutes } from "./routes/oversight.js";
import { cameraRoutes } from "./routes/camera.js";
import { zoneRoutes } from "./routes/zones.js";
import { TeacherZonesStore } from "./domain/teacher-zones.js";
import { uploadRoutes } from "./routes/uploads.js";
import { liveRoutes } from "./routes/live.js";
import { demoRoutes } from "./routes/demo.js";
import { webRoutes } from "./routes/web.js";
import { coachingRoutes } from "./routes/coaching.js";
import { privacyRoutes } from "./routes/privacy.js";
import { dpoRoutes } from "./routes/dpo.js";
import { apiDocsPage, apiDocument } from "./routes/openapi.js";
import { notificationRoutes } from "./routes/notifications.js";
import type { Notices } from "./notices.js";
import { AuditLog } from "./domain/audit.js";
import { Custodian } from "./domain/custodian.js";
import { DomainError } from "./domain/errors.js";
import { Footage, UploadRefused } from "./domain/footage.js";
import { openFootage } from "./domain/footage-source.js";
import { expireExports } from "./domain/privacy/dpo-export-expiry.js";
import { CopyKeys } from "./domain/copy-keys.js";
import { RenditionKeys } from "./anonymise/rendition-keys.js";
import { Anonymiser, anonymiserSettings } from "./anonymise/anonymiser.js";
import { FaceBlurring } from "./anonymise/serving.js";
import { People, SignInLimited, type SignInLimits } from "./domain/people.js";
import { PolicyStore } from "./domain/policy.js";
import { PROJECTOR_PACE_MS, Pacer } from "./domain/pacer.js";
import { Projector } from "./domain/projector.js";
import { Concerns } from "./domain/concerns.js";
import { MailOutbox } from "./domain/mail-outbox.js";
import { NotificationDesk } from "./domain/notification-desk.js";
import { Clips } from "./domain/clips.js";
import { Recordings } from "./domain/recordings.js";
import { Coaching } from "./domain/coaching.js";
import { Timetable } from "./domain/timetable.js";
import fastifyCookie from "@fastify/cookie";
import fastifyHelmet from "@fastify/helmet";
import fastifyPlugin from "fastify-plugin";

/** Request lines at debug (the demo's terminal is for the lamp's lines); a failed request stays an error. */
class DebugRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, "incoming request");
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}

export interface BuildOptions {
  config: ControllerConfig;
  logger?: Logger;
  now?: () => Date;
  /** How often the broker picks up device changes made by another process. */
  syncIntervalMs?: number;
  /** Sign-in limits (tests lower them). */
  signInLimits?: SignInLimits;
  /** Run the custodian's timers (sweep, deliveries, config refresh); tests drive it by hand. */
  timers?: boolean;
  /** The demo's simulated box panel (its lamp and button), for the dashboard's demo panel. */
  demoPanelUrl?: string | null;
  /** The level of fastify's per-request log lines (default info; the demo: debug). */
  requestLogLevel?: "info" | "debug";
}

declare module "fastify" {
  interface FastifyInstance {
    db: Database;
    devices: DeviceRegistry;
    broker: Broker;
    config: ControllerConfig;
    audit: AuditLog;
    /** The controller's clock (tests inject a fake one). */
    now: () => Date;
    people: People;
    policy: PolicyStore;
    timetable: Timetable;
    recordings: Recordings;
    /** Coaching: the school's framework, assignments, timelines. */
    coaching: Coaching;
    /** Clips cut from recordings, and the exemplar bank. */
    clips: Clips;
    projector: Projector;
    /** Each person's notifications and e-mail choices (issue 17). */
    notifications: NotificationDesk;
    /** Concerns flagged about recordings, for the school's concern leads. */
    concerns: Concerns;
    /** E-mail waiting for the school's SMTP relay, sent and retried. */
    mailOutbox: MailOutbox;
    custodian: Custodian;
    footage: Footage;
    /** The copies with every face blurred, made for viewers other than the owner (issue 19). */
    anonymiser: Anonymiser;
    /** Each room's teacher zones: faces left sharp in the copies with faces blurred (issue 19). */
    teacherZones: TeacherZonesStore;
    copyKeys: CopyKeys;
    /** The dashboard's live notices (routes/live.ts): publish, and whoever may see it is told. */
    notices: Notices;
    /** Where the demo's simulated box serves its panel (routes/demo.ts); null outside the demo. */
    demoPanel: { url: string | null };
  }
}

/** HTTP status for each kind of domain refusal. */
const STATUS: Record<DomainError["code"], number> = {
  invalid: 400,
  unauthorised: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  gone: 410,
};

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
    const devices = new DeviceRegistry(db, now, loadDeviceKey(deviceKeyPath(config)));
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
    const audit = new AuditLog(db, now);
    const policy = new PolicyStore(db, audit);
    const people = new People(
      db,
      audit,
      now,
      { absoluteMinutes: config.http.sessionHours * 60, idleMinutes: config.http.idleMinutes },
      options.signInLimits,
    );
    const timetable = new Timetable(db, audit, policy, now);
    const recordings = new Recordings(db, audit, policy, now);
    const coaching = new Coaching(db, audit, now);
    const projector = new Projector(db, audit, policy, logger.child({ part: "projector" }), now);
    const started = broker;
    const publicUrl = publicUrlOf(config);
    const mail = config.mail
      ? resolveMail(config.mail, config.http.publicUrl, process.cwd())
      : null;
    if (mail && "problems" in mail) throw new ConfigError(mail.problems);
    const smtp = mail ? smtpSender(mail.settings) : null;
    const mailOutbox = new MailOutbox(
      db,
      now,
      smtp?.send ?? null,
      publicUrl,
      logger.child({ part: "mail" }),
    );
    const notifications = new NotificationDesk(db, audit, now, smtp !== null);
    const concerns = new Concerns(db, audit, recordings, now);
    const recordingsDir = join(config.dataDir, "recordings");
    const renditionsDir = join(config.dataDir, "renditions");
    const clipsDir = join(config.dataDir, "clips");
    const teacherZones = new TeacherZonesStore(db, audit, now);
    const sealing = loadSealingKeys(sealingKeysPath(config));
    // every copy the controller makes (clips, blurred copies) is encrypted with a key of its own
    const copyKeys = new CopyKeys(db, sealing);
    const anonymiser = new Anonymiser(
      db,
      (recordingId) => openFootage(recordingsDir, recordingId),
      renditionsDir,
      anonymiserSettings(config),
      logger.child({ part: "anonymiser" }),
      now,
      // a clip's copy with faces blurred is made from the clip and kept in its folder: it
      // outlives the recording (and the recording's copy) for as long as the clip is kept
      {
        open: (clipId) => clips.open(clipId),
        folder: (clipId) => join(clipsDir, clipId, "blurred"),
      },
      teacherZones,
      new RenditionKeys(copyKeys, now),
    );
    const blurring = new FaceBlurring(policy, anonymiser);
    const footage = new Footage(db, audit, recordings, recordingsDir, now, sealing, blurring);
    const clips: Clips = new Clips(
      db,
      audit,
      recordings,
      recordingsDir,
      clipsDir,
      now,
      copyKeys,
      blurring.clips,
    );
    const custodian = new Custodian(
      db,
      audit,
      policy,
      timetable,
      devices,
      {
        isConnected: (deviceId) => started.connectedDevices().includes(deviceId),
        request: (deviceId, op, args, timeoutMs) => started.request(deviceId, op, args, timeoutMs),
      },
      logger.child({ part: "custodian" }),
      {
        recordingsDir,
        renditionsDir,
        uploadUrl: (id) => new URL(`/api/uploads/${id}`, publicUrl).toString(),
      },
      now,
    );
    const background = (what: string, job: Promise<unknown>) => {
      job.catch((error: unknown) => {
        logger.error({ err: error }, `${what} failed`);
      });
    };
    // a burst of the ingest's commits is applied in one projector step (pacer.ts)
    const projectorPace = new Pacer(() => {
      background("applying device events", projector.catchUp());
    }, PROJECTOR_PACE_MS);
    started.ingest.onCommitted = () => {
      projectorPace.poke();
    };
    timetable.on("changed", (deviceId) => {
      background("pushing a schedule", custodian.refreshConfig(deviceId));
    });
    recordings.on("protectionChanged", (deviceId) => {
      background("pushing holds and uploads", custodian.refreshConfig(deviceId));
    });
    recordings.on("uploadWanted", () => {
      background("asking for an upload", custodian.deliver());
    });
    recordings.on("deletionWanted", () => {
      background("deleting a recording", custodian.sweep());
    });
    footage.on("uploadWanted", (_recordingId, deviceId) => {
      background(
        "asking for footage to watch",
        custodian.refreshConfig(deviceId).then(() => custodian.deliver()),
      );
    });
    footage.on("uploaded", (_recordingId, deviceId) => {
      background("pushing uploads", custodian.refreshConfig(deviceId));
    });
    await projector.catchUp();
    await custodian.refreshAll();
    await anonymiser.start();

    const httpLogger: FastifyBaseLogger = logger.child({ part: "http" });
    const https = httpsOptions(config);
    const app = fastify({
      loggerInstance: httpLogger,
      bodyLimit: 64 * 1024,
      // unknown fields are refused, not silently dropped; query strings still become numbers;
      // every date taken is bounded (routes/dates.ts)
      ajv: {
        customOptions: { removeAdditional: false, coerceTypes: true, allErrors: true },
        onCreate: addDateKeywords,
      },
      // each response serializer built at its route's first answer (lazy-serializers.ts)
      schemaController: { compilersFactory: { buildSerializer: lazySerializers() } },
      // HTTPS when http.tls is set: the same app, only the server differs
      ...(https && { https }),
      // the demo logs requests at debug, so its terminal shows the lamp's lines
      ...(options.requestLogLevel === "debug" && { logController: new DebugRequestLog() }),
    }) as unknown as FastifyInstance;
    app.decorate("config", config);
    app.decorate("db", db);
    app.decorate("devices", devices);
    app.decorate("broker", broker);
    app.decorate("audit", audit);
    app.decorate("now", now);
    app.decorate("people", people);
    app.decorate("policy", policy);
    app.decorate("timetable", timetable);
    app.decorate("recordings", recordings);
    app.decorate("coaching", coaching);
    app.decorate("clips", clips);
    app.decorate("projector", projector);
    app.decorate("notifications", notifications);
    app.decorate("concerns", concerns);
    app.decorate("mailOutbox", mailOutbox);
    app.decorate("custodian", custodian);
    app.decorate("footage", footage);
    app.decorate("anonymiser", anonymiser);
    app.decorate("teacherZones", teacherZones);
    app.decorate("copyKeys", copyKeys);
    app.addHook("onClose", () => anonymiser.stop());
    app.addHook("onClose", async () => {
      await mailOutbox.stop();
      smtp?.close();
    });
    // a change may have queued e-mail (notify() in its transaction): send it now, not at the
    // next round (pokes in a burst, e.g. a box's segment uploads, share one read of the outbox)
    app.addHook("onResponse", (request, reply, done) => {
      const change = request.method !== "GET" && request.method !== "HEAD";
      if (change && reply.statusCode < 400) mailOutbox.poke();
      done();
    });
    app.addHook("onClose", async () => {
      footage.forgetKeys();
      custodian.stop();
      await started.close();
      projectorPace.stop();
      await projector.catchUp().catch(() => undefined);
      await db.close();
    });
    app.setErrorHandler((error, request, reply) => {
      if (error instanceof SignInLimited) {
        return reply
          .code(429)
          .header("retry-after", String(error.retryAfterSeconds))
          .send({ statusCode: 429, error: "Too Many Requests", message: error.message });
      }
      if (error instanceof DomainError) {
        const statusCode = STATUS[error.code];
        return reply.code(statusCode).send({
          statusCode,
          error: error.code,
          message: error.message,
        });
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 415 && !(error instanceof UploadRefused)) {
        return reply.code(415).send({
          statusCode: 415,
          error: "unsupported-media-type",
          message: "send the body as JSON, with Content-Type: application/json",
        });
      }
      if (typeof status === "number" && status >= 400 && status < 500) {
        return reply.code(status).send({
          statusCode: status,
          error: (error as { code?: string }).code ?? "bad-request",
          message: (error as Error).message,
        });
      }
      request.log.error({ err: error }, "request failed");
      return reply.code(500).send({
        statusCode: 500,
        error: "internal",
        message: "something went wrong on the server; it is logged",
      });
    });
    await app.register(fastifyHelmet, {
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          imgSrc: ["'self'", "data:", "blob:"],
          mediaSrc: ["'self'", "blob:"],
          // the player's hls.js runs its transmuxer in a worker made from a blob: URL
          workerSrc: ["'self'", "blob:"],
          frameAncestors: ["'none'"],
        },
      },
    });
    await app.register(fastifyCookie);
    // the OpenAPI document, before the routes so it sees them all (routes/openapi.ts)
    await app.register(fastifyPlugin(apiDocument));
    await app.register(healthRoutes);
    await app.register(fastifyPlugin(authRoutes));
    await app.register(fastifyPlugin(oidcRoutes));
    await app.register(fastifyPlugin(liveRoutes));
    await app.register(fastifyPlugin(demoRoutes), { panelUrl: options.demoPanelUrl ?? null });
    await app.register(schoolRoutes);
    await app.register(oversightRoutes);
    await app.register(cameraRoutes);
    await app.register(zoneRoutes);
    await app.register(uploadRoutes);
    await app.register(notificationRoutes);
    await app.register(coachingRoutes);
    await app.register(privacyRoutes);
    await app.register(dpoRoutes);
    await app.register(webRoutes);
    // the documentation page at /api/docs, and the document at /api/openapi.json
    await app.register(apiDocsPage);
    if (options.timers !== false) {
      const minute = 60_000;
      custodian.start({
        deliverMs: minute,
        sweepMs: config.retention.sweepMinutes * minute,
        refreshMs: 60 * minute,
      });
      // clips follow their recordings' retention (domain/clip-retention.ts)
      const clipSweep = setInterval(() => {
        background("sweeping clips", clips.sweep());
        // subject access exports not taken away go after their week (dpo-export-expiry.ts)
        background(
          "expiring subject access exports",
          expireExports(
            { db, audit, exportsDir: join(config.dataDir, "exports"), keys: copyKeys },
            now(),
          ),
        );
      }, config.retention.sweepMinutes * minute);
      clipSweep.unref();
      app.addHook("onClose", () => {
        clearInterval(clipSweep);
      });
      mailOutbox.start(minute / 2);
    }
    return app;
  } catch (error) {
    await broker?.close();
    await db.close();
    throw error;
  }
}
