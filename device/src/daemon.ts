/**
 * The classroom daemon: builds every part from the settings and starts them
 * in order — stray captures killed first, then the lamp driven off and read
 * back, the buffer recovered and the cached config loaded, the retirement
 * check, the janitor, the MQTT link, the state report, the controls and
 * session — and stops the started ones in reverse order (`parts.ts`). The
 * parts hear each other through the box's event bus (`bus.ts`).
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { isProtected, type DeviceState, type EventData } from "@classcam/protocol";
import type { Database } from "@classcam/sqlite";
import { DEFAULT_RUNTIME_DIR, type DeviceSettings } from "./config.js";
import { BufferIndex, BYTES_WRITTEN_COUNTER } from "./buffer/index.js";
import { Janitor } from "./buffer/janitor.js";
import { healthFigures, storageFigures, toBufferRecording } from "./buffer/health.js";
import {
  AnnouncePart,
  BufferPart,
  ControlsPart,
  EncoderProbe,
  JanitorPart,
  LampPart,
  LinkPart,
  PanelPart,
  RetirementPart,
  SpaceWatch,
  StateReport,
} from "./box-parts.js";
import { EventBus } from "./bus.js";
import { openHardware, type DemoPanel } from "./hw/index.js";
import { Lamp } from "./hw/lamp.js";
import { PressDetector, type Press } from "./hw/press.js";
import type { Hardware } from "./hw/types.js";
import { ConfigCache } from "./link/config-cache.js";
import { Link } from "./link/link.js";
import { Outbox } from "./link/outbox.js";
import { Retirement } from "./link/retire.js";
import { uploadRecording } from "./link/uploader.js";
import { killStrayCaptures, type CaptureEnd } from "./recorder/index.js";
import { removeLeftoverKeys } from "./recorder/content-key.js";
import { Session, type RoomSelfTest } from "./session/session.js";
import { NoticePart } from "./session/notice.js";
import { Parts, type Part } from "./parts.js";
import { devicePaths, openStore, type DevicePaths } from "./store.js";
import { SystemdService } from "./systemd/index.js";
import { SOFTWARE_VERSION } from "./version.js";

export interface DaemonOptions {
  settings: DeviceSettings;
  logger: Logger;
  now?: () => Date;
  /** Hardware built by the caller (the tests keep the sim box in hand); else from the settings. */
  hardware?: Hardware;
  /** How often the state is republished with fresh storage and health figures. */
  stateIntervalMs?: number;
  /** Link timing, for tests. */
  link?: { ackTimeoutMs?: number; reconnectMs?: number };
  onCaptureStarted?: (pid: number) => void;
  onCaptureEnded?: (pid: number, end: CaptureEnd) => void;
}

/** What every part is built from: the settings, the store and the hardware, opened once. */
interface DaemonCore {
  settings: DeviceSettings;
  logger: Logger;
  now: () => Date;
  paths: DevicePaths;
  db: Database;
  hardware: Hardware;
}

export class Daemon {
  readonly bootId = randomUUID();
  readonly settings: DeviceSettings;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly paths: DevicePaths;
  readonly hardware: Hardware;
  readonly db: Database;
  /** How the parts tell each other what happened. */
  readonly bus: EventBus;
  readonly lamp: Lamp;
  readonly index: BufferIndex;
  readonly janitor: Janitor;
  readonly config: ConfigCache;
  readonly outbox: Outbox;
  readonly link: Link;
  readonly session: Session;
  /** Says the spoken notice when a recording starts; its `status` is the speaker's health. */
  readonly notice: NoticePart;
  readonly buttons: PressDetector;
  private readonly startedAt: Date;
  private readonly parts: Parts;
  private readonly report: StateReport;
  private readonly probe: EncoderProbe;
  private readonly panelPart: PanelPart | null;
  private readonly retirement: RetirementPart;
  /** In start order; the retirement check ends the list early on a retired box. */
  private readonly beforeRetirement: Part[];
  private readonly afterRetirement: Part[];
  private stopping: Promise<void> | null = null;
  /** READY=1, STATUS= lines and watchdog pings, when systemd runs the daemon (`Type=notify`). */
  private systemd: SystemdService | null = null;
  /** Recordings being uploaded now: protected like those the config lists. */
  private readonly uploading = new Set<string>();

