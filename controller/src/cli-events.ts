/**
 * `classcam-controller events retry`: applies the device events waiting in
 * quarantine (ones the projector could not apply, e.g. because of a bug fixed
 * since), oldest first, each exactly once. Safe while the controller runs.
 */
import { join } from "node:path";
import { pino } from "pino";
import type { ControllerConfig } from "./config.js";
import { DATABASE_FILE } from "./app.js";
import { Database } from "./db/database.js";
import { migrate } from "./db/migrations.js";
import { AuditLog } from "./domain/audit.js";
import { PolicyStore } from "./domain/policy.js";
import { Projector } from "./domain/projector.js";
import { actionProblem, extraProblem, type Io, usageError } from "./cli-io.js";

/** The lines of `--help` that describe this command. */
export const EVENTS_HELP = `  events retry                  apply again the device events kept in quarantine
                                (they failed to apply); says how many applied and
                                which still fail, and why; exit 1 while any fail`;

export async function eventsCommand(
  config: ControllerConfig,
  args: readonly string[],
  values: { json: boolean },
  io: Io,
): Promise<number> {
  const [action, ...extra] = args;
  const usage = (message: string) => usageError(io, "events", message);
  const problem = actionProblem(action, ["retry"]) ?? extraProblem(extra);
  if (problem !== null) return usage(problem);
  const db = await Database.open(join(config.dataDir, DATABASE_FILE));
  try {
    await migrate(db);
    const audit = new AuditLog(db);
    // the report goes to stdout; why each event failed is in it, the log goes to stderr
    const logger = pino({ level: config.log.level }, pino.destination(2));
    const projector = new Projector(db, audit, new PolicyStore(db, audit), logger);
    const report = await projector.retryQuarantined();
    if (values.json) {
      io.out(JSON.stringify(report));
    } else if (report.applied === 0 && report.failing.length === 0) {
      io.out("nothing in quarantine: every device event has been applied");
    } else {
      io.out(`${report.applied} applied; ${report.failing.length} still failing`);
      for (const entry of report.failing) {
        io.out(
          `  ${entry.eventId} ${entry.kind} from ${entry.deviceId} ` +
            `(attempt ${entry.attempts}): ${entry.reason}`,
        );
      }
    }
    return report.failing.length === 0 ? 0 : 1;
  } finally {
    await db.close();
  }
}
