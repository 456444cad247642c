/**
 * The school's routes, one plugin per resource: the fleet (devices.ts), the
 * timetable (bookings.ts), the policy (policy.ts), recordings (recordings.ts),
 * their footage (footage.ts), comments and shares (sharing.ts), keeping by
 * consent (keeping.ts), clips and the exemplar bank (clips.ts), holds and investigations (governance.ts), retention
 * (retention.ts), the audit log (audit.ts), the accounts (users.ts), each
 * person's home (home.ts) and the imported timetable of lessons (lessons.ts).
 * Each route names the roles it serves; the finer need-to-know rules for
 * footage are `decide()`'s, applied in the domain.
 */
import type { FastifyInstance } from "fastify";
import { auditRoutes } from "./audit.js";
import { bookingRoutes } from "./bookings.js";
import { clipRoutes } from "./clips.js";
import { deviceRoutes } from "./devices.js";
import { anonymisedRoutes } from "./anonymised.js";
import { footageRoutes } from "./footage.js";
import { governanceRoutes } from "./governance.js";
import { homeRoutes } from "./home.js";
import { keepingRoutes } from "./keeping.js";
import { lessonRoutes } from "./lessons.js";
import { policyRoutes } from "./policy.js";
import { recordingRoutes } from "./recordings.js";
import { retentionRoutes } from "./retention.js";
import { sharingRoutes } from "./sharing.js";
import { userRoutes } from "./users.js";

const RESOURCES = [
  deviceRoutes,
  bookingRoutes,
  policyRoutes,
  recordingRoutes,
  footageRoutes,
  anonymisedRoutes,
  sharingRoutes,
  clipRoutes,
  keepingRoutes,
  governanceRoutes,
  retentionRoutes,
  auditRoutes,
  userRoutes,
  homeRoutes,
  lessonRoutes,
];

export async function schoolRoutes(app: FastifyInstance): Promise<void> {
  for (const resource of RESOURCES) await app.register(resource);
}
