/**
 * The exemplar bank: clips every member of staff in them agreed to share with
 * the school's teachers, coaches and leaders. Search by a strand of the
 * framework, subject, year group or words of the title, and watch (each
 * viewing is recorded in the audit log; nothing can be downloaded).
 */
import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { clock, duration } from "../format.js";
import { ClipPlayer } from "../clip-player.js";
import type { Screen } from "../screen.js";
import type { BankEntry } from "../types-clips.js";
import type { Strand } from "../types-coaching.js";
import { strandWords } from "../types-coaching.js";
import { Messages, button, field, loading, onSubmit } from "../ui.js";

export function bankCard(entry: BankEntry, viewer: string, actions: HTMLElement[] = []) {
  const player = new ClipPlayer(entry.clipId, entry.title, viewer);
  return {
    player,
    element: h(
      "li",
      { class: "card" },
      h("h2", null, entry.title),
      h(
        "p",
        null,
        [entry.subject, entry.yearGroup].filter((x) => x !== null).join(", ") +
          ` · ${duration(entry.durationSeconds)} from ${entry.ownerName}'s lesson ` +
          `(${clock(entry.startSeconds)}–${clock(entry.endSeconds)})`,
      ),
      entry.strandNames.length > 0 &&
        h(
          "ul",
          { class: "tags", attrs: { "aria-label": "Strands" } },
          entry.strandNames.map((s) => h("li", null, `${s.code} ${s.name}`)),
        ),
      h("p", { class: "hint" }, `Pupils' privacy: ${entry.mitigation}.`),
      player.element,
      actions.length > 0 && h("div", { class: "actions" }, actions),
    ),
  };
}

export const bank: Screen = {
  path: "bank",
  title: "Exemplar bank",
  menu: "Exemplar bank",
  who: ["teacher", "coach", "slt", "headteacher"],
  async render(screen) {
    const messages = new Messages();
    const results = h("div", { class: "bank-results", attrs: { "aria-live": "polite" } });
    const strands = await api.get<Strand[]>("/api/strands");
    const strand = h(
      "select",
      { name: "strand" },
      h("option", { value: "" }, "Any strand"),
      strands
        .filter((s) => s.retiredAt === null)
        .map((s) => h("option", { value: String(s.strandId) }, strandWords(s))),
    );
    const subject = h("input", { type: "text", name: "subject", maxLength: 60 });
    const yearGroup = h("input", { type: "text", name: "yearGroup", maxLength: 60 });
    const words = h("input", { type: "search", name: "q", maxLength: 120 });
    strand.value = screen.query.strand ?? "";
    const form = h(
      "form",
      { class: "filters", attrs: { role: "search", "aria-label": "Search the exemplar bank" } },
      field("Strand", strand),
      field("Subject", subject),
      field("Year group", yearGroup),
      field("Words of the title", words),
      h("div", { class: "actions" }, button("Search", { type: "submit" }, "primary")),
    );
    screen.body.append(
      h(
        "p",
        null,
        "Clips of lessons that everyone in them agreed to share with the school's staff. " +
          "Each time you watch one it is recorded, as for any recording; clips cannot be downloaded.",
      ),
      form,
      messages.element,
      results,
    );
    const players: ClipPlayer[] = [];
    screen.onLeave(() => {
      for (const player of players) player.destroy();
    });
    const search = async () => {
      fill(results, loading("Searching the bank…"));
      const found = await api.get<BankEntry[]>(
        `/api/clips/bank${query({
          strand: strand.value === "" ? undefined : Number(strand.value),
          subject: subject.value.trim() === "" ? undefined : subject.value.trim(),
          yearGroup: yearGroup.value.trim() === "" ? undefined : yearGroup.value.trim(),
          q: words.value.trim() === "" ? undefined : words.value.trim(),
        })}`,
      );
      if (found.length === 0) {
        fill(results, h("p", { class: "empty" }, "No clip in the bank matches."));
        return;
      }
      const cards = found.map((entry) => bankCard(entry, screen.person?.name ?? ""));
      players.push(...cards.map((c) => c.player));
      fill(
        results,
        h("p", null, found.length === 1 ? "1 clip" : `${found.length} clips`),
        h(
          "ul",
          { class: "cards" },
          cards.map((c) => c.element),
        ),
      );
    };
    onSubmit(form, messages, search);
    await search();
  },
};
