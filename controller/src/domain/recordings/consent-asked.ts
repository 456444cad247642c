/**
 * Keeping a recording needs the consent of every member of staff on it: when
 * it is asked for, each of them (but whoever asked, whose consent came with
 * the request) is told, in the same transaction as the request.
 */
import type { Transaction } from "../../db/database.js";
import { nameOf, notify } from "../notifications.js";

/** `askedBy`: who asked in the dashboard; null: the record button held at the box. */
export async function askConsent(
  tx: Transaction,
  at: Date,
  recording: { id: string; staff_json: string },
  askedBy: string | null,
): Promise<void> {
  const staff = JSON.parse(recording.staff_json) as string[];
  const subject =
    askedBy === null
      ? "Keeping a recording you are in was asked for at the box: do you agree?"
      : `${await nameOf(tx, askedBy)} asks whether you agree to keep a recording you are in`;
  for (const userId of new Set(staff)) {
    if (userId === askedBy) continue;
    await notify(tx, { userId, kind: "consent-asked", subject, link: "consents", at });
  }
}
