// The upload at the wire's speed: the box keeps a few segments in flight and
// the controller makes the ones finishing together durable together — with
// every guarantee kept: a segment counts only once verified and durable, one
// whose bytes do not match is refused and nothing of it kept, and the next
// segment to start is still the one the priority cursor names.
import t, { type Test } from "tap";
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { Database } from "@classcam/controller";
import { uploadRecording, type UploadSegment } from "../../device/src/link/uploader.js";
import { SegmentCommits } from "../../controller/src/domain/footage-commit.js";
import { tempDir } from "../helpers/controller.js";
import { type School } from "../helpers/school.js";
import {
  UPLOAD_START as START,
  issueUploadToken,
  makeFootage,
  schoolWithRecording as schoolWithFootage,
} from "../helpers/upload-rig.js";

const FOOTAGE = makeFootage(t, {
  prefix: "classcam-overlap-",
  video: "size=64x48:rate=5",
  encode: ["-g", "5"],
  segmentSeconds: 1,
});
const footageDir = { path: FOOTAGE.dir };
const SEGMENTS: UploadSegment[] = FOOTAGE.segments;
const TOTAL = FOOTAGE.total;
const NAMES = SEGMENTS.map((s) => s.name);
const fileOf = FOOTAGE.fileOf;
const schoolWithRecording = (t: Test) => schoolWithFootage(t, FOOTAGE);
const issueToken = issueUploadToken;

/** The segments the controller counts as arrived, and the .ts files in the recording's folder. */
async function heldBy(school: School, id: string): Promise<{ counted: string[]; files: string[] }> {
  const rows = await school.app.db.all<{ name: string }>(
    "SELECT name FROM upload_segments WHERE recording_id = ? AND received_at IS NOT NULL ORDER BY seq",
    [id],
  );
  const folder = join(school.controller.dataDir, "recordings", id);
  const files = existsSync(folder)
    ? readdirSync(folder)
        .filter((name) => name.endsWith(".ts"))
        .sort()
    : [];
  return { counted: rows.map((r) => r.name), files };
}

/** Each file the controller holds is byte for byte the box's. */
function identical(school: School, id: string, names: readonly string[]): boolean {
  return names.every((name) =>
    readFileSync(join(school.controller.dataDir, "recordings", id, name)).equals(fileOf(name)),
  );
}

interface Held {
  deliver: () => void;
}

/**
 * A loopback proxy in front of the controller. `onSegment` sees each segment
 * request as it starts (with how many are open) and may hold it back from the
 * controller until `release()`; `tamper` may change its bytes on the way.
 */
async function proxy(
  t: Test,
  upstream: string,
  hooks: {
    onSegment?: (name: string, open: number) => "hold" | "pass";
    tamper?: (name: string) => boolean;
  },
) {
  const held: Held[] = [];
  let open = 0;
  let holding = true;
  const server = http.createServer((request, response) => {
    const url = request.url ?? "";
    const segment = /\/segments\/([^/]+)$/.exec(url)?.[1];
    if (segment !== undefined) open += 1;
    const wanted = segment === undefined ? "pass" : (hooks.onSegment?.(segment, open) ?? "pass");
    const hold = holding && wanted === "hold";
    const tamper = segment !== undefined && hooks.tamper?.(segment) === true;
    // a held request goes on to the controller only at release(), so its answer is made after
    const start = () => {
      const forward = http.request(
        `${upstream}${url}`,
        { method: request.method, headers: request.headers },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => chunks.push(chunk));
          answer.on("end", () => {
            if (segment !== undefined) open -= 1;
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            response.end(Buffer.concat(chunks));
          });
        },
      );
      let flipped = false;
      request.on("data", (chunk: Buffer) => {
        if (tamper && !flipped) {
          flipped = true;
          const changed = Buffer.from(chunk);
          changed[changed.length >> 1] = (changed[changed.length >> 1] ?? 0) ^ 0x40;
          forward.write(changed);
        } else forward.write(chunk);
      });
      request.on("end", () => forward.end());
    };
    if (hold) held.push({ deliver: start });
    else start();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    /** Sends on everything held, and holds nothing more. */
    release: () => {
      holding = false;
      for (const answer of held.splice(0)) answer.deliver();
    },
  };
}

