/**
 * "Flag a concern" about a recording (the policy's route for concerns about
 * content): anyone who may see a recording's details flags it with a few
 * words; it goes to the school's concern leads (`concern-leads.ts`, named on
 * the policy screen), who answer it in the dashboard, and the person who
 * flagged it is told. Flagging and answering are audited (without the
 * words, which may name pupils: they stay with the concern, for the leads).
 */
import type { Database, Transaction } from "../db/database.js";
import { decide, type Person, type Role } from "./access.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { concernLeads, mayLeadConcerns } from "./concern-leads.js";
import { DomainError } from "./errors.js";
import { notify } from "./notifications.js";
import type { Recordings } from "./recordings.js";

export const CONCERN_TEXT = { min: 10, max: 2000 } as const;
const LEADS_KEY = "concern-leads";

export interface Concern {
  concernId: number;
  recordingId: string;
  raisedBy: string;
  raisedByName: string;
  raisedAt: string;
  text: string;
  answeredBy: string | null;
  answeredByName: string | null;
  answeredAt: string | null;
  answer: string | null;
}

interface Row {
  id: number;
  recording_id: string;
  raised_by: string;
  raised_by_name: string;
  raised_at: string;
  text: string;
  answered_by: string | null;
  answered_by_name: string | null;
  answered_at: string | null;
  answer: string | null;
}

const SELECT = `SELECT c.id, c.recording_id, c.raised_by, r.display_name AS raised_by_name, c.raised_at,
  c.text, c.answered_by, a.display_name AS answered_by_name, c.answered_at, c.answer
  FROM concerns c JOIN users r ON r.id = c.raised_by LEFT JOIN users a ON a.id = c.answered_by`;

const concern = (row: Row): Concern => ({
  concernId: row.id,
  recordingId: row.recording_id,
  raisedBy: row.raised_by,
  raisedByName: row.raised_by_name,
  raisedAt: row.raised_at,
  text: row.text,
  answeredBy: row.answered_by,
  answeredByName: row.answered_by_name,
  answeredAt: row.answered_at,
  answer: row.answer,
});

function words(what: string, text: string): string {
  const trimmed = text.trim();
  if (trimmed.length < CONCERN_TEXT.min)
    throw new DomainError(
      "invalid",
      `${what} needs at least ${CONCERN_TEXT.min} characters: say what the concern is`,
    );
  if (trimmed.length > CONCERN_TEXT.max)
    throw new DomainError("invalid", `${what} is at most ${CONCERN_TEXT.max} characters`);
  return trimmed;
}

type Reader = Pick<Transaction, "all" | "get">;

