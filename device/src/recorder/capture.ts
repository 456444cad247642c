/**
 * One capture: a single ffmpeg process that reads the camera (and the
 * microphone, when audio is on), burns in the privacy masks, encodes H.264 +
 * AAC and writes an HLS recording straight into the recording's folder:
 * `seg-00001.ts`, `seg-00002.ts`, … and `index.m3u8`. Nothing is copied or
 * remuxed afterwards: every byte of footage is written once.
 *
 * Durability: ffmpeg keeps the open segment in memory and writes it, when it
 * closes, to `seg-N.ts.tmp` which it renames to `seg-N.ts` (`temp_file`), then
 * rewrites the playlist the same way. So a power cut loses at most the open
 * segment. Each closed segment is fsynced (file and folder), hashed, and
 * handed to `onSegment`, in order, exactly once.
 *
 * The process dies with the daemon: ffmpeg is started through a small script
 * in `runDir` that execs `setpriv --pdeathsig KILL -- ffmpeg …`, and the
 * recording folder is on its command line so `killStrayCaptures` finds any
 * capture a dead daemon left behind.
 *
 * Neighbours: command-line.ts (option checks and ffmpeg arguments),
 * launcher.ts (the setpriv launcher script), segments.ts (noticing, sealing
 * and reporting closed segments).
 */
import type { ChildProcess } from "node:child_process";
import { basename, join, resolve } from "node:path";
import ffmpeg from "fluent-ffmpeg";
import type { Logger } from "pino";
import {
  addInputOptions,
  checkEmptyFolder,
  checkOptions,
  outputArguments,
  type CaptureOptions,
} from "./command-line.js";
import { writeKeyFiles, type KeyFiles } from "./content-key.js";
import { captureProgram } from "./launcher.js";
import { PLAYLIST_NAME } from "./playlist.js";
import { SegmentWatcher } from "./segments.js";

export { maskFilters, outputArguments, type CaptureOptions } from "./command-line.js";
export { captureProgram } from "./launcher.js";
export { parsePlaylist, segmentName, type ClosedSegment } from "./segments.js";

export interface CaptureEnd {
  code: number | null;
  signal: string | null;
  /** `stop()` or `kill()` asked for the end (otherwise ffmpeg ended by itself: a fault). */
  requested: boolean;
  /** The last lines ffmpeg wrote to stderr. */
  stderrTail: string;
}

const STDERR_TAIL_CHARS = 4000;

export class Capture {
  private stopTimers: NodeJS.Timeout[] = [];
  private exited = false;

  private constructor(
    readonly pid: number,
    readonly ended: Promise<CaptureEnd>,
    private readonly child: ChildProcess,
    private readonly state: { requested: boolean },
    private readonly log: Logger,
  ) {
    void ended.then(() => {
      this.exited = true;
      for (const timer of this.stopTimers) clearTimeout(timer);
    });
    child.once("exit", () => {
      this.exited = true;
      for (const timer of this.stopTimers) clearTimeout(timer);
    });
  }

