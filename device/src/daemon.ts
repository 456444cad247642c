/**
 * The classroom daemon: builds every part from the settings and starts them
 * in order — stray captures killed first, then the lamp driven off and read
 * back, the database opened and the buffer recovered, the cached config
 * loaded, the janitor, the MQTT link and the session — and stops them in
 * reverse order.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { isProtected, type DeviceState } from "@classcam/protocol";
import type { Database } from "@classcam/sqlite";
import type { DeviceSettings } from "./config.js";
import { BufferIndex, BYTES_WRITTEN_COUNTER } from "./buffer/index.js";
import { Janitor } from "./buffer/janitor.js";
import { healthFigures, readStatfs, storageFigures, toBufferRecording } from "./buffer/health.js";
import { openHardware } from "./hw/index.js";
import { Lamp } from "./hw/lamp.js";
import { PressDetector, type Press } from "./hw/press.js";
import type { Hardware } from "./hw/types.js";
import { SimLamp } from "./hw/sim/index.js";
import { SimPanel } from "./hw/sim/panel.js";
import { ConfigCache } from "./link/config-cache.js";
import { Link } from "./link/link.js";
import { Outbox } from "./link/outbox.js";
import { Retirement } from "./link/retire.js";
import { uploadRecording } from "./link/uploader.js";
import { chooseEncoder, killStrayCaptures, type CaptureEnd } from "./recorder/index.js";
import { Session, type RoomSelfTest } from "./session/session.js";
import { devicePaths, openStore, type DevicePaths } from "./store.js";
import { SystemdService } from "./systemd/index.js";
import { SOFTWARE_VERSION } from "./version.js";

/** How often the free space is checked while recording. */
const SPACE_CHECK_MS = 2000;

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

export class Daemon {
  readonly bootId = randomUUID();
  private readonly startedAt: Date;
  private stateTimer: NodeJS.Timeout | null = null;
  private spaceTimer: NodeJS.Timeout | null = null;
  private checkingSpace = false;
  private stopWatchingButton: (() => void) | null = null;
  private stopWatchingCamera: (() => void) | null = null;
  private publishing: Promise<void> | null = null;
  private publishAgain = false;
  private stopped = false;
  /** READY=1, STATUS= lines and watchdog pings, when systemd runs the daemon (`Type=notify`). */
  private systemd: SystemdService | null = null;
  /** The encoder the recorder would use now (found at start, so the first press is quick). */
  encoder: string | null = null;
  /** The simulated box's front panel (demo only). */
  panel: SimPanel | null = null;
  /** Recordings being uploaded now: protected like those the config lists. */
  private readonly uploading = new Set<string>();

