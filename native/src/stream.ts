/**
 * A running capture, in the two shapes Node code expects: an EventEmitter
 * (`frame`, `error`, `end`) and an async iterable of frames.
 *
 * Frames go straight to `frame` listeners when there are any. Otherwise they
 * wait in a short queue for the iterator (or for a listener to appear); when
 * the queue is full the stream stops taking buffers from the driver, which
 * then drops frames itself — they show up as gaps in `sequence` and count in
 * `stats.dropped`. Nothing grows without bound.
 */
import { EventEmitter } from "node:events";
import type {
  BindingFrame,
  Format,
  Frame,
  FrameStream,
  StreamStats,
  TimestampClock,
} from "./types.js";

/** V4L2_BUF_FLAG_KEYFRAME, _ERROR, _TIMESTAMP_MASK and its values. */
export const BUF_FLAG_KEYFRAME = 0x8;
export const BUF_FLAG_ERROR = 0x40;
const BUF_FLAG_TIMESTAMP_MASK = 0xe000;
const BUF_FLAG_TIMESTAMP_MONOTONIC = 0x2000;
const BUF_FLAG_TIMESTAMP_COPY = 0x4000;

export function timestampClockOf(flags: number): TimestampClock {
  switch (flags & BUF_FLAG_TIMESTAMP_MASK) {
    case BUF_FLAG_TIMESTAMP_MONOTONIC:
      return "monotonic";
    case BUF_FLAG_TIMESTAMP_COPY:
      return "copy";
    default:
      return "unknown";
  }
}

/** What the stream needs from its device: pausing, resuming and stopping the driver's queue. */
export interface StreamControl {
  pause(): void;
  resume(): void;
  /** Gives a lent buffer back to the driver (zero-copy streams). */
  release(index: number): void;
  /** Stops capture in the driver; called once. */
  stop(): Promise<void>;
}

interface Waiter {
  resolve(result: IteratorResult<Frame>): void;
  reject(error: Error): void;
}

export class CameraFrameStream extends EventEmitter implements FrameStream {
  readonly format: Format;
  buffers = 0;
  timestampClock: TimestampClock = "unknown";
  readonly #control: StreamControl;
  #queueLimit: number;
  readonly #queue: Frame[] = [];
  /** Zero-copy: the driver buffer each lent frame (queued or handed out) holds. */
  readonly #lent = new Map<Frame, number>();
  /** The frame the iterator handed out last; released at the next step. */
  #handedOut: Frame | undefined;
  readonly #waiters: Waiter[] = [];
  #frames = 0;
  #dropped = 0;
  #lastSequence: number | undefined;
  #paused = false;
  #ended = false;
  #iterating = false;
  /** The error that ended the stream, until an iterator has thrown it. */
  #failure: Error | undefined;
  #stopped: Promise<void> | undefined;
  #endEmitted = false;

