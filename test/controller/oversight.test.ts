// The read-only views behind the dashboard's school-management screens
// (routes/oversight.ts): the fleet a page at a time with its filters, counts
// and figures; a still picture of a room for drawing masks (audited, and
// refused in words when there is none or ffmpeg is missing); the use of the
// boxes over the weeks, footage held over time included; the holds and
// investigations in force. Bad query strings are refused with a reason.
import t from "tap";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { bufferDays, weekStart } from "../../controller/src/routes/oversight.js";
import { deviceEvent, deviceFootage, startSchool, type School } from "../helpers/school.js";

const START = new Date("2026-11-25T12:00:00.000Z"); // a Wednesday
const DAY = 86_400_000;

/** A recording of `minutes` on `deviceId`, `daysAgo` before START, as its box reports it. */
async function recording(
  school: School,
  deviceId: string,
  daysAgo: number,
  minutes: number,
  bytes: number,
): Promise<string> {
  const recordingId = randomUUID();
  const start = new Date(START.getTime() - daysAgo * DAY);
  const data = { recordingId, bookingId: null, audio: true, encoder: "libx264" };
  await deviceEvent(school.app, deviceId, "recording.started", data, start);
  await deviceEvent(
    school.app,
    deviceId,
    "recording.stopped",
    { recordingId, reason: "button", durationSeconds: minutes * 60, segments: 10, bytes },
    new Date(start.getTime() + minutes * 60_000),
  );
  return recordingId;
}

void t.test("week starts and days of buffer", async (t) => {
  t.equal(new Date(weekStart(START.getTime())).toISOString(), "2026-11-23T00:00:00.000Z");
  t.equal(
    new Date(weekStart(Date.parse("2026-11-29T23:59:59Z"))).toISOString(),
    "2026-11-23T00:00:00.000Z",
    "Sunday is in the week that began on Monday",
  );
  const storage = { freeBytes: 10e9, bufferBytes: 8e9, protectedBytes: 2e9 };
  t.equal(bufferDays(storage, 2e9), 8, "free plus overwritable space, at 2 GB a day");
  t.equal(bufferDays(storage, 0), null, "nothing recorded lately: not known");
  t.equal(bufferDays(null, 1e9), null, "no storage reported: not known");
});

void t.test("the fleet a page at a time", async (t) => {
  const school = await startSchool({ start: START, devices: ["room-1", "room-2", "room-10"] });
  t.teardown(school.close);
  const { as, app } = school;
  await as.dpo.patch("/api/policy", { bookings: { allowUnbookedRecording: true } });
  await app.db.transaction((tx) =>
    tx.run(
      "UPDATE devices SET connected = 1, availability = 'online', state_json = ? WHERE id = 'room-2'",
      [
        JSON.stringify({
          at: START.toISOString(),
          software: "classcam-device 0.1.0",
          bootId: randomUUID(),
          lamp: "recording",
          recording: {
            recordingId: randomUUID(),
            bookingId: null,
            startedAt: START.toISOString(),
            audio: true,
          },
          configVersion: 1,
          storage: { totalBytes: 32e9, freeBytes: 12e9, bufferBytes: 16e9, protectedBytes: 4e9 },
          health: { uptimeSeconds: 60, temperatureC: 51.5, bytesWritten: 96e9 },
        }),
      ],
    ),
  );
  // 14 GB in the last two weeks: 1 GB a day
  await recording(school, "room-2", 3, 50, 7e9);
  await recording(school, "room-2", 10, 50, 7e9);
  await recording(school, "room-2", 20, 50, 50e9); // too long ago to count
  await deviceEvent(app, "room-1", "camera.lost", { detail: "no /dev/video0" }, START);

  const page = await as.bursar.get("/api/fleet");
  t.equal(page.status, 200, JSON.stringify(page.body));
  const body = page.json<{
    total: number;
    matched: number;
    counts: Record<string, number>;
    devices: {
      id: string;
      online: boolean;
      lamp: string | null;
      recording: boolean;
      bufferDays: number | null;
      cardWrites: number | null;
      temperatureC: number | null;
      alerts: { alertId: number | null; kind: string; detail: string }[];
    }[];
  }>();
  t.same(
    body.devices.map((d) => d.id),
    ["room-1", "room-2", "room-10"],
    "by room, numbers in order",
  );
  t.same(body.counts, { online: 1, recording: 1, alerts: 1, offline: 2 });
  t.match(body.devices[1], {
    id: "room-2",
    online: true,
    lamp: "recording",
    recording: true,
    bufferDays: 24, // 12 GB free + 12 GB overwritable, at 1 GB a day
    cardWrites: 3,
    temperatureC: 51.5,
    alerts: [],
  });
  t.match(body.devices[0]?.alerts, [
    { kind: "camera-lost", detail: "no /dev/video0" },
    { alertId: null, kind: "offline" },
  ]);
  t.equal(body.devices[0]?.lamp, null, "an offline box's lamp is not known");

  const ids = async (query: string, who = as.it) =>
    (await who.get(`/api/fleet?${query}`)).json<{ matched: number; devices: { id: string }[] }>();
  t.same(
    (await ids("q=ROOM-1")).devices.map((d) => d.id),
    ["room-1", "room-10"],
    "found by name",
  );
  t.same(
    (await ids("show=recording")).devices.map((d) => d.id),
    ["room-2"],
  );
  t.same(
    (await ids("show=offline")).devices.map((d) => d.id),
    ["room-1", "room-10"],
  );
  t.same(
    (await ids("show=alerts")).devices.map((d) => d.id),
    ["room-1", "room-10"],
  );
  t.match(await ids("offset=1&limit=1"), { matched: 3, devices: [{ id: "room-2" }] }, "paged");
  await as.it.post("/api/devices/room-10/retire", {});
  t.same(
    (await ids("")).devices.map((d) => d.id),
    ["room-1", "room-2"],
    "retired ones left out",
  );
  t.same(
    (await ids("status=retired")).devices.map((d) => d.id),
    ["room-10"],
  );
  t.equal((await ids("status=any")).matched, 3);

  for (const bad of ["limit=0", "limit=500", "offset=-1", "show=everything", "status=gone"]) {
    const reply = await as.it.get(`/api/fleet?${bad}`);
    t.equal(reply.status, 400, `${bad} is refused`);
    t.match(reply.json(), { message: /querystring/ }, "saying what is wrong");
  }
  t.equal((await as["teacher-a"].get("/api/fleet")).status, 403, "not for teachers");
  t.equal((await as.dpo.get("/api/fleet")).status, 403, "nor the DPO");
});

