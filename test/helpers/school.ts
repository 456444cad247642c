/* eslint-disable @typescript-eslint/no-unnecessary-type-parameters,
   @typescript-eslint/no-unnecessary-type-assertion -- json<T>() is a typed view of a reply body */
/**
 * A school on a real controller: accounts for every role (signed in through
 * the HTTP API, one-time passwords changed), a classroom device, and an API
 * client per person that keeps its session cookie and CSRF token. The
 * controller listens for HTTP on a loopback port that its `publicUrl` names,
 * so the upload URLs it hands devices work as they are.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { FastifyInstance, InjectOptions } from "fastify";
import { DEFAULT_CONFIG, type ControllerConfig, type Role } from "@classcam/controller";
import type { MqttClient } from "mqtt";
import {
  parse,
  topics,
  type DeviceResponse,
  type RequestArgs,
  type RequestOp,
} from "@classcam/protocol";
import { uploadRecording, type UploadSegment } from "../../device/src/link/uploader.js";
import {
  connectDevice,
  freePort,
  startController,
  tempDir,
  type TestController,
} from "./controller.js";
import { listSegments } from "./media.js";

export interface Reply {
  status: number;
  body: unknown;
  json: <T = Record<string, unknown>>() => T;
  headers: Record<string, unknown>;
}

/** An API caller with a session cookie and CSRF token, like a browser tab. */
export class Caller {
  cookie: string | null = null;
  csrf: string | null = null;

  constructor(
    private readonly app: FastifyInstance,
    readonly id: string,
  ) {}

  async call(
    method: InjectOptions["method"],
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const response = await this.app.inject({
      method,
      url,
      headers: {
        ...(this.cookie !== null && { cookie: this.cookie }),
        ...(this.csrf !== null && method !== "GET" && { "x-csrf-token": this.csrf }),
        // as a browser does on every same-origin change (inject's Host is localhost:80)
        ...(method !== "GET" && { origin: "http://localhost:80" }),
        ...headers,
      },
      ...(payload !== undefined && { payload: payload as InjectOptions["payload"] }),
    });
    const setCookie = response.cookies.find((c) => c.name === "classcam_session");
    if (setCookie)
      this.cookie = setCookie.value === "" ? null : `classcam_session=${setCookie.value}`;
    let body: unknown = response.body;
    try {
      body = JSON.parse(response.body);
    } catch {
      /* not JSON */
    }
    return {
      status: response.statusCode,
      body,
      json: <T>() => body as T,
      headers: response.headers as Record<string, unknown>,
    };
  }

  get(url: string) {
    return this.call("GET", url);
  }
  post(url: string, payload: unknown = {}) {
    return this.call("POST", url, payload);
  }
  patch(url: string, payload: unknown) {
    return this.call("PATCH", url, payload);
  }
  put(url: string, payload: unknown) {
    return this.call("PUT", url, payload);
  }
  delete(url: string) {
    return this.call("DELETE", url);
  }

  async signIn(password: string): Promise<Reply> {
    const reply = await this.post("/api/session", { id: this.id, password });
    if (reply.status === 200) this.csrf = reply.json<{ csrfToken: string }>().csrfToken;
    return reply;
  }
}

export const PASSWORD = (id: string) => `correct horse battery ${id.length}x staple`;

/** One account per role, plus extra teachers and coaches for the cross-cases. */
export const PEOPLE = [
  { id: "admin", roles: ["admin"] },
  { id: "teacher-a", roles: ["teacher"] },
  { id: "teacher-b", roles: ["teacher"] },
  { id: "teacher-c", roles: ["teacher"] },
  { id: "coach", roles: ["coach"] },
  { id: "coach-2", roles: ["coach"] },
  { id: "slt", roles: ["slt", "teacher"] },
  { id: "head", roles: ["headteacher"] },
  { id: "bursar", roles: ["bursar"] },
  { id: "it", roles: ["it"] },
  { id: "dpo", roles: ["dpo"] },
] as const satisfies readonly { id: string; roles: readonly Role[] }[];
export type PersonId = (typeof PEOPLE)[number]["id"];

