/**
 * The audit log, for the DPO: every sign-in, view, share, consent, hold,
 * archive, deletion and change, filtered by person, recording (or anything
 * else an entry is about), action and dates; a check that the hash chain is
 * whole (no entry edited, removed or inserted); and the filtered log to take
 * away as CSV (for a spreadsheet) or JSON, with the raw fields. Each entry
 * reads as a sentence with people, rooms and recordings by name (the names
 * come with the page, audit-sentences.ts words them), a recording linked to
 * its page. The filter is kept in the address (`#/audit?actor=…&from=…`), so
 * a view can be shared with a colleague or reloaded.
 */
import { api, query } from "../api.js";
import { Naming, sentence } from "../audit-sentences.js";
import { fill, h } from "../dom.js";
import { AUDIT_ACTIONS, auditAction, when } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { StaffMember } from "../types.js";
import type { AuditEntry, AuditNames, AuditPage, AuditVerification } from "../types-school.js";
import { Messages, button, field, loading, onPress, onSubmit, section, table } from "../ui.js";
import { localDate } from "./school-parts.js";

const PAGE = 100;
const DAY_MS = 86_400_000;

export const audit: Screen = {
  path: "audit",
  title: "Audit log",
  menu: "Audit",
  who: ["dpo"],
  async render(screen) {
    const staff = await api.get<StaffMember[]>("/api/staff");
    await new AuditView(screen, staff).start();
  },
};

interface Filter {
  actor?: string;
  action?: string;
  subject?: string;
  from?: string;
  to?: string;
}

/** The filter's fields as the address keeps them (dates as the form shows them: 2026-11-23). */
const ADDRESS_KEYS = ["actor", "action", "subject", "from", "to"] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const NO_NAMES: AuditNames = { people: {}, rooms: {}, recordings: {}, bookings: {} };

function mergeNames(a: AuditNames, b: AuditNames): AuditNames {
  return {
    people: { ...a.people, ...b.people },
    rooms: { ...a.rooms, ...b.rooms },
    recordings: { ...a.recordings, ...b.recordings },
    bookings: { ...a.bookings, ...b.bookings },
  };
}

class AuditView {
  private readonly messages = new Messages();
  private readonly verifyMessages = new Messages();
  private readonly results = h("div");
  private readonly exports = h("p", { class: "actions" });
  private readonly person: HTMLSelectElement;
  private readonly action: HTMLSelectElement;
  private readonly subject = h("input", { name: "subject", maxLength: 64, autocomplete: "off" });
  private readonly from = h("input", { type: "date", name: "from" });
  private readonly to = h("input", { type: "date", name: "to" });
  private entries: AuditEntry[] = [];
  private names: AuditNames = NO_NAMES;
  private next: number | null = null;
  private filter: Filter = {};

  constructor(
    private readonly screen: ScreenContext,
    staff: readonly StaffMember[],
  ) {
    const asked = screen.query.actor ?? "";
    this.person = h(
      "select",
      { name: "actor" },
      h("option", { value: "" }, "Anyone"),
      h("option", { value: "system" }, "The school's server (automatic)"),
      staff.map((s) => h("option", { value: s.id }, `${s.displayName} (${s.id})`)),
      // someone (or a box) the address names who is not on the staff list
      asked !== "" &&
        asked !== "system" &&
        !staff.some((s) => s.id === asked) &&
        h("option", { value: asked }, asked),
    );
    this.action = h(
      "select",
      { name: "action" },
      h("option", { value: "" }, "Any action"),
      [...AUDIT_ACTIONS]
        .sort((a, b) => auditAction(a).localeCompare(auditAction(b)))
        .map((code) => h("option", { value: code }, auditAction(code))),
    );
    this.fromAddress();
  }

  /** The filter the address asks for; with none, the last week. */
  private fromAddress(): void {
    const asked = this.screen.query;
    if (!ADDRESS_KEYS.some((key) => asked[key] !== undefined)) {
      this.from.value = localDate(new Date(Date.now() - 7 * DAY_MS));
      return;
    }
    this.person.value = asked.actor ?? "";
    this.action.value = asked.action ?? "";
    this.subject.value = asked.subject ?? "";
    this.from.value = DATE.test(asked.from ?? "") ? (asked.from ?? "") : "";
    this.to.value = DATE.test(asked.to ?? "") ? (asked.to ?? "") : "";
  }

  /** Keeps the filter in the address, so it can be shared or reloaded (no new history entry). */
  private toAddress(): void {
    const values: Record<string, string> = {
      actor: this.person.value,
      action: this.action.value,
      subject: this.subject.value.trim(),
      from: this.from.value,
      to: this.to.value,
    };
    const kept = new URLSearchParams(
      ADDRESS_KEYS.filter((key) => values[key] !== "").map((key) => [key, values[key] ?? ""]),
    ).toString();
    // an empty filter is kept too ("from="), so a reload does not bring back the last week
    history.replaceState(history.state, "", `#/audit?${kept === "" ? "from=" : kept}`);
  }

