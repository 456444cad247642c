/**
 * The API's answers for the school-management screens (timetable, fleet,
 * use, holds, audit, policy, devices), as the dashboard reads them: the
 * `Static` types of the server's schemas (`controller/src/routes/oversight-schemas.ts`
 * and `schemas.ts`), imported with `import type` so no server code reaches the
 * browser. The rest of the API's shapes are in `types.ts`.
 */
import type { Static } from "@sinclair/typebox";
import type { PrivacyMaskSchema, REQUEST_SCHEMAS } from "@classcam/protocol";
import type { AlertKind as RaisedAlertKind } from "../../src/domain/alerts.js";
import type { FLEET_SHOW, FLEET_STATUS } from "../../src/domain/fleet-view.js";
import type {
  FleetPageSchema,
  GovernanceSchema,
  UseSchema,
} from "../../src/routes/oversight-schemas.js";
import type {
  AlertSchema,
  AuditEntrySchema,
  AuditNamesSchema,
  AuditPageSchema,
  AuditVerificationSchema,
  DeviceSchema,
  DeviceWithSecretSchema,
} from "../../src/routes/schemas.js";
import type { TeacherZonesSchema } from "../../src/routes/zone-schemas.js";
import type { Device } from "./types.js";

/** The alerts the controller raises, and the fleet read model's own: a box offline, a worn card, a silent speaker. */
export type AlertKind = RaisedAlertKind | "offline" | "card-worn" | "speaker";

export type FleetPage = Static<typeof FleetPageSchema>;
export type FleetDevice = FleetPage["devices"][number];
export type FleetAlert = FleetDevice["alerts"][number];
export type DeviceStorage = NonNullable<FleetDevice["storage"]>;

export type FleetShow = (typeof FLEET_SHOW)[number];
export type FleetStatus = (typeof FLEET_STATUS)[number];

/** The camera's self-test, as the box answers it (less the picture). */
export type SelfTestResult = Omit<Static<(typeof REQUEST_SCHEMAS)["self-test"]["data"]>, "picture">;

export type Alert = Static<typeof AlertSchema>;

/** `POST /api/devices` and `POST /api/devices/:id/rotate-secret`: the secret, shown once. */
export type DeviceWithSecret = Static<typeof DeviceWithSecretSchema>;

export type PrivacyMask = Static<typeof PrivacyMaskSchema>;

/** `GET /api/devices/:id/zones`: where a room's blurred copies leave faces sharp. */
export type TeacherZones = Static<typeof TeacherZonesSchema>;
export type ZoneMode = TeacherZones["mode"];

/** `GET /api/devices` as the fleet roles see it (with the masks). */
export type DeviceDetail = Device & Pick<Static<typeof DeviceSchema>, "masks" | "software">;

export type Use = Static<typeof UseSchema>;

export type Governance = Static<typeof GovernanceSchema>;
export type HoldInForce = Governance["holds"][number];
export type OpenInvestigation = Governance["investigations"][number];

export type AuditEntry = Static<typeof AuditEntrySchema>;

export type AuditPage = Static<typeof AuditPageSchema>;

/** The names behind the ids of a page of the audit log. */
export type AuditNames = Static<typeof AuditNamesSchema>;

export type AuditVerification = Static<typeof AuditVerificationSchema>;
