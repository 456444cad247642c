/**
 * The anonymiser's side of teacher zones (`domain/zone-rule.ts`): a copy is
 * made under the zones of its room at the time, written down with it, and
 * served only while they are still the room's. A copy left half-made under
 * other zones is begun again, not resumed (its finished segments were made
 * under the old zones).
 */
import type { TeacherZonesStore } from "../domain/teacher-zones.js";
import { NO_ZONES, sameZones, type TeacherZones } from "../domain/zone-rule.js";
import { removeRendition } from "./rendition.js";

/** What the anonymiser needs of the rooms' zones. */
export type ZoneBook = Pick<TeacherZonesStore, "inForce" | "madeUnder" | "makingUnder">;

/**
 * The zones a copy is to be made under now (none known: every face blurred);
 * what `dir` holds of a copy made under other zones is removed first.
 */
export async function zonesToMakeUnder(
  book: ZoneBook | null,
  copyId: string,
  dir: string,
): Promise<TeacherZones> {
  if (book === null) return NO_ZONES;
  const now = await book.inForce(copyId);
  if (!sameZones(await book.madeUnder(copyId), now)) await removeRendition(dir);
  await book.makingUnder(copyId, now);
  return now;
}

/** Whether a copy was made under its room's zones as they are now (else it is made again). */
export async function madeUnderZonesInForce(
  book: ZoneBook | null,
  copyId: string,
): Promise<boolean> {
  if (book === null) return true;
  return sameZones(await book.madeUnder(copyId), await book.inForce(copyId));
}
