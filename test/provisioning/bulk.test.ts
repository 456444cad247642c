// Bulk enrolment of 200 rooms from a CSV with some bad rows, against a real
// controller: the exact report, the exact set of bundles, nothing
// half-written; and with --all-or-nothing, nothing at all.
import t, { type Test } from "tap";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadSettings } from "@classcam/device";
import { parseCsv } from "@classcam/provisioning";
import { tempDir } from "../helpers/controller.js";
import { provision, startProvisionedSchool, type ProvisionedSchool } from "./harness.js";

const ROOMS = 200;

/** The CSV: 200 rooms, line n + 1 holds room n; some rows are bad on purpose. */
function roomsCsv(): { text: string; bad: Map<number, string> } {
  const lines = ["room,deviceId,lampPin,buttonPin,cameraBus"];
  const bad = new Map<number, string>();
  for (let n = 1; n <= ROOMS; n += 1) {
    const line = n + 1;
    let row = `Room ${n},room-${n},,,usb-0000:01:00.0-1.${n % 4}`;
    switch (line) {
      case 6:
        row = `Room ${n},Room-${n},,,`;
        bad.set(
          line,
          `line 6 (Room-${n}): 'Room-${n}' is not a device id: use lower-case letters, digits ` +
            "and hyphens, starting and ending with a letter or digit (e.g. 'room-12')",
        );
        break;
      case 21:
        row = ` ,room-${n},,,`;
        bad.set(line, `line 21 (room-${n}): room must not be empty`);
        break;
      case 30:
        row = `"Lab ${n}, ""north"" wing",room-${n},5,6,`;
        break;
      case 42:
        row = `Room ${n},room-${n},x,,`;
        bad.set(line, `line 42 (room-${n}): lampPin must be a GPIO line number 0–1023 (got 'x')`);
        break;
      case 77:
        row = `Room ${n},room-9,,,`;
        bad.set(line, "line 77 (room-9): device id 'room-9' is also on line 10");
        break;
      case 100:
        row = `Room ${n},room-${n},4,4,`;
        bad.set(line, `line 100 (room-${n}): the lamp and the button are both on GPIO 4`);
        break;
      case 150:
        bad.set(
          line,
          `line 150 (room-${n}): device 'room-${n}' is already enrolled (Staff room, active)`,
        );
        break;
      case 180:
        bad.set(
          line,
          `line 180 (room-${n}): OUT/room-${n} already exists and is not empty; a bundle is never written over another`,
        );
        break;
      case 190:
        row = `Room ${n},room-${n},,`;
        bad.set(line, `line 190 (room-${n}): has 4 fields, the header has 5`);
        break;
    }
    lines.push(row);
  }
  return { text: `${lines.join("\r\n")}\r\n`, bad };
}

function badIdOf(line: number, bad: Map<number, string>): boolean {
  return bad.has(line);
}

/**
 * A school for the bulk runs: the rooms' CSV written to `csv`, room-149
 * already enrolled (line 150 finds it) and a bundle folder for room-179
 * already in `out` (line 180 finds it); all removed when the test ends.
 */
async function bulkSchool(t: Test) {
  const school = await startProvisionedSchool();
  t.teardown(school.close);
  const dir = tempDir();
  t.teardown(dir.remove);
  const out = join(dir.path, "bundles");
  const csv = join(dir.path, "rooms.csv");
  const { text, bad } = roomsCsv();
  writeFileSync(csv, text);
  await school.controller.app.devices.enrol({ id: "room-149", room: "Staff room" });
  mkdirSync(join(out, "room-179"), { recursive: true });
  writeFileSync(join(out, "room-179", "device.json"), "{}");
  return { school, dir, out, csv, text, bad };
}

/** `classcam-provision bulk --csv CSV --out OUT --mqtt` the school's broker, then `extra`, as IT. */
const bulk = (
  school: ProvisionedSchool,
  csv: string,
  out: string,
  extra: string[] = [],
  options: { tty?: boolean } = {},
) =>
  provision(
    ["bulk", "--csv", csv, "--out", out, "--mqtt", school.controller.url, ...extra],
    school.env,
    options,
  );

