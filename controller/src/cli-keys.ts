/**
 * `classcam-controller keys rotate`: a new sealing key for the controller
 * (sealing-keys.ts), every sealed key in the database re-wrapped to it
 * (domain/sealing-rotation.ts), audited. A running controller takes the new
 * key up without a restart: boxes get its public key with their next
 * enrolment or new secret; the old key files stay for the footage boxes
 * still seal to the old key.
 */
import { join } from "node:path";
import type { ControllerConfig } from "./config.js";
import { DATABASE_FILE } from "./app.js";
import { Database } from "./db/database.js";
import { migrate } from "./db/migrations.js";
import { AuditLog } from "./domain/audit.js";
import { rewrapSealedKeys } from "./domain/sealing-rotation.js";
import { loadSealingKeys, rotateSealingKey, sealingKeysPath } from "./sealing-keys.js";
import { actionProblem, extraProblem, type Io, usageError } from "./cli-io.js";

/** The lines of `--help` that describe these commands. */
export const KEYS_HELP = `  keys rotate                   make a new sealing key: new footage and copies are
                                sealed to it, every sealed key the server holds is
                                re-wrapped to it, boxes get it with their next
                                enrolment or new secret; the old key files stay
                                (back the new one up: README, "Sealing keys"). Audited`;

export async function keysCommand(
  config: ControllerConfig,
  args: readonly string[],
  values: { json: boolean },
  io: Io,
): Promise<number> {
  const [action, ...extra] = args;
  const usage = (message: string) => usageError(io, "keys", message);
  const problem = actionProblem(action, ["rotate"]) ?? extraProblem(extra);
  if (problem !== null) return usage(problem);
  const dir = sealingKeysPath(config);
  const db = await Database.open(join(config.dataDir, DATABASE_FILE));
  try {
    await migrate(db);
    const before = loadSealingKeys(dir);
    const previous = before.current.keyId;
    const pair = rotateSealingKey(dir);
    const ring = loadSealingKeys(dir);
    const rewrapped = await rewrapSealedKeys(db, new AuditLog(db), ring, pair, previous, "system");
    if (values.json) {
      io.out(
        JSON.stringify({ keyId: pair.keyId, publicKey: pair.publicKey, previous, ...rewrapped }),
      );
    } else {
      io.out(
        `new sealing key ${pair.keyId} (the previous was ${previous}): re-wrapped ` +
          `${rewrapped.recordings} recording key${rewrapped.recordings === 1 ? "" : "s"} and ` +
          `${rewrapped.copies} copy key${rewrapped.copies === 1 ? "" : "s"}\n` +
          `public key for the boxes: ${pair.publicKey}\n` +
          `Back up ${dir} now. Boxes get the new key with their next enrolment or new secret; ` +
          "keep the old key files until every box has it and has uploaded what it held.",
      );
    }
    return 0;
  } finally {
    await db.close();
  }
}
