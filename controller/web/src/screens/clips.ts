/**
 * My clips: the parts of my lessons I cut, to watch, and to offer to the
 * school's exemplar bank with a subject, year group and strands of the
 * framework. A clip enters the bank only when everyone in the lesson agrees
 * (they are asked on their Consents page); one "no" keeps it out. I can
 * withdraw it at any time: it leaves the bank and is deleted.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { clock, duration } from "../format.js";
import { ClipPlayer } from "../clip-player.js";
import type { Screen } from "../screen.js";
import type { BankEntry, Clip } from "../types-clips.js";
import type { Strand } from "../types-coaching.js";
import { Messages, badge, button, field, loading, onPress, onSubmit } from "../ui.js";
import { StrandPick } from "./strand-pick.js";

const STATE_WORDS: Record<Clip["bankState"], string> = {
  none: "Not offered to the bank",
  "awaiting-consent": "Offered: waiting for everyone in the lesson to agree",
  declined: "Kept out of the bank: someone in the lesson declined",
  "in-bank": "In the exemplar bank",
  withdrawn: "Withdrawn from the bank",
};

export const myClips: Screen = {
  path: "clips",
  title: "My clips",
  menu: "My clips",
  who: ["teacher", "coach", "slt", "headteacher"],
  async render(screen) {
    const messages = new Messages();
    const list = h("div", { class: "clips" });
    screen.body.append(
      h(
        "p",
        null,
        "Clips you cut from your recordings (use Cut a clip on a recording's page). Send one " +
          "to answer a coaching assignment on Coaching: whoever set it sees that clip alone. " +
          "Offer one to the exemplar bank and everyone in the lesson is asked to agree; it " +
          "enters only if all of them do.",
      ),
      messages.element,
      list,
    );
    fill(list, loading("Loading your clips…"));
    const strands = await api.get<Strand[]>("/api/strands");
    const players: ClipPlayer[] = [];
    screen.onLeave(() => {
      for (const player of players) player.destroy();
    });

    const offerForm = (clip: Clip): HTMLFormElement => {
      const subject = h("input", { type: "text", name: "subject", required: true, maxLength: 60 });
      const yearGroup = h("input", {
        type: "text",
        name: "yearGroup",
        required: true,
        maxLength: 60,
      });
      const pick = new StrandPick(strands, "Strands it shows (optional)");
      const form = h(
        "form",
        { class: "offer", attrs: { "aria-label": `Offer “${clip.title}” to the bank` } },
        field("Subject", subject),
        field("Year group", yearGroup, "For example: Year 7"),
        pick.element,
        h(
          "div",
          { class: "actions" },
          button("Offer to the exemplar bank", { type: "submit" }, "primary"),
        ),
      );
      onSubmit(form, messages, async () => {
        const entry = await api.post<BankEntry>(`/api/clips/${clip.clipId}/offer`, {
          subject: subject.value,
          yearGroup: yearGroup.value,
          strands: pick.chosen(),
        });
        messages.success(
          entry.bankState === "in-bank"
            ? `“${entry.title}” is now in the exemplar bank.`
            : `“${entry.title}” is offered: everyone in the lesson is asked to agree.`,
        );
        await reload();
      });
      return form;
    };

    const reload = async () => {
      const clips = await api.get<Clip[]>("/api/clips");
      if (clips.length === 0) {
        fill(list, h("p", { class: "empty" }, "You have not cut a clip yet."));
        return;
      }
      fill(
        list,
        h(
          "ul",
          { class: "cards" },
          clips.map((clip) => {
            const player = new ClipPlayer(clip.clipId, clip.title, screen.person?.name ?? "");
            players.push(player);
            const withdraw = button("Withdraw from the bank", {}, "danger");
            onPress(withdraw, messages, async () => {
              await api.post(`/api/clips/${clip.clipId}/withdraw`);
              messages.success(`“${clip.title}” was withdrawn from the bank.`);
              await reload();
            });
            const offered = clip.bankState === "awaiting-consent" || clip.bankState === "in-bank";
            return h(
              "li",
              { class: "card" },
              h("h2", null, clip.title),
              h(
                "p",
                null,
                `${duration(clip.durationSeconds)}, ${clock(clip.startSeconds)}–${clock(clip.endSeconds)} ` +
                  "of the lesson ",
                badge(STATE_WORDS[clip.bankState], clip.bankState === "in-bank" ? "good" : "info"),
              ),
              player.element,
              clip.bankState === "none" && offerForm(clip),
              offered && h("div", { class: "actions" }, withdraw),
            );
          }),
        ),
      );
    };
    await reload();
  },
};
