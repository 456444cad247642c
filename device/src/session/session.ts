/**
 * The recording state machine: button → booking check against the cached
 * schedule → room on disk → camera (and microphone) there → lamp ON and read
 * back → capture starts. It stops at the button, at the booking's end, on
 * camera loss, on a lamp fault, on a full disk and at shutdown.
 *
 * The interlock: a capture is started only after `Lamp.light()` resolved (the
 * lamp was driven on and read back on), and the lamp goes dark only after the
 * capture process has exited. A lamp fault kills the capture at once.
 *
 * Every step runs one at a time through a queue, so presses that arrive while
 * a recording starts or stops are handled in order, never interleaved.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { recordingMasks, type DeviceState, type EventData } from "@classcam/protocol";
import type { DeviceSettings } from "../config.js";
import type { BufferIndex, RecordingStopReason } from "../buffer/index.js";
import type { Janitor } from "../buffer/janitor.js";
import {
  HardwareMissing,
  type Camera,
  type CameraSelfTest,
  type CameraShot,
  type Microphone,
} from "../hw/types.js";
import { LampFault, type Lamp, type LampFaultDetail, type LitMode } from "../hw/lamp.js";
import type { Press } from "../hw/press.js";
import type { ConfigCache } from "../link/config-cache.js";
import { raiseEvent, type Outbox } from "../link/outbox.js";
import { Capture, chooseEncoder, type CaptureEnd, type EncoderChoice } from "../recorder/index.js";
import { contentKeyFor } from "../recorder/content-key.js";
import { roomPicture } from "../recorder/still.js";
import { decideBooking } from "./booking.js";

type RefusalReason = EventData<"recording.refused">["reason"];

/** A self-test's answer, with the room's picture when it was asked for. */
export type RoomSelfTest = CameraSelfTest & { picture?: string };

interface Recording {
  recordingId: string;
  bookingId: string | null;
  startedAt: Date;
  audio: boolean;
  encoder: EncoderChoice;
  capture: Capture;
  endTimer: NodeJS.Timeout;
  /** Set once a stop is under way, with its reason. */
  stopping: RecordingStopReason | null;
}

export interface SessionOptions {
  settings: DeviceSettings;
  lamp: Lamp;
  camera: Camera;
  microphone: Microphone;
  /** Events that stand alone; those that go with a buffer change commit with it. */
  outbox: Outbox;
  index: BufferIndex;
  janitor: Janitor;
  config: ConfigCache;
  runDir: string;
  logger: Logger;
  now: () => Date;
  /** Something changed that the controller should hear (events raised, state changed). */
  changed: () => void;
  /** Says the spoken notice once the lamp is lit (issue 20 §2); never rejects. */
  notice?: { announce(): Promise<void> };
  /** Test hooks: the capture process appeared / is gone. */
  onCaptureStarted?: (pid: number) => void;
  onCaptureEnded?: (pid: number, end: CaptureEnd) => void;
}

export type SessionPhase = "idle" | "recording";

export class Session {
  private active: Recording | null = null;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private lastRecordingId: string | null = null;
  /** Why nothing may record (an essential part failed to start); null when the box is sound. */
  private forbidden: string | null = null;
  private readonly log: Logger;
  /** Counts for the tests and the benchmark. */
  readonly stats = { started: 0, refused: 0, stopped: 0, lampFaults: 0 };

  constructor(private readonly o: SessionOptions) {
    this.log = o.logger.child({ part: "session" });
  }

  get phase(): SessionPhase {
    return this.active === null ? "idle" : "recording";
  }

  /** The recording in progress, as the state report shows it. */
  get recording(): DeviceState["recording"] {
    const r = this.active;
    if (r === null) return null;
    return {
      recordingId: r.recordingId,
      bookingId: r.bookingId,
      startedAt: r.startedAt.toISOString(),
      audio: r.audio,
    };
  }

  get encoder(): string | null {
    return this.active?.encoder.name ?? null;
  }

  /** A press of the record button. */
  press(press: Press): Promise<void> {
    return this.enqueue(async () => {
      if (press === "long") {
        await this.askToKeep();
      } else if (this.active === null) {
        await this.start();
      } else {
        await this.stop("button");
      }
    });
  }

