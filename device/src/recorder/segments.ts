/**
 * The capture's segments as they close: ffmpeg writes each one to
 * `seg-N.ts.tmp`, renames it to `seg-N.ts`, then rewrites `index.m3u8` the
 * same way. The watcher here notices each closed segment, fsyncs it (file and
 * folder), hashes it and hands it on, in order, exactly once.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { DeviceSettings } from "../config.js";
import { PLAYLIST_NAME, parseHlsPlaylist } from "./playlist.js";

export interface ClosedSegment {
  /** 1 for `seg-00001.ts`, and so on. */
  seq: number;
  /** The file name inside the recording's folder. */
  name: string;
  durationSeconds: number;
  bytes: number;
  /** Hex SHA-256 of the file as it is on disk. */
  sha256: string;
}

const SEGMENT_PATTERN = /^seg-(\d{5,})\.ts$/;
/** How often the playlist is read even when no change was noticed (a safety net for fs.watch). */
const POLL_MS = 1000;

/** The file name of segment `seq`. */
export function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(5, "0")}.ts`;
}

interface ListedSegment {
  seq: number;
  name: string;
  durationSeconds: number | null;
}

/** The capture's segments a playlist lists, in its order. Entries cut short by a crash are ignored. */
export function parsePlaylist(text: string): ListedSegment[] {
  const listed: ListedSegment[] = [];
  for (const { uri, durationSeconds } of parseHlsPlaylist(text).entries) {
    const match = SEGMENT_PATTERN.exec(uri);
    if (match?.[1] !== undefined && durationSeconds !== null) {
      listed.push({ seq: Number(match[1]), name: uri, durationSeconds });
    }
  }
  return listed;
}

/**
 * Notices closed segments (the playlist lists a segment only once it is
 * closed and renamed into place), seals each one (fsync file and folder,
 * hash) and reports it, one at a time, in order.
 */
export class SegmentWatcher {
  private reportedThrough = 0;
  private reportedCount = 0;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private scanAgain = false;
  private reports: Promise<void> = Promise.resolve();
  private finished: Promise<number> | null = null;

  constructor(
    private readonly dir: string,
    private readonly settings: DeviceSettings["recorder"],
    private readonly onSegment: (segment: ClosedSegment) => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.dir, (_event, name) => {
        if (name === PLAYLIST_NAME) this.kick();
      });
      this.watcher.on("error", (error) => {
        this.log.warn({ error, dir: this.dir }, "cannot watch the recording folder; polling");
        this.watcher?.close();
        this.watcher = null;
      });
    } catch (error) {
      this.log.warn({ error, dir: this.dir }, "cannot watch the recording folder; polling");
    }
    this.poll = setInterval(() => this.kick(), POLL_MS);
  }

  /** After ffmpeg exited: the last look, leftovers removed, every report done. */
  finish(): Promise<number> {
    this.finished ??= this.finishOnce();
    return this.finished;
  }

  private async finishOnce(): Promise<number> {
    this.watcher?.close();
    this.watcher = null;
    if (this.poll !== null) clearInterval(this.poll);
    this.poll = null;
    await this.scanning;
    await this.scanPlaylist();
    await this.scanFolder();
    await this.reports;
    return this.reportedCount;
  }

  private kick(): void {
    if (this.scanning !== null) {
      this.scanAgain = true;
      return;
    }
    this.scanAgain = false;
    this.scanning = (async () => {
      do {
        await this.scanPlaylist();
      } while (this.takeScanAgain());
      this.scanning = null;
    })();
  }

  /** Whether a change was noticed during the last scan (and forgets it). */
  private takeScanAgain(): boolean {
    const again = this.scanAgain;
    this.scanAgain = false;
    return again;
  }

  private async scanPlaylist(): Promise<void> {
    let text: string;
    try {
      text = await readFile(join(this.dir, PLAYLIST_NAME), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.log.warn({ error, dir: this.dir }, "cannot read the playlist");
      }
      return;
    }
    for (const listed of parsePlaylist(text)) this.enqueue(listed);
  }

  /**
   * Segments renamed into place that the playlist does not list yet (ffmpeg
   * died between the two), and the `.tmp` of a segment that was being written.
   */
  private async scanFolder(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      this.log.warn({ error, dir: this.dir }, "cannot list the recording folder");
      return;
    }
    const unlisted = names
      .map((name) => ({ name, match: SEGMENT_PATTERN.exec(name) }))
      .filter(({ match }) => match?.[1] !== undefined)
      .map(({ name, match }) => ({ name, seq: Number(match?.[1]) }))
      .filter(({ seq }) => seq > this.reportedThrough)
      .sort((a, b) => a.seq - b.seq);
    for (const segment of unlisted) this.enqueue({ ...segment, durationSeconds: null });
    for (const name of names.filter((name) => name.endsWith(".tmp"))) {
      this.log.warn({ dir: this.dir, name }, "removing a segment that was never finished");
      await unlink(join(this.dir, name)).catch((error: unknown) =>
        this.log.warn({ error, name }, "cannot remove an unfinished segment"),
      );
    }
  }

  private enqueue(listed: ListedSegment): void {
    if (listed.seq <= this.reportedThrough) return;
    this.reportedThrough = listed.seq;
    this.reports = this.reports.then(() => this.report(listed));
  }

  private async report(listed: ListedSegment): Promise<void> {
    let segment: ClosedSegment;
    try {
      const sealed = await sealSegment(this.dir, listed.name);
      const durationSeconds =
        listed.durationSeconds ?? (await this.probeDuration(join(this.dir, listed.name)));
      segment = { seq: listed.seq, name: listed.name, durationSeconds, ...sealed };
    } catch (error) {
      this.log.error({ error, dir: this.dir, name: listed.name }, "cannot seal a closed segment");
      return;
    }
    try {
      this.log.debug({ dir: this.dir, ...segment }, "segment closed");
      await this.onSegment(segment);
      this.reportedCount += 1;
    } catch (error) {
      this.log.error(
        { error, dir: this.dir, name: segment.name },
        "the closed segment could not be recorded in the index",
      );
    }
  }

  /** The duration of a segment the playlist never listed (ffmpeg died in between). */
  private probeDuration(path: string): Promise<number> {
    return new Promise((resolveDuration) => {
      execFile(
        this.settings.ffprobe,
        ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        { timeout: 15_000, killSignal: "SIGKILL" },
        (error, stdout) => {
          const seconds = Number.parseFloat(stdout.trim());
          if (error === null && Number.isFinite(seconds) && seconds >= 0) {
            resolveDuration(seconds);
          } else {
            this.log.warn(
              { path, error },
              "cannot measure an unlisted segment; taking the segment length",
            );
            resolveDuration(this.settings.segmentSeconds);
          }
        },
      );
    });
  }
}

/** fsyncs the segment and its folder, then hashes it reading in chunks. */
async function sealSegment(dir: string, name: string): Promise<{ bytes: number; sha256: string }> {
  const file = await open(join(dir, name), "r");
  try {
    await file.sync();
    const folder = await open(dir, "r");
    try {
      await folder.sync(); // the rename that put the segment in place
    } finally {
      await folder.close();
    }
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    const size = (await stat(join(dir, name))).size;
    if (size !== bytes) throw new Error(`${name} changed while it was hashed`);
    return { bytes, sha256: hash.digest("hex") };
  } finally {
    await file.close();
  }
}
