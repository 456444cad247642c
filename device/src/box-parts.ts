/**
 * The parts the daemon starts in order (and stops in reverse): the lamp
 * interlock, the buffer, the retirement check, the start-up report, the
 * janitor, the MQTT link, the state report, the controls (button, camera,
 * microphone → session), the demo panel, the encoder probe and the watch on
 * the free space. Each constructor only stores what the part needs.
 */
import type { Logger } from "pino";
import type { DeviceState } from "@classcam/protocol";
import type { DeviceSettings } from "./config.js";
import type { EventBus } from "./bus.js";
import type { BufferIndex } from "./buffer/index.js";
import type { Janitor } from "./buffer/janitor.js";
import { readStatfs } from "./buffer/health.js";
import type { Lamp } from "./hw/lamp.js";
import type { PressDetector } from "./hw/press.js";
import type { Hardware } from "./hw/types.js";
import { openDemoPanel, type DemoPanel } from "./hw/index.js";
import type { ConfigCache } from "./link/config-cache.js";
import type { Link } from "./link/link.js";
import type { Outbox } from "./link/outbox.js";
import type { Retirement } from "./link/retire.js";
import { chooseEncoder } from "./recorder/index.js";
import type { Session } from "./session/session.js";
import type { Part } from "./parts.js";

/** How often the free space is checked while recording. */
export const SPACE_CHECK_MS = 2000;

/** The lamp driven off and read back before anything else may use it; dark again at the end. */
export class LampPart implements Part {
  readonly name = "lamp interlock";
  readonly essential = true;
  /** The lamp's mode once driven off at start ("error" when it could not be). */
  modeAtStart: Lamp["mode"] = "off";

  constructor(
    private readonly lamp: Lamp,
    private readonly bus: EventBus,
  ) {}

  async start(): Promise<void> {
    this.lamp.onModeChange((mode) => this.bus.emit("lamp.mode", mode));
    await this.lamp.darken();
    this.modeAtStart = this.lamp.mode;
  }

  stop(): Promise<void> {
    return this.lamp.close();
  }
}

/** The buffer as the last run left it (open recordings closed), and the last good config. */
export class BufferPart implements Part {
  readonly name = "buffer";

