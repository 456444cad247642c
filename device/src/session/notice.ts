/**
 * The spoken notice (issue 20 §2): when a recording starts, once the lamp is
 * lit and read back, the box says the school's sentence through its speaker so
 * everyone in the room is told. Speaking never holds up the lamp/capture
 * interlock and never stops a recording: a speaker that is missing or fails is
 * logged and reported in the box's state (`speaker`), which the controller shows.
 *
 * A part: at start it checks the speaker, so a missing one is known before the
 * first lesson.
 */
import type { Logger } from "pino";
import { DEFAULT_SPOKEN_NOTICE, type DeviceConfig, type SpokenNotice } from "@classcam/protocol";
import type { Part } from "../parts.js";
import type { Speaker } from "../hw/types.js";

/**
 * The longest a notice may take to say: the school's sentence is at most
 * SPOKEN_NOTICE_MAX_LENGTH (300) characters, about 20 s of espeak-ng's speech.
 * A speaker that has not finished by then has hung (an ALSA device that never
 * drains) and is stopped, so a stuck speaker never holds the box's shutdown.
 */
export const SAY_LIMIT_MS = 60_000;

export class NoticePart implements Part {
  readonly name = "spoken notice";
  /** `ok`, `off` (the school turned it off), `missing: <why>` or `failed: <why>`. */
  status = "ok";
  private speaking: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(
    private readonly o: {
      speaker: Speaker;
      /** The cached config: the school's sentence and whether to say it. */
      config: () => DeviceConfig | null;
      logger: Logger;
      /** The status changed: the state report should say so. */
      changed: () => void;
      /** The longest a notice may take to say (tests shorten it). */
      sayLimitMs?: number;
    },
  ) {}

  async start(): Promise<void> {
    try {
      await this.o.speaker.check();
    } catch (error) {
      this.report(`missing: ${(error as Error).message}`, error);
    }
  }

  /** Cuts off a notice being said and waits for its programs to end (at shutdown). */
  async stop(): Promise<void> {
    this.stopping.abort(new Error("the box is stopping"));
    await this.speaking;
  }

  /** The notice the config asks for (the default when the controller did not say). */
  notice(): SpokenNotice {
    return this.o.config()?.policy.spokenNotice ?? DEFAULT_SPOKEN_NOTICE;
  }

  /**
   * A recording is starting and the lamp is lit: says the notice, without
   * waiting for it. The returned promise (for tests) ends when it was said or
   * failed; it never rejects.
   */
  announce(): Promise<void> {
    const notice = this.notice();
    if (!notice.enabled || notice.text.trim() === "") {
      this.set("off");
      return Promise.resolve();
    }
    const signal = AbortSignal.any([
      this.stopping.signal,
      AbortSignal.timeout(this.o.sayLimitMs ?? SAY_LIMIT_MS),
    ]);
    const said = this.o.speaker.say(notice.text, signal).then(
      () => this.set("ok"),
      (error: unknown) => {
        if (this.stopping.signal.aborted) {
          this.o.logger.info(
            { part: "speaker" },
            "the spoken notice was cut off: the box is stopping",
          );
          return;
        }
        const why = (error as Error).message;
        this.report(
          why.startsWith("speaker missing") ? `missing: ${why}` : `failed: ${why}`,
          error,
        );
      },
    );
    this.speaking = said;
    return said;
  }

  private report(status: string, error: unknown): void {
    this.o.logger.error({ err: error, part: "speaker" }, "the spoken notice could not be said");
    this.set(status.slice(0, 500));
  }

  private set(status: string): void {
    if (status === this.status) return;
    this.status = status;
    this.o.changed();
  }
}
