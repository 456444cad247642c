/**
 * `classcam-controller dpo ...`: the DPO's requests from the school server's
 * shell, on the same database and by the same rules as the dashboard's
 * (domain/privacy/): find footage, make a subject access export into a file,
 * erase recordings on request, and print an erasure's deletion certificate.
 * `--as` names the DPO's own account, which every step is audited under.
 */
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ControllerConfig } from "./config.js";
import { DATABASE_FILE } from "./app.js";
import { Database } from "./db/database.js";
import { migrate } from "./db/migrations.js";
import type { Person } from "./domain/access.js";
import { AuditLog } from "./domain/audit.js";
import { DomainError } from "./domain/errors.js";
import { People, personOf } from "./domain/people.js";
import { PolicyStore } from "./domain/policy.js";
import { Recordings } from "./domain/recordings.js";
import { findFootage, MAX_SEARCH_DAYS, type FootageSearch } from "./domain/privacy/dpo-find.js";
import { deletionCertificate, requestErasure } from "./domain/privacy/dpo-erasure.js";
import { makeExport, takeExport } from "./domain/privacy/dpo-export.js";
import { CopyKeys } from "./domain/copy-keys.js";
import { loadSealingKeys, sealingKeysPath } from "./sealing-keys.js";
import { actionProblem, extraProblem, type Io, usageError } from "./cli-io.js";

/** The lines of `--help` that describe these commands. */
export const DPO_HELP = `  dpo find --as DPO (--rooms ID,ID | --class CODE) --from DATE --to DATE
                                the recordings made in those rooms (or of that class)
                                between the dates (at most ${MAX_SEARCH_DAYS} days), and where
                                each copy is: box, server, archive, exemplar, clips
  dpo export --as DPO --reference REF --recordings ID,ID --out FILE
                                a subject access export (tar): the recordings' details
                                and their audit entries. Footage goes with every face
                                blurred, made by the running controller: export it
                                from the DPO page of the dashboard. Audited
  dpo erase --as DPO --reference REF --recordings ID,ID
                                erase recordings on request, on their boxes and the
                                server (the server's next sweep); footage on hold is
                                refused with the reason. Prints the erasure's id
  dpo certificate ERASURE-ID    the deletion certificate: each step, its audit entry,
                                and the anchor to check with 'audit verify --anchor'`;