  constructor(
    private readonly index: BufferIndex,
    private readonly config: ConfigCache,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const recovery = await this.index.recover();
    if (recovery.recordings.length > 0) {
      this.logger.warn(
        { recovered: recovery.recordings },
        "closed recordings left open by an earlier run",
      );
    }
    const cached = this.config.load();
    if (cached.problem !== null) {
      this.logger.error(
        { problem: cached.problem },
        "the cached config is damaged; waiting for a new one",
      );
    }
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** A retired box (link/retire.ts) finishes its wipe, shows the error pattern and records nothing. */
export class RetirementPart implements Part {
  readonly name = "retirement";
  retired = false;

  constructor(
    private readonly retirement: Retirement,
    private readonly link: Link,
  ) {}

  async start(): Promise<void> {
    this.retired = await this.retirement.resume();
  }

  async stop(): Promise<void> {
    // a retired box runs its link to report; the link part never started
    if (this.retired) await this.link.stop();
  }
}

/** `device.started`, and a lamp that could not be driven off at start said so. */
export class AnnouncePart implements Part {
  readonly name = "start-up report";

  constructor(
    private readonly outbox: Outbox,
    private readonly lamp: LampPart,
    private readonly started: { software: string; bootId: string },
    private readonly now: () => Date,
  ) {}

  async start(): Promise<void> {
    await this.outbox.raise("device.started", this.started, this.now());
    if (this.lamp.modeAtStart === "error") {
      // the lamp could not be driven off or read back at start: say so, nothing may record
      await this.outbox.raise(
        "lamp.fault",
        { expected: "off", observed: null, detail: "the lamp could not be driven off at start-up" },
        this.now(),
      );
    }
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** The janitor's own loop (retention and space), and its pass when a new config applies. */
export class JanitorPart implements Part {
  readonly name = "janitor";
  private off: (() => void) | null = null;

  constructor(
    private readonly janitor: Janitor,
    private readonly bus: EventBus,
  ) {}

  start(): Promise<void> {
    this.off = this.bus.on("config.applied", () => this.janitor.run("config").then(() => {}));
    this.janitor.start();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.off?.();
    await this.janitor.stop();
  }
}

/** The MQTT link to the controller. */
export class LinkPart implements Part {
  readonly name = "link";

  constructor(private readonly link: Link) {}

  start(): Promise<void> {
    this.link.start();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return this.link.stop();
  }
}

/**
 * The state report: republished (and waiting events sent) on every `changed`
 * on the bus, and every `intervalMs` with fresh storage and health figures.
 * Publishes one at a time; a change during a publish is published after it.
 */
export class StateReport implements Part {
  readonly name = "state report";
  private timer: NodeJS.Timeout | null = null;
  private publishing: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly o: {
      bus: EventBus;
      link: Link;
      state: () => Promise<DeviceState>;
      intervalMs: number;
      logger: Logger;
    },
  ) {}

  start(): Promise<void> {
    this.offs.push(
      this.o.bus.on("changed", () => this.changed()),
      this.o.bus.on("lamp.mode", () => this.changed()),
    );
    this.timer = setInterval(() => this.changed(), this.o.intervalMs);
    this.timer.unref();
    this.changed();
    return Promise.resolve();
  }

  changed(): void {
    if (this.stopped) return;
    this.o.link.notify();
    if (this.publishing !== null) {
      this.again = true;
      return;
    }
    this.publishing = this.o
      .state()
      .then((state) => this.o.link.publishState(state))
      .catch((error: unknown) => this.o.logger.warn({ err: error }, "could not publish the state"))
      .finally(() => {
        this.publishing = null;
        if (this.again) {
          this.again = false;
          this.changed();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    if (this.timer !== null) clearInterval(this.timer);
    await this.publishing;
  }
}

/** The button, camera and microphone, wired to the session; at stop the recording is closed. */
export class ControlsPart implements Part {
  readonly name = "controls";
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly o: {
      hardware: Hardware;
      buttons: PressDetector;
      session: Session;
      bus: EventBus;
    },
  ) {}

  start(): Promise<void> {
    const { hardware, buttons, session, bus } = this.o;
    this.offs.push(
      bus.on("press", (press) => session.press(press)),
      bus.on("lamp.fault", (fault) => session.lampFault(fault)),
      bus.on("camera.changed", ({ present, detail }) => session.cameraChanged(present, detail)),
      bus.on("microphone.changed", ({ present, detail }) =>
        session.microphoneChanged(present, detail),
      ),
      hardware.button.watch((pressed) => buttons.edge(pressed)),
      hardware.camera.watch((present, detail) => bus.emit("camera.changed", { present, detail })),
      hardware.microphone.watch((present, detail) =>
        bus.emit("microphone.changed", { present, detail }),
      ),
    );
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    this.o.buttons.close();
    await this.o.session.close();
  }
}

/** The simulated box's front panel over HTTP (demo only). */
export class PanelPart implements Part {
  readonly name = "demo panel";
  panel: DemoPanel | null = null;

  constructor(
    private readonly o: {
      demo: NonNullable<DeviceSettings["demo"]>;
      hardware: Hardware;
      lamp: Lamp;
      session: Session;
    },
  ) {}

  async start(): Promise<void> {
    const { demo, hardware, lamp, session } = this.o;
    this.panel = await openDemoPanel({
      hardware,
      host: demo.host,
      port: demo.port,
      lamp,
      press: (press) => session.press(press),
    });
  }

  async stop(): Promise<void> {
    await this.panel?.close();
  }
}

/** The camera found and the encoders probed now, not at the first press; the state says which. */
export class EncoderProbe implements Part {
  readonly name = "encoder probe";
  encoder: string | null = null;

  constructor(
    private readonly o: {
      settings: DeviceSettings;
      hardware: Hardware;
      config: ConfigCache;
      bus: EventBus;
      logger: Logger;
    },
  ) {}

  start(): Promise<void> {
    const { settings, hardware, config, bus, logger } = this.o;
    const probe = () =>
      chooseEncoder(settings.recorder, hardware.camera, {
        masks: config.current?.masks ?? [],
      }).then(
        (choice) => {
          this.encoder = choice.name;
          logger.info({ encoder: choice.name, why: choice.why }, "encoder chosen");
          bus.emit("changed", null);
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
      .then(probe);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * While recording, the free space is looked at every few seconds: below the
 * floor the janitor makes room (unprotected footage, oldest first), and if it
 * cannot, the recording stops (reason disk-full) before ffmpeg runs dry.
 */
export class SpaceWatch implements Part {
  readonly name = "space watch";
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    private readonly o: {
      settings: DeviceSettings;
      bufferDir: string;
      janitor: Janitor;
      session: Session;
      logger: Logger;
    },
  ) {}

  start(): Promise<void> {
    this.timer = setInterval(() => void this.check(), SPACE_CHECK_MS);
    this.timer.unref();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    return Promise.resolve();
  }

  private async check(): Promise<void> {
    const { settings, bufferDir, janitor, session, logger } = this.o;
    if (session.phase !== "recording" || this.checking) return;
    this.checking = true;
    try {
      const floor = Math.min(settings.storage.reserveBytes / 4, 64 * 1024 * 1024);
      const { freeBytes } = await readStatfs(bufferDir);
      if (freeBytes >= floor) return;
      const report = await janitor.run("low-space");
      const after = report.storage?.freeBytes ?? freeBytes;
      if (after < floor) {
        logger.warn({ freeBytes: after, floor }, "the disk is full: stopping the recording");
        session.diskFull();
      }
    } catch (error) {
      logger.error({ err: error }, "could not check the free space");
    } finally {
      this.checking = false;
    }
  }
}
