// Footage plays while the classroom box is still uploading it: the growing
// (HLS EVENT) playlist lists exactly the segments that have arrived and been
// verified, a segment is served as soon as it is verified (never one that
// failed its check), access and audit are as for finished footage, and a
// viewer who asks for a segment ahead of the upload moves the upload there.
import t, { type Test } from "tap";
import { randomUUID } from "node:crypto";
import http from "node:http";
import { uploadRecording, type UploadSegment } from "../../device/src/link/uploader.js";
import { type School } from "../helpers/school.js";
import {
  issueUploadToken,
  makeFootage,
  schoolWithRecording as schoolWithFootage,
} from "../helpers/upload-rig.js";

const FOOTAGE = makeFootage(t, {
  prefix: "classcam-growing-",
  video: "size=64x48:rate=5",
  encode: ["-g", "5"],
  segmentSeconds: 1,
});
const footageDir = { path: FOOTAGE.dir };
const SEGMENTS: UploadSegment[] = FOOTAGE.segments;
const TOTAL = FOOTAGE.total;
const nameAt = (i: number) => SEGMENTS[i]?.name ?? "missing";
const fileOf = FOOTAGE.fileOf;
const schoolWithRecording = (t: Test) => schoolWithFootage(t, FOOTAGE);
const issueToken = issueUploadToken;

/** The box's side, by hand: the manifest, and one segment's bytes (the file's own unless given). */
function boxSide(school: School, id: string, token: string) {
  const send = async (url: string, payload: string | Buffer, headers: Record<string, string>) => {
    const reply = await school.app.inject({
      method: "PUT",
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      payload,
    });
    return { status: reply.statusCode, json: reply.json<Record<string, unknown>>() };
  };
  return {
    manifest: () =>
      send(`/api/uploads/${id}/manifest`, JSON.stringify({ segments: SEGMENTS }), {
        "content-type": "application/json",
      }),
    segment: (i: number, bytes?: Buffer) => {
      const segment = SEGMENTS[i];
      if (!segment) throw new Error(`no segment ${i}`);
      return send(`/api/uploads/${id}/segments/${segment.name}`, bytes ?? fileOf(segment.name), {
        "content-type": "application/octet-stream",
        "x-content-sha256": segment.sha256,
      });
    },
  };
}

async function watch(school: School, who: "teacher-a" | "teacher-c" | "bursar", path: string) {
  const cookie = school.as[who].cookie;
  return school.app.inject({
    method: "GET",
    url: path,
    headers: cookie === null ? {} : { cookie },
  });
}

/** The playlist's entries: each segment's name, and whether it is marked as a gap. */
function entries(playlist: string): { name: string; gap: boolean }[] {
  const out: { name: string; gap: boolean }[] = [];
  let gap = false;
  for (const line of playlist.split("\n")) {
    if (line === "#EXT-X-GAP") gap = true;
    if (line.endsWith(".ts")) {
      out.push({ name: line, gap });
      gap = false;
    }
  }
  return out;
}

async function plays(school: School, id: string) {
  const audit = (await school.as.dpo.get(`/api/audit?subject=${id}&limit=1000`)).json<{
    entries: { action: string; actor: string }[];
  }>().entries;
  return audit.filter((e) => e.action === "footage.play");
}

