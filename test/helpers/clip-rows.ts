// A clip's row written straight into the controller's database, for tests
// whose point is not cutting (access, feedback, homes): no footage is made.
import type { Transaction } from "../../controller/src/db/database.js";

export interface ClipRowSpec {
  id: string;
  recordingId: string;
  /** Default teacher-a. */
  owner?: string;
  /** The staff in the clip (default: the owner). */
  staff?: readonly string[];
  /** Where the clip was asked to start and end, and where its cut does (default: the same). */
  from: number;
  to: number;
  cut?: { from: number; to: number };
  title: string;
  bankState?: "none" | "awaiting-consent" | "declined" | "in-bank" | "withdrawn";
  createdAt: string;
}

export async function insertClipRow(tx: Transaction, clip: ClipRowSpec): Promise<void> {
  const owner = clip.owner ?? "teacher-a";
  const cut = clip.cut ?? { from: clip.from, to: clip.to };
  await tx.run(
    `INSERT INTO clips (id, recording_id, owner_id, staff_json, asked_in_seconds,
       asked_out_seconds, start_seconds, end_seconds, bytes, segments, title, bank_state,
       created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1000, 1, ?, ?, ?)`,
    [
      clip.id,
      clip.recordingId,
      owner,
      JSON.stringify(clip.staff ?? [owner]),
      clip.from,
      clip.to,
      cut.from,
      cut.to,
      clip.title,
      clip.bankState ?? "none",
      clip.createdAt,
    ],
  );
}
