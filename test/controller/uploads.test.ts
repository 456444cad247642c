// Footage from the classroom box to the controller, and out to viewers as HLS:
// a real controller listening on loopback, real HLS segments made by ffmpeg,
// the device's own uploader sending them from disk. Tokens, names, corrupted
// bytes, uploads cut off at random points and resumed, and opening footage
// that is only on the device asking the device for it over a real MQTT
// connection.
import t, { type Test } from "tap";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer, connect, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { join } from "node:path";
import { parse, topics } from "@classcam/protocol";
import { uploadRecording, type UploadSegment } from "../../device/src/link/uploader.js";
import { seeded } from "../helpers/events.js";
import { connectDevice, eventually, listenOnLoopback, tempDir } from "../helpers/controller.js";
import { answeringDevice, deviceFootage, startSchool, type School } from "../helpers/school.js";
import {
  UPLOAD_START as START,
  issueUploadToken,
  makeFootage,
  recordingOnBox,
  schoolWithRecording as schoolWithFootage,
} from "../helpers/upload-rig.js";
import { testSeed } from "../helpers/env.js";

// ------------------------------------------------------------------ real footage, once
const FOOTAGE = makeFootage(t, {
  prefix: "classcam-footage-",
  video: "size=480x360:rate=10",
  encode: ["-qp", "0", "-g", "10"],
  segmentSeconds: 2,
});
const footageDir = { path: FOOTAGE.dir };
/** The segments as the device's buffer index would list them. */
const SEGMENTS: UploadSegment[] = FOOTAGE.segments;
const TOTAL = FOOTAGE.total;
const fileOf = FOOTAGE.fileOf;

// ------------------------------------------------------------------ helpers
/** A school (closed at the test's end), where devices upload to, and one recording only on the device. */
async function schoolWithRecording(t: Test): Promise<{ school: School; base: string; id: string }> {
  const { school, id } = await schoolWithFootage(t, FOOTAGE);
  return { school, base: school.httpUrl, id };
}

/** A recording by teacher A on room-1, ended, only on the device. */
const recording = (school: School) => recordingOnBox(school, FOOTAGE);
const issueToken = issueUploadToken;

/** A raw HTTP exchange on loopback, for what the uploader would never send. */
function raw(
  url: string,
  method: string,
  headers: Record<string, string | number>,
  body?: Buffer | string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    // a connection of its own: a request refused before its body was read is not reused
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = { text };
        }
        resolve({ status: response.statusCode ?? 0, json });
        request.destroy();
      });
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** The viewer's GET, with the body as bytes. */
async function watch(
  school: School,
  who: "teacher-a" | "teacher-c" | "bursar" | "coach",
  path: string,
) {
  const cookie = school.as[who].cookie;
  const reply = await school.app.inject({
    method: "GET",
    url: path,
    headers: cookie === null ? {} : { cookie },
  });
  return reply;
}

/** What is in the recording's folder on the controller (stored segments, playlist, leftovers). */
function stored(school: School, recordingId: string): string[] {
  const folder = join(school.controller.dataDir, "recordings", recordingId);
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true })
    .map(String)
    .filter((name) => name !== ".incoming")
    .sort();
}

