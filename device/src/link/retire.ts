/**
 * Retirement: IT retired this device on the controller. When it next
 * connects (or at its next start, if it was off) the controller tells it so
 * with the `retire` request; the box then
 *
 * 1. writes `retired.json` in its data folder first (so a power cut part-way
 *    through finishes the job at the next start),
 * 2. stops any recording (the lamp goes dark once the capture has exited) and
 *    refuses new ones,
 * 3. in one transaction deletes every segment's and recording's index rows and
 *    every event still waiting in the outbox, and raises `device.wiped` — the
 *    last event it sends, delivered exactly once like any other,
 * 4. deletes the footage files and the cached config,
 * 5. shows the lamp's error pattern for good, and disconnects once the wipe
 *    report is acknowledged. At every later start it stays retired: it does
 *    not record, does not connect (unless the report is still unsent), and
 *    logs why. `classcam-device check` says so too.
 *
 * The marker names the device id: a box given a new bundle (a new id — a
 * retired id is never reused) starts afresh.
 *
 * The wipe deletes files; like any deletion on flash storage it is not a
 * secure erase of the card's blocks.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Database } from "@classcam/sqlite";
import type { DevicePaths } from "../store.js";
import { raiseEvent, type Outbox } from "./outbox.js";

export const RETIRED_FILE = "retired.json";

export interface RetiredMarker {
  deviceId: string;
  /** When the box was told it is retired. */
  retiredAt: string;
  /** When its buffer was wiped; null while the wipe is under way. */
  wipedAt: string | null;
}

/** The parts of the running daemon that retirement stops (the Daemon has them all). */
export interface RetiringBox {
  session: { close(): Promise<void> };
  janitor: { stop(): Promise<void> };
  lamp: { showFault(): void };
  link: { start(): void; stop(): Promise<void> };
  changed(): void;
}

/**
 * The retirement marker in `dataDir`, or null when there is none. A marker
 * that cannot be read counts as retired (with an empty device id): a box is
 * never brought back to recording by a damaged file.
 */
