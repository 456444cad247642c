/**
 * Each room's teacher zones (issue 19; the rule is `zone-rule.ts`), kept on
 * the controller by its box's id, as masks are: set by whoever sets masks
 * (`MASK_ROLES`), audited as `device.zones`. Also the zones each copy with
 * faces blurred was made under (`rendition_zones`), so the anonymiser never
 * serves a copy made under other zones, and, when a room's zones change, the
 * copies that now show too much are found and removed at once.
 */
import type { Database, Transaction } from "../db/database.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { DomainError } from "./errors.js";
import {
  NO_ZONES,
  safeUnder,
  zonesProblem,
  type Area,
  type TeacherZones,
  type ZoneMode,
} from "./zone-rule.js";

interface ZonesRow {
  mode: ZoneMode;
  zones_json: string;
}

const fromRow = (row: ZonesRow | undefined): TeacherZones =>
  row === undefined ? NO_ZONES : { mode: row.mode, zones: JSON.parse(row.zones_json) as Area[] };

/** A copy with faces blurred: a recording's or a clip's (its id is theirs). */
export interface ZonedCopy {
  copyId: string;
  of: "recording" | "clip";
}

export class TeacherZonesStore {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** The room's zones (none set: every face blurred). */
  async get(deviceId: string): Promise<TeacherZones> {
    return fromRow(
      await this.db.get<ZonesRow>(
        "SELECT mode, zones_json FROM teacher_zones WHERE device_id = ?",
        [deviceId],
      ),
    );
  }

  /**
   * Replaces the room's zones (refused, saying why, when they are not valid),
   * audited; answers the copies made under zones that show more than these
   * allow, which the caller removes.
   */
  async set(deviceId: string, setting: TeacherZones, actor: string): Promise<ZonedCopy[]> {
    const problem = zonesProblem(setting);
    if (problem !== null)
      throw new DomainError("invalid", `These zones cannot be saved: ${problem}.`);
    const zones = setting.mode === "none" ? [] : setting.zones.map((z) => ({ ...z }));
    return this.db.transaction(async (tx) => {
      const device = await tx.get<{ id: string }>("SELECT id FROM devices WHERE id = ?", [
        deviceId,
      ]);
      if (!device) throw new DomainError("not-found", `no device '${deviceId}'`);
      await tx.run(
        `INSERT INTO teacher_zones (device_id, mode, zones_json, updated_at, updated_by)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET mode = excluded.mode,
           zones_json = excluded.zones_json, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by`,
        [deviceId, setting.mode, JSON.stringify(zones), this.clock().toISOString(), actor],
      );
      await this.audit.append(tx, {
        actor,
        action: "device.zones",
        subject: deviceId,
        detail: { mode: setting.mode, zones },
      });
      return this.unsafeCopies(tx, deviceId, { mode: setting.mode, zones });
    });
  }

  /** The copies of the room's footage made under zones that show more than `now` allows. */
  private async unsafeCopies(
    tx: Transaction,
    deviceId: string,
    now: TeacherZones,
  ): Promise<ZonedCopy[]> {
    const rows = await tx.all<ZonesRow & { copy_id: string; clip: number }>(
      `SELECT z.copy_id, z.mode, z.zones_json, c.id IS NOT NULL AS clip FROM rendition_zones z
         LEFT JOIN clips c ON c.id = z.copy_id
         JOIN recordings r ON r.id = coalesce(c.recording_id, z.copy_id)
       WHERE r.device_id = ?`,
      [deviceId],
    );
    return rows
      .filter((row) => !safeUnder(fromRow(row), now))
      .map((row) => ({ copyId: row.copy_id, of: row.clip === 1 ? "clip" : "recording" }));
  }

  /** The zones of the room a copy's footage was recorded in (a recording's, or a clip's recording's). */
  async inForce(copyId: string): Promise<TeacherZones> {
    return fromRow(
      await this.db.get<ZonesRow>(
        `SELECT z.mode, z.zones_json FROM teacher_zones z JOIN recordings r ON r.device_id = z.device_id
         WHERE r.id = coalesce((SELECT recording_id FROM clips WHERE id = ?), ?)`,
        [copyId, copyId],
      ),
    );
  }

  /** The zones a copy was made (or is being made) under; a copy from before zones: none. */
  async madeUnder(copyId: string): Promise<TeacherZones> {
    return fromRow(
      await this.db.get<ZonesRow>(
        "SELECT mode, zones_json FROM rendition_zones WHERE copy_id = ?",
        [copyId],
      ),
    );
  }

  /** Writes down the zones a copy is being made under. */
  async makingUnder(copyId: string, setting: TeacherZones): Promise<void> {
    await this.db.transaction((tx) =>
      tx.run(
        `INSERT INTO rendition_zones (copy_id, mode, zones_json) VALUES (?, ?, ?)
         ON CONFLICT (copy_id) DO UPDATE SET mode = excluded.mode, zones_json = excluded.zones_json`,
        [copyId, setting.mode, JSON.stringify(setting.zones)],
      ),
    );
  }

  /** The rooms whose copies leave faces sharp somewhere (for the privacy notice). */
  async roomsWithZones(): Promise<string[]> {
    const rows = await this.db.all<{ room: string }>(
      `SELECT DISTINCT d.room FROM teacher_zones z JOIN devices d ON d.id = z.device_id
       WHERE z.mode <> 'none' AND d.status <> 'retired' ORDER BY d.room`,
    );
    return rows.map((row) => row.room);
  }
}
