/**
 * The exemplar bank: the owner offers a clip (title, subject, year group,
 * strands of the school's framework); it enters the bank when every member
 * of staff on the booking agrees — the same pure rule as archiving
 * (`archiveVerdict()`) — and one decline keeps it out. Colleagues browse and
 * search it; the owner or SLT withdraws it, and its footage is deleted unless
 * another rule keeps it (`clipKeptBecause()`). Everything audited.
 */
import type { Transaction } from "../db/database.js";
import { COLLEAGUE_ROLES, type Person } from "./access.js";
import { decideClip, type ClipAccess, type ClipAction } from "./clip-access.js";
import { CLIP_SELECT, clipOf, type Clip, type ClipRow, type ClipStore } from "./clip-rows.js";
import { archiveVerdict } from "./consent.js";
import { DomainError } from "./errors.js";
import { notify } from "./notifications.js";

export const MAX_BANK_FIELD = 60;
export const MAX_CLIP_STRANDS = 12;

export interface Offer {
  title?: string;
  subject: string;
  yearGroup: string;
  /** Ids of strands of the school's framework. */
  strands: number[];
}

export interface BankEntry extends Clip {
  strandNames: { id: number; code: string; name: string }[];
  /** What protects pupils on the do-not-record list in this footage. */
  mitigation: string;
  consents: { userId: string; decision: "agree" | "decline" | "pending" }[];
}

export interface BankSearch {
  strand?: number;
  subject?: string;
  yearGroup?: string;
  q?: string;
}

const field = (value: string, what: string): string => {
  const text = value.trim();
  if (text === "" || text.length > MAX_BANK_FIELD) {
    throw new DomainError("invalid", `${what} must be 1 to ${MAX_BANK_FIELD} characters`);
  }
  return text;
};

export class ClipBank {
  constructor(private readonly clips: ClipStore) {}

  private get ctx() {
    return this.clips.context;
  }

  /** What `decideClip()` needs, with the clip's row. */
  async accessOf(tx: Transaction | null, clipId: string): Promise<ClipAccess & { row: ClipRow }> {
    const row = await this.clips.row(tx, clipId);
    const recording = await this.ctx.recordings.accessOf(tx, row.recording_id);
    const sql = `SELECT DISTINCT a.set_by FROM assignment_teachers t
       JOIN assignments a ON a.id = t.assignment_id
       WHERE t.clip_id = ? AND t.submitted_at IS NOT NULL`;
    const setters = tx
      ? await tx.all<{ set_by: string }>(sql, [clipId])
      : await this.ctx.db.all<{ set_by: string }>(sql, [clipId]);
    return {
      row,
      ownerId: row.owner_id,
      staff: JSON.parse(row.staff_json) as string[],
      inBank: row.bank_state === "in-bank",
      awaitingConsent: row.bank_state === "awaiting-consent",
      assignedTo: setters.map((s) => s.set_by),
      recording,
    };
  }

  /** `decideClip()`'s answer, or its reason as a 403. */
  async authorise(tx: Transaction | null, person: Person, action: ClipAction, clipId: string) {
    const access = await this.accessOf(tx, clipId);
    const decision = decideClip(person, action, access, this.ctx.clock());
    if (!decision.allowed) throw new DomainError("forbidden", decision.reason);
    return { ...access, basis: decision.basis };
  }

  /** The owner offers a clip to the bank; the owner's own consent comes with the offer. */
  async offer(person: Person, clipId: string, offer: Offer): Promise<BankEntry> {
    const subject = field(offer.subject, "the subject");
    const yearGroup = field(offer.yearGroup, "the year group");
    if (offer.strands.length > MAX_CLIP_STRANDS) {
      throw new DomainError("invalid", `at most ${MAX_CLIP_STRANDS} strands`);
    }
    await this.ctx.db.transaction(async (tx) => {
      const { row, staff } = await this.authorise(tx, person, "offer", clipId);
      if (row.bank_state !== "none") {
        throw new DomainError(
          "conflict",
          row.bank_state === "declined"
            ? "a member of staff in the recording declined: the clip stays out of the bank"
            : "the clip has already been offered to the bank",
        );
      }
      const strands = [...new Set(offer.strands)];
      for (const id of strands) {
        const known = await tx.get<{ id: number }>(
          "SELECT id FROM strands WHERE id = ? AND retired_at IS NULL",
          [id],
        );
        if (!known) throw new DomainError("invalid", `no strand ${id} in the school's framework`);
      }
      const title = offer.title === undefined ? row.title : field(offer.title, "the title");
      const now = this.ctx.clock();
      await tx.run(
        `UPDATE clips SET title = ?, subject = ?, year_group = ?, bank_state = 'awaiting-consent',
           offered_at = ? WHERE id = ?`,
        [title, subject, yearGroup, now.toISOString(), clipId],
      );
      await tx.run("DELETE FROM clip_strands WHERE clip_id = ?", [clipId]);
      for (const id of strands) {
        await tx.run("INSERT INTO clip_strands (clip_id, strand) VALUES (?, ?)", [
          clipId,
          String(id),
        ]);
      }
      await tx.run("DELETE FROM clip_consents WHERE clip_id = ?", [clipId]);
      await tx.run(
        "INSERT INTO clip_consents (clip_id, user_id, decision, decided_at) VALUES (?, ?, 'agree', ?)",
        [clipId, person.id, now.toISOString()],
      );
      await this.ctx.audit.append(tx, {
        actor: person.id,
        action: "clip.offer",
        subject: clipId,
        detail: { title, recording: row.recording_id, subject, yearGroup, strands },
      });
      for (const member of staff.filter((id) => id !== person.id)) {
        await notify(tx, {
          userId: member,
          kind: "consent-asked",
          subject: `${row.owner_name} asks you to agree to a clip of your lesson going into the exemplar bank`,
          link: "consents",
          at: now,
        });
      }
      await this.settle(tx, clipId);
    });
    return this.entry(null, clipId);
  }

