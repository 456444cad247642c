// Migration "copies with faces blurred for clips too; unblurred shares": a
// rendition queued before it keeps its place (its copy id is the recording's),
// a clip's copy can be queued, and shares are ordinary (blurred) unless made
// otherwise.
import t from "tap";
import { join } from "node:path";
import { Database, migrate, migrations } from "@classcam/controller";
import { tempDir } from "../helpers/controller.js";

const RECORDING = "00000000-0000-4000-8000-000000000001";
const CLIP = "00000000-0000-4000-8000-000000000002";

void t.test("renditions and shares carried over", async (t) => {
  const dir = tempDir();
  const db = await Database.open(join(dir.path, "c.sqlite"));
  t.teardown(async () => {
    await db.close();
    dir.remove();
  });
  const at = migrations.findIndex((m) => m.name.startsWith("copies with faces blurred"));
  t.ok(at > 0, "the migration is in the list");
  await migrate(db, migrations.slice(0, at));
  await db.transaction(async (tx) => {
    await tx.run(
      "INSERT INTO devices (id, room, secret_hash, status, enrolled_at, status_changed_at, config_json, config_version) " +
        "VALUES ('room-1', 'Lab', 'x', 'active', 'now', 'now', '{}', 1)",
    );
    await tx.run(
      `INSERT INTO users (id, display_name, roles_json, password_hash, status, created_at,
         password_changed_at) VALUES ('teacher-a', 'A', '["teacher"]', 'x', 'active', 'now', 'now')`,
    );
    await tx.run(
      `INSERT INTO recordings (id, device_id, owner_id, staff_json, started_at, ended_at, audio,
         encoder, segments, bytes)
       VALUES (?, 'room-1', 'teacher-a', '[]', '2026-11-23T09:01:00Z', '2026-11-23T09:02:00Z', 1,
         'libx264', 1, 1)`,
      [RECORDING],
    );
    await tx.run(
      "INSERT INTO renditions (recording_id, state, progress, queued_at) VALUES (?, 'making', 0.5, 'then')",
      [RECORDING],
    );
    await tx.run(
      "INSERT INTO shares (recording_id, with_id, created_by, created_at) VALUES (?, 'teacher-a', 'teacher-a', 'then')",
      [RECORDING],
    );
    await tx.run(
      `INSERT INTO clips (id, recording_id, owner_id, staff_json, asked_in_seconds,
         asked_out_seconds, start_seconds, end_seconds, bytes, segments, title, created_at)
       VALUES (?, ?, 'teacher-a', '[]', 0, 1, 0, 1, 1, 1, 'A clip', 'then')`,
      [CLIP, RECORDING],
    );
  });
  await migrate(db);
  t.same(
    await db.all("SELECT copy_id, recording_id, clip_id, state, progress FROM renditions"),
    [
      {
        copy_id: RECORDING,
        recording_id: RECORDING,
        clip_id: null,
        state: "making",
        progress: 0.5,
      },
    ],
    "the recording's copy keeps its place and progress",
  );
  t.same(await db.all("SELECT unblurred FROM shares"), [{ unblurred: 0 }], "shares stay blurred");
  await db.transaction((tx) =>
    tx.run(
      "INSERT INTO renditions (copy_id, clip_id, state, queued_at) VALUES (?, ?, 'queued', 'now')",
      [CLIP, CLIP],
    ),
  );
  await t.rejects(
    db.transaction((tx) =>
      tx.run(
        "INSERT INTO renditions (copy_id, recording_id, clip_id, state, queued_at) VALUES (?, ?, ?, 'queued', 'now')",
        [RECORDING, RECORDING, CLIP],
      ),
    ),
    /constraint/i,
    "a copy is of a recording or of a clip, not both",
  );
});