  /**
   * A part the box cannot be safe without (the lamp interlock) did not start:
   * from now on every press is refused, with `detail` as the reason.
   */
  forbid(detail: string): void {
    this.forbidden = detail;
    this.log.error({ detail }, "recording forbidden until the daemon restarts");
  }

  /** Stops the recording in progress (if any) for `reason`. */
  stopRecording(reason: RecordingStopReason): Promise<void> {
    return this.enqueue(() => this.stop(reason));
  }

  /**
   * The lamp stopped showing what it should while lit: the capture is killed
   * at once (not queued behind anything), then the recording is closed.
   */
  lampFault(fault: LampFaultDetail): void {
    this.stats.lampFaults += 1;
    this.log.error(fault, "lamp fault");
    const r = this.active;
    if (r !== null && r.stopping === null) {
      r.stopping = "lamp-fault";
      void r.capture.kill();
    }
    void this.enqueue(async () => {
      await this.o.outbox.raise("lamp.fault", fault, this.o.now());
      this.o.changed();
      if (this.active !== null) await this.stop("lamp-fault");
    });
  }

  /** The camera went away or came back. */
  cameraChanged(present: boolean, detail: string): void {
    void this.enqueue(async () => {
      const at = this.o.now();
      await this.o.outbox.raise(present ? "camera.restored" : "camera.lost", { detail }, at);
      this.o.changed();
      if (!present && this.active !== null) await this.stop("camera-lost");
    });
  }

  /** The microphone went away or came back: a recording with sound stops when it goes. */
  microphoneChanged(present: boolean, detail: string): void {
    void this.enqueue(async () => {
      const at = this.o.now();
      await this.o.outbox.raise(
        present ? "microphone.restored" : "microphone.lost",
        { detail },
        at,
      );
      this.o.changed();
      if (!present && this.active?.audio === true) await this.stop("microphone-lost");
    });
  }

  /**
   * One frame from the camera to show it works (asked for by IT), or to give
   * a picture of the room to draw privacy masks on (`picture`). The lamp is
   * lit (video-only) and read back before the frame is taken and goes dark
   * after; a lamp that faults meanwhile discards the frame. Refused while
   * recording, and rejected with the reason when it cannot be done. The
   * picture (a JPEG, base64, the masks in force burned in) is made in memory
   * after the lamp is dark, outside the session's queue so a press of the
   * button is not kept waiting.
   */
  async selfTest(options: { picture?: boolean } = {}): Promise<RoomSelfTest> {
    const masks = this.o.config.current?.masks ?? [];
    const { frame, ...result } = await this.takeTestFrame();
    if (options.picture !== true) return result;
    if (frame === null) throw new Error("the camera gave no frame to make a picture of");
    const picture = await roomPicture(frame, { masks, ffmpeg: this.o.settings.recorder.ffmpeg });
    this.log.info({ bytes: picture.length, masks: masks.length }, "room picture given");
    return { ...result, picture: picture.toString("base64") };
  }

  private takeTestFrame(): Promise<CameraShot> {
    return this.enqueueResult(async () => {
      if (this.active !== null) {
        throw new Error("the box is recording; try the self-test when the recording has ended");
      }
      await this.o.camera.check();
      const faultsBefore = this.stats.lampFaults;
      const fault = await this.lightOrFault("video-only");
      if (fault !== null) {
        this.o.lamp.showFault();
        this.o.changed();
        throw new Error(`the lamp could not be lit (${fault.detail}); no frame was taken`);
      }
      try {
        const result = await this.o.camera.selfTest();
        if (this.stats.lampFaults !== faultsBefore) {
          throw new Error("the lamp failed while the frame was taken; the frame was discarded");
        }
        this.log.info({ ok: result.ok, detail: result.detail }, "camera self-test");
        return result;
      } finally {
        if (this.stats.lampFaults === faultsBefore) await this.o.lamp.darken();
        else this.o.lamp.showFault();
      }
    });
  }

  /** The janitor found the disk full of protected footage. */
  diskFull(): void {
    void this.enqueue(async () => {
      if (this.active !== null) await this.stop("disk-full");
    });
  }

