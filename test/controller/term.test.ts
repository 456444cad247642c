// A term on the real controller, day by day with a fake clock: bookings,
// recordings from device events, requests to keep with everyone's consent,
// exemplars, holds placed and released, owners deleting — and the retention
// sweep each evening, with a device on a real MQTT connection carrying out its
// deletions and uploads (real segments, through the upload routes). Every evening: nothing protected was deleted, and
// everything due is gone.
import t from "tap";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Person } from "../../controller/src/domain/access.js";
import { seeded } from "../helpers/events.js";
import { answeringDevice, deviceEvent, startSchool } from "../helpers/school.js";
import { testSeed } from "../helpers/env.js";

const DAY = 86_400_000;
const START = new Date("2026-09-07T07:00:00.000Z"); // a Monday
const TERM_DAYS = 70;
const BUFFER_DAYS = 7;
const ARCHIVE_DAYS = 21;

interface Row {
  id: string;
  ended_at: string | null;
  on_device: number;
  on_controller: number;
  archive_state: string;
  archived_at: string | null;
  exemplar: number;
  deletion_requested_at: string | null;
  held: number;
}

void t.test("a term day by day: nothing protected is deleted, everything due is", async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with CLASSCAM_TEST_SEED=${seed})`);
  const random = seeded(seed);
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { app, clock } = school;
  const { requests } = await answeringDevice(t, school, "room-1");
  const teacher: Person = { id: "teacher-a", roles: ["teacher"] };
  const colleague: Person = { id: "teacher-b", roles: ["teacher"] };
  const slt: Person = { id: "slt", roles: ["slt", "teacher"] };
  await app.policy.update(
    { retention: { bufferDays: BUFFER_DAYS, archiveDays: ARCHIVE_DAYS } },
    "slt",
  );

  const holds = new Map<string, number>(); // recording → hold id
  let recorded = 0;
  const counts = { kept: 0, exemplars: 0, held: 0, ownerDeleted: 0 };
  for (let day = 0; day < TERM_DAYS; day += 1) {
    const morning = new Date(START.getTime() + day * DAY);
    clock.now = morning;
    const weekday = morning.getUTCDay();
    if (weekday !== 0 && weekday !== 6) {
      const exemplar = random() < 0.15;
      const booking = await app.timetable.create(teacher, {
        deviceId: "room-1",
        start: new Date(morning.getTime() + 2 * 3_600_000).toISOString(),
        end: new Date(morning.getTime() + 3 * 3_600_000).toISOString(),
        purpose: exemplar ? "exemplar-bank" : "coaching",
        classCode: "7A1",
        staff: ["teacher-a", "teacher-b"],
      });
      const id = randomUUID();
      await deviceEvent(
        app,
        "room-1",
        "recording.started",
        { recordingId: id, bookingId: booking.bookingId, audio: true, encoder: "libx264" },
        new Date(morning.getTime() + 2 * 3_600_000),
      );
      clock.now = new Date(morning.getTime() + 3 * 3_600_000);
      await deviceEvent(
        app,
        "room-1",
        "recording.stopped",
        {
          recordingId: id,
          reason: "booking-ended",
          durationSeconds: 3600,
          segments: 900,
          bytes: 1e9,
        },
        clock.now,
      );
      recorded += 1;
      // the first three lessons take each fate in turn, so every seed sees all of them
      const fate = [0, 0.3, 0.4][recorded - 1] ?? random();
      if (fate < 0.25) {
        await app.recordings.requestArchive(teacher, id, exemplar);
        await app.recordings.consent(colleague, id, "agree");
        counts.kept += 1;
        if (exemplar) counts.exemplars += 1;
      } else if (fate < 0.35) {
        holds.set(id, (await app.recordings.placeHold(slt, id, "a matter under review")).holdId);
        counts.held += 1;
      } else if (fate < 0.45) {
        await app.recordings.requestDeletion(teacher, id);
        counts.ownerDeleted += 1;
      }
    }
    // holds placed earlier are sometimes released
    for (const [id, holdId] of [...holds]) {
      if (random() < 0.05) {
        await app.recordings.releaseHold(slt, holdId, "the matter is closed now");
        holds.delete(id);
      }
    }
    clock.now = new Date(morning.getTime() + 11 * 3_600_000);
    await app.custodian.deliver(); // uploads
    await app.custodian.sweep(); // deletions, delivered to the device

    const rows = await app.db.all<Row>(
      `SELECT r.id, r.ended_at, r.on_device, r.on_controller, r.archive_state, r.archived_at,
              r.exemplar, r.deletion_requested_at,
              EXISTS (SELECT 1 FROM holds h WHERE h.recording_id = r.id AND h.released_at IS NULL) AS held
       FROM recordings r`,
    );
    const now = clock.now.getTime();
    let failures = 0;
    for (const row of rows) {
      const check = (ok: boolean, what: string) => {
        if (!ok) {
          failures += 1;
          t.fail(`day ${day}: ${row.id}: ${what}`, { row });
        }
      };
      const ended = Date.parse(row.ended_at ?? "");
      if (row.held === 1) {
        check(row.on_device === 1, "a held recording is still on the device");
        check(
          row.archive_state !== "archived" || row.on_controller === 1,
          "a held archive is still on the controller",
        );
        continue;
      }
      if (row.archive_state === "archived") {
        if (row.on_controller === 1)
          check(
            existsSync(join(school.controller.dataDir, "recordings", row.id, "index.m3u8")),
            "an archive on the controller has its footage there",
          );
        const archiveDue =
          row.exemplar === 0 && Date.parse(row.archived_at ?? "") + ARCHIVE_DAYS * DAY <= now;
        check(
          row.on_controller === (archiveDue || row.deletion_requested_at !== null ? 0 : 1),
          "the archive copy is kept exactly while due",
        );
        if (row.exemplar === 1 && row.deletion_requested_at === null)
          check(row.on_controller === 1, "an exemplar is kept until released");
      }
      const bufferDue = ended + BUFFER_DAYS * DAY <= now;
      if (row.deletion_requested_at !== null || bufferDue) {
        check(row.on_device === 0, "footage due is gone from the device");
      } else {
        check(row.on_device === 1, "footage not yet due is still on the device");
      }
    }
    if (failures > 0) break;
  }
  t.comment(`${recorded} recordings: ${JSON.stringify(counts)}`);
  t.ok(recorded >= 45, "a term's worth of recordings");
  t.ok(counts.kept > 0 && counts.held > 0 && counts.ownerDeleted > 0, "every fate happened");
  t.ok(
    requests.some((r) => r.op === "upload-recording"),
    "uploads were asked for",
  );
  t.ok(
    requests.some((r) => r.op === "delete-recording"),
    "deletions were asked for",
  );
  const deletions = await app.db.get<{ n: number }>(
    "SELECT count(*) AS n FROM deletions WHERE done_at IS NOT NULL",
  );
  const audited = await app.db.get<{ n: number }>(
    "SELECT count(*) AS n FROM audit_log WHERE action = 'footage.delete'",
  );
  t.equal(audited?.n, deletions?.n, "every deletion is recorded and audited");
  t.match(await app.audit.verify(), { ok: true });
});

void t.test(
  "a device that refuses a deletion keeps the footage on the list until it succeeds",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { app, clock } = school;
    const { refuse } = await answeringDevice(t, school, "room-1");
    const teacher: Person = { id: "teacher-a", roles: ["teacher"] };
    const booking = await app.timetable.create(teacher, {
      deviceId: "room-1",
      start: "2026-09-07T09:00:00Z",
      end: "2026-09-07T10:00:00Z",
      purpose: "coaching",
      classCode: "7A1",
    });
    const id = randomUUID();
    await deviceEvent(
      app,
      "room-1",
      "recording.started",
      { recordingId: id, bookingId: booking.bookingId, audio: true, encoder: "libx264" },
      new Date("2026-09-07T09:00:00Z"),
    );
    await deviceEvent(
      app,
      "room-1",
      "recording.stopped",
      { recordingId: id, reason: "button", durationSeconds: 60, segments: 15, bytes: 1000 },
      new Date("2026-09-07T09:01:00Z"),
    );
    clock.now = new Date("2026-09-07T12:00:00Z");
    await app.recordings.requestDeletion(teacher, id);

    refuse.error = "disk read-only";
    await app.custodian.sweep();
    const pending = await app.db.get<{ done_at: string | null }>(
      "SELECT done_at FROM deletions WHERE recording_id = ? AND copy = 'device'",
      [id],
    );
    t.same(pending, { done_at: null }, "the deletion stays pending");
    t.ok(
      school.controller.lines.some(
        (line) =>
          String(line.msg).includes("tried again later") &&
          JSON.stringify(line.err).includes("disk read-only"),
      ),
      "the refusal is logged with the device's reason",
    );
    t.match(await app.db.get("SELECT on_device, deleted_at FROM recordings WHERE id = ?", [id]), {
      on_device: 1,
      deleted_at: null,
    });

    refuse.error = null;
    await app.custodian.deliver();
    t.match(
      await app.db.get("SELECT on_device, deleted_at FROM recordings WHERE id = ?", [id]),
      { on_device: 0, deleted_at: "2026-09-07T12:00:00.000Z" },
      "the next delivery carries it out",
    );
  },
);