export interface DpoValues {
  as?: string | undefined;
  rooms?: string | undefined;
  class?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  reference?: string | undefined;
  recordings?: string | undefined;
  footage?: string | undefined;
  out?: string | undefined;
  json: boolean;
}

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
const list = (text: string | undefined): string[] =>
  (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** Why these arguments cannot run (null: they can). */
export function dpoUsageProblem(
  action: string | undefined,
  extra: readonly string[],
  values: DpoValues,
): string | null {
  const unknown = actionProblem(action, ["find", "export", "erase", "certificate"]);
  if (unknown !== null) return unknown;
  if (action === "certificate") {
    if (extra.length !== 1) return "name the erasure: dpo certificate ERASURE-ID";
    return null;
  }
  const extraArgs = extraProblem(extra);
  if (extraArgs !== null) return extraArgs;
  if (values.as === undefined)
    return "--as names your own DPO account, which the step is audited under";
  if (action === "find") {
    if ((values.rooms === undefined) === (values.class === undefined)) {
      return "find by --rooms or by --class, one of the two";
    }
    for (const [name, value] of [
      ["--from", values.from],
      ["--to", values.to],
    ] as const) {
      if (value === undefined) return `${name} is required (a date, e.g. 2026-11-23)`;
      if (!DATE.test(value) || Number.isNaN(Date.parse(value))) {
        return `${name} must be a date (2026-11-23) or a date and time (2026-11-23T09:00:00Z), not '${value}'`;
      }
    }
    return null;
  }
  if (values.reference === undefined)
    return "--reference is required (the request's reference, e.g. SAR-2026-014)";
  if (list(values.recordings).length === 0)
    return "--recordings is required: the recordings' ids, separated by commas";
  if (action === "export" && values.out === undefined)
    return "--out is required: the file to write the export to";
  if (action === "erase" && (values.footage !== undefined || values.out !== undefined)) {
    return "--footage and --out are for 'dpo export'";
  }
  return null;
}

/** A date alone is the whole day: `--to 2026-11-23` includes the 23rd. */
const whole = (date: string, end: boolean): string =>
  date.length === 10
    ? new Date(Date.parse(`${date}T00:00:00Z`) + (end ? 86_400_000 : 0)).toISOString()
    : new Date(date).toISOString();

export async function dpoCommand(
  config: ControllerConfig,
  args: readonly string[],
  values: DpoValues,
  io: Io,
): Promise<number> {
  const [action, ...extra] = args;
  const usage = (message: string) => usageError(io, "dpo", message);
  const problem = dpoUsageProblem(action, extra, values);
  if (problem !== null) return usage(problem);
  const db = await Database.open(join(config.dataDir, DATABASE_FILE));
  try {
    await migrate(db);
    const audit = new AuditLog(db);
    if (action === "certificate") {
      const certificate = await deletionCertificate({ db, audit }, extra[0] ?? "");
      if (values.json) io.out(JSON.stringify(certificate, null, 2));
      else {
        io.out(
          `Deletion certificate, request ${certificate.reference} (erasure ${certificate.erasureId})`,
        );
        io.out(
          `asked by ${certificate.requestedBy} at ${certificate.requestedAt}, audit entry ${certificate.request.seq}`,
        );
        for (const r of certificate.recordings) {
          io.out(
            `  ${r.room}, ${r.startedAt} (${r.recordingId}): ${r.complete ? "deleted everywhere" : `waiting for ${r.waiting.join(" and ")}`}`,
          );
          for (const d of r.deleted)
            io.out(
              `    deleted from ${d.where} at ${d.at}, audit entry ${d.entry.seq} ${d.entry.hash}`,
            );
        }
        for (const r of certificate.refused) io.out(`  not erased ${r.recordingId}: ${r.reason}`);
        io.out(certificate.complete ? "complete" : "NOT complete yet");
        io.out(`check the audit log up to here: ${certificate.verify}`);
      }
      return certificate.complete ? 0 : 1;
    }
    const people = new People(db, audit);
    const user = await people.get(values.as ?? "");
    if (user === null) return usage(`no account '${values.as ?? ""}'`);
    const person: Person = personOf(user);
    if (!person.roles.includes("dpo")) {
      return usage(
        `'${person.id}' is not the data protection officer (roles: ${person.roles.join(", ") || "none"})`,
      );
    }
    if (action === "find") {
      const from = whole(values.from ?? "", false);
      const to = whole(values.to ?? "", true);
      const search: FootageSearch =
        values.rooms !== undefined
          ? { rooms: list(values.rooms), from, to }
          : { classCode: values.class ?? "", from, to };
      const found = await findFootage(db, search);
      if (values.json) io.out(JSON.stringify(found, null, 2));
      else if (found.length === 0) io.out("no recording matches");
      else {
        for (const f of found) {
          const where = f.deleted
            ? "deleted everywhere"
            : [
                f.where.box && "box",
                f.where.controller && "server",
                f.where.archived && "archive",
                f.where.exemplar && "exemplar",
                f.where.clips > 0 && `${f.where.clips} clip(s)`,
              ]
                .filter(Boolean)
                .join(", ");
          io.out(
            `${f.recordingId}  ${f.startedAt}  ${f.room}  ${f.classCode ?? "-"}  ${where}${f.onHold ? "  ON HOLD" : ""}`,
          );
        }
      }
      return 0;
    }
    const recordingIds = list(values.recordings);
    if (action === "export") {
      if (list(values.footage).length > 0) {
        // the rendition rule: an export's footage has every face blurred, and the copies are
        // made by the running controller's anonymiser, not by this command
        throw new DomainError(
          "conflict",
          "footage in a subject access export goes with every face blurred, and those copies are " +
            "made by the running controller: export it from the DPO page of the dashboard, or " +
            "leave --footage out here",
        );
      }
      const exportsDir = join(config.dataDir, "exports");
      const keys = new CopyKeys(db, loadSealingKeys(sealingKeysPath(config)));
      const made = await makeExport(
        {
          db,
          audit,
          recordingsDir: join(config.dataDir, "recordings"),
          exportsDir,
          blurred: null,
          keys,
        },
        person,
        { reference: values.reference ?? "", recordingIds, footage: list(values.footage) },
        new Date(),
      );
      const taken = await takeExport({ audit, exportsDir, keys }, person, made.exportId);
      await pipeline(taken.open(), createWriteStream(values.out ?? ""));
      await taken.done();
      io.out(
        `wrote ${values.out ?? ""}: ${made.recordings} recording(s), footage of ${made.footage}, ` +
          `${made.bytes} bytes, SHA-256 ${made.sha256}. This copy is outside the system now.`,
      );
      return 0;
    }
    const policy = new PolicyStore(db, audit);
    const answer = await requestErasure(
      { db, audit, policy, recordings: new Recordings(db, audit, policy), clock: () => new Date() },
      person,
      values.reference ?? "",
      recordingIds,
    );
    if (values.json) io.out(JSON.stringify(answer, null, 2));
    else {
      io.out(
        `erasure ${answer.erasureId} under ${answer.reference}: ${answer.erasing.length} recording(s) to erase`,
      );
      for (const r of answer.refused) io.out(`  not erased ${r.recordingId}: ${r.reason}`);
      io.out(
        `the server deletes them at its next sweep (every ${config.retention.sweepMinutes} minutes), a box when it is online; ` +
          `see 'classcam-controller dpo certificate ${answer.erasureId}'`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      io.err(`classcam-controller dpo: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await db.close();
  }
}
