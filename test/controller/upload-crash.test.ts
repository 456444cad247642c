// The controller killed with SIGKILL while the box has several segments in
// flight: after the restart it counts only segments that were verified and
// made durable, every segment it had acknowledged is among them, and the box's
// next try completes the upload byte for byte.
import t from "tap";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { Database, DEFAULT_CONFIG } from "@classcam/controller";
import { uploadRecording, type UploadSegment } from "../../device/src/link/uploader.js";
import { ControllerProcess, eventually, freePort, tempDir } from "../helpers/controller.js";
import { listSegments } from "../helpers/media.js";

const footageDir = tempDir("classcam-upload-crash-");
t.teardown(footageDir.remove);
execFileSync(
  "ffmpeg",
  [
    ...["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "12"],
    ...["-c:v", "libx264", "-qp", "0", "-g", "10", "-f", "hls", "-hls_time", "1"],
    ...["-hls_list_size", "0", "-hls_segment_filename", join(footageDir.path, "seg-%05d.ts")],
    join(footageDir.path, "source.m3u8"),
  ],
  { stdio: "inherit" },
);
const SEGMENTS: UploadSegment[] = listSegments(footageDir.path, "source.m3u8");
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** The controller's process with its HTTP API on a known port. */
class UploadingController extends ControllerProcess {
  constructor(
    dataDir: string,
    mqttPort: number,
    readonly httpPort: number,
  ) {
    super(dataDir, mqttPort);
  }

  override writeConfig(): void {
    writeFileSync(
      this.configFile,
      JSON.stringify({
        dataDir: this.dataDir,
        mqtt: { host: "127.0.0.1", port: this.mqttPort },
        http: {
          ...DEFAULT_CONFIG.http,
          host: "127.0.0.1",
          port: this.httpPort,
          publicUrl: `http://127.0.0.1:${this.httpPort}`,
        },
        log: { level: "info" },
      }),
    );
  }
}

void t.test("SIGKILL mid-upload leaves only verified, durable segments counted", async (t) => {
  t.ok(SEGMENTS.length >= 8, `${SEGMENTS.length} segments`);
  const dir = tempDir("classcam-upload-crash-controller-");
  t.teardown(dir.remove);
  const controller = new UploadingController(dir.path, await freePort(), await freePort());
  t.teardown(() => controller.kill("SIGKILL"));
  const enrol = await controller.cli(["device", "enrol", "room-crash", "--room", "Lab 3"]);
  t.equal(enrol.code, 0, enrol.stderr);

  // a recording the box has ended, with an upload token as the custodian issues one
  const id = randomUUID();
  const token = randomBytes(24).toString("base64url");
  const database = join(dir.path, "controller.sqlite");
  const setUp = await Database.open(database);
  await setUp.transaction((tx) =>
    tx.run(
      `INSERT INTO recordings (id, device_id, staff_json, started_at, ended_at, audio, encoder,
         segments, bytes, upload_token_hash)
       VALUES (?, 'room-crash', '[]', '2026-11-23T09:01:00Z', '2026-11-23T09:02:00Z', 1,
         'libx264', ?, ?, ?)`,
      [
        id,
        SEGMENTS.length,
        SEGMENTS.reduce((sum, s) => sum + s.bytes, 0),
        createHash("sha256").update(token).digest("hex"),
      ],
    ),
  );
  await setUp.close();
  await controller.start();
  const api = `http://127.0.0.1:${controller.httpPort}`;

  // between the box and the controller: notes each segment the controller acknowledged, and
  // kills the controller at the third, while others are on their way
  const acknowledged: string[] = [];
  const kill: { done?: Promise<void> } = {};
  const proxy = http.createServer((request, response) => {
    const segment = /\/segments\/([^/]+)$/.exec(request.url ?? "")?.[1];
    const forward = http.request(
      `${api}${request.url ?? ""}`,
      { method: request.method, headers: request.headers },
      (answer) => {
        if (segment !== undefined && answer.statusCode === 200) {
          acknowledged.push(segment);
          if (acknowledged.length === 3) kill.done ??= controller.kill("SIGKILL");
        }
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on("error", () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    proxy.closeAllConnections();
    proxy.close();
  });
  const { port } = proxy.address() as { port: number };
  const upload = (url: string) =>
    uploadRecording({
      url: `${url}/api/uploads/${id}`,
      token,
      recordingId: id,
      segments: SEGMENTS,
      dir: footageDir.path,
      parallel: 4,
      attempts: 1,
    });
  await t.rejects(upload(`http://127.0.0.1:${port}`), { name: "UploadFailed" }, "cut off");
  t.ok(kill.done, "the controller was killed mid-upload");
  await kill.done;
  t.ok(acknowledged.length < SEGMENTS.length, `${acknowledged.length} acknowledged before`);

  await controller.start();
  await eventually(
    () =>
      fetch(`${api}/api/uploads/${id}`, { headers: { authorization: `Bearer ${token}` } }).then(
        (reply) => reply.status === 200,
        () => false,
      ),
    20_000,
    "the controller back",
  );
  const db = await Database.open(database);
  t.teardown(() => db.close());
  const counted = (
    await db.all<{ name: string; sha256: string }>(
      `SELECT name, sha256 FROM upload_segments
       WHERE recording_id = ? AND received_at IS NOT NULL ORDER BY seq`,
      [id],
    )
  ).map((row) => row.name);
  const folder = join(dir.path, "recordings", id);
  t.same(
    acknowledged.filter((name) => !counted.includes(name)),
    [],
    `every acknowledged segment is counted (${counted.length} counted)`,
  );
  for (const name of counted) {
    const path = join(folder, name);
    const expected = SEGMENTS.find((s) => s.name === name)?.sha256;
    t.ok(
      existsSync(path) && sha256(readFileSync(path)) === expected,
      `${name}: counted, on disk and verified`,
    );
  }

  await upload(api);
  const after = await db.all<{ name: string }>(
    "SELECT name FROM upload_segments WHERE recording_id = ? AND received_at IS NOT NULL",
    [id],
  );
  t.equal(after.length, SEGMENTS.length, "the next try completes the upload");
  for (const segment of SEGMENTS) {
    t.ok(
      readFileSync(join(folder, segment.name)).equals(
        readFileSync(join(footageDir.path, segment.name)),
      ),
      `${segment.name} byte for byte the box's`,
    );
  }
});