void t.test("the box keeps several segments in flight, each answered once durable", async (t) => {
  const { school, id } = await schoolWithRecording(t);
  const token = await issueToken(school.app, id);
  let most = 0;
  // no segment is answered until three are on their way at once: one at a time would stall
  const between = await proxy(t, school.httpUrl, {
    onSegment: (_name, open) => {
      most = Math.max(most, open);
      if (open >= 3) {
        queueMicrotask(() => between.release());
        return "pass";
      }
      return "hold";
    },
  });
  const result = await uploadRecording({
    url: `${between.url}/api/uploads/${id}`,
    token,
    recordingId: id,
    segments: SEGMENTS,
    dir: footageDir.path,
    parallel: 3,
    attempts: 1,
    timeoutMs: 5_000,
  });
  t.same(result, { segments: SEGMENTS.length, bytes: TOTAL });
  t.equal(most, 3, "three segments were on the wire at once");
  const { counted, files } = await heldBy(school, id);
  t.same(counted, NAMES, "every segment counted");
  t.same(files, [...NAMES].sort(), "and exactly those on disk");
  t.ok(identical(school, id, NAMES), "each byte for byte the box's");
});

void t.test(
  "with several in flight, a seek ahead still chooses the next to start: from there, then the rest",
  async (t) => {
    const { school, id } = await schoolWithRecording(t);
    const token = await issueToken(school.app, id);
    const ahead = 5;
    const order: string[] = [];
    // the first three are held until the viewer has asked for one ahead of the upload
    const between = await proxy(t, school.httpUrl, {
      onSegment: (name) => {
        order.push(name);
        if (order.length !== 3) return "hold";
        void school.app
          .inject({
            method: "GET",
            url: `/api/recordings/${id}/footage/${NAMES[ahead] ?? ""}`,
            headers: { cookie: school.as["teacher-a"].cookie ?? "" },
          })
          .then((reply) => {
            t.equal(reply.statusCode, 404, "not here yet: asked for");
            between.release();
          });
        return "hold";
      },
    });
    await uploadRecording({
      url: `${between.url}/api/uploads/${id}`,
      token,
      recordingId: id,
      segments: SEGMENTS,
      dir: footageDir.path,
      parallel: 3,
      attempts: 1,
      timeoutMs: 5_000,
    });
    // segments started together reach the proxy in any order (each on its own connection):
    // compared wave by wave, the three going, the three started by their answers, the rest
    const wave = (from: number, to: number) => order.slice(from, to).sort();
    t.ok(NAMES.length === 8 && ahead + 3 === NAMES.length, "eight segments, asked for the sixth");
    t.same(
      [wave(0, 3), wave(3, 6), wave(6, 8)],
      [NAMES.slice(0, 3), NAMES.slice(ahead), NAMES.slice(3, ahead)],
      "the three going, then from the one asked for to the end, then the rest",
    );
    t.equal(new Set(order).size, NAMES.length, "each sent once");
    t.same((await heldBy(school, id)).counted, NAMES);
  },
);

void t.test(
  "bytes damaged on the way are refused, nothing of them kept, and the box sends them again",
  async (t) => {
    const { school, id } = await schoolWithRecording(t);
    const token = await issueToken(school.app, id);
    const victim = NAMES[2] ?? "";
    let tampered = 0;
    const between = await proxy(t, school.httpUrl, {
      tamper: (name) => name === victim && tampered++ === 0,
    });
    const result = await uploadRecording({
      url: `${between.url}/api/uploads/${id}`,
      token,
      recordingId: id,
      segments: SEGMENTS,
      dir: footageDir.path,
      parallel: 4,
      backoffMs: 5,
    });
    t.same(result, { segments: SEGMENTS.length, bytes: TOTAL });
    t.equal(tampered, 2, "the damaged segment was sent a second time");
    const { counted, files } = await heldBy(school, id);
    t.same(counted, NAMES);
    t.same(files, [...NAMES].sort());
    t.ok(identical(school, id, NAMES), "what is kept is the box's bytes, not the damaged ones");
  },
);

