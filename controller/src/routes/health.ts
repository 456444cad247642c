import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";

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
  app.get("/healthz", { schema: { response: { 200: HealthSchema } } }, () => {
    const { committed, duplicates, rejected } = app.broker.ingest.stats;
    return {
      status: "ok" as const,
      devicesConnected: app.broker.connectedDevices().length,
      ingest: { committed, duplicates, rejected },
    };
  });
}