void t.test("no still of a kept recording is served to draw masks on", async (t) => {
  // a still of a recording is footage: it would reach the DPO, and SLT without an
  // investigation; masks are drawn on a live picture instead (test/device/self-test.test.ts)
  const school = await startSchool({ start: START, devices: ["room-1"] });
  t.teardown(school.close);
  const { as, app } = school;
  const recordingId = await recording(school, "room-1", 1, 10, 1e6);
  const footage = await deviceFootage();
  const first = footage.segments[0];
  if (!first) throw new Error("no footage");
  const folder = join(school.controller.dataDir, "recordings", recordingId);
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(footage.dir, first.name), join(folder, first.name));
  await app.db.transaction(async (tx) => {
    await tx.run("UPDATE recordings SET on_controller = 1 WHERE id = ?", [recordingId]);
    await tx.run(
      `INSERT INTO upload_segments (recording_id, seq, name, duration_seconds, bytes, sha256, received_at)
       VALUES (?, 0, ?, 1, ?, ?, ?)`,
      [recordingId, first.name, first.bytes, first.sha256, START.toISOString()],
    );
  });
  for (const who of ["dpo", "slt", "head"] as const) {
    const asked = await as[who].get("/api/devices/room-1/frame");
    t.equal(asked.status, 404, `${who}: no such route`);
    t.not(asked.headers["content-type"], "image/jpeg");
  }
  t.same(
    (await as.dpo.get("/api/audit?action=device.frame")).json<{ entries: unknown[] }>().entries,
    [],
    "nothing shown",
  );
});

void t.test("use over the weeks, and holds and investigations in force", async (t) => {
  const school = await startSchool({ start: START, devices: ["room-1", "room-2"] });
  t.teardown(school.close);
  const { as, app } = school;
  await as.dpo.patch("/api/policy", { bookings: { allowUnbookedRecording: true } });
  const kept = await recording(school, "room-1", 2, 60, 4e9); // this week (Monday)
  const gone = await recording(school, "room-2", 9, 30, 2e9); // last week
  await deviceEvent(
    app,
    "room-2",
    "recording.deleted",
    { recordingId: gone, reason: "retention", bytes: 2e9 },
    new Date(START.getTime() - 4 * DAY),
  );

  const use = (await as.bursar.get("/api/use?weeks=2")).json<{
    weeks: string[];
    hoursByRoom: { room: string; hours: number[] }[];
    hoursByPurpose: { purpose: string | null; hours: number[] }[];
    storage: { days: string[]; onBoxes: number[]; onServer: number[] };
    now: Record<string, number>;
  }>();
  t.same(use.weeks, ["2026-11-16T00:00:00.000Z", "2026-11-23T00:00:00.000Z"]);
  t.same(use.hoursByRoom, [
    { deviceId: "room-1", room: "Room room-1", hours: [0, 1] },
    { deviceId: "room-2", room: "Room room-2", hours: [0.5, 0] },
  ]);
  t.same(use.hoursByPurpose.find((p) => p.purpose === null)?.hours, [0.5, 1], "unbooked");
  const held = (day: string) => use.storage.onBoxes[use.storage.days.indexOf(day)];
  t.equal(held("2026-11-17T00:00:00.000Z"), 2e9, "room-2's footage held from the 16th");
  t.equal(held("2026-11-21T00:00:00.000Z"), 2e9, "still there at the end of the 20th");
  t.equal(held("2026-11-22T00:00:00.000Z"), 0, "gone by the end of the 21st");
  t.equal(held("2026-11-24T00:00:00.000Z"), 4e9, "room-1's from the 23rd");
  t.equal(use.storage.days.at(-1), START.toISOString(), "up to now");
  t.match(use.now, { recordings: 1, onHold: 0 });
  t.equal((await as.bursar.get("/api/use?weeks=53")).status, 400, "a year at most");
  t.equal((await as.it.get("/api/use")).status, 403, "not for IT");

  const hold = await as.slt.post(`/api/recordings/${kept}/holds`, {
    reason: "A complaint is being looked into.",
  });
  t.equal(hold.status, 201, JSON.stringify(hold.body));
  const opened = await as.head.post(`/api/recordings/${kept}/investigations`, {
    reason: "Safeguarding review, asked for by the governors.",
  });
  t.equal(opened.status, 201, JSON.stringify(opened.body));
  const governance = (await as.dpo.get("/api/governance")).json();
  t.match(governance, {
    holds: [
      {
        recordingId: kept,
        room: "Room room-1",
        placedBy: "slt",
        placedByName: "Ms slt",
        reason: "A complaint is being looked into.",
      },
    ],
    investigations: [
      { recordingId: kept, room: "Room room-1", openedBy: "head", openedByName: "Ms head" },
    ],
  });
  t.equal((await as.bursar.get("/api/governance")).status, 403, "not for the Bursar");
  t.match((await as.slt.get("/api/use")).json(), { now: { onHold: 1 } });
});