  private constructor(core: DaemonCore, options: DaemonOptions) {
    const { settings, logger, now, paths, db, hardware } = core;
    this.settings = settings;
    this.logger = logger;
    this.now = now;
    this.paths = paths;
    this.db = db;
    this.hardware = hardware;
    this.startedAt = now();
    const bus = (this.bus = new EventBus(logger.child({ part: "bus" })));
    const changed = () => bus.emit("changed", null);

    this.lamp = new Lamp(hardware.lamp, {
      logger: logger.child({ part: "lamp" }),
      onFault: (fault) => bus.emit("lamp.fault", fault),
    });
    this.index = new BufferIndex(db, paths.buffer, now);
    this.config = new ConfigCache(paths.config);
    this.outbox = new Outbox(db);
    this.janitor = new Janitor({
      index: this.index,
      db,
      bufferDir: paths.buffer,
      reserveBytes: settings.storage.reserveBytes,
      janitorSeconds: settings.storage.janitorSeconds,
      now,
      logger,
      // no config yet: holds are unknown, so the janitor deletes nothing
      protection: () => this.protection(),
    });
    const retirement = new Retirement({
      deviceId: settings.deviceId,
      paths,
      db,
      outbox: this.outbox,
      logger,
      now,
      box: () => this,
    });
    this.link = new Link({
      deviceId: settings.deviceId,
      secret: settings.secret,
      mqttUrl: settings.controller.mqttUrl,
      caFile: settings.controller.caFile,
      outbox: this.outbox,
      config: this.config,
      logger,
      now,
      ackTimeoutMs: options.link?.ackTimeoutMs,
      reconnectMs: options.link?.reconnectMs,
      handlers: {
        ping: () => Promise.resolve({ at: now().toISOString() }),
        "delete-recording": (args) => this.deleteRecording(args.recordingId),
        "upload-recording": (args) => this.uploadRecording(args),
        retire: () => retirement.retire(),
        "self-test": (args) => this.selfTest(args),
      },
      onConfigApplied: (version) => {
        void this.outbox.raise("config.applied", { version }, now()).then(changed);
        bus.emit("config.applied", { version });
      },
      onConfigRejected: (version, reason) => {
        void this.outbox
          .raise("config.rejected", { version, reason: reason.slice(0, 2000) }, now())
          .then(changed);
      },
    });
    this.notice = new NoticePart({
      speaker: hardware.speaker,
      config: () => this.config.current,
      logger,
      changed,
    });
    this.session = new Session({
      settings,
      notice: this.notice,
      lamp: this.lamp,
      camera: hardware.camera,
      microphone: hardware.microphone,
      outbox: this.outbox,
      index: this.index,
      janitor: this.janitor,
      config: this.config,
      runDir: paths.run,
      logger,
      now,
      changed,
      onCaptureStarted: options.onCaptureStarted,
      onCaptureEnded: options.onCaptureEnded,
    });
    this.buttons = new PressDetector({
      debounceMs: settings.hardware.button.debounceMs,
      longPressMs: settings.hardware.button.longPressMs,
      onPress: (press) => bus.emit("press", press),
    });

    const lampPart = new LampPart(this.lamp, bus);
    this.retirement = new RetirementPart(retirement, this.link);
    this.report = new StateReport({
      bus,
      link: this.link,
      state: () => this.state(),
      intervalMs: options.stateIntervalMs ?? 30_000,
      logger,
    });
    this.probe = new EncoderProbe({ settings, hardware, config: this.config, bus, logger });
    this.panelPart =
      settings.demo === undefined
        ? null
        : new PanelPart({ demo: settings.demo, hardware, lamp: this.lamp, session: this.session });
    this.beforeRetirement = [
      lampPart,
      new BufferPart(this.index, this.config, logger),
      this.retirement,
    ];
    const announced: EventData<"device.started"> = {
      software: SOFTWARE_VERSION,
      bootId: this.bootId,
      backend: hardware.backend,
    };
    this.afterRetirement = [
      new AnnouncePart(this.outbox, lampPart, announced, now),
      new JanitorPart(this.janitor, bus),
      this.notice,
      new LinkPart(this.link),
      this.report,
      new ControlsPart({ hardware, buttons: this.buttons, session: this.session, bus }),
      ...(this.panelPart === null ? [] : [this.panelPart]),
      this.probe,
      new SpaceWatch({
        settings,
        bufferDir: paths.buffer,
        janitor: this.janitor,
        session: this.session,
        logger,
      }),
    ];
    this.parts = new Parts({
      logger,
      // an essential part (the lamp interlock) did not start: every press is refused
      unsafe: (part, error) =>
        this.session.forbid(`${part.name} failed to start: ${describe(error)}`),
    });
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { settings, logger } = options;
    const now = options.now ?? (() => new Date());

    // before anything else: no capture from an earlier run may survive
    const killed = await killStrayCaptures(devicePaths(settings.dataDir).buffer, logger);
    if (killed.length > 0) {
      logger.warn({ pids: killed }, "killed capture processes left by an earlier run");
    }
    const leftoverKeys = await removeLeftoverKeys(settings.runtimeDir ?? DEFAULT_RUNTIME_DIR);
    if (leftoverKeys > 0) logger.warn({ leftoverKeys }, "removed content keys an earlier run left");
    const { db, paths } = await openStore(settings.dataDir);

    // hardware: a missing part is a start-up error naming it
    let hardware: Hardware;
    try {
      hardware = options.hardware ?? (await openHardware(settings.hardware, logger));
    } catch (error) {
      await db.close();
      throw error;
    }
    if (hardware.backend === "sim") {
      logger.warn(
        "hardware backend is 'sim': a simulated lamp, button and camera, not a classroom",
      );
    }

    const daemon = new Daemon({ settings, logger, now, paths, db, hardware }, options);
    await daemon.parts.start(daemon.beforeRetirement);
    if (!daemon.retirement.retired) {
      await daemon.parts.start(daemon.afterRetirement);
      logger.info(
        {
          deviceId: settings.deviceId,
          backend: hardware.backend,
          camera: hardware.camera.description,
          parts: daemon.parts.running.map((part) => part.name),
        },
        "classroom daemon started",
      );
    }
    // the start-up lines are out before systemd hears READY=1 (pino writes stdout asynchronously)
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    daemon.systemd = SystemdService.start(daemon);
    return daemon;
  }

