/**
 * Teacher zones (issue 19): per room's box, where the copy with faces blurred
 * leaves faces sharp, and how (`domain/zone-rule.ts`). Kept on the controller,
 * not sent to the box: the box records every pixel it is not masked from, and
 * only the controller's anonymiser uses zones, so a box need not know them.
 *
 * `rendition_zones` keeps the zones each copy with faces blurred was made
 * under, so a copy made under other zones is never served (no foreign key:
 * a copy is a recording's or a clip's). A copy without a row was made before
 * zones existed, with every face blurred (`none`).
 */
import type { Migration } from "@classcam/sqlite";

export function zonesMigration(version: number): Migration {
  return {
    version,
    name: "teacher zones: faces left sharp at the front of the room",
    sql: `
      CREATE TABLE teacher_zones (
        device_id   TEXT PRIMARY KEY REFERENCES devices (id),
        mode        TEXT NOT NULL CHECK (mode IN ('none', 'faces', 'background')),
        zones_json  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        updated_by  TEXT NOT NULL
      ) STRICT;
      CREATE TABLE rendition_zones (
        copy_id     TEXT PRIMARY KEY,
        mode        TEXT NOT NULL CHECK (mode IN ('none', 'faces', 'background')),
        zones_json  TEXT NOT NULL
      ) STRICT;
    `,
  };
}