  async start(): Promise<void> {
    const form = h(
      "form",
      { class: "form wide", noValidate: true, attrs: { "aria-label": "Filter the audit log" } },
      h(
        "div",
        { class: "row" },
        field("Person", this.person),
        field("Action", this.action),
        field("Recording or subject", this.subject, "A recording's id, a box's name…"),
      ),
      h("div", { class: "row" }, field("From (date)", this.from), field("Up to (date)", this.to)),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "button primary" }, "Show"),
        button("Clear the filter", {
          on: {
            click: () => {
              this.person.value = "";
              this.action.value = "";
              this.subject.value = "";
              this.from.value = "";
              this.to.value = "";
              void this.search();
            },
          },
        }),
      ),
    );
    onSubmit(form, this.messages, () => this.search());
    const verify = button("Check the chain", {}, "primary");
    onPress(verify, this.verifyMessages, async () => {
      const result = await api.get<AuditVerification>("/api/audit/verify");
      if (result.ok) {
        const words = `The audit log is whole: all ${result.entries.toLocaleString("en-GB")} entries check out, each linked to the one before. Nothing was edited, removed or inserted.`;
        this.verifyMessages.success(words);
      } else {
        this.verifyMessages.problem(
          `The audit log is not whole: entry ${result.seq} does not check out (${result.problem}). Keep a copy of the log and tell the headteacher.`,
        );
      }
    });
    this.screen.body.append(
      section(
        "Is the log whole?",
        h(
          "p",
          null,
          "Each entry carries a fingerprint of the one before it, so an entry that was changed, removed or slipped in shows up.",
        ),
        this.verifyMessages.element,
        h("div", { class: "actions" }, verify),
      ),
      section("Find entries", form, this.messages.element, this.exports, this.results),
    );
    await this.search();
  }

  private readFilter(): Filter | null {
    const filter: Filter = {};
    if (this.person.value !== "") filter.actor = this.person.value;
    if (this.action.value !== "") filter.action = this.action.value;
    if (this.subject.value.trim() !== "") filter.subject = this.subject.value.trim();
    const dayStart = (value: string, plusDays: number) => {
      const [y, m, d] = value.split("-").map(Number);
      return new Date(y ?? 0, (m ?? 1) - 1, (d ?? 1) + plusDays);
    };
    if (this.from.value !== "") filter.from = dayStart(this.from.value, 0).toISOString();
    if (this.to.value !== "") filter.to = dayStart(this.to.value, 1).toISOString();
    if (filter.from !== undefined && filter.to !== undefined && filter.to <= filter.from) {
      this.messages.problem("The “up to” date must not be before the “from” date.");
      return null;
    }
    return filter;
  }

  private async search(): Promise<void> {
    const filter = this.readFilter();
    if (filter === null) return;
    this.filter = filter;
    this.toAddress();
    fill(this.results, loading("Loading entries…"));
    const page = await api.get<AuditPage>(`/api/audit${query({ ...filter, limit: PAGE })}`);
    this.entries = page.entries;
    this.names = page.names;
    this.next = page.next;
    this.drawExports();
    this.draw();
  }

  private async more(): Promise<void> {
    if (this.next === null) return;
    const page = await api.get<AuditPage>(
      `/api/audit${query({ ...this.filter, afterSeq: this.next, limit: PAGE })}`,
    );
    this.entries.push(...page.entries);
    this.names = mergeNames(this.names, page.names);
    this.next = page.next;
    this.draw();
  }

  private drawExports(): void {
    const link = (format: "csv" | "json", label: string) =>
      h(
        "a",
        {
          class: "button secondary",
          href: `/api/audit/export${query({ ...this.filter, format })}`,
          download: `classcam-audit.${format}`,
        },
        label,
      );
    fill(
      this.exports,
      link("csv", "Export these entries as CSV (for a spreadsheet)"),
      link("json", "Export as JSON"),
    );
  }

  private draw(): void {
    if (this.entries.length === 0) {
      fill(this.results, h("p", { class: "empty" }, "No entry matches."));
      return;
    }
    const messages = new Messages();
    const more = this.next === null ? null : button("Show more entries");
    if (more) onPress(more, messages, () => this.more());
    const naming = new Naming(this.names);
    const shown = table(
      "Audit entries, oldest first",
      ["#", "When", "Who", "What they did", "About"],
      this.entries.map((entry) => [
        String(entry.seq),
        h("span", { class: "when" }, when(entry.at)),
        naming.person(entry.actor),
        h(
          "span",
          { class: "user-text" },
          h("span", { class: "cell-note" }, auditAction(entry.action)),
          sentence(entry, naming),
        ),
        this.about(entry, naming),
      ]),
    );
    shown.classList.add("audit-entries");
    fill(
      this.results,
      h(
        "p",
        { attrs: { role: "status" } },
        `${this.entries.length.toLocaleString("en-GB")} entries shown${this.next === null ? "" : " (there are more)"}.`,
      ),
      shown,
      messages.element,
      more && h("div", { class: "actions" }, more),
    );
  }

  /** What an entry is about: a recording linked to its page, or a name; and a filter to it. */
  private about(entry: AuditEntry, naming: Naming): HTMLElement | string {
    if (entry.subject === "") return "—";
    const words = naming.subject(entry);
    const only = button(
      "Only these",
      {
        attrs: { "aria-label": `Only these: the entries about ${words}` },
        on: {
          click: () => {
            this.subject.value = entry.subject;
            void this.search().catch((error: unknown) => {
              this.messages.error(error);
            });
          },
        },
      },
      "link",
    );
    return h(
      "span",
      { class: "user-text" },
      naming.isRecording(entry.subject)
        ? h("a", { href: `#/recordings/${encodeURIComponent(entry.subject)}` }, words)
        : words,
      " ",
      only,
    );
  }
}