void t.test(
  "a segment rotten on the box's disk: a clear error, nothing of it kept, only verified ones counted",
  async (t) => {
    const { school, id } = await schoolWithRecording(t);
    const token = await issueToken(school.app, id);
    const disk = tempDir("classcam-overlap-disk-");
    t.teardown(disk.remove);
    for (const name of NAMES) copyFileSync(join(footageDir.path, name), join(disk.path, name));
    const rotten = NAMES[1] ?? "";
    const bytes = Buffer.from(fileOf(rotten));
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    writeFileSync(join(disk.path, rotten), bytes);
    await t.rejects(
      uploadRecording({
        url: `${school.httpUrl}/api/uploads/${id}`,
        token,
        recordingId: id,
        segments: SEGMENTS,
        dir: disk.path,
        parallel: 4,
      }),
      {
        name: "UploadFailed",
        transient: false,
        message: new RegExp(`segment ${rotten} on this device's disk no longer matches`),
      },
    );
    const { counted, files } = await heldBy(school, id);
    t.notOk(counted.includes(rotten), "the rotten segment is not counted");
    t.same(files, [...counted].sort(), "the folder holds exactly the counted segments");
    t.ok(counted.length > 0, `the others in flight were kept (${counted.length})`);
    t.ok(identical(school, id, counted), "each counted one byte for byte the box's");
  },
);

void t.test("a segment longer on the box's disk than its index says is not sent", async (t) => {
  const { school, id } = await schoolWithRecording(t);
  const token = await issueToken(school.app, id);
  const disk = tempDir("classcam-overlap-long-");
  t.teardown(disk.remove);
  for (const name of NAMES) copyFileSync(join(footageDir.path, name), join(disk.path, name));
  const longer = NAMES[0] ?? "";
  writeFileSync(join(disk.path, longer), Buffer.concat([fileOf(longer), Buffer.from("junk")]));
  await t.rejects(
    uploadRecording({
      url: `${school.httpUrl}/api/uploads/${id}`,
      token,
      recordingId: id,
      segments: SEGMENTS,
      dir: disk.path,
      parallel: 1,
    }),
    {
      name: "UploadFailed",
      transient: false,
      message: new RegExp(
        `segment ${longer} on this device's disk no longer matches its checksum \\(more than`,
      ),
    },
  );
  t.same(await heldBy(school, id), { counted: [], files: [] }, "nothing of it arrived");
});

void t.test("segments finishing together share one folder sync and one transaction", async (t) => {
  const dir = tempDir("classcam-commits-");
  t.teardown(dir.remove);
  const db = await Database.open(join(dir.path, "commits.sqlite"));
  t.teardown(() => db.close());
  await db.transaction(async (tx) => {
    await tx.run(
      `CREATE TABLE upload_segments (recording_id TEXT, seq INTEGER, name TEXT,
           bytes INTEGER, sha256 TEXT, received_at TEXT)`,
    );
    await tx.run("CREATE TABLE uploads (recording_id TEXT, received_bytes INTEGER)");
    await tx.run("INSERT INTO uploads VALUES ('r', 0)");
    for (let seq = 0; seq < 4; seq += 1) {
      await tx.run("INSERT INTO upload_segments VALUES ('r', ?, ?, 10, ?, NULL)", [
        seq,
        `s${seq}.ts`,
        "a".repeat(64),
      ]);
    }
  });
  const syncs: string[] = [];
  const gate: { open?: () => void } = {};
  const commits = new SegmentCommits(
    db,
    () => START,
    async (folder) => {
      syncs.push(folder);
      // the first sync waits until the others have queued behind it
      if (syncs.length === 1) await new Promise<void>((resolve) => (gate.open = resolve));
    },
  );
  const count = (seq: number) =>
    commits.count({
      recordingId: "r",
      folder: "/f",
      name: `s${seq}.ts`,
      bytes: 10,
      sha256: "a".repeat(64),
    });
  const first = count(0);
  const rest = [count(1), count(2), count(3)];
  gate.open?.();
  t.match(await first, { receivedBytes: 10, totalBytes: 40, complete: false });
  const tallies = await Promise.all(rest);
  t.same(
    tallies.map((tally) => tally.complete),
    [true, true, true],
  );
  t.equal(commits.batches, 2, "the three that finished together committed as one");
  t.equal(syncs.length, 2, "one folder sync per batch");
  await t.rejects(
    commits.count({ recordingId: "r", folder: "/f", name: "gone.ts", bytes: 10, sha256: "b" }),
    { message: /manifest changed/ },
    "a segment the manifest no longer names is not counted",
  );
});
