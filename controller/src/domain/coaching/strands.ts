/**
 * The school's framework: the strands its coaching uses (the Teachers'
 * Standards and the Early Career Framework's headings to start with, seeded
 * by migration 11). SLT and the headteacher add, rename and retire them; a
 * rename bumps the strand's version, a retired strand is never deleted, so
 * old feedback and assignments keep their tags.
 */
import type { Transaction } from "../../db/database.js";
import { LEADERSHIP, type Person } from "../access.js";
import { DomainError } from "../errors.js";
import type { CoachingContext } from "./context.js";

export const MAX_STRAND_NAME = 200;
export const MAX_STRAND_CODE = 16;
export const MAX_FRAMEWORK_NAME = 80;

export interface Strand {
  strandId: number;
  framework: string;
  code: string;
  name: string;
  /** 1, and one more each time it is renamed. */
  version: number;
  /** When it was retired: it stays on old feedback, and new feedback cannot use it. */
  retiredAt: string | null;
}

interface StrandRow {
  id: number;
  framework: string;
  code: string;
  name: string;
  version: number;
  retired_at: string | null;
}

const toStrand = (row: StrandRow): Strand => ({
  strandId: row.id,
  framework: row.framework,
  code: row.code,
  name: row.name,
  version: row.version,
  retiredAt: row.retired_at,
});

const COLUMNS = "id, framework, code, name, version, retired_at";

export async function listStrands(
  ctx: CoachingContext,
  includeRetired: boolean,
): Promise<Strand[]> {
  const rows = await ctx.db.all<StrandRow>(
    `SELECT ${COLUMNS} FROM strands ${includeRetired ? "" : "WHERE retired_at IS NULL"}
     ORDER BY position, id`,
  );
  return rows.map(toStrand);
}

function mayEdit(person: Person): void {
  if (!person.roles.some((role) => LEADERSHIP.includes(role))) {
    throw new DomainError("forbidden", "only SLT or the headteacher edit the school's framework");
  }
}

function cleanText(value: string, what: string, max: number): string {
  const text = value.trim().replace(/\s+/g, " ");
  if (text === "") throw new DomainError("invalid", `the strand's ${what} is empty`);
  if (text.length > max) {
    throw new DomainError(
      "invalid",
      `the strand's ${what} is ${text.length} characters; at most ${max}`,
    );
  }
  return text;
}

async function strandRow(tx: Transaction, strandId: number): Promise<StrandRow> {
  const row = await tx.get<StrandRow>(`SELECT ${COLUMNS} FROM strands WHERE id = ?`, [strandId]);
  if (!row) throw new DomainError("not-found", `no strand ${strandId} in the school's framework`);
  return row;
}

export async function addStrand(
  ctx: CoachingContext,
  person: Person,
  input: { framework: string; code: string; name: string },
): Promise<Strand> {
  mayEdit(person);
  const framework = cleanText(input.framework, "framework", MAX_FRAMEWORK_NAME);
  const code = cleanText(input.code, "code", MAX_STRAND_CODE);
  const name = cleanText(input.name, "name", MAX_STRAND_NAME);
  return ctx.db.transaction(async (tx) => {
    const taken = await tx.get<{ name: string }>("SELECT name FROM strands WHERE code = ?", [code]);
    if (taken) {
      throw new DomainError(
        "conflict",
        `the code '${code}' is already the strand “${taken.name}”; choose another`,
      );
    }
    const position = await tx.get<{ next: number }>(
      "SELECT coalesce(max(position), 0) + 1 AS next FROM strands",
    );
    const { lastID } = await tx.run(
      "INSERT INTO strands (framework, code, name, position, created_at) VALUES (?, ?, ?, ?, ?)",
      [framework, code, name, position?.next ?? 1, ctx.clock().toISOString()],
    );
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "strand.add",
      subject: String(lastID),
      detail: { framework, code, name },
    });
    return toStrand(await strandRow(tx, lastID));
  });
}

export async function renameStrand(
  ctx: CoachingContext,
  person: Person,
  strandId: number,
  newName: string,
): Promise<Strand> {
  mayEdit(person);
  const name = cleanText(newName, "name", MAX_STRAND_NAME);
  return ctx.db.transaction(async (tx) => {
    const row = await strandRow(tx, strandId);
    if (row.retired_at !== null) {
      throw new DomainError("conflict", `the strand ${row.code} is retired; add a new one instead`);
    }
    if (row.name === name) return toStrand(row);
    await tx.run("UPDATE strands SET name = ?, version = version + 1 WHERE id = ?", [
      name,
      strandId,
    ]);
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "strand.rename",
      subject: String(strandId),
      detail: { code: row.code, from: row.name, to: name, version: row.version + 1 },
    });
    return toStrand(await strandRow(tx, strandId));
  });
}

export async function retireStrand(
  ctx: CoachingContext,
  person: Person,
  strandId: number,
): Promise<Strand> {
  mayEdit(person);
  return ctx.db.transaction(async (tx) => {
    const row = await strandRow(tx, strandId);
    if (row.retired_at !== null) {
      throw new DomainError("conflict", `the strand ${row.code} was already retired`);
    }
    await tx.run("UPDATE strands SET retired_at = ? WHERE id = ?", [
      ctx.clock().toISOString(),
      strandId,
    ]);
    await ctx.audit.append(tx, {
      actor: person.id,
      action: "strand.retire",
      subject: String(strandId),
      detail: { code: row.code, name: row.name },
    });
    return toStrand(await strandRow(tx, strandId));
  });
}

/** Refuses strands that do not exist or are retired: new tags only use the framework in force. */
export async function checkStrands(
  tx: Pick<Transaction, "all">,
  strandIds: readonly number[],
): Promise<number[]> {
  const unique = [...new Set(strandIds)];
  if (unique.length === 0) return [];
  const rows = await tx.all<{ id: number; code: string; retired_at: string | null }>(
    `SELECT id, code, retired_at FROM strands WHERE id IN (${unique.map(() => "?").join(", ")})`,
    unique,
  );
  for (const id of unique) {
    const row = rows.find((r) => r.id === id);
    if (!row) throw new DomainError("invalid", `no strand ${id} in the school's framework`);
    if (row.retired_at !== null) {
      throw new DomainError("invalid", `the strand ${row.code} is retired and cannot be chosen`);
    }
  }
  return unique;
}

/** The strands tagged on things, by what they are tagged on (retired ones included). */
export async function strandsOf(
  db: Pick<Transaction, "all">,
  sql: string,
  params: unknown[],
): Promise<Map<string, Strand[]>> {
  const rows = await db.all<StrandRow & { owner: string | number }>(sql, params);
  const by = new Map<string, Strand[]>();
  for (const row of rows) {
    const key = String(row.owner);
    by.set(key, [...(by.get(key) ?? []), toStrand(row)]);
  }
  return by;
}
