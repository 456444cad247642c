// The DPO's requests (issue 20 §3) through the HTTP API, with a box on a real
// MQTT socket that uploads and deletes as asked: find footage by rooms and
// time or by class, export it for a subject access request (the package's
// contents, its audit entries, the footage marked, taken away once), erase it
// on request (deleted on the box and the controller, refused on hold with the
// reason), and the deletion certificate, checked against the audit chain.
import t, { type Test } from "tap";
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { eventually, tempDir } from "../helpers/controller.js";
import {
  answeringDevice,
  deviceEvent,
  recordedLesson,
  startSchool,
  type School,
} from "../helpers/school.js";

const run = promisify(execFile);
const START = new Date("2026-11-23T08:00:00.000Z");
const MONDAY = "from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z";

/** Teacher A's lesson, kept by consent (so on the controller), and an unbooked one at 11:00. */
async function twoRecordings(t: Test, school: School) {
  const { as } = school;
  const box = await answeringDevice(t, school, "room-1");
  const { recordingId: lesson } = await recordedLesson(school);
  t.equal((await as["teacher-a"].post(`/api/recordings/${lesson}/archive`, {})).status, 200);
  await as["teacher-b"].put(`/api/recordings/${lesson}/consent`, { decision: "agree" });
  await eventually(
    async () => (await as["teacher-a"].get(`/api/recordings/${lesson}`)).json().onController,
    20_000,
    "the lesson uploaded",
  );
  const unbooked = randomUUID();
  await deviceEvent(
    school.app,
    "room-1",
    "recording.started",
    { recordingId: unbooked, bookingId: null, audio: false, encoder: "libx264" },
    new Date("2026-11-23T11:00:00Z"),
  );
  await deviceEvent(
    school.app,
    "room-1",
    "recording.stopped",
    { recordingId: unbooked, reason: "button", durationSeconds: 60, segments: 15, bytes: 500 },
    new Date("2026-11-23T11:01:00Z"),
  );
  return { box, lesson, unbooked };
}

interface Found {
  recordingId: string;
  room: string;
  classCode: string | null;
  onHold: boolean;
  deleted: boolean;
  where: { box: boolean; controller: boolean; archived: boolean; exemplar: boolean; clips: number };
}

void t.test("find footage by rooms and time, or by class and dates", async (t) => {
  const school = await startSchool({ start: START, devices: ["room-1", "room-2"] });
  t.teardown(school.close);
  const { as } = school;
  const { lesson, unbooked } = await twoRecordings(t, school);

  const byRoom = await as.dpo.get(`/api/dpo/footage?rooms=room-1,room-2&${MONDAY}`);
  t.equal(byRoom.status, 200, JSON.stringify(byRoom.body));
  const found = byRoom.json<Found[]>();
  t.same(
    found.map((f) => f.recordingId),
    [lesson, unbooked],
    "both of Monday's recordings, oldest first",
  );
  t.match(found[0], {
    room: "Room room-1",
    classCode: "7A1",
    onHold: false,
    deleted: false,
    where: { box: true, controller: true, archived: true, exemplar: false, clips: 0 },
  });
  t.match(found[1], { classCode: null, where: { box: true, controller: false, archived: false } });

  const other = await as.dpo.get(`/api/dpo/footage?rooms=room-2&${MONDAY}`);
  t.same(other.json(), [], "nothing in room 2");
  const earlier = await as.dpo.get(
    "/api/dpo/footage?rooms=room-1&from=2026-11-23T09:30:00Z&to=2026-11-23T10:30:00Z",
  );
  t.same(earlier.json(), [], "a time range between the two finds neither");
  const byClass = await as.dpo.get(`/api/dpo/footage?classCode=7a1&${MONDAY}`);
  t.same(
    byClass.json<Found[]>().map((f) => f.recordingId),
    [lesson],
    "by class code (any case)",
  );

  const both = await as.dpo.get(`/api/dpo/footage?rooms=room-1&classCode=7A1&${MONDAY}`);
  t.equal(both.status, 400);
  t.match(both.json(), { message: /by rooms or by class, one of the two/ });
  const backwards = await as.dpo.get(
    "/api/dpo/footage?rooms=room-1&from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z",
  );
  t.equal(backwards.status, 400, "to before from");
  const tooLong = await as.dpo.get(
    "/api/dpo/footage?rooms=room-1&from=2025-01-01T00:00:00Z&to=2026-11-23T00:00:00Z",
  );
  t.equal(tooLong.status, 400, "more than a year at a time");
  t.equal((await as.head.get(`/api/dpo/footage?rooms=room-1&${MONDAY}`)).status, 403);
});

