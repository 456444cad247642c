/**
 * The daemon as a systemd service (`Type=notify`, `WatchdogSec=`): READY=1
 * once it has started, STATUS= lines with what the box is doing, WATCHDOG=1
 * pings while it is healthy, STOPPING=1 when it stops. Healthy means: the
 * main loop runs (the pings come from its timer), the database answers (a
 * cheap query on device.db each look), and while recording, a new segment
 * has closed within a few segment lengths (else the capture or the recorder
 * is stuck). Nothing happens without `NOTIFY_SOCKET` (the daemon run by hand
 * or in the tests).
 */
import type { Logger } from "pino";
import type { BufferIndex } from "../buffer/index.js";
import type { Lamp } from "../hw/lamp.js";
import type { Link } from "../link/link.js";
import type { Outbox } from "../link/outbox.js";
import type { Session } from "../session/session.js";
import { NotifySocket, watchdogPingMs, type Notifier } from "./notify.js";
import { Watchdog, type Examination } from "./watchdog.js";

export { NotifySocket, formatNotification, parseNotifySocket, watchdogPingMs } from "./notify.js";
export type { Notification, Notifier, NotifyAddress } from "./notify.js";
export { Watchdog, type Examination, type WatchdogOptions } from "./watchdog.js";

/** The parts of the daemon the health check looks at. */
export interface WatchedDaemon {
  readonly settings: { recorder: { segmentSeconds: number } };
  readonly logger: Logger;
  readonly session: Pick<Session, "phase" | "recording">;
  readonly index: Pick<BufferIndex, "get">;
  readonly outbox: Pick<Outbox, "depth">;
  readonly lamp: Pick<Lamp, "mode">;
  readonly link: Pick<Link, "connected">;
}

/**
 * How long a recording may go without a new closed segment before the
 * recorder counts as stuck: three segment lengths, and time for ffmpeg to
 * open the camera and write the first one.
 */
export function recorderStallLimitMs(segmentSeconds: number): number {
  return (3 * segmentSeconds + 10) * 1000;
}

/** Looks at the daemon: the database answers, the recording makes progress. */
export class DaemonHealth {
  private progress: { recordingId: string; segments: number; at: number } | null = null;

  constructor(
    private readonly daemon: WatchedDaemon,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async examine(): Promise<Examination> {
    const { daemon } = this;
    const recording = daemon.session.recording;
    // both queries go through the database's worker threads: a hung disk or pool shows here
    const [waiting, row] = await Promise.all([
      daemon.outbox.depth(),
      recording === null ? Promise.resolve(undefined) : daemon.index.get(recording.recordingId),
    ]);
    const link = daemon.link.connected ? "controller connected" : "controller offline";
    const events = `${waiting} event${waiting === 1 ? "" : "s"} waiting`;
    const lamp = `lamp ${daemon.lamp.mode}`;
    if (recording === null || daemon.session.phase !== "recording") {
      this.progress = null;
      // the lamp is lit before the capture starts and goes dark after it has ended
      const lit = daemon.lamp.mode === "recording" || daemon.lamp.mode === "video-only";
      const doing = lit ? "Starting or stopping a recording" : "Idle";
      return { problem: null, status: `${doing}: ${lamp}; ${link}; ${events}` };
    }
    const segments = row?.segments ?? 0;
    const now = this.clock();
    const { recordingId } = recording;
    if (
      this.progress === null ||
      this.progress.recordingId !== recordingId ||
      this.progress.segments !== segments
    ) {
      this.progress = { recordingId, segments, at: now };
    }
    const status =
      `Recording ${recordingId}: ${segments} segment${segments === 1 ? "" : "s"}; ` +
      `${lamp}; ${link}; ${events}`;
    const limitMs = recorderStallLimitMs(daemon.settings.recorder.segmentSeconds);
    const quietMs = now - this.progress.at;
    if (quietMs > limitMs) {
      return {
        problem:
          `the recorder is stuck: no segment of recording ${recordingId} has closed for ` +
          `${Math.round(quietMs / 1000)} s (limit ${Math.round(limitMs / 1000)} s)`,
        status,
      };
    }
    return { problem: null, status };
  }
}

/** The daemon's conversation with systemd; `start` gives null when systemd does not listen. */
export class SystemdService {
  private constructor(
    private readonly notifier: Notifier,
    private readonly watchdog: Watchdog,
  ) {}

  /**
   * READY=1 now (call it once the daemon has fully started), then looks and
   * pings. Null without `NOTIFY_SOCKET`. The notify variables are taken out of
   * `env` so the daemon's children do not inherit them.
   */
  static start(daemon: WatchedDaemon, env: NodeJS.ProcessEnv = process.env): SystemdService | null {
    const logger = daemon.logger;
    let pingMs: number | null;
    try {
      pingMs = watchdogPingMs(env);
    } catch (error) {
      logger.error({ part: "systemd", err: error }, "ignoring the watchdog settings");
      pingMs = null;
    }
    delete env.WATCHDOG_USEC;
    delete env.WATCHDOG_PID;
    const notifier = NotifySocket.fromEnvironment(env, logger, { unset: true });
    if (notifier === null) return null;
    const health = new DaemonHealth(daemon);
    const watchdog = new Watchdog({
      notifier,
      pingMs,
      examine: () => health.examine(),
      logger,
    });
    watchdog.start(`Started: lamp ${daemon.lamp.mode}`);
    logger.info(
      { part: "systemd", watchdogPingMs: pingMs },
      pingMs === null
        ? "told systemd the daemon is ready"
        : "told systemd the daemon is ready; pinging its watchdog",
    );
    return new SystemdService(notifier, watchdog);
  }

  /** STOPPING=1: the daemon is shutting down; no more pings. */
  stopping(): void {
    this.watchdog.stopping();
  }

  /** After the daemon stopped: the forwarder sends what is left and ends. */
  async close(): Promise<void> {
    this.watchdog.stopping();
    await this.notifier.close();
  }
}