void t.test(
  "half uploaded: the playlist grows with the verified segments, then ends",
  async (t) => {
    t.ok(SEGMENTS.length >= 6, `ffmpeg made ${SEGMENTS.length} segments`);
    const { school, id } = await schoolWithRecording(t);
    const playlist = `/api/recordings/${id}/footage/index.m3u8`;
    const first = await watch(school, "teacher-a", playlist);
    t.equal(first.statusCode, 404, "nothing here yet");
    t.match(first.json<{ message: string }>().message, /asked to upload/);

    const box = boxSide(school, id, await issueToken(school.app, id));
    t.match(await box.manifest(), { status: 200, json: { received: [], complete: false } });
    t.equal(
      (await watch(school, "teacher-a", playlist)).statusCode,
      404,
      "a manifest is not footage",
    );

    const half = Math.floor(SEGMENTS.length / 2);
    for (let i = 0; i < half; i += 1) t.match(await box.segment(i), { status: 200 });
    // the next one arrives with other bytes: refused, never served
    const tampered = Buffer.from(fileOf(nameAt(half)));
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    t.match(await box.segment(half, tampered), {
      status: 422,
      json: { error: "checksum-mismatch" },
    });

    const growing = await watch(school, "teacher-a", playlist);
    t.equal(growing.statusCode, 200, "plays while the upload goes on");
    t.equal(growing.headers["cache-control"], "private, no-store");
    t.match(growing.body, /^#EXTM3U\n/);
    t.match(growing.body, /#EXT-X-PLAYLIST-TYPE:EVENT\n/);
    t.notMatch(growing.body, /#EXT-X-ENDLIST/, "no end while it grows");
    t.same(
      entries(growing.body),
      SEGMENTS.slice(0, half).map((s) => ({ name: s.name, gap: false })),
      "exactly the verified segments, in order",
    );
    const served = await watch(school, "teacher-a", `/api/recordings/${id}/footage/${nameAt(0)}`);
    t.equal(served.statusCode, 200, "a verified segment is served at once");
    t.ok(served.rawPayload.equals(fileOf(nameAt(0))), "byte-identical");
    const notYet = await watch(
      school,
      "teacher-a",
      `/api/recordings/${id}/footage/${nameAt(half)}`,
    );
    t.equal(notYet.statusCode, 404, "the tampered one is not served");
    t.match(
      notYet.json<{ message: string }>().message,
      /has not arrived from the classroom device yet/,
    );

    // access unchanged while it uploads
    t.equal((await watch(school, "teacher-c", playlist)).statusCode, 403, "another teacher: no");
    const bursar = await watch(school, "bursar", `/api/recordings/${id}/footage/${nameAt(0)}`);
    t.equal(bursar.statusCode, 403, "the Bursar never sees footage");
    t.equal((await school.anonymous.get(playlist)).status, 401);

    // the player reloads the growing playlist: one viewing, audited once
    await school.advance(5_000);
    t.equal((await watch(school, "teacher-a", playlist)).statusCode, 200);
    await school.advance(5_000);
    for (let i = half; i < SEGMENTS.length; i += 1) t.match(await box.segment(i), { status: 200 });
    const done = await watch(school, "teacher-a", playlist);
    t.equal(done.statusCode, 200);
    t.match(done.body, /#EXT-X-ENDLIST\n$/, "complete: the playlist ends");
    t.same(
      entries(done.body).map((e) => e.name),
      SEGMENTS.map((s) => s.name),
    );
    t.equal((await plays(school, id)).length, 1, "one viewing, one footage.play");

    // a later viewing is audited again, as before
    await school.advance(10 * 60_000);
    t.equal((await watch(school, "teacher-a", playlist)).statusCode, 200);
    t.equal((await plays(school, id)).length, 2, "a new viewing, a new footage.play");
  },
);

void t.test("a segment asked for ahead of the upload: the upload goes there first", async (t) => {
  const { school, id } = await schoolWithRecording(t);
  const token = await issueToken(school.app, id);
  const ahead = SEGMENTS.length - 3;
  const order: string[] = [];
  let asked = false;
  // between the box and the controller: notes each segment as it goes up; while the
  // second is on its way, the viewer asks for one ahead of the upload
  const proxy = http.createServer((request, response) => {
    const url = request.url ?? "";
    const segment = /\/segments\/([^/]+)$/.exec(url)?.[1];
    const forward = () => {
      const upstream = http.request(
        `${school.httpUrl}${url}`,
        { method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(upstream);
    };
    if (segment !== undefined) order.push(segment);
    if (segment === nameAt(1) && !asked) {
      asked = true;
      void watch(school, "teacher-a", `/api/recordings/${id}/footage/${nameAt(ahead)}`).then(
        (reply) => {
          t.equal(reply.statusCode, 404, "not here yet");
          t.match(reply.json<{ message: string }>().message, /being fetched first/);
          forward();
        },
      );
      return;
    }
    forward();
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  t.teardown(() => proxy.close());
  const { port } = proxy.address() as { port: number };

  // one segment on the wire at a time (several: upload-overlap.test.ts)
  const result = await uploadRecording({
    url: `http://127.0.0.1:${port}/api/uploads/${id}`,
    token,
    recordingId: id,
    segments: SEGMENTS,
    dir: footageDir.path,
    parallel: 1,
  });
  t.same(result, { segments: SEGMENTS.length, bytes: TOTAL });
  const names = SEGMENTS.map((s) => s.name);
  t.same(
    order,
    [...names.slice(0, 2), ...names.slice(ahead), ...names.slice(2, ahead)],
    "the two already going, then from the one asked for to the end, then the rest",
  );
  t.equal(new Set(order).size, order.length, "none sent twice");
  const list = await watch(school, "teacher-a", `/api/recordings/${id}/footage/index.m3u8`);
  t.match(list.body, /#EXT-X-ENDLIST\n$/, "the footage is complete at the end");
  t.same(
    entries(list.body).map((e) => e.name),
    names,
  );
});

void t.test(
  "mid-way through a seek-driven upload the playlist marks the hole as a gap",
  async (t) => {
    const { school, id } = await schoolWithRecording(t);
    const box = boxSide(school, id, await issueToken(school.app, id));
    const playlist = `/api/recordings/${id}/footage/index.m3u8`;
    await box.manifest();
    t.match(await box.segment(0), { status: 200 });
    // the viewer wants to watch from a position ahead (seconds from the start)
    const ahead = 4;
    const at = SEGMENTS.slice(0, ahead).reduce((sum, s) => sum + s.durationSeconds, 0) + 0.1;
    const asked = await watch(school, "teacher-a", `${playlist}?at=${at}`);
    t.equal(asked.statusCode, 200);
    const answer = await box.segment(1);
    t.equal(
      answer.json.next,
      nameAt(ahead),
      "the box is told to send the segment at that position",
    );
    t.match(await box.segment(ahead), { status: 200, json: { next: nameAt(ahead + 1) } });
    const list = await watch(school, "teacher-a", playlist);
    t.same(
      entries(list.body),
      SEGMENTS.slice(0, ahead + 1).map((s, i) => ({ name: s.name, gap: i >= 2 && i < ahead })),
      "verified playable, the hole between as gaps, nothing past the last arrival",
    );
    const bad = await watch(school, "teacher-a", `${playlist}?at=-3`);
    t.equal(bad.statusCode, 400, "a position before the start is refused");
    t.match(bad.json<{ message: string }>().message, /at/);
  },
);

void t.test(
  "the box follows only its own segments: a foreign `next` ends the upload",
  async (t) => {
    const put: string[] = [];
    // a controller that names, as the segment to send next, one the recording does not have
    const controller = http.createServer((request, response) => {
      put.push(request.url ?? "");
      request.resume();
      request.on("end", () => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ received: [], complete: false, next: "../../etc/passwd" }));
      });
    });
    await new Promise<void>((resolve) => controller.listen(0, "127.0.0.1", resolve));
    t.teardown(() => controller.close());
    const { port } = controller.address() as { port: number };
    const id = randomUUID();
    await t.rejects(
      uploadRecording({
        url: `http://127.0.0.1:${port}/api/uploads/${id}`,
        token: "token",
        recordingId: id,
        segments: SEGMENTS,
        dir: footageDir.path,
      }),
      {
        name: "UploadFailed",
        transient: false,
        message:
          /asked for segment '..\/..\/etc\/passwd' next, which is not one of this recording's segments/,
      },
    );
    t.same(put, [`/api/uploads/${id}/manifest`], "nothing was read or sent for it");
  },
);

void t.test(
  "footage gone from the box before its upload finished is not played in part",
  async (t) => {
    const { school, id } = await schoolWithRecording(t);
    const box = boxSide(school, id, await issueToken(school.app, id));
    await box.manifest();
    t.match(await box.segment(0), { status: 200 });
    const segment = `/api/recordings/${id}/footage/${nameAt(0)}`;
    t.equal((await watch(school, "teacher-a", segment)).statusCode, 200, "while it uploads");
    await school.app.db.transaction((tx) =>
      tx.run("UPDATE recordings SET on_device = 0 WHERE id = ?", [id]),
    );
    const gone = await watch(school, "teacher-a", segment);
    t.equal(gone.statusCode, 404, "the box's copy went: the part here is not served");
    t.match(gone.json<{ message: string }>().message, /no segment/);
    const list = await watch(school, "teacher-a", `/api/recordings/${id}/footage/index.m3u8`);
    t.equal(list.statusCode, 404, "as its playlist");
    t.match(list.json<{ message: string }>().message, /no longer on the classroom device/);
  },
);
