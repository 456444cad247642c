/**
 * The controller's retained config for this device (schedule, retention,
 * masks, audio per booking, holds, uploads), kept on disk so the rules are
 * enforced while the controller is away and after a restart. A payload that
 * fails validation is refused with its reason and the last good config stays.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";
import {
  checkConfig,
  maskedBookingsOf,
  parse,
  parseJson,
  type DeviceConfig,
} from "@classcam/protocol";

export type ConfigOutcome =
  | {
      outcome: "applied";
      config: DeviceConfig;
      /** Why it could not be saved (it is enforced all the same, until a restart), or null. */
      saveProblem: string | null;
    }
  | { outcome: "unchanged" }
  | { outcome: "rejected"; version: number | null; reason: string };

export class ConfigCache {
  private value: DeviceConfig | null = null;
  private readonly listeners = new Set<(config: DeviceConfig) => void>();
  /**
   * Bookings whose own masks came in a config that was refused, with why: the
   * config in force does not carry those masks, so they are not recorded under
   * it (never unmasked). Kept on disk beside the config; a config applied
   * later replaces it all.
   */
  private refusedMasks = new Map<string, string>();

  constructor(private readonly file: string) {}

  /** Bookings not to record until a config with their masks is applied, with why. */
  get unmaskable(): ReadonlyMap<string, string> {
    return this.refusedMasks;
  }

  /** Reads the last good config from disk; a damaged file is reported and ignored. */
  load(): { loaded: boolean; problem: string | null } {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      return { loaded: false, problem: null };
    }
    this.refusedMasks = readRefusedMasks(`${this.file}.refused-masks`);
    const result = parse.config(text);
    if (!result.ok) return { loaded: false, problem: `${this.file}: ${result.error}` };
    this.value = result.value;
    return { loaded: true, problem: null };
  }

  get current(): DeviceConfig | null {
    return this.value;
  }

  onChange(listener: (config: DeviceConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A config payload from the controller: applied (and saved) when valid and newer. */
  receive(payload: Buffer | string): ConfigOutcome {
    const result = parse.config(payload);
    if (!result.ok) {
      const json = parseJson(payload);
      const version = json.ok ? versionOf(json.value) : null;
      if (json.ok) this.refuseMasks(json.value, result.error);
      return { outcome: "rejected", version, reason: result.error };
    }
    const config = result.value;
    if (this.value !== null && config.version <= this.value.version) {
      return config.version === this.value.version
        ? { outcome: "unchanged" }
        : {
            outcome: "rejected",
            version: config.version,
            reason: `version ${config.version} is older than the applied version ${this.value.version}`,
          };
    }
    // a config that cannot be saved (disk failing, data folder gone) is still enforced:
    // its holds protect footage now; the controller's retained copy comes again at restart
    let saveProblem: string | null = null;
    try {
      this.save(config);
    } catch (error) {
      saveProblem = (error as Error).message;
      rmSync(`${this.file}.tmp`, { force: true });
    }
    this.value = config;
    if (this.refusedMasks.size > 0) {
      this.refusedMasks = new Map();
      rmSync(`${this.file}.refused-masks`, { force: true });
    }
    for (const listener of this.listeners) listener(config);
    return { outcome: "applied", config, saveProblem };
  }

  /**
   * A refused config's bookings that asked for masks other than those in
   * force: not recorded until a config with their masks is applied.
   */
  private refuseMasks(payload: unknown, reason: string): void {
    const inForce = new Map(
      (this.value?.schedule ?? []).map((booking) => [
        booking.bookingId,
        JSON.stringify(booking.masks ?? []),
      ]),
    );
    let added = false;
    for (const [bookingId, masks] of maskedBookingsOf(payload)) {
      if (inForce.get(bookingId) === JSON.stringify(masks)) continue;
      this.refusedMasks.set(bookingId, `the config with them was refused: ${reason}`.slice(0, 500));
      added = true;
    }
    if (!added) return;
    try {
      writeFileSync(
        `${this.file}.refused-masks`,
        JSON.stringify(Object.fromEntries(this.refusedMasks)),
      );
    } catch {
      // still refused until a restart; the controller's retained config comes again then
    }
  }

  /** Written to a temporary file, flushed, then renamed over the old one: never half-written. */
  private save(config: DeviceConfig): void {
    const checked = checkConfig(config);
    if (!checked.ok) throw new Error(`refusing to save an invalid config: ${checked.error}`);
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(config, null, 2));
    const fd = openSync(temporary, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
    const dir = openSync(dirname(this.file), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}

/** The `version` of a payload that failed validation, when it has a usable one. */
function versionOf(value: unknown): number | null {
  if (typeof value !== "object" || value === null) return null;
  const version = (value as { version?: unknown }).version;
  return typeof version === "number" && Number.isSafeInteger(version) && version >= 0
    ? version
    : null;
}

/** The refused bookings kept on disk; a missing or damaged file is none. */
function readRefusedMasks(file: string): Map<string, string> {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as unknown;
    if (typeof value !== "object" || value === null) return new Map();
    return new Map(
      Object.entries(value).filter(
        (entry): entry is [string, string] => typeof entry[1] === "string",
      ),
    );
  } catch {
    return new Map();
  }
}
