/**
 * The controller's versioned schema migrations, run at start by the shared
 * runner in `@classcam/sqlite` (all pending ones in one transaction). Versions
 * 1–9 are in `migrations-1-9.ts`; each later one is added below, numbered in
 * order (the runner refuses a gap).
 */
import { migrate as runMigrations, type Migration, type MigrationResult } from "@classcam/sqlite";
import type { Database } from "./database.js";
import { anonymiseMigration } from "./migration-anonymise.js";
import { bookingMasksMigration } from "./migration-booking-masks.js";
import { clipsMigration } from "./migration-clips.js";
import { coachingMigration } from "./migration-coaching.js";
import { copiesMigration } from "./migration-copies.js";
import { copyKeysMigration } from "./migration-copy-keys.js";
import { eventSeenMigration } from "./migration-event-seen.js";
import { firstMigrations } from "./migrations-1-9.js";
import { notificationsMigration } from "./migration-notifications.js";
import { sealedKeysMigration } from "./migration-sealed-keys.js";
import { zonesMigration } from "./migration-zones.js";

export type { Migration, MigrationResult };

export const migrations: readonly Migration[] = [
  ...firstMigrations,
  clipsMigration(10),
  coachingMigration(11),
  notificationsMigration(12),
  anonymiseMigration(13),
  sealedKeysMigration(14),
  copyKeysMigration(15),
  copiesMigration(16),
  zonesMigration(17),
  bookingMasksMigration(18),
  eventSeenMigration(19),
];

/** Brings the controller's database up to the newest schema. */
export function migrate(
  db: Database,
  list: readonly Migration[] = migrations,
): Promise<MigrationResult> {
  return runMigrations(db, list, "this controller");
}
