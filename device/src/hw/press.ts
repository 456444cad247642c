/**
 * Turns the button's raw edges into presses: edges closer together than the
 * debounce time are bounce and ignored; a press held `longPressMs` is a long
 * press (ask to keep), reported while still held; a shorter one is a short
 * press (start/stop), reported on release.
 */
export type Press = "short" | "long";

/** The timers the detector schedules its long press with (the tests pass fake ones). */
export interface PressTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: PressTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class PressDetector {
  private down = false;
  private lastEdgeAt = Number.NEGATIVE_INFINITY;
  private longTimer: unknown = null;
  private longReported = false;

  constructor(
    private readonly options: {
      debounceMs: number;
      longPressMs: number;
      onPress: (press: Press) => void;
      now?: () => number;
      /** Where the long-press timer runs; real timers unless given (with `now`, on one clock). */
      timers?: PressTimers;
    },
  ) {}

  private get timers(): PressTimers {
    return this.options.timers ?? REAL_TIMERS;
  }

  /** One raw edge from the button's wire. */
  edge(pressed: boolean): void {
    const now = (this.options.now ?? performance.now.bind(performance))();
    if (now - this.lastEdgeAt < this.options.debounceMs) return;
    if (pressed === this.down) return;
    this.lastEdgeAt = now;
    this.down = pressed;
    if (pressed) {
      this.longReported = false;
      this.longTimer = this.timers.setTimeout(() => {
        this.longTimer = null;
        if (!this.down) return;
        this.longReported = true;
        this.options.onPress("long");
      }, this.options.longPressMs);
      return;
    }
    if (this.longTimer !== null) this.timers.clearTimeout(this.longTimer);
    this.longTimer = null;
    if (!this.longReported) this.options.onPress("short");
  }

  close(): void {
    if (this.longTimer !== null) this.timers.clearTimeout(this.longTimer);
    this.longTimer = null;
  }
}
