/**
 * The fleet's routes: the classroom devices (enrol, disable, enable, retire,
 * rotate a secret, privacy masks) and their open alerts. The cameras'
 * self-test and the live picture for masks are in routes/camera.ts.
 */
import type { FastifyInstance } from "fastify";
import { typed } from "./typed.js";
import { Type } from "@sinclair/typebox";
import { PrivacyMaskSchema } from "@classcam/protocol";
import type { DeviceOverview } from "../domain/devices.js";
import { FLEET_ROLES, openAlerts } from "../domain/fleet-view.js";
import { clearAlertById } from "../domain/alerts.js";
import { MASK_ROLES } from "../domain/access.js";
import { ANYONE, allow, me } from "./auth.js";
import {
  answer,
  AlertSchema,
  DeviceId,
  DeviceSchema,
  DeviceWithSecretSchema,
  errors,
  SealingKey,
  Obj,
  Ok,
  OneOf,
  Serial,
} from "./schemas.js";

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
    backend: state?.backend ?? null,
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

export function deviceRoutes(fastify: FastifyInstance): void {
  const app = typed(fastify);
  const { audit, devices, custodian } = app;

  app.get(
    "/api/devices",
    {
      onRequest: allow(ANYONE),
      schema: {
        tags: ["fleet"],
        operationId: "listDevices",
        description:
          "Anyone signed in: each classroom box with its room, whether it is online and recording, and, for the fleet roles (Bursar, IT, SLT, headteacher, administrator), its health: storage, temperature, configuration, privacy masks and alerts.",
        summary: "The classroom devices, with health for the fleet roles",
        querystring: Obj({ status: Type.Optional(OneOf(["active", "disabled", "retired"])) }),
        response: {
          200: answer("The classroom devices", Type.Array(DeviceSchema)),
          ...errors(401, 403),
        },
      },
    },
    async (request) => {
      const { status } = request.query;
      const alerts = await openAlerts(app.db);
      const byDevice = new Map<string, string[]>();
      for (const alert of alerts) {
        byDevice.set(alert.deviceId, [...(byDevice.get(alert.deviceId) ?? []), alert.kind]);
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
        operationId: "enrolDevice",
        description:
          "IT: enrols a classroom box under an id and a room (audited). The answer carries the box's MQTT secret, shown this once: set it on the box; and the controller's public sealing key, which the box seals each recording's key to (its settings' controller.sealingKey). An id already enrolled is refused (409).",
        summary: "Enrol a device; its secret is shown once",
        body: Obj({ id: DeviceId, room: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: {
          201: answer(
            "The enrolled device and its secret (shown once)",
            Obj({ device: DeviceSchema, secret: Type.String(), sealingKey: SealingKey }),
          ),
          ...errors(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const { device, secret } = await devices.enrol(request.body);
      await audit.record({
        actor: me(request).id,
        action: "device.enrol",
        subject: device.id,
        detail: { room: device.room },
      });
      await custodian.refreshConfig(device.id);
      const sealingKey = app.footage.keys.publicKey ?? undefined;
      return reply
        .code(201)
        .send({ device: fleetView(device, []), secret, ...(sealingKey && { sealingKey }) });
    },
  );

  app.post(
    "/api/devices/:id/:action",
    {
      onRequest: allow("it"),
      schema: {
        tags: ["fleet"],
        operationId: "changeDevice",
        description:
          "IT, audited: disable (the box may no longer connect), enable, retire (the box is told to wipe its buffer, and reports when it has) or rotate-secret (a new secret, shown once in the answer; the old one stops working).",
        summary: "Disable, enable or retire a device, or rotate its secret (shown once)",
        params: Obj({
          id: DeviceId,
          action: OneOf(["disable", "enable", "retire", "rotate-secret"]),
        }),
        response: {
          200: answer(
            "The device after the change, with its new secret after rotate-secret",
            DeviceWithSecretSchema,
          ),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const { id, action } = request.params;
      let secret: string | undefined;
      if (action === "rotate-secret") secret = (await devices.rotateSecret(id)).secret;
      else await devices[action](id);
      await audit.record({ actor: me(request).id, action: `device.${action}`, subject: id });
      const device = await devices.require(id);
      const sealingKey = app.footage.keys.publicKey ?? undefined;
      return {
        device: fleetView(device, []),
        ...(secret !== undefined && { secret, ...(sealingKey && { sealingKey }) }),
      };
    },
  );

  app.put(
    "/api/devices/:id/masks",
    {
      onRequest: allow(...MASK_ROLES),
      schema: {
        tags: ["fleet"],
        operationId: "setDeviceMasks",
        description:
          "SLT, headteacher or DPO: replaces the box's privacy masks, rectangles blacked out in the picture as it is captured, so what they cover is never recorded. The box gets them with its next configuration (audited).",
        summary: "Set a device's privacy masks (burned into the picture at capture)",
        params: Obj({ id: DeviceId }),
        body: Obj({ masks: Type.Array(PrivacyMaskSchema, { maxItems: 16 }) }),
        response: {
          200: answer("The device with its new masks", DeviceSchema),
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { masks } = request.body;
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
      onRequest: allow(...FLEET_ROLES, "dpo"),
      schema: {
        tags: ["fleet"],
        operationId: "listAlerts",
        description:
          "The fleet roles (Bursar, IT, SLT, headteacher, administrator) and the DPO: the alerts not yet dealt with, each with its box, room, kind, detail and when it was raised.",
        summary:
          "Open alerts: buffer full of protected footage, camera lost, lamp fault, unbooked recording…",
        response: { 200: answer("The open alerts", Type.Array(AlertSchema)), ...errors(401, 403) },
      },
    },
    async () => openAlerts(app.db),
  );

  app.post(
    "/api/alerts/:alertId/clear",
    {
      onRequest: allow("it", "slt", "headteacher"),
      schema: {
        tags: ["fleet"],
        operationId: "clearAlert",
        description:
          "IT, SLT or headteacher: marks an alert as dealt with (audited); it leaves the list of open alerts.",
        summary: "Mark an alert as dealt with",
        params: Obj({ alertId: Serial }),
        response: { 200: answer("The alert is cleared", Ok), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const { alertId } = request.params;
      const who = me(request).id;
      await app.db.transaction((tx) =>
        clearAlertById(tx, audit, alertId, who, app.now().toISOString()),
      );
      return { ok: true as const };
    },
  );
}
