/**
 * The fleet: enrol, disable, enable, rotate and retire classroom devices, check
 * their credentials, and keep each device's configuration (the retained config
 * the broker publishes to it). Later issues expose this to IT over HTTP.
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  DEFAULT_SPOKEN_NOTICE,
  DEFAULT_BUFFER_DAYS,
  checkConfig,
  deviceIdProblem,
  type DeviceConfig,
  type DeviceState,
} from "@classcam/protocol";
import type { Database } from "../db/database.js";
import { CredentialRows } from "./credential-rows.js";
import { DomainError } from "./errors.js";
import {
  DEVICE_KEY_BYTES,
  generateSecret,
  hashDeviceSecret,
  isScryptHash,
  verifyDeviceSecret,
} from "./secrets.js";

export type DeviceStatus = "active" | "disabled" | "retired";
import type { Clock } from "./clock.js";

export interface Device {
  id: string;
  room: string;
  status: DeviceStatus;
  enrolledAt: string;
  statusChangedAt: string;
  connected: boolean;
  availability: "online" | "offline" | null;
  availabilityAt: string | null;
  lastSeenAt: string | null;
  lastSeq: number | null;
  state: DeviceState | null;
  config: DeviceConfig;
  /** When the retired device reported its buffer wiped (its `device.wiped` event); else null. */
  wipedAt: string | null;
}

interface DeviceRow {
  id: string;
  room: string;
  status: DeviceStatus;
  enrolled_at: string;
  status_changed_at: string;
  config_json: string;
  connected: number;
  availability: "online" | "offline" | null;
  availability_at: string | null;
  state_json: string | null;
  last_seen_at: string | null;
  last_seq: number | null;
  wiped_at: string | null;
}

/** When the device reported its buffer wiped (events_by_kind finds the few such events). */
const WIPED_AT =
  "(SELECT min(e.occurred_at) FROM events e WHERE e.kind = 'device.wiped' " +
  "AND e.device_id = devices.id) AS wiped_at";

const COLUMNS =
  "id, room, status, enrolled_at, status_changed_at, config_json, connected, availability, " +
  `availability_at, state_json, last_seen_at, last_seq, ${WIPED_AT}`;

function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    room: row.room,
    status: row.status,
    enrolledAt: row.enrolled_at,
    statusChangedAt: row.status_changed_at,
    connected: row.connected === 1,
    availability: row.availability,
    availabilityAt: row.availability_at,
    lastSeenAt: row.last_seen_at,
    lastSeq: row.last_seq,
    state: row.state_json === null ? null : (JSON.parse(row.state_json) as DeviceState),
    config: JSON.parse(row.config_json) as DeviceConfig,
    wipedAt: row.wiped_at,
  };
}

export type DeviceOverview = Omit<Device, "config"> & {
  config: Pick<DeviceConfig, "version" | "masks">;
};

/** `movedToHmac`: the secret was right and its stored scrypt hash was just replaced by an HMAC. */
export type CredentialCheck =
  | { ok: true; movedToHmac: boolean }
  | {
      ok: false;
      reason: "unknown-device" | "wrong-secret" | "disabled" | "retired";
      movedToHmac: boolean;
    };

export interface DeviceRegistryEvents {
  /** A device's configuration changed: publish it. */
  config: [deviceId: string, config: DeviceConfig];
  /** A device's connection must go: it was disabled or retired, or its secret changed. */
  revoked: [deviceId: string, status: DeviceStatus];
}

function roomProblem(room: string): string | null {
  const trimmed = room.trim();
  if (trimmed.length === 0) return "room must not be empty";
  if (trimmed.length > 100) return "room is at most 100 characters";
  if (/[\p{Cc}]/u.test(room)) return "room must not contain control characters";
  return null;
}

export class DeviceRegistry extends EventEmitter<DeviceRegistryEvents> {
  private readonly credentialRows: CredentialRows<DeviceStatus>;

  /**
   * `deviceKey`: the key secrets are stored under (device-key.ts). Without one
   * the registry makes its own, good only in this process: for tests and tools
   * that never check a secret stored by another process.
   */
  constructor(
    private readonly db: Database,
    private readonly clock: Clock = () => new Date(),
    private readonly deviceKey: Buffer = randomBytes(DEVICE_KEY_BYTES),
  ) {
    super();
    this.credentialRows = new CredentialRows<DeviceStatus>(db);
    if (deviceKey.length !== DEVICE_KEY_BYTES) {
      throw new Error(`a device key is ${DEVICE_KEY_BYTES} bytes, not ${deviceKey.length}`);
    }
  }