  /** A member of staff on the booking agrees or declines; a later word replaces an earlier one. */
  async consent(person: Person, clipId: string, decision: "agree" | "decline"): Promise<BankEntry> {
    await this.ctx.db.transaction(async (tx) => {
      const { row } = await this.authorise(tx, person, "consent", clipId);
      if (row.bank_state !== "awaiting-consent" && row.bank_state !== "in-bank") {
        throw new DomainError("conflict", "nobody is asking for this clip to go into the bank");
      }
      await tx.run(
        `INSERT INTO clip_consents (clip_id, user_id, decision, decided_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (clip_id, user_id) DO UPDATE SET decision = excluded.decision,
           decided_at = excluded.decided_at`,
        [clipId, person.id, decision, this.ctx.clock().toISOString()],
      );
      await this.ctx.audit.append(tx, {
        actor: person.id,
        action: "clip.consent",
        subject: clipId,
        detail: { title: row.title, decision },
      });
      await this.settle(tx, clipId);
    });
    return this.entry(null, clipId);
  }

  /** Acts on `archiveVerdict()`: into the bank, kept out of it (or out again), or waiting. */
  private async settle(tx: Transaction, clipId: string): Promise<void> {
    const row = await this.clips.row(tx, clipId);
    const staff = JSON.parse(row.staff_json) as string[];
    const decisions = await tx.all<{ userId: string; decision: "agree" | "decline" }>(
      "SELECT user_id AS userId, decision FROM clip_consents WHERE clip_id = ? ORDER BY decided_at",
      [clipId],
    );
    const verdict = archiveVerdict(staff, decisions);
    const now = this.ctx.clock();
    if (verdict.verdict === "archive" && row.bank_state === "awaiting-consent") {
      await tx.run("UPDATE clips SET bank_state = 'in-bank', entered_bank_at = ? WHERE id = ?", [
        now.toISOString(),
        clipId,
      ]);
      await this.ctx.audit.append(tx, {
        actor: "system",
        action: "clip.bank-enter",
        subject: clipId,
        detail: { title: row.title, staff, why: "every member of staff on the booking agreed" },
      });
      await notify(tx, {
        userId: row.owner_id,
        kind: "clip-bank-entered",
        subject: "Your clip is now in the exemplar bank: everyone in the lesson agreed",
        link: "bank",
        at: now,
      });
    }
    if (verdict.verdict === "cancelled") {
      const wasIn = row.bank_state === "in-bank";
      await tx.run("UPDATE clips SET bank_state = 'declined' WHERE id = ?", [clipId]);
      await this.ctx.audit.append(tx, {
        actor: "system",
        action: "clip.bank-decline",
        subject: clipId,
        detail: { title: row.title, declinedBy: verdict.declinedBy, wasInBank: wasIn },
      });
      if (wasIn) {
        await notify(tx, {
          userId: row.owner_id,
          kind: "clip-bank-left",
          subject: "Your clip left the exemplar bank: a member of staff in the lesson declined",
          link: "bank",
          at: now,
        });
      }
    }
  }

  /** The owner or SLT withdraws a clip from the bank; its footage goes unless another rule keeps it. */
  async withdraw(
    person: Person,
    clipId: string,
  ): Promise<{ deleted: boolean; keptBecause: string | null }> {
    const result = await this.ctx.db.transaction(async (tx) => {
      const { row, basis } = await this.authorise(tx, person, "withdraw", clipId);
      if (row.bank_state !== "in-bank" && row.bank_state !== "awaiting-consent") {
        throw new DomainError("conflict", "the clip is not in the exemplar bank");
      }
      const now = this.ctx.clock().toISOString();
      await tx.run(
        "UPDATE clips SET bank_state = 'withdrawn', withdrawn_at = ?, withdrawn_by = ? WHERE id = ?",
        [now, person.id, clipId],
      );
      await this.ctx.audit.append(tx, {
        actor: person.id,
        action: "clip.withdraw",
        subject: clipId,
        detail: { title: row.title, basis },
      });
      if (person.id !== row.owner_id) {
        await notify(tx, {
          userId: row.owner_id,
          kind: "clip-bank-left",
          subject: "Your clip was withdrawn from the exemplar bank by the school's leadership",
          link: "bank",
          at: this.ctx.clock(),
        });
      }
      return this.clips.deleteUnlessKept(tx, clipId, "withdrawn from the exemplar bank");
    });
    if (result.deleted) await this.clips.removeFootage(clipId);
    return result;
  }