void t.test("bulk: 200 rooms, bad rows reported by line, the good ones enrolled", async (t) => {
  const { school, out, csv, text, bad } = await bulkSchool(t);
  t.equal(parseCsv(text).length, ROOMS + 1, "one record per room, and the header");

  const result = await bulk(school, csv, out, ["--backend", "sim", "--button-pin", "18"]);
  t.equal(result.code, 1, "some rows failed");
  t.equal(result.stderr, "");
  const good: { n: number; room: string }[] = [];
  for (let n = 1; n <= ROOMS; n += 1) {
    if (!badIdOf(n + 1, bad))
      good.push({ n, room: n === 29 ? 'Lab 29, "north" wing' : `Room ${n}` });
  }
  t.equal(good.length, ROOMS - bad.size);
  const expected = [
    ...good.map(({ n, room }) => `enrolled room-${n} (${room})`),
    ...[...bad.values()].map((line) => line.replace("OUT", out)),
    `enrolled ${good.length} of ${ROOMS} rooms; ${bad.size} not enrolled; bundles in ${out}`,
    "",
  ].join("\n");
  t.equal(result.stdout, expected, "the exact report");

  // exactly the good rows' bundles, each whole, and the folder that was there
  const folders = readdirSync(out).sort();
  t.same(
    folders,
    [...good.map(({ n }) => `room-${n}`), "room-179"].sort(),
    "no other folder, no partial one",
  );
  for (const { n } of good) {
    const settings = loadSettings(join(out, `room-${n}`, "device.json"));
    t.equal(settings.deviceId, `room-${n}`);
    if (n === 29) {
      t.equal(settings.hardware.lamp.pin, 5, "a row's own pins");
      t.equal(settings.hardware.button.pin, 6);
    } else {
      t.equal(settings.hardware.button.pin, 18, "the option's pin where the row has none");
    }
  }
  const enrolled = (await school.controller.app.devices.list()).map((d) => d.id).sort();
  t.same(
    enrolled,
    [...good.map(({ n }) => `room-${n}`), "room-149"].sort(),
    "the controller has exactly those",
  );
  const lab = await school.controller.app.devices.require("room-29");
  t.equal(lab.room, 'Lab 29, "north" wing', "a quoted room name arrives whole");
  const audit = await school.controller.app.db.get<{ n: number }>(
    "SELECT count(*) AS n FROM audit_log WHERE action = 'device.enrol' AND actor = 'it-jo'",
  );
  t.equal(audit?.n, good.length, "each enrolment is audited under the IT account");

  // run again with the same CSV: every row is now refused, nothing changes
  const again = await bulk(school, csv, out);
  t.equal(again.code, 1);
  t.match(
    again.stdout,
    /line 2 \(room-1\): device 'room-1' is already enrolled \(Room 1, active\)/,
  );
  t.match(again.stdout, new RegExp(`enrolled 0 of ${ROOMS} rooms; ${ROOMS} not enrolled\n$`));
  t.same(readdirSync(out).sort(), folders, "no folder added");
});

void t.test("bulk --all-or-nothing: one bad row, nothing enrolled or written", async (t) => {
  const { school, dir, out, csv, text, bad } = await bulkSchool(t);
  const result = await bulk(school, csv, out, ["--all-or-nothing", "--button-pin", "18"]);
  t.equal(result.code, 1);
  t.equal(
    result.stdout,
    [
      ...[...bad.values()].map((line) => line.replace("OUT", out)),
      `nothing enrolled and nothing written: ${bad.size} of ${ROOMS} rows have problems (--all-or-nothing)`,
      "",
    ].join("\n"),
  );
  t.same(readdirSync(out), ["room-179"], "nothing written");
  t.same(
    (await school.controller.app.devices.list()).map((d) => d.id),
    ["room-149"],
    "nothing enrolled",
  );

  // the same CSV without its bad rows goes through whole
  const goodOnly = text
    .split("\r\n")
    .filter((_line, index) => !bad.has(index + 1))
    .join("\n");
  writeFileSync(csv, goodOnly);
  const clean = await bulk(school, csv, join(dir.path, "clean"), ["--all-or-nothing"], {
    tty: true,
  });
  t.equal(clean.code, 0, clean.stdout);
  t.equal(
    clean.stdout,
    `enrolled ${ROOMS - bad.size} of ${ROOMS - bad.size} rooms; bundles in ${join(dir.path, "clean")}\n`,
  );
  const count = ROOMS - bad.size;
  t.match(clean.stderr, `\r[${".".repeat(30)}] 1/${count} room-1`, "a progress bar on a terminal");
  t.match(clean.stderr, `\r[${"#".repeat(30)}] ${count}/${count} room-200`);
  t.equal(readdirSync(join(dir.path, "clean")).length, ROOMS - bad.size);
});

void t.test("bulk: a CSV that cannot be read at all exits 2 with the line", async (t) => {
  const dir = tempDir();
  t.teardown(dir.remove);
  const env = {
    CLASSCAM_CONTROLLER: "http://127.0.0.1:9",
    CLASSCAM_USER: "it",
    CLASSCAM_PASSWORD: "x",
  };
  const cases: [string, RegExp][] = [
    ["", /the CSV is empty: it needs a header line/],
    ["room,deviceId\n", /the CSV has a header but no rooms/],
    [
      "room,device,colour\nA,a,red\n",
      /line 1: unknown column 'colour' \(column 3\); the columns are room, deviceId/,
    ],
    ["deviceId\nroom-1\n", /line 1: the header has no 'room' column/],
    ['room,deviceId\n"Room 1,room-1\nRoom 2,room-2\n', /line 2: a quoted field is never closed/],
  ];
  for (const [text, message] of cases) {
    const csv = join(dir.path, "rooms.csv");
    writeFileSync(csv, text);
    const result = await provision(["bulk", "--csv", csv, "--out", join(dir.path, "out")], env);
    t.equal(result.code, 2, JSON.stringify(text));
    t.match(result.stderr, message);
  }
  t.same(readdirSync(dir.path), ["rooms.csv"], "nothing written");
});