// ------------------------------------------------------------------ tests
void t.test(
  "a full upload, then the footage plays for whoever may view it, and only them",
  async (t) => {
    t.ok(SEGMENTS.length >= 3, `ffmpeg made ${SEGMENTS.length} segments, ${TOTAL} bytes`);
    const { school, base, id } = await schoolWithRecording(t);
    const playlist = `/api/recordings/${id}/footage/index.m3u8`;

    const before = await watch(school, "teacher-a", playlist);
    t.equal(before.statusCode, 404, "not on the controller yet");
    t.match(before.json<{ message: string }>().message, /asked to upload/);
    t.match(
      (await school.as["teacher-a"].get(`/api/recordings/${id}`)).json().footage,
      { state: "upload-requested", receivedBytes: null },
      "the details say the footage was asked for",
    );

    const token = await issueToken(school.app, id);
    const seen: number[] = [];
    const result = await uploadRecording({
      url: `${base}/api/uploads/${id}`,
      token,
      recordingId: id,
      segments: SEGMENTS,
      dir: footageDir.path,
      onProgress: (sent, total) => {
        t.equal(total, TOTAL);
        seen.push(sent);
      },
    });
    t.same(result, { segments: SEGMENTS.length, bytes: TOTAL });
    t.equal(seen.at(-1), TOTAL, "progress reaches the total");
    t.same(
      seen,
      [...seen].sort((a, b) => a - b),
      "and never goes back",
    );
    const progress = await raw(`${base}/api/uploads/${id}`, "GET", {
      authorization: `Bearer ${token}`,
    });
    t.same(progress.json, {
      receivedBytes: TOTAL,
      totalBytes: TOTAL,
      received: SEGMENTS.map((s) => s.name),
      complete: true,
    });
    t.same(
      stored(school, id),
      [...SEGMENTS.map((s) => s.name), "index.m3u8"].sort(),
      "no leftovers",
    );
    for (const segment of SEGMENTS) {
      t.ok(
        readFileSync(join(school.controller.dataDir, "recordings", id, segment.name)).equals(
          fileOf(segment.name),
        ),
        `${segment.name} is byte-identical on the controller`,
      );
    }
    const again = await raw(
      `${base}/api/uploads/${id}/manifest`,
      "PUT",
      { authorization: `Bearer ${token}`, "content-type": "application/json" },
      JSON.stringify({ segments: SEGMENTS }),
    );
    t.same(again.json, { received: SEGMENTS.map((s) => s.name), complete: true }, "idempotent");

    // the owner plays it
    const list = await watch(school, "teacher-a", playlist);
    t.equal(list.statusCode, 200);
    t.match(String(list.headers["content-type"]), /application\/vnd\.apple\.mpegurl/);
    t.equal(list.headers["cache-control"], "private, no-store");
    t.notOk(list.headers["content-disposition"], "never offered as a download");
    const text = list.body;
    t.match(text, /^#EXTM3U\n/);
    t.match(text, /#EXT-X-PLAYLIST-TYPE:VOD/);
    t.match(text, /#EXT-X-ENDLIST\n$/);
    const target = Math.max(...SEGMENTS.map((s) => Math.ceil(s.durationSeconds)));
    t.match(text, new RegExp(`#EXT-X-TARGETDURATION:${target}\\n`));
    t.same(
      text.split("\n").filter((line) => line.endsWith(".ts")),
      SEGMENTS.map((s) => s.name),
      "every segment, in order",
    );
    for (const segment of SEGMENTS) {
      const reply = await watch(
        school,
        "teacher-a",
        `/api/recordings/${id}/footage/${segment.name}`,
      );
      t.equal(reply.statusCode, 200);
      t.equal(reply.headers["content-type"], "video/mp2t");
      t.equal(reply.headers["cache-control"], "private, no-store");
      t.notOk(reply.headers["content-disposition"]);
      t.ok(reply.rawPayload.equals(fileOf(segment.name)), `${segment.name} served byte-identical`);
    }
    // ffprobe reads the controller's playlist as the whole recording
    const duration = Number(
      execFileSync(
        "ffprobe",
        ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"].concat(
          join(school.controller.dataDir, "recordings", id, "index.m3u8"),
        ),
        { encoding: "utf8" },
      ).trim(),
    );
    const expected = SEGMENTS.reduce((sum, s) => sum + s.durationSeconds, 0);
    t.ok(Math.abs(duration - expected) < 0.5, `ffprobe: ${duration} s (manifest says ${expected})`);

    // others are refused with decide()'s reason
    const other = await watch(school, "teacher-c", playlist);
    t.equal(other.statusCode, 403);
    t.match(other.json<{ message: string }>().message, /only its owner and whom the owner shares/);
    const segmentRefused = await watch(
      school,
      "bursar",
      `/api/recordings/${id}/footage/${SEGMENTS[0]?.name}`,
    );
    t.equal(segmentRefused.statusCode, 403, "the Bursar never sees footage");
    t.match(segmentRefused.json<{ message: string }>().message, /need-to-know/);
    t.equal((await school.anonymous.get(playlist)).status, 401);
    t.equal((await watch(school, "coach", playlist)).statusCode, 403, "the coach, before a share");
    await school.as["teacher-a"].post(`/api/recordings/${id}/shares`, { withId: "coach" });
    // by default a colleague waits for the face-blurred copy (anonymise.test.ts)...
    t.equal(
      (await watch(school, "coach", playlist)).statusCode,
      409,
      "after, faces still blurring",
    );
    // ...which this school turned off: the share then plays as recorded
    const off = await school.as.slt.patch("/api/policy", { anonymity: { blurFaces: false } });
    t.equal(off.status, 200);
    t.equal((await watch(school, "coach", playlist)).statusCode, 200, "and after");
    t.equal(
      (await watch(school, "teacher-a", `/api/recordings/${id}/footage/seg-99999.ts`)).statusCode,
      404,
      "a segment that is not in the footage",
    );
    t.equal(
      (
        await watch(
          school,
          "teacher-a",
          `/api/recordings/${id}/footage/..%2F..%2Fcontroller.sqlite`,
        )
      ).statusCode,
      400,
      "a path is not a segment name",
    );
    const detail = (await school.as["teacher-a"].get(`/api/recordings/${id}`)).json();
    t.match(detail.footage, { state: "on-controller" });
    const audit = (await school.as.dpo.get(`/api/audit?subject=${id}&limit=1000`)).json<{
      entries: { action: string; actor: string; detail: Record<string, unknown> }[];
    }>().entries;
    t.match(
      audit.filter((e) => e.action.startsWith("footage.")),
      [
        { action: "footage.upload-request", actor: "teacher-a" },
        {
          action: "footage.upload-complete",
          actor: "room-1",
          detail: { segments: SEGMENTS.length, bytes: TOTAL },
        },
        { action: "footage.play", actor: "teacher-a", detail: { basis: "owner" } },
        { action: "footage.play", actor: "coach", detail: { basis: "share" } },
      ],
      "asking, arriving and every playing are audited",
    );
  },
);

void t.test(
  "tokens: missing, wrong, another recording's, replaced, or with a session → refused",
  async (t) => {
    const { school, base, id } = await schoolWithRecording(t);
    const other = await recording(school);
    const token = await issueToken(school.app, id);
    const otherToken = await issueToken(school.app, other);
    const manifest = JSON.stringify({ segments: SEGMENTS });
    const put = (headers: Record<string, string>) =>
      raw(
        `${base}/api/uploads/${id}/manifest`,
        "PUT",
        { "content-type": "application/json", ...headers },
        manifest,
      );

    const missing = await put({});
    t.equal(missing.status, 401);
    t.match(missing.json.message, /upload token: Authorization: Bearer/);
    t.equal((await put({ authorization: `Basic ${token}` })).status, 401, "not a bearer token");
    const wrong = await put({ authorization: `Bearer ${randomBytes(24).toString("base64url")}` });
    t.equal(wrong.status, 401);
    t.match(wrong.json.message, /token is wrong/);
    t.equal(
      (await put({ authorization: `Bearer ${otherToken}` })).status,
      401,
      "another recording's",
    );
    const withSession = await put({
      authorization: `Bearer ${token}`,
      cookie: String(school.as["teacher-a"].cookie),
    });
    t.equal(withSession.status, 403, "a session never rides along");
    t.match(withSession.json.message, /never a signed-in session/);
    t.equal((await put({ authorization: `Bearer ${token}` })).status, 200, "the right token alone");

    const replaced = await issueToken(school.app, id);
    const used = await put({ authorization: `Bearer ${token}` });
    t.equal(used.status, 401, "a replaced token is used up");
    t.equal((await put({ authorization: `Bearer ${replaced}` })).status, 200);
    t.equal(
      (await raw(`${base}/api/uploads/${id}`, "GET", { authorization: `Bearer ${token}` })).status,
      401,
      "for reading progress too",
    );
    t.same(stored(school, id), [], "nothing was stored");
  },
);

void t.test(
  "names, bytes and sizes: traversal, corruption, mismatch → refused, nothing kept",
  async (t) => {
    const { school, base, id } = await schoolWithRecording(t);
    const token = await issueToken(school.app, id);
    const auth = { authorization: `Bearer ${token}` };
    const first = SEGMENTS[0];
    const second = SEGMENTS[1];
    if (!first || !second) throw new Error("no segments");
    const manifest = (segments: unknown) =>
      raw(
        `${base}/api/uploads/${id}/manifest`,
        "PUT",
        { ...auth, "content-type": "application/json" },
        JSON.stringify({ segments }),
      );
    const segment = (name: string, body: Buffer, headers: Record<string, string | number> = {}) =>
      raw(
        `${base}/api/uploads/${id}/segments/${name}`,
        "PUT",
        {
          ...auth,
          "content-type": "application/octet-stream",
          "x-content-sha256": first.sha256,
          ...headers,
        },
        body,
      );

    const early = await segment(first.name, fileOf(first.name));
    t.equal(early.status, 409, "a segment before the manifest");
    t.match(early.json.message, /manifest first/);

    for (const name of [
      "../escape.ts",
      "a/b.ts",
      "..",
      ".hidden.ts",
      "seg-1.ts/..",
      "x\u0000.ts",
      "index.m3u8",
      "seg.TS.sh",
    ]) {
      const reply = await manifest([{ ...first, name }]);
      t.equal(reply.status, 400, `manifest name ${JSON.stringify(name)} → 400`);
      t.match(reply.json.message, /name/);
    }
    const twice = await manifest([first, { ...second, name: first.name }]);
    t.equal(twice.status, 400);
    t.match(twice.json.message, /appears twice/);
    t.equal((await manifest([])).status, 400, "no segments");
    t.equal((await manifest([{ ...first, sha256: "ABC" }])).status, 400, "not a checksum");
    t.equal(
      (await manifest([{ ...first, bytes: 65 * 1024 * 1024 }])).status,
      400,
      "beyond the size limit",
    );
    t.equal((await manifest([{ ...first, extra: 1 }])).status, 400, "an unknown field");
    t.same(
      (await manifest(SEGMENTS)).json,
      { received: [], complete: false },
      "a good manifest: nothing in yet",
    );

    for (const name of [
      "..%2F..%2Fcontroller.sqlite",
      "..%2F",
      "index.m3u8",
      "seg-00000.ts%00.sh",
    ]) {
      const reply = await segment(name, fileOf(first.name));
      t.equal(reply.status, 400, `segment name ${name} → 400`);
    }
    const unknown = await segment("seg-77777.ts", fileOf(first.name));
    t.equal(unknown.status, 400);
    t.match(unknown.json.message, /not in the manifest/);

    // one bit flipped: the checksum the device claims no longer fits the bytes
    const corrupted = Buffer.from(fileOf(first.name));
    corrupted[corrupted.length >> 1] = (corrupted[corrupted.length >> 1] ?? 0) ^ 0x10;
    const bad = await segment(first.name, corrupted);
    t.equal(bad.status, 422);
    t.match(bad.json.message, /do not match the manifest's SHA-256.*nothing was kept/);
    const short = await segment(first.name, fileOf(first.name).subarray(1));
    t.equal(short.status, 422, "a length that is not the manifest's");
    t.match(short.json.message, /manifest says/);
    const claimed = await segment(first.name, fileOf(first.name), {
      "x-content-sha256": second.sha256,
    });
    t.equal(claimed.status, 422, "a declared checksum that is not the manifest's");
    const noSum = await raw(
      `${base}/api/uploads/${id}/segments/${first.name}`,
      "PUT",
      {
        ...auth,
        "content-type": "application/octet-stream",
      },
      fileOf(first.name),
    );
    t.equal(noSum.status, 400);
    t.match(noSum.json.message, /X-Content-SHA256/);
    const notBytes = await segment(first.name, fileOf(first.name), {
      "content-type": "application/json",
    });
    t.equal(notBytes.status, 415);
    t.match(notBytes.json.message, /application\/octet-stream/);
    const huge = await segment(first.name, Buffer.alloc(10), {
      "content-length": 65 * 1024 * 1024,
    }).catch((error: unknown) => ({ status: -1, json: { message: (error as Error).message } }));
    t.equal(huge.status, 413, "a segment over the size limit");
    t.same(stored(school, id), [], "none of that was kept");
    const progress = await raw(`${base}/api/uploads/${id}`, "GET", auth);
    t.match(progress.json, { receivedBytes: 0, received: [], complete: false });

    // one corrupted on the device's disk is refused by the controller, nothing of it kept, and the
    // device, hashing what it sent, says its own copy is bad (one at a time here: several in
    // flight, upload-overlap.test.ts)
    const disk = tempDir("classcam-device-disk-");
    t.teardown(disk.remove);
    for (const s of SEGMENTS) copyFileSync(join(footageDir.path, s.name), join(disk.path, s.name));
    const rotten = Buffer.from(fileOf(second.name));
    rotten[100] = (rotten[100] ?? 0) ^ 0xff;
    writeFileSync(join(disk.path, second.name), rotten);
    await t.rejects(
      uploadRecording({
        url: `${base}/api/uploads/${id}`,
        token,
        recordingId: id,
        segments: SEGMENTS,
        dir: disk.path,
        parallel: 1,
      }),
      {
        name: "UploadFailed",
        message: new RegExp(
          `segment ${second.name} on this device's disk no longer matches its checksum`,
        ),
      },
    );
    t.same(stored(school, id), [first.name], "what came before it is in; it is not");
  },
);

void t.test(
  "an upload cut off at random points resumes, and ends complete and byte-identical",
  async (t) => {
    const seed = testSeed();
    t.comment(`seed ${seed} (replay with CLASSCAM_TEST_SEED=${seed})`);
    const random = seeded(seed);
    const { school, base, id } = await schoolWithRecording(t);
    const token = await issueToken(school.app, id);

    // a loopback proxy that drops connections after a chosen number of bytes
    const upstreamPort = Number(new URL(base).port);
    const cuts: (number | undefined)[] = [];
    const sockets = new Set<Socket>();
    const proxy: Server = createServer((client) => {
      const cut = cuts.shift();
      const upstream = connect(upstreamPort, "127.0.0.1");
      sockets.add(client).add(upstream);
      let forwarded = 0;
      client.on("data", (chunk: Buffer) => {
        forwarded += chunk.length;
        if (cut !== undefined && forwarded >= cut) {
          upstream.write(chunk.subarray(0, chunk.length - (forwarded - cut)));
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(chunk);
      });
      upstream.on("data", (chunk: Buffer) => client.write(chunk));
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.on("error", () => undefined);
      upstream.on("error", () => undefined);
    });
    const proxyPort = await listenOnLoopback(t, proxy, sockets);
    const viaProxy = `http://127.0.0.1:${proxyPort}/api/uploads/${id}`;

    const held = async () =>
      (await raw(`${base}/api/uploads/${id}`, "GET", { authorization: `Bearer ${token}` }))
        .json as {
        receivedBytes: number;
        received: string[];
        complete: boolean;
      };
    const plan = ["abort", "abort", "drop", "drop"]
      .map((kind) => ({ kind, order: random() }))
      .sort((x, y) => x.order - y.order)
      .map(({ kind }) => kind)
      .concat("flaky");
    let rounds = 0;
    for (;;) {
      rounds += 1;
      if (rounds > 40) throw new Error("the upload never completed");
      const before = await held();
      if (before.complete) break;
      // each kind of cut at least once, in a seeded order, then clean tries until it is done
      const kind = plan[rounds - 1] ?? "clean";
      const controller = new AbortController();
      const remaining = TOTAL - before.receivedBytes;
      const abortAt = before.receivedBytes + 1 + Math.floor(random() * remaining * 0.9);
      if (kind === "drop") cuts.push(200 + Math.floor(random() * remaining));
      if (kind === "flaky") {
        for (let i = 0; i < 2; i += 1) cuts.push(200 + Math.floor(random() * remaining));
      }
      const report: { first: number | null } = { first: null };
      const outcome = await uploadRecording({
        url: viaProxy,
        token,
        recordingId: id,
        segments: SEGMENTS,
        dir: footageDir.path,
        signal: controller.signal,
        attempts: kind === "flaky" ? 5 : 1,
        // one segment at a time: the proxy cuts one connection after a number of its bytes,
        // and a segment whose bytes all got through before a cut is counted, with nothing in
        // flight left to settle after the test looks (upload-crash.test.ts cuts several)
        parallel: 1,
        backoffMs: 5,
        onProgress: (sent) => {
          report.first ??= sent;
          if (kind === "abort" && sent >= abortAt) controller.abort(new Error("power cut"));
        },
      }).then(
        () => "done",
        (error: unknown) => (error as Error).message,
      );
      cuts.length = 0;
      t.comment(`round ${rounds}: ${kind} → ${outcome}`);
      if (report.first !== null) {
        t.equal(
          report.first,
          before.receivedBytes,
          `round ${rounds}: resumes from what the controller holds`,
        );
      }
      if (kind === "flaky")
        t.equal(outcome, "done", `round ${rounds}: retries ride out dropped connections`);
      // whatever was cut off mid-segment leaves nothing half-written behind
      await eventually(
        () =>
          !existsSync(join(school.controller.dataDir, "recordings", id, ".incoming")) ||
          readdirSync(join(school.controller.dataDir, "recordings", id, ".incoming")).length === 0,
        10_000,
        "no partial segment left",
      );
      // a segment whose bytes were all sent before the cut is still being made durable and
      // counted (several are in flight): the folder and the count agree once it is
      await eventually(
        async () =>
          JSON.stringify(stored(school, id).filter((name) => name.endsWith(".ts"))) ===
          JSON.stringify([...(await held()).received].sort()),
        10_000,
        "every segment in the folder counted",
      );
      const after = await held();
      t.ok(after.receivedBytes >= before.receivedBytes, `round ${rounds}: nothing stored is lost`);
      t.same(
        stored(school, id).filter((name) => name.endsWith(".ts")),
        [...after.received].sort(),
        `round ${rounds}: the folder holds exactly the verified segments`,
      );
    }
    t.ok(rounds > 2, `completed after ${rounds - 1} round(s)`);
    for (const segment of SEGMENTS) {
      t.ok(
        readFileSync(join(school.controller.dataDir, "recordings", id, segment.name)).equals(
          fileOf(segment.name),
        ),
        `${segment.name} byte-identical`,
      );
    }
    t.equal(
      (await watch(school, "teacher-a", `/api/recordings/${id}/footage/index.m3u8`)).statusCode,
      200,
    );
  },
);

void t.test(
  "opening footage only on the device asks the device over MQTT; then it plays",
  async (t) => {
    const school = await startSchool({ start: START });
    t.teardown(school.close);
    const { app } = school;
    const base = school.httpUrl;
    const id = await recording(school);

    // the classroom device: answers upload requests by uploading with the uploader
    const secret = (await app.devices.rotateSecret("room-1")).secret;
    const device = await connectDevice(school.controller.url, "room-1", secret);
    t.teardown(() => device.endAsync());
    const requests: { recordingId: string; url: string; token: string }[] = [];
    device.on("message", (topic, payload) => {
      if (!topic.endsWith("/request/upload-recording")) return;
      const request = parse.request("upload-recording", payload);
      if (!request.ok) throw new Error(request.error);
      const { args } = request.value;
      requests.push(args);
      t.equal(new URL(args.url).origin, base, "the upload URL names the controller's publicUrl");
      void uploadRecording({ ...args, segments: SEGMENTS, dir: footageDir.path })
        .then(
          (done) => ({
            status: "ok",
            data: { recordingId: args.recordingId, ...done },
            error: null,
          }),
          (error: unknown) => ({ status: "error", data: null, error: (error as Error).message }),
        )
        .then((answer) =>
          device.publishAsync(
            topics.response("room-1", "upload-recording"),
            JSON.stringify({ id: request.value.id, ...answer }),
            { qos: 1 },
          ),
        );
    });
    await device.subscribeAsync(topics.request("room-1", "upload-recording"), { qos: 1 });

    t.match((await school.as["teacher-a"].get(`/api/recordings/${id}`)).json().footage, {
      state: "on-device",
    });
    t.notOk((await app.devices.require("room-1")).config.uploads?.includes(id));
    t.equal(
      (await watch(school, "teacher-c", `/api/recordings/${id}/footage/index.m3u8`)).statusCode,
      403,
    );
    await app.custodian.deliver();
    t.equal(requests.length, 0, "someone who may not view it asks for nothing");

    const opened = await watch(school, "teacher-a", `/api/recordings/${id}/footage/index.m3u8`);
    t.equal(opened.statusCode, 404);
    t.match(opened.json<{ message: string }>().message, /device has been asked to upload it/);
    await eventually(
      async () =>
        (await app.devices.require("room-1")).config.uploads?.includes(id) ? true : null,
      10_000,
      "the device protects it meanwhile (its config's uploads)",
    );
    const playlist = await eventually(
      async () => {
        const reply = await watch(school, "teacher-a", `/api/recordings/${id}/footage/index.m3u8`);
        // it plays as it arrives (a growing playlist); here, until it is all in
        return reply.statusCode === 200 && reply.body.includes("#EXT-X-ENDLIST")
          ? reply.body
          : null;
      },
      30_000,
      "the whole footage to play",
    );
    t.match(playlist, /#EXT-X-ENDLIST/);
    t.equal(requests.length, 1, "one upload request");
    t.match(requests[0], { recordingId: id, url: new RegExp(`/api/uploads/${id}$`) });
    for (const segment of SEGMENTS) {
      const reply = await watch(
        school,
        "teacher-a",
        `/api/recordings/${id}/footage/${segment.name}`,
      );
      t.ok(reply.rawPayload.equals(fileOf(segment.name)), `${segment.name} plays as recorded`);
    }
    await eventually(
      async () =>
        (await app.devices.require("room-1")).config.uploads?.includes(id) ? null : true,
      10_000,
      "once uploaded it leaves the device's uploads",
    );
    await eventually(
      async () => {
        const row = await app.db.get<{ upload_token_hash: string | null }>(
          "SELECT upload_token_hash FROM recordings WHERE id = ?",
          [id],
        );
        return row?.upload_token_hash === null ? true : null;
      },
      10_000,
      "the device's answer to arrive",
    );
    const detail = (await school.as["teacher-a"].get(`/api/recordings/${id}`)).json();
    t.match(detail, {
      onController: true,
      onDevice: true,
      status: "in-buffer",
      footage: { state: "on-controller" },
    });
    const used = await raw(`${base}/api/uploads/${id}`, "GET", {
      authorization: `Bearer ${requests[0]?.token ?? ""}`,
    });
    t.equal(used.status, 401, "the upload's token is used up");
    await app.custodian.deliver();
    t.equal(requests.length, 1, "nothing more is asked for");
  },
);

void t.test("over HTTPS the device trusts the school's CA file, and only it", async (t) => {
  const { school, base, id } = await schoolWithRecording(t);
  const token = await issueToken(school.app, id);
  const pki = tempDir("classcam-pki-");
  t.teardown(pki.remove);
  const key = join(pki.path, "key.pem");
  const cert = join(pki.path, "cert.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...["-keyout", key, "-out", cert, "-subj", "/CN=classcam-controller"],
      ...["-addext", "subjectAltName=IP:127.0.0.1"],
    ],
    { stdio: "ignore" },
  );
  // TLS in front of the controller, as a reverse proxy would terminate it
  let connections = 0;
  const front = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (secure) => {
    const upstream = connect(Number(new URL(base).port), "127.0.0.1");
    secure.pipe(upstream).pipe(secure);
    secure.on("error", () => upstream.destroy());
    upstream.on("error", () => secure.destroy());
  });
  front.on("connection", () => (connections += 1));
  front.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  t.teardown(() => front.close());
  const address = front.address();
  if (typeof address !== "object" || address === null) throw new Error("no TLS front");
  const url = `https://127.0.0.1:${address.port}/api/uploads/${id}`;

  await t.rejects(
    uploadRecording({
      url,
      token,
      recordingId: id,
      segments: SEGMENTS,
      dir: footageDir.path,
      attempts: 5,
      backoffMs: 5,
    }),
    { name: "UploadFailed", message: /self.signed|certificate/i },
    "the system's CAs do not vouch for the school's own certificate",
  );
  t.equal(connections, 1, "a certificate that is not trusted is not tried again");
  const done = await uploadRecording({
    url,
    token,
    recordingId: id,
    segments: SEGMENTS,
    dir: footageDir.path,
    caFile: cert,
  });
  t.same(done, { segments: SEGMENTS.length, bytes: TOTAL }, "with the CA file it uploads");
  await t.rejects(
    uploadRecording({
      url,
      token,
      recordingId: id,
      segments: SEGMENTS,
      dir: footageDir.path,
      caFile: join(pki.path, "missing.pem"),
    }),
    { message: /cannot read the controller's CA file/ },
  );
});

// ------------------------------------------------------------------ a device's word against what arrived

/** The controller's record of the recording, and whether the device is told to protect it. */
async function where(school: School, recordingId: string) {
  const row = await school.app.db.get<{ archive_state: string; on_controller: number }>(
    "SELECT archive_state, on_controller FROM recordings WHERE id = ?",
    [recordingId],
  );
  const { config } = await school.app.devices.require("room-1");
  const audit = (await school.as.dpo.get(`/api/audit?subject=${recordingId}&limit=1000`)).json<{
    entries: { action: string; detail: Record<string, unknown> }[];
  }>().entries;
  return {
    ...row,
    protectedOnDevice: config.uploads?.includes(recordingId) ?? false,
    archiveComplete: audit.filter((e) => e.action === "archive.complete").map((e) => e.detail),
    files: stored(school, recordingId),
  };
}

void t.test(
  "a device that says it uploaded when nothing arrived is not believed: kept pending, asked again",
  async (t) => {
    const { school, base, id } = await schoolWithRecording(t);
    const room = await answeringDevice(t, school, "room-1");
    const footage = await deviceFootage();
    room.lie.uploads = true;
    const asked = () =>
      room.requests.filter((r) => r.op === "upload-recording" && r.args.recordingId === id);
    const refusals = () =>
      school.controller.lines.filter(
        (line) =>
          String(line.msg).includes("tried again later") &&
          JSON.stringify(line.err ?? null).includes(`recording ${id} uploaded`),
      );
    const reason = (n: number) => String((refusals()[n]?.err as { message?: unknown }).message);

    // teacher A keeps it (nobody else is in it): the device is asked at once, and lies
    const ask = await school.as["teacher-a"].post(`/api/recordings/${id}/archive`, {});
    t.equal(ask.json().status, "uploading", JSON.stringify(ask.body));
    await eventually(() => (refusals().length > 0 ? true : null), 10_000, "the device's answer");
    t.equal(asked().length, 1, "the device was asked once");
    t.ok(
      asked()[0]?.protecting.includes(id),
      "its config protected the recording before it was asked to upload it",
    );
    t.match(
      reason(0),
      /device reported recording \S+ uploaded, but nothing came through the upload routes \(no manifest\)/,
      "the log says why its ok is not believed",
    );
    t.match(
      await where(school, id),
      {
        archive_state: "uploading",
        on_controller: 0,
        protectedOnDevice: true,
        archiveComplete: [],
        files: [],
      },
      "not on the controller, not archived, still protected on the device",
    );
    t.match((await school.as["teacher-a"].get(`/api/recordings/${id}`)).json(), {
      status: "uploading",
      onController: false,
      footage: { state: "upload-requested" },
    });

    // part of the upload arrives with that request's token (a device cut off part way),
    // and the device says ok again at the next delivery
    const firstToken = String(asked()[0]?.args.token);
    const first = footage.segments[0];
    if (!first) throw new Error("no footage");
    const authorization = `Bearer ${firstToken}`;
    const manifest = await raw(
      `${base}/api/uploads/${id}/manifest`,
      "PUT",
      { authorization, "content-type": "application/json" },
      JSON.stringify({ segments: footage.segments }),
    );
    t.same(manifest.json, { received: [], complete: false });
    const part = await raw(
      `${base}/api/uploads/${id}/segments/${first.name}`,
      "PUT",
      {
        authorization,
        "content-type": "application/octet-stream",
        "x-content-sha256": first.sha256,
      },
      readFileSync(join(footage.dir, first.name)),
    );
    t.match(part.json, { complete: false });
    await school.app.custodian.deliver();
    t.equal(asked().length, 2, "asked again at the next delivery");
    t.not(asked()[1]?.args.token, firstToken, "with a fresh token");
    t.equal(
      (await raw(`${base}/api/uploads/${id}`, "GET", { authorization })).status,
      401,
      "the first token no longer works",
    );
    t.equal(refusals().length, 2);
    t.match(
      reason(1),
      `the controller holds 1 of its ${footage.segments.length} segments ` +
        `(${first.bytes} of ${footage.bytes} bytes)`,
      "an incomplete upload is not believed either, and the log says how far it got",
    );
    t.match(await where(school, id), {
      archive_state: "uploading",
      on_controller: 0,
      protectedOnDevice: true,
      archiveComplete: [],
    });

    // the device uploads for real: the archive completes
    room.lie.uploads = false;
    await school.app.custodian.deliver();
    t.equal(asked().length, 3);
    t.same(room.uploaded, [
      { recordingId: id, segments: footage.segments.length, bytes: footage.bytes },
    ]);
    t.equal(refusals().length, 2, "this answer is believed");
    t.match(await where(school, id), {
      archive_state: "archived",
      on_controller: 1,
      archiveComplete: [{ segments: footage.segments.length, bytes: footage.bytes }],
      files: [...footage.segments.map((s) => s.name), "index.m3u8"].sort(),
    });
    await eventually(
      async () => ((await where(school, id)).protectedOnDevice ? null : true),
      10_000,
      "the recording to leave the device's uploads",
    );
    const list = await watch(school, "teacher-a", `/api/recordings/${id}/footage/index.m3u8`);
    t.equal(list.statusCode, 200);
    t.same(
      list.body.split("\n").filter((line) => line.endsWith(".ts")),
      footage.segments.map((s) => s.name),
      "and it plays",
    );
    await school.app.custodian.deliver();
    t.equal(asked().length, 3, "nothing more is asked for");
  },
);

void t.test(
  "an upload that finished through the routes counts though the device's answer was lost",
  async (t) => {
    const { school, base, id } = await schoolWithRecording(t);
    // no device is connected: nothing is asked, and no answer can come
    const ask = await school.as["teacher-a"].post(`/api/recordings/${id}/archive`, {});
    t.equal(ask.json().status, "uploading");
    await school.app.custodian.deliver();
    t.match(await where(school, id), { archive_state: "uploading", on_controller: 0 });

    // the device got the request and uploaded everything; its answer never arrived
    const token = await issueToken(school.app, id);
    await uploadRecording({
      url: `${base}/api/uploads/${id}`,
      token,
      recordingId: id,
      segments: SEGMENTS,
      dir: footageDir.path,
    });
    t.match(await where(school, id), { archive_state: "uploading", on_controller: 1 });
    await school.app.custodian.deliver();
    t.match(
      await where(school, id),
      {
        archive_state: "archived",
        on_controller: 1,
        archiveComplete: [{ segments: SEGMENTS.length, bytes: TOTAL }],
      },
      "the next delivery completes the archive from what the controller holds",
    );
    t.equal(
      (await raw(`${base}/api/uploads/${id}`, "GET", { authorization: `Bearer ${token}` })).status,
      401,
      "and the upload's token is spent",
    );
  },
);