  private constructor(
    readonly settings: DeviceSettings,
    readonly logger: Logger,
    readonly now: () => Date,
    readonly paths: DevicePaths,
    readonly hardware: Hardware,
    readonly db: Database,
    readonly lamp: Lamp,
    readonly index: BufferIndex,
    readonly janitor: Janitor,
    readonly config: ConfigCache,
    readonly outbox: Outbox,
    readonly link: Link,
    readonly session: Session,
    readonly buttons: PressDetector,
  ) {
    this.startedAt = now();
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { settings } = options;
    const logger = options.logger;
    const now = options.now ?? (() => new Date());

    // 1. before anything else: no capture from an earlier run may survive
    const killed = await killStrayCaptures(devicePaths(settings.dataDir).buffer, logger);
    if (killed.length > 0) {
      logger.warn({ pids: killed }, "killed capture processes left by an earlier run");
    }
    const { db, paths } = await openStore(settings.dataDir);

    // 2. hardware: a missing part is a start-up error naming it
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

    let session: Session | null = null;
    const lamp = new Lamp(hardware.lamp, {
      logger: logger.child({ part: "lamp" }),
      onFault: (fault) => session?.lampFault(fault),
    });
    await lamp.darken();
    const lampAtStart = lamp.mode;

    // 3. the buffer as the last run left it, and the last good config
    const index = new BufferIndex(db, paths.buffer, now);
    const recovery = await index.recover();
    if (recovery.recordings.length > 0) {
      logger.warn(
        { recovered: recovery.recordings },
        "closed recordings left open by an earlier run",
      );
    }
    const config = new ConfigCache(paths.config);
    const cached = config.load();
    if (cached.problem !== null) {
      logger.error(
        { problem: cached.problem },
        "the cached config is damaged; waiting for a new one",
      );
    }
    const outbox = new Outbox(db);

    let daemon: Daemon | null = null;
    const janitor = new Janitor({
      index,
      db,
      bufferDir: paths.buffer,
      reserveBytes: settings.storage.reserveBytes,
      janitorSeconds: settings.storage.janitorSeconds,
      now,
      logger,
      // no config yet: holds are unknown, so the janitor deletes nothing
      protection: () => daemon?.protection() ?? null,
    });
    const changed = () => daemon?.changed();
    const running = (): Daemon => {
      if (daemon === null) throw new Error("the daemon is still starting");
      return daemon;
    };

    const retirement = new Retirement({
      deviceId: settings.deviceId,
      paths,
      db,
      outbox,
      logger,
      now,
      box: running,
    });
    const link = new Link({
      deviceId: settings.deviceId,
      secret: settings.secret,
      mqttUrl: settings.controller.mqttUrl,
      caFile: settings.controller.caFile,
      outbox,
      config,
      logger,
      now,
      ackTimeoutMs: options.link?.ackTimeoutMs,
      reconnectMs: options.link?.reconnectMs,
      handlers: {
        ping: () => Promise.resolve({ at: now().toISOString() }),
        "delete-recording": (args) => running().deleteRecording(args.recordingId),
        "upload-recording": (args) => running().uploadRecording(args),
        retire: () => retirement.retire(),
        "self-test": (args) => running().selfTest(args),
      },
      onConfigApplied: (version) => {
        void outbox.raise("config.applied", { version }, now()).then(changed);
        void janitor.run("config");
      },
      onConfigRejected: (version, reason) => {
        void outbox
          .raise("config.rejected", { version, reason: reason.slice(0, 2000) }, now())
          .then(changed);
      },
    });

    session = new Session({
      settings,
      lamp,
      camera: hardware.camera,
      microphone: hardware.microphone,
      outbox,
      index,
      janitor,
      config,
      runDir: paths.run,
      logger,
      now,
      changed,
      onCaptureStarted: options.onCaptureStarted,
      onCaptureEnded: options.onCaptureEnded,
    });
    const buttons = new PressDetector({
      debounceMs: settings.hardware.button.debounceMs,
      longPressMs: settings.hardware.button.longPressMs,
      onPress: (press) => void session.press(press),
    });

    daemon = new Daemon(
      settings,
      logger,
      now,
      paths,
      hardware,
      db,
      lamp,
      index,
      janitor,
      config,
      outbox,
      link,
      session,
      buttons,
    );
    const started = daemon;
    lamp.onModeChange(() => started.changed());
    // a retired box (link/retire.ts) finishes its wipe, shows the error pattern and records nothing
    if (await retirement.resume()) {
      started.systemd = SystemdService.start(started);
      return started;
    }
    started.stopWatchingButton = hardware.button.watch((pressed) => buttons.edge(pressed));
    started.stopWatchingCamera = hardware.camera.watch((present, detail) =>
      session.cameraChanged(present, detail),
    );
    await outbox.raise(
      "device.started",
      { software: SOFTWARE_VERSION, bootId: started.bootId },
      now(),
    );
    if (lampAtStart === "error") {
      // the lamp could not be driven off or read back at start: say so, nothing may record
      await outbox.raise(
        "lamp.fault",
        { expected: "off", observed: null, detail: "the lamp could not be driven off at start-up" },
        now(),
      );
    }
    if (settings.demo !== undefined) {
      if (!(hardware.lamp instanceof SimLamp)) {
        throw new Error("the demo panel needs the sim hardware backend");
      }
      started.panel = await SimPanel.start({
        host: settings.demo.host,
        port: settings.demo.port,
        lamp: hardware.lamp,
        mode: () => lamp.mode,
        onModeChange: (listener) => lamp.onModeChange(listener),
        press: (press) => session.press(press),
      });
    }
    // find the camera and probe the encoders now, not at the first press; the state says which encoder
    const probeEncoder = () =>
      chooseEncoder(settings.recorder, hardware.camera, {
        masks: config.current?.masks ?? [],
      }).then(
        (choice) => {
          started.encoder = choice.name;
          logger.info({ encoder: choice.name, why: choice.why }, "encoder chosen");
          started.changed();
        },
        (error: unknown) =>
          logger.error({ err: error }, "no usable encoder: recording will be refused"),
      );
    void hardware.camera
      .check()
      .then(
        () => logger.info({ camera: hardware.camera.description }, "camera ready"),
        (error: unknown) =>
          logger.warn({ err: error }, "camera not ready: recording is refused until it is"),
      )
      .then(probeEncoder);
    janitor.start();
    link.start();
    started.stateTimer = setInterval(() => started.changed(), options.stateIntervalMs ?? 30_000);
    started.stateTimer.unref();
    started.spaceTimer = setInterval(() => void started.watchSpace(), SPACE_CHECK_MS);
    started.spaceTimer.unref();
    started.changed();
    logger.info(
      {
        deviceId: settings.deviceId,
        backend: hardware.backend,
        camera: hardware.camera.description,
      },
      "classroom daemon started",
    );
    started.systemd = SystemdService.start(started);
    return started;
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
      lamp: this.lamp.mode,
      recording: this.session.recording,
      configVersion: this.config.current?.version ?? null,
      encoder: this.session.encoder ?? this.encoder,
      storage,
      health: await healthFigures(this.startedAt, this.now(), written?.value ?? 0),
      outboxDepth,
    };
  }

  /** Events were raised or the state changed: send them, republish the state. */
  changed(): void {
    if (this.stopped) return;
    this.link.notify();
    if (this.publishing !== null) {
      this.publishAgain = true;
      return;
    }
    this.publishing = this.state()
      .then((state) => this.link.publishState(state))
      .catch((error: unknown) => this.logger.warn({ err: error }, "could not publish the state"))
      .finally(() => {
        this.publishing = null;
        if (this.publishAgain) {
          this.publishAgain = false;
          this.changed();
        }
      });
  }

  /**
   * While recording, the free space is looked at every few seconds: below the
   * floor the janitor makes room (unprotected footage, oldest first), and if it
   * cannot, the recording stops (reason disk-full) before ffmpeg runs dry.
   */
  private async watchSpace(): Promise<void> {
    if (this.session.phase !== "recording" || this.checkingSpace) return;
    this.checkingSpace = true;
    try {
      const floor = Math.min(this.settings.storage.reserveBytes / 4, 64 * 1024 * 1024);
      const { freeBytes } = await readStatfs(this.paths.buffer);
      if (freeBytes >= floor) return;
      const report = await this.janitor.run("low-space");
      const after = report.storage?.freeBytes ?? freeBytes;
      if (after < floor) {
        this.logger.warn({ freeBytes: after, floor }, "the disk is full: stopping the recording");
        this.session.diskFull();
      }
    } catch (error) {
      this.logger.error({ err: error }, "could not check the free space");
    } finally {
      this.checkingSpace = false;
    }
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
        dir: row.dir,
        caFile: this.settings.controller.caFile,
      });
      log.info(result, "uploaded");
      return { recordingId: args.recordingId, ...result };
    } finally {
      this.uploading.delete(args.recordingId);
    }
  }

  /** Stops in reverse order: the recording, the janitor, the link, the lamp, the hardware, the database. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.systemd?.stopping();
    this.stopWatchingButton?.();
    this.stopWatchingCamera?.();
    this.buttons.close();
    await this.session.close();
    this.stopped = true;
    if (this.stateTimer !== null) clearInterval(this.stateTimer);
    if (this.spaceTimer !== null) clearInterval(this.spaceTimer);
    await this.panel?.close();
    await this.janitor.stop();
    await this.publishing;
    await this.link.stop();
    await this.lamp.close();
    await this.hardware.close();
    await this.db.close();
    await this.systemd?.close();
    this.logger.info("classroom daemon stopped");
  }
}
