// Each room's teacher zones and each copy's (domain/teacher-zones.ts), on a
// migrated database: a clip's copy takes the zones of the room its recording
// was made in; when a room's zones are made smaller, the copies of that
// room's recordings and clips made under the larger ones are found (to be
// removed), and no copy of another room's.
import { join } from "node:path";
import t from "tap";
import { Database } from "../../controller/src/db/database.js";
import { migrate } from "../../controller/src/db/migrations.js";
import { AuditLog } from "../../controller/src/domain/audit.js";
import { TeacherZonesStore } from "../../controller/src/domain/teacher-zones.js";
import { NO_ZONES, type TeacherZones } from "../../controller/src/domain/zone-rule.js";
import { tempDir } from "../helpers/controller.js";
import { insertClipRow } from "../helpers/clip-rows.js";

const AT = "2026-11-23T09:00:00.000Z";
const FRONT: TeacherZones = { mode: "faces", zones: [{ x: 0, y: 0, width: 0.5, height: 1 }] };
const SMALLER: TeacherZones = { mode: "faces", zones: [{ x: 0, y: 0, width: 0.25, height: 1 }] };
const LARGER: TeacherZones = { mode: "faces", zones: [{ x: 0, y: 0, width: 0.75, height: 1 }] };

async function school(t: { teardown: (fn: () => unknown) => void }) {
  const dir = tempDir();
  const db = await Database.open(join(dir.path, "c.sqlite"));
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  await migrate(db);
  await db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO users (id, display_name, roles_json, password_hash, status, created_at,
         password_changed_at) VALUES ('teacher-a', 'Mr Able', '["teacher"]', 'x', 'active', ?, ?)`,
      [AT, AT],
    );
    for (const room of ["room-1", "room-2"]) {
      await tx.run(
        `INSERT INTO devices (id, room, secret_hash, status, enrolled_at, status_changed_at,
           config_json, config_version) VALUES (?, ?, 'x', 'active', ?, ?, '{}', 1)`,
        [room, `Room ${room}`, AT, AT],
      );
      await tx.run(
        `INSERT INTO recordings (id, device_id, owner_id, staff_json, started_at, audio, encoder)
         VALUES (?, ?, 'teacher-a', '["teacher-a"]', ?, 0, 'libx264')`,
        [`rec-${room}`, room, AT],
      );
    }
    await insertClipRow(tx, {
      id: "clip-1",
      recordingId: "rec-room-1",
      from: 0,
      to: 4,
      title: "Cold calling",
      createdAt: AT,
    });
  });
  const zones = new TeacherZonesStore(db, new AuditLog(db, () => new Date(AT)), () => new Date(AT));
  return { db, zones };
}

void t.test("copies of a room's footage and its zones", async (t) => {
  const { zones } = await school(t);
  t.same(await zones.get("room-1"), NO_ZONES, "none set: every face blurred");
  t.same(await zones.madeUnder("rec-room-1"), NO_ZONES, "a copy from before zones: none");
  t.same(await zones.set("room-1", FRONT, "dpo"), [], "no copy made yet");
  t.same(await zones.inForce("rec-room-1"), FRONT, "a recording's copy: its room's zones");
  t.same(await zones.inForce("clip-1"), FRONT, "a clip's copy: its recording's room's");
  t.same(await zones.inForce("rec-room-2"), NO_ZONES, "another room's: none");
  t.same(await zones.roomsWithZones(), ["Room room-1"]);

  for (const copy of ["rec-room-1", "clip-1", "rec-room-2"]) {
    await zones.makingUnder(copy, await zones.inForce(copy));
  }
  t.same(await zones.madeUnder("clip-1"), FRONT, "written down with the copy");

  t.same(await zones.set("room-1", LARGER, "dpo"), [], "a larger zone: every copy still safe");
  const stale = await zones.set("room-1", SMALLER, "dpo");
  t.same(
    stale.sort((a, b) => a.copyId.localeCompare(b.copyId)),
    [
      { copyId: "clip-1", of: "clip" },
      { copyId: "rec-room-1", of: "recording" },
    ],
    "a smaller zone: the room's copies made under the larger one, the clip's too",
  );
  await t.rejects(
    zones.set("room-1", { mode: "background", zones: [] }, "dpo"),
    { name: "DomainError", message: /draw at least one zone/ },
    "refused in words",
  );
  await t.rejects(zones.set("ghost", FRONT, "dpo"), { message: /no device 'ghost'/ });
  t.same(
    await zones.set("room-2", { mode: "background", zones: FRONT.zones }, "dpo"),
    [{ copyId: "rec-room-2", of: "recording" }],
    "the background to be blurred: a copy with it sharp must go",
  );
});
