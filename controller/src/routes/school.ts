/**
 * The school's routes: fleet and devices, the timetable, policy, recordings
 * (view, comments, shares, keeping by consent, deletion), holds and
 * investigations, retention and the audit log. Each route names the roles it
 * serves; the finer need-to-know rules for footage are `decide()`'s, applied
 * in the domain.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import type { DeviceOverview } from "../domain/devices.js";
import { MAX_LIST_DAYS, type BookingChange, type BookingInput } from "../domain/timetable.js";
import type { ListScope } from "../domain/recordings.js";
import { DomainError } from "../domain/errors.js";
import { ANYONE, allow, me } from "./auth.js";
import {
  AlertSchema,
  AuditEntrySchema,
  BookingAmend,
  BookingCreate,
  BookingSchema,
  CommentSchema,
  DeletionSchema,
  DeviceId,
  DeviceSchema,
  HoldSchema,
  InvestigationSchema,
  Obj,
  Ok,
  OneOf,
  PolicyChange,
  PolicySchema,
  Reason,
  RecordingDetailSchema,
  RecordingSummarySchema,
  SegmentName,
  Serial,
  ShareSchema,
  Timestamp,
  UserId,
  Uuid,
  errors,
} from "./schemas.js";
import { PrivacyMaskSchema } from "@classcam/protocol";
import { DateInput, DatedObject } from "./dates.js";
import { MASK_ROLES } from "../domain/access.js";

const RecordingParams = Obj({ id: Uuid });
const FLEET = ["bursar", "it", "slt", "headteacher", "admin"] as const;
const LEADERSHIP = ["slt", "headteacher"] as const;

interface AlertRow {
  id: number;
  device_id: string;
  room: string;
  kind: string;
  detail: string;
  raised_at: string;
}

function fleetView(device: DeviceOverview, alerts: readonly string[]) {
  const { state } = device;
  return {
    id: device.id,
    room: device.room,
    status: device.status,
    enrolledAt: device.enrolledAt,
    online: device.connected && device.availability !== "offline",
    lastSeenAt: device.lastSeenAt,
    lamp: state?.lamp ?? null,
    recording: state?.recording != null,
    software: state?.software ?? null,
    encoder: state?.encoder ?? null,
    storage: state?.storage ?? null,
    temperatureC: state?.health?.temperatureC ?? null,
    bytesWritten: state?.health?.bytesWritten ?? null,
    configVersion: device.config.version,
    configApplied: state?.configVersion ?? null,
    masks: device.config.masks,
    alerts: [...alerts],
    wipedAt: device.wipedAt,
  };
}

export function schoolRoutes(app: FastifyInstance): void {
  const { timetable, recordings, policy, audit, devices, custodian, footage } = app;

  // ------------------------------------------------------------------ fleet
  const openAlerts = async (): Promise<AlertRow[]> =>
    app.db.all<AlertRow>(
      `SELECT a.id, a.device_id, d.room, a.kind, a.detail, a.raised_at
       FROM alerts a JOIN devices d ON d.id = a.device_id
       WHERE a.cleared_at IS NULL ORDER BY a.raised_at DESC`,
    );

  app.get(
    "/api/devices",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["fleet"],
        summary: "The classroom devices, with health for the fleet roles",
        querystring: Obj({ status: Type.Optional(OneOf(["active", "disabled", "retired"])) }),
        response: { 200: Type.Array(DeviceSchema), ...errors(401, 403) },
      },
    },
    async (request) => {
      const { status } = request.query as { status?: string };
      const alerts = await openAlerts();
      const byDevice = new Map<string, string[]>();
      for (const alert of alerts) {
        byDevice.set(alert.device_id, [...(byDevice.get(alert.device_id) ?? []), alert.kind]);
      }
      const list = (await devices.overview()).filter((d) =>
        status ? d.status === status : d.status !== "retired",
      );
      return list.map((device) => fleetView(device, byDevice.get(device.id) ?? []));
    },
  );

  app.post(
    "/api/devices",
    {
      onRequest: allow("it"),
      schema: {
        tags: ["fleet"],
        summary: "Enrol a device; its secret is shown once",
        body: Obj({ id: DeviceId, room: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: {
          201: Obj({ device: DeviceSchema, secret: Type.String() }),
          ...errors(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { id: string; room: string };
      const { device, secret } = await devices.enrol(body);
      await audit.record({
        actor: me(request).id,
        action: "device.enrol",
        subject: device.id,
        detail: { room: device.room },
      });
      await custodian.refreshConfig(device.id);
      return reply.code(201).send({ device: fleetView(device, []), secret });
    },
  );

  app.post(
    "/api/devices/:id/:action",
    {
      onRequest: allow("it"),
      schema: {
        tags: ["fleet"],
        summary: "Disable, enable or retire a device, or rotate its secret (shown once)",
        params: Obj({
          id: DeviceId,
          action: OneOf(["disable", "enable", "retire", "rotate-secret"]),
        }),
        response: {
          200: Obj({ device: DeviceSchema, secret: Type.Optional(Type.String()) }),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const { id, action } = request.params as {
        id: string;
        action: "disable" | "enable" | "retire" | "rotate-secret";
      };
      let secret: string | undefined;
      if (action === "rotate-secret") secret = (await devices.rotateSecret(id)).secret;
      else await devices[action](id);
      await audit.record({ actor: me(request).id, action: `device.${action}`, subject: id });
      const device = await devices.require(id);
      return { device: fleetView(device, []), ...(secret !== undefined && { secret }) };
    },
  );

  // the cameras' self-test and the live picture for masks: routes/camera.ts

  app.put(
    "/api/devices/:id/masks",
    {
      onRequest: allow(...MASK_ROLES),
      schema: {
        tags: ["fleet"],
        summary: "Set a device's privacy masks (burned into the picture at capture)",
        params: Obj({ id: DeviceId }),
        body: Obj({ masks: Type.Array(PrivacyMaskSchema, { maxItems: 16 }) }),
        response: { 200: DeviceSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { masks } = request.body as {
        masks: { x: number; y: number; width: number; height: number }[];
      };
      await devices.updateConfig(id, { masks });
      await audit.record({
        actor: me(request).id,
        action: "device.masks",
        subject: id,
        detail: { masks },
      });
      return fleetView(await devices.require(id), []);
    },
  );

  app.get(
    "/api/alerts",
    {
      onRequest: allow(...FLEET, "dpo"),
      schema: {
        tags: ["fleet"],
        summary:
          "Open alerts: buffer full of protected footage, camera lost, lamp fault, unbooked recording…",
        response: { 200: Type.Array(AlertSchema), ...errors(401, 403) },
      },
    },
    async () =>
      (await openAlerts()).map((a) => ({
        alertId: a.id,
        deviceId: a.device_id,
        room: a.room,
        kind: a.kind,
        detail: a.detail,
        raisedAt: a.raised_at,
      })),
  );

  app.post(
    "/api/alerts/:alertId/clear",
    {
      onRequest: allow("it", "slt", "headteacher"),
      schema: {
        tags: ["fleet"],
        summary: "Mark an alert as dealt with",
        params: Obj({ alertId: Serial }),
        response: { 200: Ok, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const { alertId } = request.params as { alertId: number };
      const who = me(request).id;
      await app.db.transaction(async (tx) => {
        const { changes } = await tx.run(
          "UPDATE alerts SET cleared_at = ?, cleared_by = ? WHERE id = ? AND cleared_at IS NULL",
          [app.now().toISOString(), who, alertId],
        );
        if (changes === 0) throw new DomainError("not-found", `no open alert ${alertId}`);
        await audit.append(tx, { actor: who, action: "alert.clear", subject: String(alertId) });
      });
      return { ok: true as const };
    },
  );

  // ------------------------------------------------------------------ timetable
  const weeks = new Map<string, string>();
  let weeksGeneration = 0;
  timetable.on("changed", () => {
    weeksGeneration += 1;
    weeks.clear();
  });

  app.get(
    "/api/bookings",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["timetable"],
        summary: "Bookings overlapping a window (at most 62 days)",
        querystring: DatedObject(
          {
            from: DateInput,
            to: DateInput,
            deviceId: Type.Optional(DeviceId),
            teacherId: Type.Optional(UserId),
            includeCancelled: Type.Optional(Type.Boolean()),
          },
          { from: "from", to: "to", maxDays: MAX_LIST_DAYS },
        ),
        response: { 200: Type.Array(BookingSchema), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const query = request.query as Parameters<typeof timetable.list>[0];
      // a whole school's week is the same answer for everyone until a booking changes:
      // kept serialised, and dropped at any change to the timetable
      const key = JSON.stringify([
        query.from,
        query.to,
        query.deviceId,
        query.teacherId,
        query.includeCancelled,
      ]);
      let body = weeks.get(key);
      if (body === undefined) {
        const generation = weeksGeneration;
        body = JSON.stringify(await timetable.list(query));
        if (generation === weeksGeneration) {
          if (weeks.size >= 200) weeks.clear();
          weeks.set(key, body);
        }
      }
      return reply.type("application/json; charset=utf-8").send(body);
    },
  );

  app.get(
    "/api/bookings/:id",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["timetable"],
        summary: "One booking",
        params: Obj({ id: Uuid }),
        response: { 200: BookingSchema, ...errors(401, 403, 404) },
      },
    },
    async (request) => timetable.require((request.params as { id: string }).id),
  );

  app.post(
    "/api/bookings",
    {
      onRequest: allow("teacher", "bursar", "slt", "headteacher"),
      schema: {
        tags: ["timetable"],
        summary: "Book a slot (a teacher for themself; the Bursar, SLT and headteacher for anyone)",
        body: BookingCreate,
        response: { 201: BookingSchema, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await timetable.create(me(request), request.body as BookingInput)),
  );

  app.patch(
    "/api/bookings/:id",
    {
      onRequest: allow("teacher", "bursar", "slt", "headteacher"),
      schema: {
        tags: ["timetable"],
        summary: "Amend a booking that has not started (audited)",
        params: Obj({ id: Uuid }),
        body: BookingAmend,
        response: { 200: BookingSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      timetable.amend(
        me(request),
        (request.params as { id: string }).id,
        request.body as BookingChange,
      ),
  );

  app.post(
    "/api/bookings/:id/cancel",
    {
      onRequest: allow("teacher", "bursar", "slt", "headteacher"),
      schema: {
        tags: ["timetable"],
        summary: "Cancel a booking (audited, with a reason)",
        params: Obj({ id: Uuid }),
        body: Obj({ reason: Reason }),
        response: { 200: BookingSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      timetable.cancel(
        me(request),
        (request.params as { id: string }).id,
        (request.body as { reason: string }).reason,
      ),
  );

  // ------------------------------------------------------------------ policy
  app.get(
    "/api/policy",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["policy"],
        summary: "The school's policy",
        response: { 200: PolicySchema, ...errors(401, 403) },
      },
    },
    () => policy.get(),
  );

  app.patch(
    "/api/policy",
    {
      onRequest: allow("slt", "headteacher", "dpo"),
      schema: {
        tags: ["policy"],
        summary: "Change the policy (audited; devices get it at once)",
        body: Type.Composite([PolicyChange], { additionalProperties: false, minProperties: 1 }),
        response: { 200: PolicySchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const next = await policy.update(
        request.body as Parameters<typeof policy.update>[0],
        me(request).id,
      );
      await custodian.refreshAll();
      return next;
    },
  );

  // ------------------------------------------------------------------ recordings
  app.get(
    "/api/recordings",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary:
          "Recordings, newest first: mine, shared with me, under my investigation, or all (metadata)",
        querystring: Obj({
          scope: Type.Optional(OneOf(["mine", "shared", "investigating", "all", "flagged"])),
          before: Type.Optional(DateInput),
        }),
        response: { 200: Type.Array(RecordingSummarySchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { scope, before } = request.query as { scope?: ListScope; before?: string };
      return recordings.list(me(request), scope ?? "mine", before);
    },
  );

  app.get(
    "/api/consents",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Recordings I am asked to agree to keep",
        response: { 200: Type.Array(RecordingSummarySchema), ...errors(401, 403) },
      },
    },
    async (request) => recordings.awaitingMyConsent(me(request)),
  );

  app.get(
    "/api/recordings/:id",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "A recording's details and what I may do with it",
        params: RecordingParams,
        response: { 200: RecordingDetailSchema, ...errors(401, 403, 404) },
      },
    },
    async (request) => recordings.detail(me(request), (request.params as { id: string }).id),
  );

  app.post(
    "/api/recordings/:id/views",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Open the footage to watch (audited); gives the watermark to show over it",
        params: RecordingParams,
        response: {
          200: Obj({ recordingId: Uuid, basis: Type.String(), watermark: Type.String() }),
          ...errors(401, 403, 404, 409),
        },
      },
    },
    async (request) => recordings.view(me(request), (request.params as { id: string }).id),
  );

  // footage as HLS, for whoever may view it; never cached, never offered as a download
  app.get(
    "/api/recordings/:id/footage/index.m3u8",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary:
          "The footage's HLS playlist (audited as playing it). 404 while the footage is only " +
          "on the device — asking for it asks the device to upload it",
        params: RecordingParams,
        response: {
          200: {
            description: "The HLS playlist (served only when decide() lets the person view it)",
            content: { "application/vnd.apple.mpegurl": { schema: Type.String() } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const path = await footage.playlist(me(request), (request.params as { id: string }).id);
      return reply
        .header("cache-control", "private, no-store")
        .type("application/vnd.apple.mpegurl")
        .send(await readFile(path, "utf8"));
    },
  );

  app.get(
    "/api/recordings/:id/footage/:segment",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "One segment of the footage (MPEG-TS), for whoever may view it",
        params: Obj({ id: Uuid, segment: SegmentName }),
        response: {
          200: {
            description: "One MPEG-TS segment (served only when decide() lets the person view it)",
            content: { "video/mp2t": { schema: Type.String({ format: "binary" }) } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { id, segment } = request.params as { id: string; segment: string };
      const path = await footage.segment(me(request), id, segment);
      return reply
        .header("cache-control", "private, no-store")
        .type("video/mp2t")
        .send(createReadStream(path));
    },
  );

  app.get(
    "/api/recordings/:id/comments",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Time-stamped comments, in timeline order",
        params: RecordingParams,
        response: { 200: Type.Array(CommentSchema), ...errors(401, 403, 404) },
      },
    },
    async (request) => recordings.comments(me(request), (request.params as { id: string }).id),
  );

  app.post(
    "/api/recordings/:id/comments",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Comment at a moment of the recording",
        params: RecordingParams,
        body: Obj({
          atSeconds: Type.Number({ minimum: 0, maximum: 86_400 }),
          body: Type.String({ minLength: 1, maxLength: 4000 }),
        }),
        response: { 201: CommentSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { atSeconds, body } = request.body as { atSeconds: number; body: string };
      return reply
        .code(201)
        .send(
          await recordings.comment(
            me(request),
            (request.params as { id: string }).id,
            atSeconds,
            body,
          ),
        );
    },
  );

  app.post(
    "/api/recordings/:id/shares",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Share with a colleague to view and comment (owner only; optional expiry)",
        params: RecordingParams,
        body: Obj({
          withId: UserId,
          expiresAt: Type.Optional(Type.Union([DateInput, Type.Null()])),
        }),
        response: { 201: ShareSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { withId, expiresAt } = request.body as { withId: string; expiresAt?: string | null };
      return reply
        .code(201)
        .send(
          await recordings.share(
            me(request),
            (request.params as { id: string }).id,
            withId,
            expiresAt ?? null,
          ),
        );
    },
  );

  app.delete(
    "/api/recordings/:id/shares/:shareId",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Withdraw a share (owner only)",
        params: Obj({ id: Uuid, shareId: Serial }),
        response: { 200: Ok, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const { id, shareId } = request.params as { id: string; shareId: number };
      await recordings.revokeShare(me(request), id, shareId);
      return { ok: true as const };
    },
  );

  app.post(
    "/api/recordings/:id/archive",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Ask to keep the recording: every member of staff in it must agree",
        params: RecordingParams,
        body: Obj({ exemplar: Type.Optional(Type.Boolean()) }),
        response: { 200: RecordingDetailSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await recordings.requestArchive(
        me(request),
        id,
        (request.body as { exemplar?: boolean }).exemplar,
      );
      return recordings.detail(me(request), id);
    },
  );

  app.delete(
    "/api/recordings/:id/archive",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Withdraw the request to keep (before the upload is done)",
        params: RecordingParams,
        response: { 200: RecordingDetailSchema, ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await recordings.withdrawArchive(me(request), id);
      return recordings.detail(me(request), id);
    },
  );

  app.put(
    "/api/recordings/:id/consent",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Agree or decline to keep a recording I am in (declining cancels the archive)",
        params: RecordingParams,
        body: Obj({ decision: OneOf(["agree", "decline"]) }),
        response: { 200: RecordingDetailSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await recordings.consent(
        me(request),
        id,
        (request.body as { decision: "agree" | "decline" }).decision,
      );
      return recordings.detail(me(request), id);
    },
  );

  app.post(
    "/api/recordings/:id/exemplar/release",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary: "Release an exemplar: archive retention applies to it from now on",
        params: RecordingParams,
        response: { 200: Ok, ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      await recordings.releaseExemplar(me(request), (request.params as { id: string }).id);
      return { ok: true as const };
    },
  );

  app.delete(
    "/api/recordings/:id",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["recordings"],
        summary:
          "Delete a recording (owner; refused while on hold); carried out at once on every copy",
        params: RecordingParams,
        response: { 200: Ok, ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      await recordings.requestDeletion(me(request), (request.params as { id: string }).id);
      return { ok: true as const };
    },
  );

  // ------------------------------------------------------------------ holds and investigations
  app.get(
    "/api/holds",
    {
      onRequest: allow(...LEADERSHIP, "dpo"),
      schema: {
        tags: ["governance"],
        summary: "Holds in force",
        response: { 200: Type.Array(HoldSchema), ...errors(401, 403) },
      },
    },
    async (request) => recordings.activeHolds(me(request)),
  );

  app.post(
    "/api/recordings/:id/holds",
    {
      onRequest: allow(...LEADERSHIP),
      schema: {
        tags: ["governance"],
        summary:
          "Place a hold with a written reason: nothing of the recording is deleted or overwritten",
        params: RecordingParams,
        body: Obj({ reason: Reason }),
        response: { 201: HoldSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await recordings.placeHold(
            me(request),
            (request.params as { id: string }).id,
            (request.body as { reason: string }).reason,
          ),
        ),
  );

  app.post(
    "/api/holds/:holdId/release",
    {
      onRequest: allow(...LEADERSHIP),
      schema: {
        tags: ["governance"],
        summary: "Release a hold, with a written reason",
        params: Obj({ holdId: Serial }),
        body: Obj({ reason: Reason }),
        response: { 200: HoldSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      recordings.releaseHold(
        me(request),
        (request.params as { holdId: number }).holdId,
        (request.body as { reason: string }).reason,
      ),
  );

  app.post(
    "/api/recordings/:id/investigations",
    {
      onRequest: allow(...LEADERSHIP),
      schema: {
        tags: ["governance"],
        summary: "Open footage for an investigation, with a written reason (the owner sees it)",
        params: RecordingParams,
        body: Obj({ reason: Reason }),
        response: { 201: InvestigationSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await recordings.openInvestigation(
            me(request),
            (request.params as { id: string }).id,
            (request.body as { reason: string }).reason,
          ),
        ),
  );

  app.post(
    "/api/investigations/:investigationId/close",
    {
      onRequest: allow(...LEADERSHIP),
      schema: {
        tags: ["governance"],
        summary: "Close an investigation: the footage is need-to-know again",
        params: Obj({ investigationId: Serial }),
        response: { 200: Ok, ...errors(401, 403, 404, 409) },
      },
    },
    async (request) => {
      await recordings.closeInvestigation(
        me(request),
        (request.params as { investigationId: number }).investigationId,
      );
      return { ok: true as const };
    },
  );

  // ------------------------------------------------------------------ retention
  app.post(
    "/api/retention/sweep",
    {
      onRequest: allow("it", "dpo"),
      schema: {
        tags: ["governance"],
        summary: "Run the retention sweep now (it also runs on its own every hour)",
        response: {
          200: Obj({
            at: Timestamp,
            examined: Type.Integer(),
            controllerDeleted: Type.Integer(),
            deviceRequested: Type.Integer(),
          }),
          ...errors(401, 403),
        },
      },
    },
    async (request) => {
      const report = await custodian.sweep();
      await audit.record({
        actor: me(request).id,
        action: "retention.sweep",
        detail: {
          controller: report.controllerDeleted.length,
          devices: report.deviceRequested.length,
        },
      });
      return {
        at: report.at,
        examined: report.examined,
        controllerDeleted: report.controllerDeleted.length,
        deviceRequested: report.deviceRequested.length,
      };
    },
  );

  app.get(
    "/api/deletions",
    {
      onRequest: allow("dpo", "it"),
      schema: {
        tags: ["governance"],
        summary: "The record of deletions, newest first",
        querystring: Obj({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 200: Type.Array(DeletionSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const { limit } = request.query as { limit?: number };
      const rows = await app.db.all<{
        recording_id: string;
        copy: "controller" | "device";
        reason: string;
        requested_at: string;
        done_at: string | null;
        bytes: number | null;
      }>("SELECT * FROM deletions ORDER BY id DESC LIMIT ?", [limit ?? 100]);
      return rows.map((r) => ({
        recordingId: r.recording_id,
        copy: r.copy,
        reason: r.reason,
        requestedAt: r.requested_at,
        doneAt: r.done_at,
        bytes: r.bytes,
      }));
    },
  );

  // ------------------------------------------------------------------ audit
  const AuditFilter = {
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    from: Type.Optional(DateInput),
    to: Type.Optional(DateInput),
  };
  const AUDIT_WINDOW = { from: "from", to: "to" };

  app.get(
    "/api/audit",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["audit"],
        summary: "A page of the audit log, filtered by person, recording, action or date",
        querystring: DatedObject(
          {
            ...AuditFilter,
            afterSeq: Type.Optional(Type.Integer({ minimum: 0 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          AUDIT_WINDOW,
        ),
        response: {
          200: Obj({
            entries: Type.Array(AuditEntrySchema),
            next: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const query = request.query as Omit<Parameters<typeof audit.page>[0], "limit"> & {
        limit?: number;
      };
      return audit.page({ ...query, limit: query.limit ?? 100 });
    },
  );

  app.get(
    "/api/audit/verify",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["audit"],
        summary: "Walk the hash chain and name the first edited, removed or inserted entry",
        querystring: Obj({
          anchorSeq: Type.Optional(Type.Integer({ minimum: 1 })),
          anchorHash: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
        }),
        response: {
          200: Obj({
            ok: Type.Boolean(),
            entries: Type.Optional(Type.Integer()),
            seq: Type.Optional(Type.Integer()),
            problem: Type.Optional(Type.String()),
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { anchorSeq, anchorHash } = request.query as {
        anchorSeq?: number;
        anchorHash?: string;
      };
      if ((anchorSeq === undefined) !== (anchorHash === undefined)) {
        throw new DomainError("invalid", "give both anchorSeq and anchorHash, or neither");
      }
      const result = await audit.verify(
        anchorSeq !== undefined && anchorHash !== undefined
          ? { anchor: { seq: anchorSeq, hash: anchorHash } }
          : {},
      );
      await audit.record({
        actor: me(request).id,
        action: "audit.verify",
        detail: { ok: result.ok },
      });
      return result;
    },
  );

  app.get(
    "/api/audit/export",
    {
      onRequest: allow("dpo"),
      schema: {
        tags: ["audit"],
        summary: "Export the (filtered) audit log as JSON or CSV",
        querystring: DatedObject({ ...AuditFilter, format: OneOf(["json", "csv"]) }, AUDIT_WINDOW),
        response: { 200: Type.String(), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query as { format: "json" | "csv" } & Parameters<
        typeof audit.export
      >[1];
      const body = await audit.export(format, filter);
      await audit.record({
        actor: me(request).id,
        action: "audit.export",
        detail: { format, filter: { ...filter } },
      });
      return reply
        .header(
          "content-type",
          format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
        )
        .header("content-disposition", `attachment; filename="classcam-audit.${format}"`)
        .send(body);
    },
  );
}
