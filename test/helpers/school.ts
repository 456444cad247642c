/* eslint-disable @typescript-eslint/no-unnecessary-type-parameters,
   @typescript-eslint/no-unnecessary-type-assertion -- json<T>() is a typed view of a reply body */
/**
 * A school on a real controller: accounts for every role (signed in through
 * the HTTP API, one-time passwords changed), a classroom device, and an API
 * client per person that keeps its session cookie and CSRF token.
 */
import type { FastifyInstance, InjectOptions } from "fastify";
import type { Role } from "@classcam/controller";
import type { MqttClient } from "mqtt";
import { parse, topics, type RequestOp } from "@classcam/protocol";
import { connectDevice, startController, type TestController } from "./controller.js";

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
  as: Record<PersonId, Caller>;
  anonymous: Caller;
  clock: { now: Date; advance: (ms: number) => void };
  /** Moves the clock on and signs everyone in again (sessions time out, as they should). */
  advance: (ms: number) => Promise<void>;
  close: () => Promise<void>;
}

export async function startSchool(
  options: { start?: Date; devices?: string[] } = {},
): Promise<School> {
  const clock = {
    now: options.start ?? new Date(),
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  const controller = await startController({ now: () => clock.now });
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
 * A device on a real MQTT connection that answers the controller's upload and
 * delete requests with success, and remembers them. `device.publishAsync`
 * sends its events.
 */
export async function answeringDevice(
  t: { teardown: (fn: () => unknown) => void },
  school: School,
  deviceId: string,
): Promise<{
  device: MqttClient;
  requests: { op: string; args: Record<string, unknown> }[];
  /** Set to make the device refuse every request with this error. */
  refuse: { error: string | null };
}> {
  const refuse: { error: string | null } = { error: null };
  const secret = (await school.app.devices.rotateSecret(deviceId)).secret;
  const device = await connectDevice(school.controller.url, deviceId, secret);
  t.teardown(() => device.endAsync());
  const requests: { op: string; args: Record<string, unknown> }[] = [];
  device.on("message", (topic, payload) => {
    if (!topic.includes("/request/")) return;
    const op = topic.split("/").at(-1) as RequestOp;
    const request = parse.request(op, payload);
    if (!request.ok) throw new Error(request.error);
    const args = request.value.args as Record<string, unknown>;
    requests.push({ op, args });
    const data =
      op === "upload-recording"
        ? { recordingId: args.recordingId, segments: 150, bytes: 1000 }
        : op === "delete-recording"
          ? { recordingId: args.recordingId, bytes: 1000 }
          : { at: new Date().toISOString() };
    const answer =
      refuse.error === null
        ? { id: request.value.id, status: "ok", data, error: null }
        : { id: request.value.id, status: "error", data: null, error: refuse.error };
    device.publish(topics.response(deviceId, op), JSON.stringify(answer), { qos: 1 });
  });
  await device.subscribeAsync(
    (["upload-recording", "delete-recording"] as const).map((op) => topics.request(deviceId, op)),
    { qos: 1 },
  );
  return { device, requests, refuse };
}
