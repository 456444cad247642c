/**
 * Masks per booking (issue 19): a booking for a class with a pupil who may not
 * be recorded can carry its own privacy masks (rectangles in fractions of the
 * room's picture, as JSON), sent to the box with the booking and burned in at
 * capture with the room's. Existing bookings have none.
 */
import type { Migration } from "@classcam/sqlite";

export function bookingMasksMigration(version: number): Migration {
  return {
    version,
    name: "masks of a booking's own, burned in with the room's",
    sql: `ALTER TABLE bookings ADD COLUMN masks_json TEXT NOT NULL DEFAULT '[]';`,
  };
}