  /** Stops any recording (reason `shutdown`) and refuses new ones. */
  async close(): Promise<void> {
    await this.enqueue(async () => {
      if (this.active !== null) await this.stop("shutdown");
    });
    this.closed = true;
  }

  /**
   * Lights the lamp in `mode` (driven and read back); on failure raises
   * `lamp.fault` and returns what went wrong, and nothing may capture.
   */
  private async lightOrFault(mode: LitMode): Promise<LampFaultDetail | null> {
    try {
      await this.o.lamp.light(mode);
      return null;
    } catch (error) {
      const fault: LampFaultDetail =
        error instanceof LampFault
          ? error.fault
          : { expected: "on", observed: null, detail: (error as Error).message };
      this.stats.lampFaults += 1;
      await this.o.outbox.raise("lamp.fault", fault, this.o.now());
      return fault;
    }
  }

  /** Like `enqueue`, but the step's result or error reaches the caller. */
  private enqueueResult<T>(step: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the daemon is stopping"));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      void this.enqueue(async () => {
        try {
          resolve(await step());
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        } finally {
          settled = true;
        }
      }).then(() => {
        if (!settled) reject(new Error("the daemon is stopping"));
      });
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = async () => {
      if (this.closed) return;
      try {
        await step();
      } catch (error) {
        this.log.error({ err: error }, "session step failed");
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result;
    return result;
  }

  private async start(): Promise<void> {
    if (this.forbidden !== null) {
      await this.refuse("lamp-fault", null, this.forbidden, false);
      return;
    }
    const now = this.o.now();
    const decision = decideBooking(this.o.config.current, now);
    if (!decision.allowed) {
      await this.refuse("no-booking", null, decision.detail);
      return;
    }
    const bookingId = decision.booking?.bookingId ?? null;
    const room = await this.o.janitor.mayRecordQuickly();
    if (!room.ok) {
      await this.refuse("storage-full", bookingId, room.refusal ?? "no room for new footage");
      return;
    }
    try {
      await this.o.camera.check();
      if (decision.audio) await this.o.microphone.check();
    } catch (error) {
      const reason =
        error instanceof HardwareMissing && error.part === "microphone"
          ? "microphone-missing"
          : "camera-missing";
      await this.refuse(reason, bookingId, (error as Error).message);
      return;
    }
    // the room's masks and the booking's own: a booking they cannot all be burned into is not recorded
    const masking = recordingMasks(
      this.o.config.current?.masks ?? [],
      decision.booking,
      this.o.config.unmaskable,
    );
    if (!masking.ok) {
      await this.refuse("masks-unusable", bookingId, masking.detail);
      return;
    }
    const masks = masking.masks;
    let encoder: EncoderChoice;
    try {
      encoder = await chooseEncoder(this.o.settings.recorder, this.o.camera, { masks });
    } catch (error) {
      this.log.error({ err: error }, "no usable encoder");
      await this.refuse("camera-missing", bookingId, (error as Error).message);
      return;
    }

    // the interlock: lamp ON and read back ON before any capture device is opened
    const fault = await this.lightOrFault(decision.audio ? "recording" : "video-only");
    if (fault !== null) {
      await this.refuse("lamp-fault", bookingId, fault.detail, false);
      return;
    }
    // the lamp is lit: tell the room, as capture starts; never waited for, never blocks it
    void this.o.notice?.announce();

    const recordingId = randomUUID();
    const startedAt = this.o.now();
    // sealed before the first segment is written: the card never holds an open key
    const sealing = contentKeyFor(this.o.settings, recordingId);
    let capture: Capture;
    try {
      const dir = await this.o.index.beginRecording({
        recordingId,
        bookingId,
        startedAt,
        audio: decision.audio,
        encoder: encoder.name,
        sealedKey: sealing?.sealedKey ?? null,
        // the event commits with the row: a crash cannot leave one without the other
        alsoInTransaction: (tx) =>
          raiseEvent(
            tx,
            "recording.started",
            { recordingId, bookingId, audio: decision.audio, encoder: encoder.name },
            startedAt,
          ),
      });
      capture = await Capture.start({
        dir,
        camera: this.o.camera,
        microphone: decision.audio ? this.o.microphone : null,
        masks,
        encoder,
        settings: this.o.settings.recorder,
        runDir: this.o.runDir,
        encryption: sealing?.encryption,
        logger: this.o.logger,
        onSegment: (segment) =>
          this.o.index.addSegment(recordingId, { ...segment, closedAt: this.o.now() }),
      });
    } catch (error) {
      this.log.error({ err: error }, "the capture could not start");
      await this.o.lamp.darken();
      if (await this.o.index.get(recordingId)) {
        await this.o.index.endRecording(recordingId, { endedAt: this.o.now(), reason: "error" });
      }
      this.o.changed();
      return;
    }
    this.o.onCaptureStarted?.(capture.pid);
    const delay = Math.max(0, decision.endsAt.getTime() - this.o.now().getTime());
    const recording: Recording = {
      recordingId,
      bookingId,
      startedAt,
      audio: decision.audio,
      encoder,
      capture,
      endTimer: setTimeout(() => void this.stopRecording("booking-ended"), delay),
      stopping: null,
    };
    this.active = recording;
    this.lastRecordingId = recordingId;
    this.stats.started += 1;
    this.log.info(
      { recordingId, bookingId, audio: decision.audio, encoder: encoder.name },
      "recording started",
    );
    this.o.changed();
    // a capture that ends by itself (camera unplugged, ffmpeg failed, disk full)
    void capture.ended.then((end) => {
      if (this.active === recording && recording.stopping === null) {
        void this.enqueue(async () => {
          if (this.active !== recording || recording.stopping !== null) return;
          await this.stop(await this.classify(end, recording.audio));
        });
      }
    });
    // a lamp fault between light() and here: the monitor reported it, but be sure
    if (!this.o.lamp.lit && recording.stopping === null) {
      recording.stopping = "lamp-fault";
      void capture.kill();
    }
  }

  private async classify(end: CaptureEnd, audio: boolean): Promise<RecordingStopReason> {
    if (/No space left on device/i.test(end.stderrTail)) return "disk-full";
    try {
      await this.o.camera.check();
    } catch {
      return "camera-lost";
    }
    if (audio) {
      try {
        await this.o.microphone.check();
      } catch {
        return "microphone-lost";
      }
    }
    return "error";
  }

  private async stop(reason: RecordingStopReason): Promise<void> {
    const r = this.active;
    if (r === null) return;
    const why = r.stopping ?? reason;
    r.stopping = why;
    clearTimeout(r.endTimer);
    const end = why === "lamp-fault" ? await r.capture.kill() : await r.capture.stop();
    this.o.onCaptureEnded?.(r.capture.pid, end);
    // the capture process has exited: only now may the lamp go dark
    const totals = await this.o.index.endRecording(r.recordingId, {
      endedAt: this.o.now(),
      reason: why,
    });
    this.active = null;
    if (why === "lamp-fault") this.o.lamp.showFault();
    else await this.o.lamp.darken();
    this.stats.stopped += 1;
    this.log.info({ recordingId: r.recordingId, reason: why, ...totals }, "recording stopped");
    this.o.changed();
  }

  private async refuse(
    reason: RefusalReason,
    bookingId: string | null,
    detail: string,
    blink = true,
  ): Promise<void> {
    this.stats.refused += 1;
    this.log.info({ reason, bookingId, detail }, "recording refused");
    await this.o.outbox.raise("recording.refused", { reason, bookingId }, this.o.now());
    this.o.changed();
    if (blink) await this.o.lamp.refuse();
  }

  private async askToKeep(): Promise<void> {
    const recordingId = this.active?.recordingId ?? this.lastRecordingId ?? (await this.newest());
    if (recordingId === null) {
      await this.o.lamp.refuse();
      return;
    }
    await this.o.outbox.raise("archive.requested", { recordingId }, this.o.now());
    this.log.info({ recordingId }, "asked to keep a recording");
    this.o.changed();
  }

  private async newest(): Promise<string | null> {
    const rows = await this.o.index.recordings();
    const newest = rows.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())[0];
    return newest?.recordingId ?? null;
  }
}
