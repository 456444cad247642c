/**
 * Live updates for the dashboard: `GET /api/events/stream`, server-sent
 * events. Each event is a small notice (`notices.ts`) — a topic and ids —
 * and each person gets only those about what they may see: a recording's
 * notices go to whoever `decide()` lets see its details, keeping-consent
 * notices to the staff in it, devices and bookings notices to everyone signed
 * in (as `GET /api/devices` and `GET /api/bookings`). The dashboard refetches
 * what a notice names.
 *
 * The stream ends when the session does (checked on every heartbeat, without
 * counting as activity) and when the controller closes; the browser's
 * EventSource reconnects by itself, and a reconnect without a session is
 * refused like any request.
 *
 * Registered without encapsulation (fastify-plugin) and before the other
 * routes: its `onResponse` hook sees every route, and `app.notices` is there
 * for anyone who wants to publish.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ServerResponse } from "node:http";
import { decide, type Person } from "../domain/access.js";
import { AuditTail, Notices, type Notice } from "../notices.js";
import { coachingAudience } from "../domain/coaching/audience.js";
import { NotificationTail } from "../notification-tail.js";
import { ANYONE, allow, me } from "./auth.js";
import { Type } from "@sinclair/typebox";
import { errors } from "./schemas.js";
import { pathParam } from "./typed.js";

/** How often a stream gets a comment line (keeps proxies from closing it) and its session is checked. */
const HEARTBEAT_MS = 25_000;
/** Devices' notices are gathered for this long and sent as one (3,000 devices report every 30 s). */
const DEVICES_COALESCE_MS = 200;
/** Above this many devices in one notice, it says "all" instead of naming them. */
const MAX_DEVICE_IDS = 200;
/** How often the audit log is read for changes nobody announced, while anyone listens. */
const AUDIT_TAIL_MS = 1000;

const UPLOAD_ROUTES = new Set([
  "/api/uploads/:recordingId/manifest",
  "/api/uploads/:recordingId/segments/:name",
]);

interface Stream {
  person: Person;
  csrfToken: string;
  response: ServerResponse;
  pendingDevices: Set<string> | null;
  devicesTimer: NodeJS.Timeout | null;
  close: (reason?: string) => void;
}

function write(stream: Stream, topic: string, data: unknown): void {
  if (stream.response.writableEnded || stream.response.destroyed) return;
  stream.response.write(`event: ${topic}\ndata: ${JSON.stringify(data)}\n\n`);
}

