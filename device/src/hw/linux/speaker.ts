/**
 * The real box's speaker: `espeak-ng` makes the speech (reading the sentence
 * from its standard input, so no text is ever an argument or a shell word) and
 * `aplay` plays it on the ALSA device the settings name. Both are started with
 * argument lists, never through a shell.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { DeviceSettings } from "../../config.js";
import { HardwareMissing, type Speaker } from "../types.js";

/** The programs the speaker runs; tests point them at stand-ins. */
export interface SpeakerPrograms {
  espeak: string;
  aplay: string;
}

const PROGRAMS: SpeakerPrograms = { espeak: "espeak-ng", aplay: "aplay" };

/** The longest the start-up check waits on either program (an ALSA open that hangs). */
const CHECK_LIMIT_MS = 10_000;

/** Waits for `child` to end; resolves with why it failed, or null when it exited 0. */
function outcome(child: ChildProcess, name: string): Promise<string | null> {
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-300)));
  return new Promise((resolve) => {
    let settled = false;
    const settle = (why: string | null) => {
      if (settled) return;
      settled = true;
      resolve(why);
    };
    child.on("error", (error) =>
      settle(
        error.name === "AbortError"
          ? `${name} was stopped before it finished (${describeReason(error)})`
          : `${name}: ${error.message}`,
      ),
    );
    child.on("close", (code) =>
      settle(
        code === 0
          ? null
          : `${name} exited with ${String(code)}${tail.trim() ? `: ${tail.trim()}` : ""}`,
      ),
    );
  });
}

/** Why an aborted program was stopped: the abort's reason when it says one. */
function describeReason(error: Error): string {
  const reason = (error as Error & { cause?: unknown }).cause;
  if (reason instanceof Error) {
    return reason.name === "TimeoutError" ? "it did not finish in time" : reason.message;
  }
  return typeof reason === "string" ? reason : "aborted";
}

export class AlsaSpeaker implements Speaker {
  constructor(
    private readonly settings: DeviceSettings["hardware"]["speaker"],
    private readonly programs: SpeakerPrograms = PROGRAMS,
  ) {}

  get description(): string {
    return `speaker on ALSA ${this.settings.device} (espeak-ng voice ${this.settings.voice})`;
  }

  async check(): Promise<void> {
    for (const program of [this.programs.espeak, this.programs.aplay]) {
      const child = spawn(program, ["--version"], {
        stdio: ["ignore", "ignore", "pipe"],
        signal: AbortSignal.timeout(CHECK_LIMIT_MS),
      });
      const why = await outcome(child, program);
      if (why === null) continue;
      throw new HardwareMissing(
        "speaker",
        why.includes("ENOENT")
          ? `${program} is not installed (the box's install script installs espeak-ng and alsa-utils)`
          : why,
      );
    }
    // open the ALSA device with nothing to play: a box without its sound card is known at start
    const opened = spawn(
      this.programs.aplay,
      ["-q", "-D", this.settings.device, "-t", "raw", "-f", "S16_LE", "/dev/null"],
      { stdio: ["ignore", "ignore", "pipe"], signal: AbortSignal.timeout(CHECK_LIMIT_MS) },
    );
    const why = await outcome(opened, this.programs.aplay);
    if (why !== null) {
      throw new HardwareMissing(
        "speaker",
        `the ALSA device '${this.settings.device}' cannot be opened (${why})`,
      );
    }
  }

  async say(text: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const speech = spawn(this.programs.espeak, ["-v", this.settings.voice, "--stdout"], {
      stdio: ["pipe", "pipe", "pipe"],
      ...(signal === undefined ? {} : { signal }),
    });
    const player = spawn(this.programs.aplay, ["-q", "-D", this.settings.device], {
      stdio: ["pipe", "ignore", "pipe"],
      ...(signal === undefined ? {} : { signal }),
    });
    // a program that died early must not take the daemon down with EPIPE
    speech.stdin.on("error", () => undefined);
    player.stdin.on("error", () => undefined);
    speech.stdout.pipe(player.stdin);
    const ended = Promise.all([
      outcome(speech, this.programs.espeak),
      outcome(player, this.programs.aplay),
    ]);
    speech.stdin.end(text);
    const problems = (await ended).filter((why): why is string => why !== null);
    if (problems.length > 0) throw new Error(problems.join("; "));
  }
}
