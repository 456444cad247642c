// `classcam-controller dpo ...` on a running school's database: find, export
// to a file, erase (the running server's sweep carries it out) and the
// certificate, which 'audit verify --anchor' then checks; bad arguments
// refused with what is wrong.
import t from "tap";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { run, type Io } from "../../controller/src/cli.js";
import { eventually, tempDir } from "../helpers/controller.js";
import { answeringDevice, deviceEvent, recordedLesson, startSchool } from "../helpers/school.js";

void t.test("the DPO's requests from the shell", async (t) => {
  const school = await startSchool({ start: new Date("2026-11-23T08:00:00.000Z") });
  t.teardown(school.close);
  const { as, app, controller } = school;
  await answeringDevice(t, school, "room-1");
  const { recordingId: lesson } = await recordedLesson(school);
  await as["teacher-a"].post(`/api/recordings/${lesson}/archive`, {});
  await as["teacher-b"].put(`/api/recordings/${lesson}/consent`, { decision: "agree" });
  await eventually(
    async () => (await as["teacher-a"].get(`/api/recordings/${lesson}`)).json().onController,
    20_000,
    "the lesson uploaded",
  );
  const held = randomUUID();
  await deviceEvent(
    app,
    "room-1",
    "recording.started",
    { recordingId: held, bookingId: null, audio: false, encoder: "libx264" },
    new Date("2026-11-23T11:00:00Z"),
  );
  await deviceEvent(
    app,
    "room-1",
    "recording.stopped",
    { recordingId: held, reason: "button", durationSeconds: 60, segments: 15, bytes: 500 },
    new Date("2026-11-23T11:01:00Z"),
  );
  await as.slt.post(`/api/recordings/${held}/holds`, { reason: "a complaint is being looked at" });

  const dir = tempDir();
  t.teardown(dir.remove);
  const config = join(dir.path, "c.json");
  writeFileSync(config, JSON.stringify({ dataDir: controller.dataDir }));
  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const sink: Io = { out: (line) => out.push(line), err: (line) => err.push(line) };
    const code = await run([...args, "--config", config], sink);
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  const monday = ["--from", "2026-11-23", "--to", "2026-11-23"];
  const found = await cli("dpo", "find", "--as", "dpo", "--rooms", "room-1", ...monday);
  t.equal(found.code, 0, found.err);
  t.match(found.out, new RegExp(`${lesson} .*Room room-1 {2}7A1 {2}box, server, archive`));
  t.match(found.out, new RegExp(`${held} .*ON HOLD`));
  const byClass = await cli("dpo", "find", "--as", "dpo", "--class", "7A1", ...monday, "--json");
  t.same(
    (JSON.parse(byClass.out) as { recordingId: string }[]).map((f) => f.recordingId),
    [lesson],
  );

  const bad: [string[], RegExp][] = [
    [["dpo"], /which command\? one of find, export, erase, certificate/],
    [["dpo", "find", "--rooms", "room-1", ...monday], /--as names your own DPO account/],
    [["dpo", "find", "--as", "dpo", ...monday], /--rooms or by --class, one of the two/],
    [
      [
        "dpo",
        "find",
        "--as",
        "dpo",
        "--rooms",
        "room-1",
        "--from",
        "23/11/2026",
        "--to",
        "2026-11-23",
      ],
      /--from must be a date/,
    ],
    [
      [
        "dpo",
        "find",
        "--as",
        "dpo",
        "--rooms",
        "room-1",
        "--from",
        "2025-01-01",
        "--to",
        "2026-11-23",
      ],
      /at most 366 days/,
    ],
    [
      ["dpo", "find", "--as", "teacher-a", "--rooms", "room-1", ...monday],
      /'teacher-a' is not the data protection officer/,
    ],
    [
      ["dpo", "export", "--as", "dpo", "--reference", "SAR-1", "--recordings", lesson],
      /--out is required/,
    ],
    [["dpo", "erase", "--as", "dpo", "--recordings", lesson], /--reference is required/],
    [["dpo", "certificate"], /name the erasure/],
  ];
  for (const [args, message] of bad) {
    const refused = await cli(...args);
    t.not(refused.code, 0, args.join(" "));
    t.match(refused.err, message, args.join(" "));
  }

  const out = join(dir.path, "sar.tar");
  // footage goes with every face blurred, which the running controller makes: not from here
  const withFootage = await cli(
    ...["dpo", "export", "--as", "dpo", "--reference", "SAR-2026-014"],
    ...["--recordings", `${lesson},${held}`, "--footage", lesson, "--out", out],
  );
  t.not(withFootage.code, 0);
  t.match(withFootage.err, /every face blurred[\s\S]*export it from the DPO page of the dashboard/);
  const exported = await cli(
    ...["dpo", "export", "--as", "dpo", "--reference", "SAR-2026-014"],
    ...["--recordings", `${lesson},${held}`, "--out", out],
  );
  t.equal(exported.code, 0, exported.err);
  t.match(exported.out, /2 recording\(s\), footage of 0, /);
  const listing = await promisify(execFile)("tar", ["-tf", out]);
  t.match(listing.stdout, "./manifest.json");
  t.notMatch(listing.stdout, /footage\/.*\.ts/, "no footage in it");

  const erased = await cli(
    ...[
      "dpo",
      "erase",
      "--as",
      "dpo",
      "--reference",
      "ERASE-7",
      "--recordings",
      `${lesson},${held}`,
    ],
  );
  t.equal(erased.code, 0, erased.err);
  t.match(erased.out, /: 1 recording\(s\) to erase/);
  t.match(erased.out, new RegExp(`not erased ${held}: the recording is on hold`));
  const erasureId = /erasure ([0-9a-f-]{36})/.exec(erased.out)?.[1] ?? "";
  const waiting = await cli("dpo", "certificate", erasureId);
  t.equal(waiting.code, 1, "not complete before the server's sweep");
  t.match(waiting.out, /NOT complete yet/);

  await app.custodian.sweep(); // the running server's sweep
  const done = await eventually(async () => {
    const certificate = await cli("dpo", "certificate", erasureId);
    return certificate.code === 0 ? certificate : null;
  }, 20_000);
  t.match(done.out, /deleted from the school's server/);
  t.match(done.out, /deleted from the classroom box room-1 in Room room-1/);
  const anchor = /--anchor (\d+:[0-9a-f]{64})/.exec(done.out)?.[1] ?? "";
  const verified = await cli("audit", "verify", "--anchor", anchor);
  t.equal(verified.code, 0, verified.out);
  t.match(verified.out, /audit log intact/);
});