  /** The encoder the recorder would use now (found at start, so the first press is quick). */
  get encoder(): string | null {
    return this.probe.encoder;
  }

  /** The simulated box's front panel (demo only). */
  get panel(): DemoPanel | null {
    return this.panelPart?.panel ?? null;
  }

  /**
   * One camera frame with the lamp lit, to show IT the camera works, or as a
   * picture of the room to draw privacy masks on (the `self-test` request).
   */
  selfTest(options: { picture?: boolean } = {}): Promise<RoomSelfTest> {
    return this.session.selfTest(options);
  }

  /** A press of the record button from elsewhere (the demo's keyboard and HTTP endpoint). */
  press(press: Press): Promise<void> {
    return this.session.press(press);
  }

  /**
   * What protects footage now: the config's holds and uploads, and uploads
   * under way. Null before any config is known (then nothing may be deleted).
   */
  protection(): { holds: string[]; uploads: string[]; bufferDays: number } | null {
    const config = this.config.current;
    if (config === null) return null;
    return {
      holds: config.holds,
      uploads: [...(config.uploads ?? []), ...this.uploading],
      bufferDays: config.retention.bufferDays,
    };
  }

  /** The state report, with fresh storage and health figures. */
  async state(): Promise<DeviceState> {
    const protection = this.protection() ?? { holds: [], uploads: [...this.uploading] };
    const [storage, written, outboxDepth] = await Promise.all([
      storageFigures(this.paths.buffer, this.index, protection),
      this.db.get<{ value: number }>("SELECT value FROM counters WHERE name = ?", [
        BYTES_WRITTEN_COUNTER,
      ]),
      this.outbox.depth(),
    ]);
    return {
      at: this.now().toISOString(),
      software: SOFTWARE_VERSION,
      bootId: this.bootId,
      backend: this.hardware.backend,
      lamp: this.lamp.mode,
      recording: this.session.recording,
      configVersion: this.config.current?.version ?? null,
      encoder: this.session.encoder ?? this.encoder,
      storage,
      health: await healthFigures(this.startedAt, this.now(), written?.value ?? 0),
      outboxDepth,
      speaker: this.notice.status,
    };
  }