  /** Enrols a device. The secret is returned once and never stored in clear. */
  async enrol(input: { id: string; room: string }): Promise<{ device: Device; secret: string }> {
    const problems = [deviceIdProblem(input.id), roomProblem(input.room)].filter(
      (problem): problem is string => problem !== null,
    );
    if (problems.length > 0) throw new DomainError("invalid", problems.join("; "));
    const secret = generateSecret();
    const secretHash = hashDeviceSecret(secret, this.deviceKey);
    const now = this.clock().toISOString();
    const room = input.room.trim();
    const config = defaultConfig(room, now);
    // read back on the writer, inside the transaction: the reader connection may not see the
    // row yet when many enrolments commit at once (a bench of 1,000 once got "no device")
    const row = await this.db.transaction(async (tx) => {
      const existing = await tx.get<{ status: DeviceStatus }>(
        "SELECT status FROM devices WHERE id = ?",
        [input.id],
      );
      if (existing) {
        throw new DomainError(
          "conflict",
          existing.status === "retired"
            ? `device '${input.id}' was retired; ids are never reused — choose a new one`
            : `device '${input.id}' is already enrolled`,
        );
      }
      await tx.run(
        "INSERT INTO devices (id, room, secret_hash, status, enrolled_at, status_changed_at, " +
          "config_json, config_version) VALUES (?, ?, ?, 'active', ?, ?, ?, ?)",
        [input.id, room, secretHash, now, now, JSON.stringify(config), config.version],
      );
      return tx.get<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE id = ?`, [input.id]);
    });
    if (!row) throw new Error(`device '${input.id}' was not written`);
    this.emit("config", input.id, config);
    return { device: toDevice(row), secret };
  }

  /** Issues a new secret; the old one stops working at once. */
  async rotateSecret(id: string): Promise<{ secret: string }> {
    const device = await this.require(id);
    if (device.status === "retired") {
      throw new DomainError("conflict", `device '${id}' is retired`);
    }
    const secret = generateSecret();
    const secretHash = hashDeviceSecret(secret, this.deviceKey);
    await this.db.transaction((tx) =>
      tx.run("UPDATE devices SET secret_hash = ? WHERE id = ?", [secretHash, id]),
    );
    this.emit("revoked", id, device.status);
    return { secret };
  }

  disable(id: string): Promise<Device> {
    return this.changeStatus(id, "disabled", ["active"]);
  }

  enable(id: string): Promise<Device> {
    return this.changeStatus(id, "active", ["disabled"]);
  }

  /** Retires a device for good; its id is never reused and its history stays. */
  retire(id: string): Promise<Device> {
    return this.changeStatus(id, "retired", ["active", "disabled"]);
  }

  private async changeStatus(
    id: string,
    to: DeviceStatus,
    from: readonly DeviceStatus[],
  ): Promise<Device> {
    const now = this.clock().toISOString();
    await this.db.transaction(async (tx) => {
      const row = await tx.get<{ status: DeviceStatus }>(
        "SELECT status FROM devices WHERE id = ?",
        [id],
      );
      if (!row) throw new DomainError("not-found", `no device '${id}'`);
      if (!from.includes(row.status)) {
        throw new DomainError("conflict", `device '${id}' is ${row.status}; cannot make it ${to}`);
      }
      await tx.run("UPDATE devices SET status = ?, status_changed_at = ? WHERE id = ?", [
        to,
        now,
        id,
      ]);
    });
    const device = await this.require(id);
    if (to === "active") this.emit("config", id, device.config);
    else this.emit("revoked", id, to);
    return device;
  }

  async get(id: string): Promise<Device | null> {
    const row = await this.db.get<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE id = ?`, [id]);
    return row ? toDevice(row) : null;
  }

  async require(id: string): Promise<Device> {
    const device = await this.get(id);
    if (!device) throw new DomainError("not-found", `no device '${id}'`);
    return device;
  }

  async list(): Promise<Device[]> {
    const rows = await this.db.all<DeviceRow>(`SELECT ${COLUMNS} FROM devices ORDER BY id`);
    return rows.map(toDevice);
  }

  /**
   * Every device for the fleet page, with only the parts of its config the page
   * shows (the version and the masks): the schedule stays in the database.
   */
  async overview(): Promise<DeviceOverview[]> {
    const rows = await this.db.all<
      Omit<DeviceRow, "config_json"> & { config_version: number; masks_json: string }
    >(
      "SELECT id, room, status, enrolled_at, status_changed_at, connected, availability, " +
        `availability_at, state_json, last_seen_at, last_seq, ${WIPED_AT}, config_version, ` +
        "json_extract(config_json, '$.masks') AS masks_json FROM devices ORDER BY id",
    );
    return rows.map((row) => ({
      ...toDevice({ ...row, config_json: "null" }),
      config: {
        version: row.config_version,
        masks: JSON.parse(row.masks_json) as DeviceConfig["masks"],
      },
    }));
  }

  /** Devices that may not be connected (disabled or retired), with their status. */
  async inactive(): Promise<Map<string, DeviceStatus>> {
    const rows = await this.db.all<{ id: string; status: DeviceStatus }>(
      "SELECT id, status FROM devices WHERE status != 'active'",
    );
    return new Map(rows.map((row) => [row.id, row.status]));
  }

  /** At broker start no device is connected, whatever an earlier run left behind. */
  async resetConnections(): Promise<void> {
    await this.db.transaction((tx) =>
      tx.run("UPDATE devices SET connected = 0 WHERE connected = 1"),
    );
  }

  /** The config version of every active device: cheap to compare against what was published. */
  async activeConfigVersions(): Promise<Map<string, number>> {
    const rows = await this.db.all<{ id: string; config_version: number }>(
      "SELECT id, config_version FROM devices WHERE status = 'active'",
    );
    return new Map(rows.map((row) => [row.id, row.config_version]));
  }

  /** Current configuration of every active device, for the broker to publish. */
  async activeConfigs(): Promise<{ deviceId: string; config: DeviceConfig }[]> {
    const rows = await this.db.all<{ id: string; config_json: string }>(
      "SELECT id, config_json FROM devices WHERE status = 'active' ORDER BY id",
    );
    return rows.map((row) => ({
      deviceId: row.id,
      config: JSON.parse(row.config_json) as DeviceConfig,
    }));
  }

  async checkCredentials(id: string, secret: string): Promise<CredentialCheck> {
    // sign-ins arriving together share one query (credential-rows.ts)
    const row = await this.credentialRows.get(id);
    if (!row) return { ok: false, reason: "unknown-device", movedToHmac: false };
    // the secret is checked first: only its holder learns that a device is disabled or retired
    if (!(await verifyDeviceSecret(secret, row.secret_hash, this.deviceKey))) {
      return { ok: false, reason: "wrong-secret", movedToHmac: false };
    }
    const movedToHmac =
      isScryptHash(row.secret_hash) && (await this.moveToHmac(id, secret, row.secret_hash));
    if (row.status !== "active") return { ok: false, reason: row.status, movedToHmac };
    return { ok: true, movedToHmac };
  }

  /**
   * Replaces a device's checked scrypt hash by the HMAC of the same secret,
   * unless the hash changed meanwhile (a rotation wins). True when it did.
   */
  private async moveToHmac(id: string, secret: string, scrypt: string): Promise<boolean> {
    const hmac = hashDeviceSecret(secret, this.deviceKey);
    const { changes } = await this.db.transaction((tx) =>
      tx.run("UPDATE devices SET secret_hash = ? WHERE id = ? AND secret_hash = ?", [
        hmac,
        id,
        scrypt,
      ]),
    );
    return changes === 1;
  }

  /**
   * Replaces parts of a device's configuration; the version goes up by one.
   * Refuses a result that the protocol's own config schema would refuse.
   */
  async updateConfig(
    id: string,
    change: Partial<Omit<DeviceConfig, "version" | "issuedAt" | "room">>,
  ): Promise<DeviceConfig> {
    const now = this.clock().toISOString();
    const config = await this.db.transaction(async (tx) => {
      const row = await tx.get<{ config_json: string; status: DeviceStatus }>(
        "SELECT config_json, status FROM devices WHERE id = ?",
        [id],
      );
      if (!row) throw new DomainError("not-found", `no device '${id}'`);
      if (row.status === "retired") throw new DomainError("conflict", `device '${id}' is retired`);
      const current = JSON.parse(row.config_json) as DeviceConfig;
      const next: DeviceConfig = {
        ...current,
        ...change,
        version: current.version + 1,
        issuedAt: now,
      };
      const checked = checkConfig(next);
      if (!checked.ok) throw new DomainError("invalid", `configuration refused: ${checked.error}`);
      await tx.run("UPDATE devices SET config_json = ?, config_version = ? WHERE id = ?", [
        JSON.stringify(next),
        next.version,
        id,
      ]);
      return next;
    });
    this.emit("config", id, config);
    return config;
  }
}

export function defaultConfig(room: string, issuedAt: string): DeviceConfig {
  return {
    version: 1,
    issuedAt,
    room,
    schedule: [],
    retention: { bufferDays: DEFAULT_BUFFER_DAYS },
    policy: { allowUnbookedRecording: false, spokenNotice: DEFAULT_SPOKEN_NOTICE },
    masks: [],
    holds: [],
  };
}
