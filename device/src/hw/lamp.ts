/**
 * The recording lamp, above its wire (`LampOutput`). It shows the modes people
 * learn to read, and it is the interlock: `light()` resolves only after the lamp
 * was driven ON and read back ON — only then may a capture start — and while
 * lit, a monitor reads it back every `monitorMs` and reports a fault at once.
 *
 * Patterns (also in the README):
 * - `recording`  (camera and microphone live): solid on.
 * - `video-only` (camera live, microphone closed): on, with a short dark wink
 *   of `WINK_MS` every `WINK_PERIOD_MS`. Still read as lit; the wink is the
 *   only difference.
 * - `refused`    (a press that could not start a recording): a burst of three
 *   quick blinks, then off.
 * - `error`      (a fault; nothing records): a fast even blink until cleared.
 * - `off`        nothing is captured.
 */
import type { Logger } from "pino";
import type { LampLevel, LampMode, LampOutput } from "./types.js";

export const WINK_MS = 120;
export const WINK_PERIOD_MS = 2000;
export const REFUSED_BLINKS = 3;
export const REFUSED_STEP_MS = 120;
export const ERROR_STEP_MS = 250;

export interface LampFaultDetail {
  expected: LampLevel;
  observed: LampLevel | null;
  detail: string;
}

export class LampFault extends Error {
  constructor(readonly fault: LampFaultDetail) {
    super(`lamp fault: ${fault.detail}`);
    this.name = "LampFault";
  }
}

export type LitMode = "recording" | "video-only";

export class Lamp {
  private current: LampMode = "off";
  /** The level the current pattern wants right now (what read-back must give). */
  private wanted: LampLevel = "off";
  private patternTimer: NodeJS.Timeout | null = null;
  private monitorTimer: NodeJS.Timeout | null = null;
  private generation = 0;
  /** Bumped at the start and end of each pattern write; a read across a change is not judged. */
  private changes = 0;
  private writing = false;
  private readonly listeners = new Set<(mode: LampMode) => void>();

  constructor(
    private readonly output: LampOutput,
    private readonly options: {
      logger: Logger;
      /** Called once per fault seen while lit (the session stops the capture). */
      onFault: (fault: LampFaultDetail) => void;
      monitorMs?: number;
    },
  ) {}

  get mode(): LampMode {
    return this.current;
  }

  /** True while the lamp shows a recording mode. */
  get lit(): boolean {
    return this.current === "recording" || this.current === "video-only";
  }

  onModeChange(listener: (mode: LampMode) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Drives the lamp ON and reads it back ON, then keeps the pattern and the
   * monitor running. Throws `LampFault` (leaving the lamp in the error pattern)
   * when it cannot be driven or does not read back.
   */
  async light(mode: LitMode): Promise<void> {
    this.stopTimers();
    const generation = ++this.generation;
    try {
      await this.drive("on");
    } catch (error) {
      const fault =
        error instanceof LampFault
          ? error.fault
          : { expected: "on" as const, observed: null, detail: describe(error) };
      this.showError(generation);
      throw new LampFault(fault);
    }
    this.setMode(mode);
    if (mode === "video-only") this.wink(generation);
    this.monitor(generation);
  }

  /** Turns the lamp off (the capture has ended). A failure to go dark is reported, not thrown. */
  async darken(): Promise<void> {
    this.stopTimers();
    this.generation += 1;
    try {
      await this.drive("off");
      this.setMode("off");
    } catch (error) {
      this.options.logger.error({ err: error }, "lamp did not go off");
      this.showError(this.generation);
    }
  }

  /** A short blink burst for a refused press, then off. Resolves when the burst is over. */
  async refuse(): Promise<void> {
    if (this.lit) return; // never blink a lit lamp dark
    this.stopTimers();
    const generation = ++this.generation;
    this.setMode("refused");
    for (let blink = 0; blink < REFUSED_BLINKS * 2; blink += 1) {
      if (generation !== this.generation) return;
      await this.output.write(blink % 2 === 0 ? "on" : "off").catch(() => undefined);
      await sleep(REFUSED_STEP_MS);
    }
    if (generation !== this.generation) return;
    await this.output.write("off").catch(() => undefined);
    this.setMode("off");
  }

  /** The error pattern until the next `light()`, `darken()` or `refuse()`. */
  showFault(): void {
    this.stopTimers();
    this.showError(++this.generation);
  }

  async close(): Promise<void> {
    this.stopTimers();
    this.generation += 1;
    await this.output.write("off").catch(() => undefined);
    this.setMode("off");
  }

  private async drive(level: LampLevel): Promise<void> {
    this.wanted = level;
    await this.output.write(level);
    const observed = await this.output.read();
    if (observed !== level) {
      throw new LampFault({
        expected: level,
        observed,
        detail: `${this.output.description} was driven ${level} but reads back ${observed}`,
      });
    }
  }

  private wink(generation: number): void {
    const cycle = () => {
      if (generation !== this.generation) return;
      this.patternTimer = setTimeout(() => {
        if (generation !== this.generation) return;
        void this.patternWrite("off");
        this.patternTimer = setTimeout(() => {
          if (generation !== this.generation) return;
          void this.patternWrite("on");
          cycle();
        }, WINK_MS);
      }, WINK_PERIOD_MS - WINK_MS);
    };
    cycle();
  }

  /** A write that is part of a pattern; a failed one is caught by the monitor's read-back. */
  private async patternWrite(level: LampLevel): Promise<void> {
    this.changes += 1;
    this.writing = true;
    try {
      await this.output.write(level);
    } catch {
      // the read-back will disagree with `wanted` and report it
    } finally {
      this.wanted = level;
      this.writing = false;
      this.changes += 1;
    }
  }

  private monitor(generation: number): void {
    const every = this.options.monitorMs ?? 100;
    const check = async () => {
      if (generation !== this.generation) return;
      const expected = this.wanted;
      const before = this.changes;
      let observed: LampLevel | null = null;
      let detail: string | null = null;
      try {
        observed = await this.output.read();
        const settled = !this.writing && before === this.changes;
        if (settled && observed !== expected) {
          detail = `${this.output.description} should be ${expected} but reads back ${observed}`;
        }
      } catch (error) {
        detail = `${this.output.description} cannot be read back: ${describe(error)}`;
      }
      if (generation !== this.generation) return;
      if (detail !== null) {
        this.showError(++this.generation);
        this.options.onFault({ expected, observed, detail });
        return;
      }
      this.monitorTimer = setTimeout(() => void check(), every);
    };
    this.monitorTimer = setTimeout(() => void check(), every);
  }

  private showError(generation: number): void {
    this.setMode("error");
    let level: LampLevel = "on";
    const step = () => {
      if (generation !== this.generation) return;
      void this.output.write(level).catch(() => undefined);
      level = level === "on" ? "off" : "on";
      this.patternTimer = setTimeout(step, ERROR_STEP_MS);
    };
    step();
  }

  private setMode(mode: LampMode): void {
    if (mode === this.current) return;
    this.current = mode;
    for (const listener of this.listeners) {
      try {
        listener(mode);
      } catch (error) {
        this.options.logger.error({ err: error }, "lamp listener failed");
      }
    }
  }

  private stopTimers(): void {
    if (this.patternTimer !== null) clearTimeout(this.patternTimer);
    if (this.monitorTimer !== null) clearTimeout(this.monitorTimer);
    this.patternTimer = null;
    this.monitorTimer = null;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