export interface School {
  controller: TestController;
  app: FastifyInstance;
  /** Where the controller listens for HTTP, `http://127.0.0.1:<port>` (also its publicUrl). */
  httpUrl: string;
  as: Record<PersonId, Caller>;
  anonymous: Caller;
  clock: { now: Date; advance: (ms: number) => void };
  /** Moves the clock on and signs everyone in again (sessions time out, as they should). */
  advance: (ms: number) => Promise<void>;
  close: () => Promise<void>;
}

export async function startSchool(
  options: { start?: Date; devices?: string[]; config?: Partial<ControllerConfig> } = {},
): Promise<School> {
  const clock = {
    now: options.start ?? new Date(),
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  const { controller, httpUrl } = await listeningController(() => clock.now, options.config);
  const { app } = controller;
  const as = {} as Record<PersonId, Caller>;
  for (const person of PEOPLE) {
    const { temporaryPassword } = await app.people.add(
      { id: person.id, displayName: `Ms ${person.id}`, roles: [...person.roles] },
      "test",
    );
    const caller = new Caller(app, person.id);
    const signIn = await caller.signIn(temporaryPassword);
    if (signIn.status !== 200)
      throw new Error(`sign-in ${person.id}: ${JSON.stringify(signIn.body)}`);
    const changed = await caller.post("/api/session/password", {
      current: temporaryPassword,
      next: PASSWORD(person.id),
    });
    if (changed.status !== 200)
      throw new Error(`password ${person.id}: ${JSON.stringify(changed.body)}`);
    // a changed password keeps this session but the user row changed: take a fresh session
    await caller.signIn(PASSWORD(person.id));
    as[person.id] = caller;
  }
  for (const id of options.devices ?? ["room-1"]) await controller.enrol(id, `Room ${id}`);
  return {
    controller,
    app,
    httpUrl,
    as,
    anonymous: new Caller(app, "nobody"),
    clock,
    advance: async (ms: number) => {
      clock.advance(ms);
      for (const caller of Object.values(as)) await caller.signIn(PASSWORD(caller.id));
    },
    close: () => controller.close(),
  };
}

/**
 * A controller listening for HTTP on a free loopback port, with that address
 * as its publicUrl (chosen before it is built: the upload URLs are made from
 * it). A port taken in between is tried again with another.
 */
async function listeningController(
  now: () => Date,
  config: Partial<ControllerConfig> = {},
): Promise<{ controller: TestController; httpUrl: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const httpUrl = `http://127.0.0.1:${port}`;
    const controller = await startController({
      now,
      config: {
        ...config,
        http: { ...DEFAULT_CONFIG.http, host: "127.0.0.1", port, publicUrl: httpUrl },
      },
    });
    try {
      await controller.app.listen({ host: "127.0.0.1", port });
      return { controller, httpUrl };
    } catch (error) {
      await controller.close();
      if ((error as { code?: unknown }).code !== "EADDRINUSE" || attempt >= 5) throw error;
    }
  }
}

/** A device event as the ingest would store it, applied by the projector. */
export async function deviceEvent(
  app: FastifyInstance,
  deviceId: string,
  kind: string,
  data: Record<string, unknown>,
  at: Date,
): Promise<void> {
  const { randomUUID } = await import("node:crypto");
  await app.db.transaction(async (tx) => {
    const seq = await tx.get<{ n: number }>("SELECT count(*) AS n FROM events");
    await tx.run(
      "INSERT INTO events (id, device_id, seq, kind, occurred_at, received_at, data_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
      [
        randomUUID(),
        deviceId,
        seq?.n ?? 0,
        kind,
        at.toISOString(),
        at.toISOString(),
        JSON.stringify(data),
      ],
    );
  });
  await app.projector.catchUp();
}

