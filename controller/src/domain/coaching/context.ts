/** What every part of coaching shares: the database, the audit log and the clock. */
import type { Database } from "../../db/database.js";
import type { AuditLog } from "../audit.js";
import type { Clock } from "../clock.js";

export interface CoachingContext {
  db: Database;
  audit: AuditLog;
  clock: Clock;
}