  /** Starts ffmpeg; resolves once the process is running (its pid known). */
  static async start(options: CaptureOptions): Promise<Capture> {
    const log = options.logger.child({ part: "recorder" });
    const dir = resolve(options.dir);
    checkOptions(options);
    await checkEmptyFolder(dir);
    const program = await captureProgram(resolve(options.runDir), options.settings.ffmpeg);

    const command = ffmpeg({ stdoutLines: 20 });
    command.setFfmpegPath(program); // fluent-ffmpeg keeps this per process, not per command
    const camera = options.camera.input();
    command.input(camera.input);
    addInputOptions(command, camera.options);
    if (options.microphone !== null) {
      const microphone = options.microphone.input();
      command.input(microphone.input);
      addInputOptions(command, microphone.options);
    }
    const { encryption } = options;
    const keyFiles: KeyFiles | null =
      encryption === undefined
        ? null
        : await writeKeyFiles(
            encryption.runtimeDir,
            encryption.dataDir,
            basename(dir),
            encryption.content,
          );
    command.outputOptions(...outputArguments({ ...options, dir }, keyFiles?.infoFile));
    command.output(join(dir, PLAYLIST_NAME));

    const segments = new SegmentWatcher(dir, options.settings, options.onSegment, log);
    segments.start();
    const state = { requested: false };

    let child: ChildProcess;
    try {
      child = await new Promise<ChildProcess>((resolveStart, rejectStart) => {
        let started = false;
        command.on("start", (commandLine) => {
          const spawned = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
          if (spawned?.pid === undefined) return; // a spawn failure: 'error' follows
          started = true;
          log.debug({ pid: spawned.pid, commandLine }, "ffmpeg started");
          resolveStart(spawned);
        });
        command.on("error", (error) => {
          if (!started) {
            rejectStart(new Error(`cannot start the capture: ${error.message}`));
          }
          // after the start, the process's own exit is what counts (below)
        });
        command.run();
      });
    } catch (error) {
      await segments.finish();
      await keyFiles?.remove();
      throw error;
    }
    const pid = child.pid ?? -1;

    let stderrTail = "";
    child.stderr?.on("data", (chunk: string | Buffer) => {
      const text = chunk.toString();
      for (const line of text.split("\n")) {
        if (line.trim() !== "") log.debug({ pid, ffmpeg: line.trimEnd() }, "ffmpeg said");
      }
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    child.stdin?.on("error", () => undefined); // 'q' to a process that already left

    const ended = new Promise<CaptureEnd>((resolveEnd) => {
      child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
        void keyFiles?.remove(); // ffmpeg is gone: nothing can read the key any more
        const finished = segments.finish().catch((error: unknown) => {
          log.error({ error, dir }, "cannot finish reporting the segments");
          return 0;
        });
        void finished.then((count) => {
          const end: CaptureEnd = {
            code,
            signal,
            requested: state.requested,
            stderrTail: tidyTail(stderrTail),
          };
          const fields = { pid, code, signal, requested: state.requested, segments: count };
          if (state.requested) log.info(fields, "capture ended");
          else log.error({ ...fields, stderrTail: end.stderrTail }, "capture ended by itself");
          resolveEnd(end);
        });
      });
    });

    log.info(
      {
        pid,
        dir,
        encoder: options.encoder.name,
        audio: options.microphone !== null,
        masks: options.masks.length,
        encrypted: keyFiles !== null,
        camera: options.camera.description,
      },
      "capture started",
    );
    return new Capture(pid, ended, child, state, log);
  }

  /**
   * Asks ffmpeg to finish ('q' on its stdin; SIGINT after half the grace):
   * the open segment is closed and reported. SIGKILL after `graceMs`.
   */
  stop(graceMs = 5000): Promise<CaptureEnd> {
    if (!this.exited && this.stopTimers.length === 0) {
      this.state.requested = true;
      this.log.info({ pid: this.pid }, "stopping the capture");
      const stdin = this.child.stdin;
      if (stdin !== null && stdin.writable) stdin.end("q");
      this.stopTimers.push(
        setTimeout(() => this.signal("SIGINT"), Math.max(1, Math.floor(graceMs / 2))),
        setTimeout(() => {
          this.log.warn({ pid: this.pid, graceMs }, "ffmpeg did not finish in time: killing it");
          this.signal("SIGKILL");
        }, graceMs),
      );
    }
    return this.ended;
  }

  /** SIGKILL now: the open segment is lost, the closed ones stay (and are reported). */
  kill(): Promise<CaptureEnd> {
    if (!this.exited) {
      this.state.requested = true;
      this.signal("SIGKILL");
    }
    return this.ended;
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      this.child.kill(signal);
    } catch (error) {
      this.log.warn({ pid: this.pid, signal, error }, "could not signal ffmpeg");
    }
  }
}

function tidyTail(tail: string): string {
  const cut = tail.length >= STDERR_TAIL_CHARS ? tail.slice(tail.indexOf("\n") + 1) : tail;
  return cut.trim();
}