/**
 * Teacher A's coaching lesson with teacher B on Monday 23 November 2026,
 * 09:00–10:00 in room-1, booked through the API and recorded by the box for
 * ten minutes from 09:01 (start and stop applied by the projector).
 */
export async function recordedLesson(
  school: Pick<School, "app" | "as">,
): Promise<{ bookingId: string; recordingId: string }> {
  const { randomUUID } = await import("node:crypto");
  const booking = await school.as["teacher-a"].post("/api/bookings", {
    deviceId: "room-1",
    start: "2026-11-23T09:00:00Z",
    end: "2026-11-23T10:00:00Z",
    purpose: "coaching",
    classCode: "7A1",
    staff: ["teacher-a", "teacher-b"],
  });
  if (booking.status !== 201) throw new Error(`booking: ${JSON.stringify(booking.body)}`);
  const bookingId = booking.json<{ bookingId: string }>().bookingId;
  const recordingId = randomUUID();
  await deviceEvent(
    school.app,
    "room-1",
    "recording.started",
    { recordingId, bookingId, audio: true, encoder: "libx264" },
    new Date("2026-11-23T09:01:00Z"),
  );
  await deviceEvent(
    school.app,
    "room-1",
    "recording.stopped",
    { recordingId, reason: "button", durationSeconds: 600, segments: 150, bytes: 1000 },
    new Date("2026-11-23T09:11:00Z"),
  );
  return { bookingId, recordingId };
}

/** Footage as a device's buffer holds it: segment files in a folder, as its index lists them. */
export interface DeviceFootage {
  dir: string;
  segments: UploadSegment[];
  bytes: number;
}

let footage: Promise<DeviceFootage> | null = null;

/**
 * Two tiny real HLS MPEG-TS segments (one second each of ffmpeg's test
 * picture), made once per test process and kept in a temporary folder until
 * it exits. Every recording a test device uploads is these segments.
 */
export function deviceFootage(): Promise<DeviceFootage> {
  footage ??= makeFootage();
  return footage;
}