  /** Events were raised or the state changed: send them, republish the state. */
  changed(): void {
    this.report.changed();
  }

  async deleteRecording(recordingId: string): Promise<{ recordingId: string; bytes: number }> {
    const row = await this.index.get(recordingId);
    if (row === undefined) return { recordingId, bytes: 0 }; // already gone
    if (row.endedAt === null) throw new Error(`recording ${recordingId} is in progress`);
    const protection = this.protection();
    if (protection === null) throw new Error("no config from the controller yet: holds unknown");
    // the buffer's own rule (protocol's buffer-rules) says what is protected; here only why, in words
    const recording = toBufferRecording(row, protection.uploads);
    if (isProtected(recording, protection.holds)) {
      const why = recording.awaitingUpload ? "is waiting to be uploaded" : "is under a hold";
      throw new Error(`recording ${recordingId} ${why}`);
    }
    const { bytes } = await this.index.remove(recordingId, "request");
    this.changed();
    return { recordingId, bytes };
  }

  async uploadRecording(args: {
    recordingId: string;
    url: string;
    token: string;
  }): Promise<{ recordingId: string; segments: number; bytes: number }> {
    const row = await this.index.get(args.recordingId);
    if (row === undefined) throw new Error(`recording ${args.recordingId} is not on this device`);
    if (row.endedAt === null) throw new Error(`recording ${args.recordingId} is still in progress`);
    if (this.uploading.has(args.recordingId)) {
      throw new Error(`recording ${args.recordingId} is already being uploaded`);
    }
    this.uploading.add(args.recordingId);
    try {
      const segments = await this.index.segments(args.recordingId);
      const log = this.logger.child({ part: "upload", recordingId: args.recordingId });
      log.info({ segments: segments.length, bytes: row.bytes }, "uploading");
      const result = await uploadRecording({
        url: args.url,
        token: args.token,
        recordingId: args.recordingId,
        segments,
        sealedKey: row.sealedKey,
        dir: row.dir,
        caFile: this.settings.controller.caFile,
      });
      log.info(result, "uploaded");
      return { recordingId: args.recordingId, ...result };
    } finally {
      this.uploading.delete(args.recordingId);
    }
  }

  /** Stops the started parts in reverse order (the recording first, the lamp last), then the hardware and the database. */
  stop(): Promise<void> {
    this.stopping ??= this.stopParts();
    return this.stopping;
  }

  private async stopParts(): Promise<void> {
    this.systemd?.stopping();
    await this.parts.stop();
    this.bus.clear();
    await this.hardware.close();
    await this.db.close();
    await this.systemd?.close();
    this.logger.info("classroom daemon stopped");
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