export function liveRoutes(app: FastifyInstance): void {
  const log = app.log.child({ part: "live" });
  const notices = new Notices(log);
  const tail = new AuditTail(app.db, notices, log);
  const newNotifications = new NotificationTail(app.db, notices, log);
  const streams = new Set<Stream>();
  app.decorate("notices", notices);

  // ------------------------------------------------------------ where changes are learnt
  const poke = () => {
    void tail.poke();
    void newNotifications.poke();
  };
  app.timetable.on("changed", (deviceId) => {
    notices.publish({ topic: "bookings", deviceId });
  });
  app.projector.on("applied", (applied) => {
    const devices = new Set<string>();
    for (const { deviceId, event } of applied) {
      switch (event.kind) {
        case "recording.started":
        case "recording.stopped":
        case "recording.deleted":
        case "archive.requested":
          notices.publish({ topic: "recordings", recordingId: event.data.recordingId });
          break;
        case "device.started":
        case "device.wiped":
        case "recording.refused":
        case "storage.exhausted":
        case "lamp.fault":
        case "camera.lost":
        case "camera.restored":
        case "microphone.lost":
        case "microphone.restored":
        case "config.applied":
        case "config.rejected":
          devices.add(deviceId); // alerts, health, what the device holds
          break;
      }
    }
    if (devices.size > 0) notices.publish({ topic: "devices", deviceIds: [...devices] });
    poke();
  });
  app.broker.ingest.onDevicesChanged = (deviceIds) => {
    notices.publish({ topic: "devices", deviceIds: [...deviceIds] });
  };
  // the copy with faces blurred: made, moved on, or failed (its state is on the recording's page)
  app.anonymiser.on("changed", (recordingId, _status, of) => {
    if (of === "recording") notices.publish({ topic: "recordings", recordingId });
  });
  app.footage.on("uploaded", poke);
  app.footage.on("uploadWanted", poke);
  // the custodian's work (an archive finished, a deletion done) ends in a config push
  app.devices.on("config", poke);
  app.recordings.on("protectionChanged", poke);
  app.recordings.on("deletionWanted", poke);

  app.addHook("onResponse", async (request, reply) => {
    if (reply.statusCode >= 400 || streams.size === 0) return;
    if (UPLOAD_ROUTES.has(request.routeOptions.url ?? "")) {
      const recordingId = pathParam(request, "recordingId");
      const progress = await app.footage.progress(recordingId);
      notices.publish({
        topic: "upload",
        recordingId,
        receivedBytes: progress.receivedBytes,
        totalBytes: progress.totalBytes,
        complete: progress.complete,
      });
    }
    if (streams.size === 0 || request.method === "GET" || request.method === "HEAD") return;
    poke();
    // signing out, a password change, an account disabled or its roles changed: the streams
    // of sessions that ended end now, not at their next heartbeat
    if (/^\/api\/(session|users)\b/.test(request.routeOptions.url ?? "")) await recheck();
  });

  async function recheck(): Promise<void> {
    for (const stream of [...streams]) {
      if (!(await sessionHolds(stream))) stream.close("signed-out");
    }
  }

  // ------------------------------------------------------------ who is told what
  let queue: Promise<void> = Promise.resolve();
  notices.subscribe((notice) => {
    if (streams.size === 0) return;
    // in order, one at a time: progress never goes backwards on the way
    queue = queue.then(
      () => deliver(notice),
      () => deliver(notice),
    );
  });

  async function deliver(notice: Notice): Promise<void> {
    switch (notice.topic) {
      case "devices":
        for (const stream of streams) queueDevices(stream, notice.deviceIds);
        return;
      case "bookings":
        for (const stream of streams) write(stream, notice.topic, { deviceId: notice.deviceId });
        return;
      case "staff-import":
        for (const stream of streams) {
          if (stream.person.id === notice.actor)
            write(stream, notice.topic, { done: notice.done, total: notice.total });
        }
        return;
      case "notifications":
        for (const stream of streams) {
          if (stream.person.id === notice.userId) write(stream, notice.topic, {});
        }
        return;
      case "coaching": {
        const people = await coachingAudience(app.db, notice.of, notice.id);
        for (const stream of streams) {
          if (people.has(stream.person.id)) write(stream, notice.topic, {});
        }
        return;
      }
      case "recordings":
      case "upload":
      case "consents": {
        const { topic, ...data } = notice;
        let access: Awaited<ReturnType<typeof app.recordings.accessOf>>;
        try {
          access = await app.recordings.accessOf(null, notice.recordingId);
        } catch {
          return; // not a recording (any more)
        }
        const now = app.now();
        for (const stream of streams) {
          const sees =
            topic === "consents"
              ? access.staff.includes(stream.person.id) || access.ownerId === stream.person.id
              : decide(stream.person, "view-metadata", access, now).allowed;
          if (sees) write(stream, topic, data);
        }
        return;
      }
    }
  }

  function queueDevices(stream: Stream, deviceIds: readonly string[]): void {
    stream.pendingDevices ??= new Set();
    for (const id of deviceIds) stream.pendingDevices.add(id);
    stream.devicesTimer ??= setTimeout(() => {
      const ids = [...(stream.pendingDevices ?? [])];
      stream.pendingDevices = null;
      stream.devicesTimer = null;
      write(
        stream,
        "devices",
        ids.length > MAX_DEVICE_IDS ? { all: true, deviceIds: [] } : { all: false, deviceIds: ids },
      );
    }, DEVICES_COALESCE_MS);
  }

  /** Whether the stream's session still holds, read without counting as activity. */
  async function sessionHolds(stream: Stream): Promise<boolean> {
    const row = await app.db.get<{ last_seen_at: string; expires_at: string; status: string }>(
      `SELECT s.last_seen_at, s.expires_at, u.status FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.csrf_token = ? AND s.user_id = ?`,
      [stream.csrfToken, stream.person.id],
    );
    if (!row || row.status !== "active") return false;
    const now = app.now().getTime();
    const idleUntil = Date.parse(row.last_seen_at) + app.config.http.idleMinutes * 60_000;
    return Date.parse(row.expires_at) > now && idleUntil > now;
  }

  // ------------------------------------------------------------ the stream
  app.get(
    "/api/events/stream",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["live"],
        operationId: "streamNotices",
        description:
          "Anyone signed in: a stream of server-sent events that stays open. Each event is a topic with the ids of what changed, sent only to people who may see it; the dashboard fetches again what an event names. A comment line every 25 seconds keeps it open; when the session ends a signed-out event closes it, and the browser's EventSource reconnects by itself.",
        summary:
          "Live notices (text/event-stream): events recordings, upload, consents, devices, notifications (mine), " +
          "bookings, coaching (mine), each with the ids of what changed, only about what I may see",
        response: {
          200: {
            description: "The notices, as server-sent events (event: topic, data: the ids)",
            content: { "text/event-stream": { schema: Type.String() } },
          },
          ...errors(401, 403),
        },
      },
    },
    (request, reply) => {
      const person = me(request);
      const csrfToken = request.session?.csrfToken ?? "";
      const response = openEventStream(reply, 3000);
      response.write(": connected\n\n");
      const heartbeat = setInterval(() => {
        sessionHolds(stream).then(
          (holds) => {
            if (holds) response.write(": still here\n\n");
            else stream.close("signed-out");
          },
          (error: unknown) => {
            log.warn({ err: error }, "checking a live stream's session failed");
          },
        );
      }, HEARTBEAT_MS);
      heartbeat.unref();
      const stream: Stream = {
        person: { id: person.id, roles: person.roles },
        csrfToken,
        response,
        pendingDevices: null,
        devicesTimer: null,
        close: (reason) => {
          if (reason !== undefined) write(stream, reason, {});
          response.end();
        },
      };
      streams.add(stream);
      tail.start(AUDIT_TAIL_MS);
      newNotifications.start(AUDIT_TAIL_MS);
      response.on("close", () => {
        clearInterval(heartbeat);
        if (stream.devicesTimer) clearTimeout(stream.devicesTimer);
        streams.delete(stream);
        if (streams.size === 0) {
          tail.stop();
          newNotifications.stop();
        }
      });
    },
  );

  app.addHook("preClose", (done) => {
    tail.stop();
    newNotifications.stop();
    for (const stream of streams) stream.close();
    done();
  });
  app.addHook("onClose", async () => {
    await tail.idle();
    await newNotifications.idle();
    await queue;
  });
}

/**
 * Takes the reply over as a stream of server-sent events: the headers (no
 * caching, no proxy buffering) and how long a browser waits before it
 * reconnects.
 */
export function openEventStream(reply: FastifyReply, retryMs: number): ServerResponse {
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  response.write(`retry: ${retryMs}\n\n`);
  return response;
}