export class Concerns {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly recordings: Recordings,
    private readonly clock: Clock,
  ) {}

  /** The leads the school named (maybe none) and who concerns go to now. */
  async leads(db: Reader = this.db): Promise<{ named: string[]; leads: string[] }> {
    const row = await db.get<{ value_json: string }>(
      "SELECT value_json FROM settings WHERE key = ?",
      [LEADS_KEY],
    );
    const named = row ? (JSON.parse(row.value_json) as string[]) : [];
    const people = await db.all<{ id: string; roles_json: string; status: string }>(
      "SELECT id, roles_json, status FROM users",
    );
    return {
      named,
      leads: concernLeads(
        named,
        people.map((p) => ({
          id: p.id,
          roles: JSON.parse(p.roles_json) as Role[],
          active: p.status === "active",
        })),
      ),
    };
  }

  /** Names the leads (empty: every SLT member, headteacher and DPO). Audited. */
  async setLeads(
    person: Person,
    named: readonly string[],
  ): Promise<{ named: string[]; leads: string[] }> {
    const unique = [...new Set(named)];
    await this.db.transaction(async (tx) => {
      for (const id of unique) {
        const user = await tx.get<{ roles_json: string; status: string }>(
          "SELECT roles_json, status FROM users WHERE id = ?",
          [id],
        );
        if (!user) throw new DomainError("invalid", `no member of staff '${id}'`);
        const candidate = {
          id,
          roles: JSON.parse(user.roles_json) as Role[],
          active: user.status === "active",
        };
        if (!mayLeadConcerns(candidate))
          throw new DomainError(
            "invalid",
            `'${id}' cannot take concerns: a lead is an active member of SLT, the headteacher or the DPO`,
          );
      }
      await tx.run(
        "INSERT INTO settings (key, value_json) VALUES (?, ?) " +
          "ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json",
        [LEADS_KEY, JSON.stringify(unique)],
      );
      await this.audit.append(tx, {
        actor: person.id,
        action: "concern.leads",
        subject: "",
        detail: { leads: unique },
      });
    });
    return this.leads();
  }

  /** Flags a concern about a recording I may see; its leads are told. */
  async flag(
    person: Person & { name: string },
    recordingId: string,
    text: string,
  ): Promise<Concern> {
    const body = words("a concern", text);
    const id = await this.db.transaction(async (tx) => {
      const access = await this.recordings.accessOf(tx, recordingId);
      const now = this.clock();
      const decision = decide(person, "view-metadata", access, now);
      if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
      const { lastID } = await tx.run(
        "INSERT INTO concerns (recording_id, raised_by, raised_at, text) VALUES (?, ?, ?, ?)",
        [recordingId, person.id, now.toISOString(), body],
      );
      await this.audit.append(tx, {
        actor: person.id,
        action: "concern.flag",
        subject: recordingId,
        detail: { concernId: lastID },
      });
      for (const lead of (await this.leads(tx)).leads) {
        if (lead === person.id) continue;
        await notify(tx, {
          userId: lead,
          kind: "concern-flagged",
          subject: `${person.name} flagged a concern about a recording`,
          link: `concerns/${lastID}`,
          at: now,
        });
      }
      return lastID;
    });
    return this.one(id);
  }

  /** A lead answers a concern; whoever flagged it is told. */
  async answer(
    person: Person & { name: string },
    concernId: number,
    text: string,
  ): Promise<Concern> {
    const body = words("an answer", text);
    await this.db.transaction(async (tx) => {
      await this.mustLead(tx, person);
      const row = await tx.get<{
        recording_id: string;
        raised_by: string;
        answered_at: string | null;
      }>("SELECT recording_id, raised_by, answered_at FROM concerns WHERE id = ?", [concernId]);
      if (!row) throw new DomainError("not-found", `no concern ${concernId}`);
      if (row.answered_at !== null)
        throw new DomainError("conflict", "this concern has already been answered");
      const now = this.clock();
      await tx.run(
        "UPDATE concerns SET answered_by = ?, answered_at = ?, answer = ? WHERE id = ?",
        [person.id, now.toISOString(), body, concernId],
      );
      await this.audit.append(tx, {
        actor: person.id,
        action: "concern.answer",
        subject: row.recording_id,
        detail: { concernId },
      });
      await notify(tx, {
        userId: row.raised_by,
        kind: "concern-answered",
        subject: `${person.name} answered the concern you flagged about a recording`,
        link: `concerns/${concernId}`,
        at: now,
      });
    });
    return this.one(concernId);
  }

  /** The concerns I may read: all of them for a lead, else those I flagged. Newest first. */
  async list(person: Person): Promise<Concern[]> {
    const lead = (await this.leads()).leads.includes(person.id);
    const rows = lead
      ? await this.db.all<Row>(`${SELECT} ORDER BY c.id DESC LIMIT 500`)
      : await this.db.all<Row>(`${SELECT} WHERE c.raised_by = ? ORDER BY c.id DESC LIMIT 500`, [
          person.id,
        ]);
    return rows.map(concern);
  }

  /** One concern, for its lead or whoever flagged it. */
  async get(person: Person, concernId: number): Promise<Concern> {
    const found = await this.one(concernId);
    if (found.raisedBy !== person.id && !(await this.leads()).leads.includes(person.id))
      throw new DomainError(
        "forbidden",
        "only the school's concern leads and whoever flagged it may read a concern",
      );
    return found;
  }

  private async one(concernId: number): Promise<Concern> {
    const row = await this.db.get<Row>(`${SELECT} WHERE c.id = ?`, [concernId]);
    if (!row) throw new DomainError("not-found", `no concern ${concernId}`);
    return concern(row);
  }

  private async mustLead(tx: Reader, person: Person): Promise<void> {
    if (!(await this.leads(tx)).leads.includes(person.id))
      throw new DomainError(
        "forbidden",
        "only the school's concern leads (named on the policy screen) answer concerns",
      );
  }
}
