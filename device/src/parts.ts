/**
 * The box's parts and the order they run in. Each part is a class whose
 * constructor only stores what it needs; `start()` begins its work and
 * `stop()` ends it. The daemon starts them in order and stops the started
 * ones in reverse order. A part that fails to start is logged and the others
 * go on (as zigbee2mqtt's controller does with its extensions) — except a
 * part the box cannot be safe without (`essential`, e.g. the lamp interlock):
 * its failure is handed to `unsafe`, which stops the box from recording.
 */
import type { Logger } from "pino";

/** How often a part that has not stopped is logged by name. */
const STOP_WARN_MS = 10_000;

export interface Part {
  /** In the logs: what this part is, in a word or two. */
  readonly name: string;
  /** Without it the box may not record (the lamp interlock). */
  readonly essential?: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class Parts {
  private readonly started: Part[] = [];

  constructor(
    private readonly options: {
      logger: Logger;
      /** An essential part failed to start: nothing may record. */
      unsafe: (part: Part, error: unknown) => void;
      /** How often a stop that has not ended is logged, naming the part (tests shorten it). */
      stopWarnMs?: number;
    },
  ) {}

  /** The parts started so far, in start order. */
  get running(): readonly Part[] {
    return this.started;
  }

  /** Starts each part in order; one that fails is logged (and, if essential, reported unsafe). */
  async start(parts: readonly Part[]): Promise<void> {
    for (const part of parts) {
      try {
        await part.start();
        this.started.push(part);
      } catch (error) {
        this.options.logger.error(
          { err: error, part: part.name, essential: part.essential === true },
          part.essential === true
            ? `${part.name} failed to start: the box will not record`
            : `${part.name} failed to start; the other parts go on`,
        );
        // it may have begun some of its work: give it the chance to end it
        this.started.push(part);
        if (part.essential === true) this.options.unsafe(part, error);
      }
    }
  }

  /** Stops the started parts in reverse order; one that fails to stop is logged, the rest still stop. */
  async stop(): Promise<void> {
    while (this.started.length > 0) {
      const part = this.started.pop();
      if (part === undefined) break;
      // a part that hangs is named in the journal while systemd waits to kill the box
      const since = Date.now();
      const waiting = setInterval(() => {
        this.options.logger.warn(
          { part: part.name, waitedMs: Date.now() - since },
          `still waiting for ${part.name} to stop`,
        );
      }, this.options.stopWarnMs ?? STOP_WARN_MS);
      try {
        await part.stop();
      } catch (error) {
        this.options.logger.error({ err: error, part: part.name }, `${part.name} failed to stop`);
      } finally {
        clearInterval(waiting);
      }
    }
  }
}