async function makeFootage(): Promise<DeviceFootage> {
  const dir = tempDir("classcam-device-footage-");
  process.once("exit", dir.remove);
  await promisify(execFile)("ffmpeg", [
    ...["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5", "-t", "2"],
    ...["-c:v", "libx264", "-g", "5", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0"],
    ...["-hls_segment_filename", join(dir.path, "seg-%05d.ts"), join(dir.path, "source.m3u8")],
  ]);
  const segments: UploadSegment[] = listSegments(dir.path, "source.m3u8");
  if (segments.length < 2) throw new Error(`ffmpeg made ${segments.length} segment(s), not 2`);
  return { dir: dir.path, segments, bytes: segments.reduce((sum, s) => sum + s.bytes, 0) };
}

export interface AnsweringDevice {
  device: MqttClient;
  /** Each request, with the recordings its config protected for upload when it came. */
  requests: { op: string; args: Record<string, unknown>; protecting: string[] }[];
  /** Set to make the device refuse every request with this error. */
  refuse: { error: string | null };
  /** Set to make the device answer upload requests "ok" without uploading anything. */
  lie: { uploads: boolean };
  /** The uploads it carried out, as it reported them. */
  uploaded: { recordingId: string; segments: number; bytes: number }[];
}

/**
 * A device on a real MQTT connection that carries out the controller's
 * requests, truthfully: asked to upload a recording, it uploads
 * `deviceFootage()` through the real upload routes with the device's own
 * uploader (to the URL and with the token of the request), then answers with
 * what it sent; asked to delete one, it says it did. It remembers every
 * request. `refuse` makes it answer every request with an error, `lie` makes
 * it answer upload requests "ok" without sending anything. It listens to its
 * config too, and notes with each request the uploads that config protected.
 * `device.publishAsync` sends its events.
 */
export async function answeringDevice(
  t: { teardown: (fn: () => unknown) => void },
  school: School,
  deviceId: string,
): Promise<AnsweringDevice> {
  const refuse: { error: string | null } = { error: null };
  const lie = { uploads: false };
  const uploaded: AnsweringDevice["uploaded"] = [];
  const { dir, segments, bytes } = await deviceFootage();
  const secret = (await school.app.devices.rotateSecret(deviceId)).secret;
  const device = await connectDevice(school.controller.url, deviceId, secret);
  /** Uploads under way: the device stops only after they are over (and answered, if it can). */
  const working = new Set<Promise<unknown>>();
  t.teardown(async () => {
    while (working.size > 0) await Promise.allSettled([...working]);
    await device.endAsync();
  });
  const requests: AnsweringDevice["requests"] = [];
  /** The `uploads` of the last config it heard. */
  let protecting: string[] = [];

  type Answer = Omit<DeviceResponse<RequestOp>, "id">;
  const upload = async ({ recordingId, url, token }: RequestArgs<"upload-recording">) => {
    try {
      const sent = await uploadRecording({
        ...{ url, token, recordingId, segments, dir },
        ...{ attempts: 3, backoffMs: 10 },
      });
      uploaded.push({ recordingId, ...sent });
      return { status: "ok", data: { recordingId, ...sent }, error: null } as const;
    } catch (error) {
      return { status: "error", data: null, error: (error as Error).message } as const;
    }
  };
  /** Its answer: at once, unless it has an upload to do first. */
  const answerTo = (op: RequestOp, args: Record<string, unknown>): Answer | Promise<Answer> => {
    if (refuse.error !== null) return { status: "error", data: null, error: refuse.error };
    const recordingId = String(args.recordingId);
    switch (op) {
      case "upload-recording":
        return lie.uploads
          ? // the counts it would have sent: nothing in the answer gives the lie away
            { status: "ok", data: { recordingId, segments: segments.length, bytes }, error: null }
          : upload(args as RequestArgs<"upload-recording">);
      case "delete-recording":
        return { status: "ok", data: { recordingId, bytes: 1000 }, error: null };
      case "ping":
        return { status: "ok", data: { at: new Date().toISOString() }, error: null };
      case "retire":
        return {
          status: "ok",
          data: { wipedAt: new Date().toISOString(), wipedNow: true },
          error: null,
        };
      case "self-test":
        return {
          status: "ok",
          data: {
            ok: true,
            detail: "a 320x240 frame (answering test device)",
            camera: "answering test device",
            format: "yuyv422",
            width: 320,
            height: 240,
            bytes: 320 * 240 * 2,
            meanLuma: 120,
          },
          error: null,
        };
    }
  };

  device.on("message", (topic, payload) => {
    if (topic === topics.config(deviceId)) {
      const config = parse.config(payload);
      if (!config.ok) throw new Error(config.error);
      protecting = config.value.uploads ?? [];
      return;
    }
    if (!topic.includes("/request/")) return;
    const op = topic.split("/").at(-1) as RequestOp;
    const request = parse.request(op, payload);
    if (!request.ok) throw new Error(request.error);
    const args = request.value.args as Record<string, unknown>;
    requests.push({ op, args, protecting });
    const send = (answer: Answer) => {
      // the controller may have closed (the test is over) before an answer goes
      if (!device.connected || device.disconnecting) return;
      device.publish(
        topics.response(deviceId, op),
        JSON.stringify({ id: request.value.id, ...answer }),
        { qos: 1 },
        () => undefined,
      );
    };
    const answer = answerTo(op, args);
    // a quick answer goes in the same tick, with the request's acknowledgement: one written
    // a tick later waits on Nagle's algorithm and the broker's delayed ACK (~40 ms a request)
    if (!(answer instanceof Promise)) {
      send(answer);
      return;
    }
    const work = answer.then(send).finally(() => working.delete(work));
    working.add(work);
  });
  await device.subscribeAsync(
    [
      topics.config(deviceId),
      ...(["upload-recording", "delete-recording"] as const).map((op) =>
        topics.request(deviceId, op),
      ),
    ],
    { qos: 1 },
  );
  return { device, requests, refuse, lie, uploaded };
}
