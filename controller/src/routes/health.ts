import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { answer } from "./schemas.js";

const HealthSchema = Type.Object({
  status: Type.Literal("ok"),
  devicesConnected: Type.Integer({ minimum: 0 }),
  ingest: Type.Object({
    committed: Type.Integer(),
    duplicates: Type.Integer(),
    rejected: Type.Integer(),
  }),
});

/** Liveness for systemd and monitoring: no footage, no personal data. */
export function healthRoutes(app: FastifyInstance): void {
  app.get(
    "/healthz",
    {
      schema: {
        tags: ["health"],
        operationId: "getHealth",
        summary: "Whether the controller is up",
        description:
          "Public, for systemd and monitoring: the controller answers, how many boxes are connected, and the counts of device events taken in. No footage and no personal data.",
        response: { 200: answer("The controller is up", HealthSchema) },
      },
    },
    () => {
      const { committed, duplicates, rejected } = app.broker.ingest.stats;
      return {
        status: "ok" as const,
        devicesConnected: app.broker.connectedDevices().length,
        ingest: { committed, duplicates, rejected },
      };
    },
  );
}