  /** The bank, for colleagues: by strand, subject, year group and words of the title. */
  async search(person: Person, search: BankSearch): Promise<BankEntry[]> {
    if (!person.roles.some((role) => COLLEAGUE_ROLES.includes(role))) {
      throw new DomainError(
        "forbidden",
        "the exemplar bank is for teachers, coaches, SLT and the headteacher: " +
          "the Bursar, IT, the DPO and administrators never see footage",
      );
    }
    const where = ["c.bank_state = 'in-bank'", "c.deleted_at IS NULL"];
    const args: (string | number)[] = [];
    if (search.strand !== undefined) {
      where.push("EXISTS (SELECT 1 FROM clip_strands s WHERE s.clip_id = c.id AND s.strand = ?)");
      args.push(String(search.strand));
    }
    if (search.subject !== undefined && search.subject.trim() !== "") {
      where.push("c.subject = ? COLLATE NOCASE");
      args.push(search.subject.trim());
    }
    if (search.yearGroup !== undefined && search.yearGroup.trim() !== "") {
      where.push("c.year_group = ? COLLATE NOCASE");
      args.push(search.yearGroup.trim());
    }
    if (search.q !== undefined && search.q.trim() !== "") {
      where.push("instr(lower(c.title), lower(?)) > 0");
      args.push(search.q.trim());
    }
    const rows = await this.ctx.db.all<ClipRow>(
      `${CLIP_SELECT} WHERE ${where.join(" AND ")} ORDER BY c.entered_bank_at DESC LIMIT 200`,
      args,
    );
    return Promise.all(rows.map((row) => this.entry(null, row.id)));
  }

  /** A clip's details, for whoever may watch it or is asked for consent to it. */
  async detail(person: Person, clipId: string): Promise<BankEntry> {
    const access = await this.accessOf(null, clipId);
    const now = this.ctx.clock();
    const view = decideClip(person, "view", access, now);
    if (!view.allowed && !decideClip(person, "consent", access, now).allowed) {
      throw new DomainError("forbidden", view.reason);
    }
    return this.entry(null, clipId);
  }

  /** Clips waiting for my word, for the consents screen. */
  async awaitingMyConsent(person: Person): Promise<BankEntry[]> {
    const rows = await this.ctx.db.all<{ id: string; staff_json: string }>(
      `SELECT c.id, c.staff_json FROM clips c WHERE c.bank_state = 'awaiting-consent'
         AND c.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM clip_consents k
           WHERE k.clip_id = c.id AND k.user_id = ?) ORDER BY c.offered_at`,
      [person.id],
    );
    const mine = rows.filter((r) => (JSON.parse(r.staff_json) as string[]).includes(person.id));
    return Promise.all(mine.map((r) => this.entry(null, r.id)));
  }

  /** A clip with its strands' names, its consents and what protects do-not-record pupils. */
  async entry(tx: Transaction | null, clipId: string): Promise<BankEntry> {
    const row = await this.clips.row(tx, clipId);
    const all = <T>(sql: string): Promise<T[]> =>
      tx ? tx.all<T>(sql, [clipId]) : this.ctx.db.all<T>(sql, [clipId]);
    const strandNames = await all<{ id: number; code: string; name: string }>(
      `SELECT st.id, st.code, st.name FROM clip_strands cs
         JOIN strands st ON CAST(st.id AS TEXT) = cs.strand WHERE cs.clip_id = ? ORDER BY st.position`,
    );
    const decided = await all<{ user_id: string; decision: "agree" | "decline" }>(
      "SELECT user_id, decision FROM clip_consents WHERE clip_id = ?",
    );
    const booking = await all<{ do_not_record: number; mitigation_kind: string | null }>(
      `SELECT b.do_not_record, b.mitigation_kind FROM clips c JOIN recordings r ON r.id = c.recording_id
         JOIN bookings b ON b.id = r.booking_id WHERE c.id = ?`,
    );
    const staff = JSON.parse(row.staff_json) as string[];
    const dnr = booking[0];
    return {
      ...clipOf(
        row,
        strandNames.map((s) => String(s.id)),
      ),
      strandNames,
      mitigation:
        dnr === undefined || dnr.do_not_record === 0
          ? "no pupil on the do-not-record list was in this lesson"
          : `pupils on the do-not-record list were protected as the booking said ` +
            `(${dnr.mitigation_kind ?? "as agreed"}); privacy masks were burned in when it was recorded`,
      consents: staff.map((userId) => ({
        userId,
        decision: decided.find((d) => d.user_id === userId)?.decision ?? "pending",
      })),
    };
  }
}