export function readRetirement(dataDir: string): RetiredMarker | null {
  let text: string;
  try {
    text = readFileSync(join(dataDir, RETIRED_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    return { deviceId: "", retiredAt: new Date(0).toISOString(), wipedAt: null };
  }
  try {
    const value = JSON.parse(text) as Partial<RetiredMarker>;
    if (typeof value.deviceId === "string" && typeof value.retiredAt === "string") {
      return {
        deviceId: value.deviceId,
        retiredAt: value.retiredAt,
        wipedAt: typeof value.wipedAt === "string" ? value.wipedAt : null,
      };
    }
  } catch {
    // fall through: damaged
  }
  return { deviceId: "", retiredAt: new Date(0).toISOString(), wipedAt: null };
}

/** Whether `marker` retires the device `deviceId` (a damaged marker retires any). */
export function retires(marker: RetiredMarker, deviceId: string): boolean {
  return marker.deviceId === "" || marker.deviceId === deviceId;
}

function writeMarker(dataDir: string, marker: RetiredMarker): void {
  const file = join(dataDir, RETIRED_FILE);
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(marker, null, 2)}\n`);
  const fd = openSync(temporary, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  const dir = openSync(dataDir, "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export interface RetirementOptions {
  deviceId: string;
  paths: DevicePaths;
  db: Database;
  outbox: Outbox;
  logger: Logger;
  now: () => Date;
  /** The running daemon (asked for lazily: retirement is built before it). */
  box: () => RetiringBox;
  /** How often, once wiped, the outbox is looked at to see the report acknowledged. */
  watchMs?: number;
}

export class Retirement {
  private under: Promise<{ wipedAt: string; wipedNow: boolean }> | null = null;
  private watch: NodeJS.Timeout | null = null;
  private watching = false;
  private readonly log: Logger;

  constructor(private readonly options: RetirementOptions) {
    this.log = options.logger.child({ part: "retire" });
  }

  /** The counter that says, in the same database, that this device's wipe has committed. */
  private get counter(): string {
    return `retired_wiped_at:${this.options.deviceId}`;
  }

  /** The controller's `retire` notice (again at every connection: the answer is the same). */
  retire(): Promise<{ wipedAt: string; wipedNow: boolean }> {
    this.under ??= this.carryOut().finally(() => {
      this.under = null;
    });
    return this.under;
  }

  private async carryOut(): Promise<{ wipedAt: string; wipedNow: boolean }> {
    const { paths, deviceId, now } = this.options;
    const box = this.options.box();
    const marker = readRetirement(paths.dataDir);
    const known = marker !== null && retires(marker, deviceId) ? marker : null;
    if (known?.wipedAt != null) {
      this.enterRetired(box, false);
      return { wipedAt: known.wipedAt, wipedNow: false };
    }
    const retiredAt = known?.retiredAt ?? now().toISOString();
    writeMarker(paths.dataDir, { deviceId, retiredAt, wipedAt: null });
    this.log.warn("the controller says this device is retired: stopping and wiping the buffer");
    await box.session.close();
    await box.janitor.stop();
    const wipedAt = await this.wipe(retiredAt);
    this.enterRetired(box, false);
    box.changed();
    return { wipedAt, wipedNow: true };
  }

  /**
   * At start: a retired box finishes an interrupted wipe and stays retired.
   * Returns false when this device is not retired (a marker left for another
   * device id is removed: the box was given a new bundle).
   */
  async resume(): Promise<boolean> {
    const { paths, deviceId } = this.options;
    const marker = readRetirement(paths.dataDir);
    if (marker === null) return false;
    if (!retires(marker, deviceId)) {
      this.log.warn(
        { retiredDevice: marker.deviceId, deviceId },
        "this box was retired under another device id and now has a new bundle: starting afresh",
      );
      await rm(join(paths.dataDir, RETIRED_FILE), { force: true });
      return false;
    }
    const box = this.options.box();
    await box.session.close();
    const wipedAt = marker.wipedAt ?? (await this.wipe(marker.retiredAt));
    if (marker.wipedAt !== null) await this.removeFootage(); // a wipe cut short after its commit
    this.log.error(
      { retiredAt: marker.retiredAt, wipedAt },
      "this box is retired: it does not record and its buffer is wiped. " +
        "To use it again, enrol it afresh (a new device id) and install the new bundle.",
    );
    this.enterRetired(box, true);
    return true;
  }

  /** Deletes the index rows and outbox and raises the report in one transaction, then the files. */
  private async wipe(retiredAt: string): Promise<string> {
    const { db, now, paths } = this.options;
    const at = now();
    const report = await db.transaction(async (tx) => {
      const done = await tx.get<{ value: number }>("SELECT value FROM counters WHERE name = ?", [
        this.counter,
      ]);
      if (done !== undefined) return null; // committed before a cut: only the files were left
      const recordings = await tx.get<{ n: number }>("SELECT count(*) AS n FROM recordings");
      const segments = await tx.get<{ n: number; bytes: number }>(
        "SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes FROM segments",
      );
      const dropped = await tx.run("DELETE FROM outbox");
      await tx.run("DELETE FROM segments");
      await tx.run("DELETE FROM recordings");
      await tx.run("DELETE FROM rejected_events");
      await tx.run("INSERT INTO counters (name, value) VALUES (?, ?)", [
        this.counter,
        at.getTime(),
      ]);
      const data = {
        retiredAt,
        recordings: recordings?.n ?? 0,
        segments: segments?.n ?? 0,
        bytes: segments?.bytes ?? 0,
        droppedEvents: dropped.changes,
      };
      await raiseEvent(tx, "device.wiped", data, at);
      return data;
    });
    await this.removeFootage();
    const wipedAt = at.toISOString();
    writeMarker(paths.dataDir, { deviceId: this.options.deviceId, retiredAt, wipedAt });
    if (report !== null) this.log.warn(report, "buffer wiped");
    return wipedAt;
  }

  /** Every recording's folder and the cached config go; the buffer folder itself stays. */
  private async removeFootage(): Promise<void> {
    const { paths } = this.options;
    const entries = await readdir(paths.buffer).catch(() => []);
    for (const entry of entries) {
      await rm(join(paths.buffer, entry), { recursive: true, force: true });
    }
    await rm(paths.config, { force: true });
  }

  /**
   * The lamp's error pattern for good; the link runs only until the wipe
   * report is acknowledged, then the box says goodbye and stays offline.
   */
  private enterRetired(box: RetiringBox, starting: boolean): void {
    box.lamp.showFault();
    if (this.watching) return;
    this.watching = true;
    let linkStarted = false;
    const check = async () => {
      this.watch = null;
      try {
        if ((await this.options.outbox.depth()) === 0) {
          this.log.info("the wipe report is acknowledged; this retired box stays offline");
          this.watching = false;
          await box.link.stop();
          return;
        }
      } catch (error) {
        // the daemon is stopping (its database is closed)
        this.log.debug({ err: error }, "stopped watching the wipe report");
        this.watching = false;
        return;
      }
      if (starting && !linkStarted) {
        linkStarted = true;
        box.link.start();
      }
      this.watch = setTimeout(() => void check(), this.options.watchMs ?? 500);
      this.watch.unref();
    };
    void check();
  }

  /** Stops watching (the daemon is stopping). */
  close(): void {
    if (this.watch !== null) clearTimeout(this.watch);
    this.watch = null;
    this.watching = false;
  }
}
