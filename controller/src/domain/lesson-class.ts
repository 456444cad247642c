/**
 * What the imported timetable says of a booking's class, asked by the booking
 * rules in `timetable.ts`: the class in the box's room at the booking's time,
 * so a booking in a lesson is for the lesson's class and the do-not-record
 * check runs on the real one.
 */
import type { Transaction } from "../db/database.js";

/**
 * The class the timetable has in `deviceId`'s room during [start, end), when
 * the school has imported one that covers it: a booking then takes that class.
 */
export async function timetabledClass(
  tx: Transaction,
  deviceId: string,
  start: string,
  end: string,
): Promise<string | null> {
  const row = await tx.get<{ class_code: string }>(
    "SELECT l.class_code FROM lessons l JOIN rooms r ON r.name = l.room " +
      "WHERE r.device_id = ? AND l.start_at < ? AND l.end_at > ? ORDER BY l.start_at LIMIT 1",
    [deviceId, end, start],
  );
  return row?.class_code ?? null;
}