  constructor(control: StreamControl, format: Format, queueLimit: number) {
    super();
    this.#control = control;
    this.format = format;
    this.#queueLimit = queueLimit;
    this.on("newListener", (event) => {
      if (event === "frame" && this.#queue.length > 0)
        queueMicrotask(() => this.#flushToListeners());
    });
  }

  /** After start: how many buffers the driver granted, and whether frames are lent. */
  started(buffers: number, timestampClock: TimestampClock, zeroCopy: boolean): void {
    this.buffers = buffers;
    this.timestampClock = timestampClock;
    // a lent frame holds a driver buffer: keep at least one for the driver
    if (zeroCopy) this.#queueLimit = Math.min(this.#queueLimit, Math.max(1, buffers - 1));
  }

  get stats(): StreamStats {
    return { frames: this.#frames, dropped: this.#dropped };
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The binding delivered a buffer. */
  deliver(raw: BindingFrame): void {
    const lentIndex = raw.lent === true ? raw.index : undefined;
    if (this.#ended) {
      if (lentIndex !== undefined) this.#control.release(lentIndex);
      return;
    }
    if (this.#lastSequence !== undefined) {
      // Sequence numbers are 32-bit and wrap; a step back (a driver restart) is no gap.
      const gap = (raw.sequence - this.#lastSequence - 1) >>> 0;
      if (gap < 0x80000000) this.#dropped += gap;
    }
    this.#lastSequence = raw.sequence;
    if ((raw.flags & BUF_FLAG_ERROR) !== 0) {
      this.#dropped += 1;
      if (lentIndex !== undefined) this.#control.release(lentIndex);
      return;
    }
    this.#frames += 1;
    const frame: Frame = {
      data: raw.data instanceof ArrayBuffer ? Buffer.from(raw.data, 0, raw.bytesUsed) : raw.data,
      bytesUsed: raw.bytesUsed,
      timestampUs: raw.timestampUs,
      sequence: raw.sequence,
      keyframe: (raw.flags & BUF_FLAG_KEYFRAME) !== 0,
    };
    if (lentIndex !== undefined) this.#lent.set(frame, lentIndex);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#handOut(frame);
      waiter.resolve({ value: frame, done: false });
    } else if (this.#queue.length === 0 && this.listenerCount("frame") > 0) {
      this.#emitFrame(frame);
    } else {
      this.#queue.push(frame);
      if (this.#queue.length >= this.#queueLimit && !this.#paused) {
        this.#paused = true;
        this.#control.pause();
      }
    }
  }

  /** The binding gave up on the stream (it has stopped it already). */
  fail(error: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stopped = Promise.resolve();
    this.#failure = error;
    this.#dropLent();
    this.#finishWaiters();
    try {
      // Nobody iterating: an `error` event, which throws when unheard, as in all of Node.
      if (this.listenerCount("error") > 0 || !this.#iterating) this.emit("error", error);
    } finally {
      this.#emitEnd();
    }
  }

  stop(): Promise<void> {
    if (this.#stopped !== undefined) return this.#stopped;
    this.#ended = true;
    this.#dropLent();
    this.#stopped = this.#control.stop().finally(() => {
      this.#finishWaiters();
      this.#emitEnd();
    });
    return this.#stopped;
  }

  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: async () => {
        this.#handOut(undefined);
        await this.stop();
        return { value: undefined, done: true };
      },
    };
  }

  #next(): Promise<IteratorResult<Frame>> {
    this.#handOut(undefined);
    const frame = this.#queue.shift();
    if (frame !== undefined) {
      this.#handOut(frame);
      this.#resumeIfRoom();
      return Promise.resolve({ value: frame, done: false });
    }
    if (this.#ended) return this.#endResult();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#resumeIfRoom();
    });
  }

  #endResult(): Promise<IteratorResult<Frame>> {
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#failure = undefined;
      return Promise.reject(failure);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  #resumeIfRoom(): void {
    if (this.#paused && !this.#ended && this.#queue.length < this.#queueLimit) {
      this.#paused = false;
      this.#control.resume();
    }
  }

  #flushToListeners(): void {
    while (this.#queue.length > 0 && this.listenerCount("frame") > 0) {
      const frame = this.#queue.shift();
      if (frame !== undefined) this.#emitFrame(frame);
    }
    this.#resumeIfRoom();
  }

  /** Listeners get the frame; a lent one goes back to the driver once they return. */
  #emitFrame(frame: Frame): void {
    try {
      this.emit("frame", frame);
    } finally {
      this.#release(frame);
    }
  }

  /** The iterator hands out `frame` (or nothing): the one handed out before goes back. */
  #handOut(frame: Frame | undefined): void {
    if (this.#handedOut !== undefined) this.#release(this.#handedOut);
    this.#handedOut = frame;
  }

  #release(frame: Frame): void {
    const index = this.#lent.get(frame);
    if (index === undefined) return;
    this.#lent.delete(frame);
    if (!this.#ended) this.#control.release(index);
  }

  /** The stream ended: the binding has taken every lent buffer back (their views are empty now). */
  #dropLent(): void {
    if (this.#lent.size === 0) return;
    for (let at = this.#queue.length - 1; at >= 0; at--) {
      const frame = this.#queue[at];
      if (frame !== undefined && this.#lent.has(frame)) this.#queue.splice(at, 1);
    }
    this.#lent.clear();
    this.#handedOut = undefined;
  }

  #finishWaiters(): void {
    for (const waiter of this.#waiters.splice(0)) {
      const failure = this.#failure;
      if (failure !== undefined) {
        this.#failure = undefined;
        waiter.reject(failure);
      } else {
        waiter.resolve({ value: undefined, done: true });
      }
    }
  }

  #emitEnd(): void {
    if (this.#endEmitted) return;
    this.#endEmitted = true;
    this.emit("end");
  }
}