void t.test("a subject access export: its contents, audited, taken away once", async (t) => {
  const school = await startSchool({ start: START });
  t.teardown(school.close);
  const { as, app } = school;
  const { lesson, unbooked } = await twoRecordings(t, school);

  const notHere = await as.dpo.post("/api/dpo/exports", {
    reference: "SAR-2026-014",
    recordingIds: [lesson, unbooked],
    footage: [unbooked],
  });
  t.equal(notHere.status, 409, "footage only on the box cannot go");
  t.match(notHere.json(), { message: /not on the school's server: ask for it to be uploaded/ });
  t.equal(
    (
      await as.slt.post("/api/dpo/exports", {
        reference: "SAR-2026-014",
        recordingIds: [lesson],
        footage: [],
      })
    ).status,
    403,
    "only the DPO",
  );

  // the footage goes with every face blurred: the export waits for the copy (a 409 until then;
  // that it is blurred is dpo-export-blurred.test.ts's)
  const made = await eventually(
    async () => {
      const reply = await as.dpo.post("/api/dpo/exports", {
        reference: "SAR-2026-014",
        recordingIds: [lesson, unbooked],
        footage: [lesson],
      });
      if (reply.status === 409) return null;
      t.equal(reply.status, 201, JSON.stringify(reply.body));
      return reply;
    },
    240_000,
    "the export, once the copy with faces blurred is made",
  );
  const answer = made.json<{ exportId: string; sha256: string; bytes: number }>();
  t.match(made.json(), { recordings: 2, footage: 1, facesBlurred: true });

  const taken = await app.inject({
    method: "GET",
    url: `/api/dpo/exports/${answer.exportId}`,
    headers: { cookie: as.dpo.cookie ?? "" },
  });
  t.equal(taken.statusCode, 200);
  t.match(taken.headers["content-disposition"], /attachment/);
  const tar = taken.rawPayload;
  t.equal(tar.length, answer.bytes, "the file announced");
  t.equal(
    createHash("sha256").update(tar).digest("hex"),
    answer.sha256,
    "the SHA-256 announced: the clear tar, decrypted as it was sent",
  );
  const dir = tempDir("classcam-sar-");
  t.teardown(dir.remove);
  writeFileSync(join(dir.path, "export.tar"), tar);
  await run("tar", ["-xf", join(dir.path, "export.tar"), "-C", dir.path]);
  const manifest = JSON.parse(readFileSync(join(dir.path, "manifest.json"), "utf8")) as {
    reference: string;
    facesBlurred: boolean;
    recordings: { recordingId: string; footageFile: string | null; audit: { action: string }[] }[];
  };
  t.equal(manifest.reference, "SAR-2026-014");
  t.equal(manifest.facesBlurred, true, "says faces are blurred");
  t.match(
    readFileSync(join(dir.path, "README.txt"), "utf8"),
    /Every face in the footage is blurred/,
  );
  const [first, second] = manifest.recordings;
  t.equal(first?.recordingId, lesson);
  t.same(
    first?.audit.map((e) => e.action).filter((a) => a.startsWith("archive")),
    ["archive.request", "archive.consented", "archive.complete"],
    "the lesson's audit entries",
  );
  t.equal(first?.footageFile, `footage/${lesson}.ts`);
  t.equal(second?.footageFile, null, "footage not marked stays out");
  const probe = await run("ffprobe", [
    ...["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"],
    join(dir.path, `footage/${lesson}.ts`),
  ]);
  t.ok(Number(probe.stdout) > 1, `the footage plays (${probe.stdout.trim()} s)`);
  t.notOk(existsSync(join(dir.path, `footage/${unbooked}.ts`)));

  const again = await as.dpo.get(`/api/dpo/exports/${answer.exportId}`);
  t.equal(again.status, 404, "taken away once: deleted from the server");
  t.equal(
    await app.db.get("SELECT 1 FROM copy_keys WHERE kind = 'export' AND copy_id = ?", [
      answer.exportId,
    ]),
    undefined,
    "its key erased with it",
  );
  t.match(again.json(), { message: /already taken away/ });

  const actions = (await app.audit.page({ limit: 1000 })).entries.map((e) => [e.action, e.subject]);
  t.same(
    actions.filter(([a]) =>
      ["dpo.export", "footage.export", "dpo.export-download"].includes(a ?? ""),
    ),
    [
      ["dpo.export", answer.exportId],
      ["footage.export", lesson],
      ["dpo.export-download", answer.exportId],
    ],
    "made, the footage in it, and taken away: each audited",
  );
});

void t.test(
  "erasure: deleted on the box and the controller, hold refused, certificate",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { as, app } = school;
    const { box, lesson, unbooked } = await twoRecordings(t, school);
    const hold = await as.slt.post(`/api/recordings/${unbooked}/holds`, {
      reason: "a complaint about this lesson is being looked at",
    });
    t.equal(hold.status, 201, JSON.stringify(hold.body));
    // a clip cut from the lesson is a copy too
    const clip = await as["teacher-a"].post(`/api/recordings/${lesson}/clips`, {
      inSeconds: 0,
      outSeconds: 1,
      title: "Questioning",
    });
    t.equal(clip.status, 201, JSON.stringify(clip.body));

    t.equal(
      (
        await as.head.post("/api/dpo/erasures", {
          reference: "ERASE-7",
          recordingIds: [lesson],
        })
      ).status,
      403,
      "only the DPO",
    );
    const asked = await as.dpo.post("/api/dpo/erasures", {
      reference: "ERASE-7",
      recordingIds: [lesson, unbooked],
    });
    t.equal(asked.status, 201, JSON.stringify(asked.body));
    const { erasureId } = asked.json<{ erasureId: string }>();
    t.match(asked.json(), {
      reference: "ERASE-7",
      erasing: [lesson],
      refused: [{ recordingId: unbooked, reason: /on hold and cannot be deleted/ }],
    });

    const certificateNow = async () => {
      const reply = await as.dpo.get(`/api/dpo/erasures/${erasureId}/certificate`);
      t.equal(reply.status, 200);
      return reply.json<{ complete: boolean; recordings: { waiting: string[] }[] }>();
    };
    const clipLeft = await eventually(
      async () => {
        const body = await certificateNow();
        return body.recordings[0]?.waiting.length === 1 ? body : null;
      },
      20_000,
      "the box's and the server's copies deleted",
    );
    t.match(clipLeft.recordings[0]?.waiting, [/the clip “Questioning” cut from it/]);
    t.equal(clipLeft.complete, false, "not complete while a clip of it remains");
    await app.clips.sweep();
    const certificate = await certificateNow();
    t.equal(certificate.complete, true, "complete once the clip is gone too");
    t.ok(
      box.requests.some((r) => r.op === "delete-recording" && r.args.recordingId === lesson),
      "the box was asked to delete the lesson",
    );
    t.notOk(
      box.requests.some((r) => r.op === "delete-recording" && r.args.recordingId === unbooked),
      "and not the held recording",
    );
    const found = (await as.dpo.get(`/api/dpo/footage?rooms=room-1&${MONDAY}`)).json<Found[]>();
    t.match(found, [
      { recordingId: lesson, deleted: true, where: { box: false, controller: false } },
      { recordingId: unbooked, deleted: false, onHold: true, where: { box: true } },
    ]);

    const cert = certificate as unknown as {
      reference: string;
      requestedBy: string;
      request: { seq: number; hash: string; action: string };
      recordings: {
        recordingId: string;
        marked: { seq: number; hash: string };
        deleted: { copy: string; where: string; entry: { seq: number; hash: string } }[];
        waiting: string[];
      }[];
      refused: { recordingId: string; reason: string }[];
      anchor: { seq: number; hash: string };
      verify: string;
    };
    t.match(cert, { reference: "ERASE-7", requestedBy: "dpo", request: { action: "dpo.erasure" } });
    t.same(
      cert.recordings[0]?.deleted.map((d) => d.copy).sort(),
      ["box", "clip", "controller"],
      "every copy, each with its entry",
    );
    t.match(cert.recordings[0]?.deleted.find((d) => d.copy === "box")?.where, /Room room-1/);
    t.same(cert.recordings[0]?.waiting, []);
    t.match(cert.refused, [{ recordingId: unbooked, reason: /on hold/ }]);
    // every cited entry is in the chain as cited, and the chain verifies up to the anchor
    const cited = [
      cert.request,
      cert.recordings[0]?.marked,
      ...(cert.recordings[0]?.deleted.map((d) => d.entry) ?? []),
    ];
    for (const entry of cited) {
      const stored = (await app.audit.page({ afterSeq: (entry?.seq ?? 1) - 1, limit: 1 }))
        .entries[0];
      t.equal(stored?.hash, entry?.hash, `entry ${entry?.seq} is in the chain as cited`);
    }
    t.equal(
      cert.anchor.seq,
      Math.max(...cited.map((e) => e?.seq ?? 0)),
      "anchored at the last step",
    );
    t.same(await app.audit.verify({ anchor: cert.anchor }), {
      ok: true,
      entries: (await app.audit.head())?.seq,
    });
    t.equal(
      cert.verify,
      `classcam-controller audit verify --anchor ${cert.anchor.seq}:${cert.anchor.hash}`,
    );

    const unknown = await as.dpo.get(`/api/dpo/erasures/${randomUUID()}/certificate`);
    t.equal(unknown.status, 404);
    const noReference = await as.dpo.post("/api/dpo/erasures", {
      reference: " ",
      recordingIds: [lesson],
    });
    t.equal(noReference.status, 400);
  },
);
