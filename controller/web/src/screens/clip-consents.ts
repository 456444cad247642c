/**
 * On the Consents page: clips of lessons I am in that their owner offered to
 * the exemplar bank. A clip enters the bank only when everyone in the lesson
 * agrees; one "no" keeps it out (the same rule as keeping a recording).
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { clock } from "../format.js";
import type { ScreenContext } from "../screen.js";
import type { BankEntry } from "../types-clips.js";
import { type Messages, button, onPress, section } from "../ui.js";
import { bankCard } from "./bank.js";

export function clipConsents(
  screen: ScreenContext,
  messages: Messages,
): { element: HTMLElement; reload: () => Promise<void> } {
  const list = h("div", { class: "clip-consents" });
  const element = section("Clips offered to the exemplar bank", list);
  const reload = async () => {
    const asked = await api.get<BankEntry[]>("/api/clips/consents");
    if (asked.length === 0) {
      fill(list, h("p", { class: "empty" }, "Nobody is asking you about a clip."));
      return;
    }
    fill(
      list,
      h(
        "ul",
        { class: "cards" },
        asked.map((entry) => {
          const agree = button("Agree to share it", {}, "primary");
          const decline = button("Decline", {}, "secondary");
          const decide = (decision: "agree" | "decline") => async () => {
            await api.post(`/api/clips/${entry.clipId}/consent`, { decision });
            messages.success(
              decision === "agree"
                ? `You agreed to the clip “${entry.title}” going into the exemplar bank.`
                : `You declined: the clip “${entry.title}” stays out of the bank.`,
            );
            await reload();
          };
          onPress(agree, messages, decide("agree"));
          onPress(decline, messages, decide("decline"));
          const card = bankCard(entry, screen.person?.name ?? "", [agree, decline]);
          screen.onLeave(() => {
            card.player.destroy();
          });
          card.element.prepend(
            h(
              "p",
              null,
              `${entry.ownerName} offers ${clock(entry.startSeconds)}–${clock(entry.endSeconds)} ` +
                "of a lesson you are in to the school's exemplar bank.",
            ),
          );
          return card.element;
        }),
      ),
    );
  };
  screen.live("consents", () => {
    reload().catch((error: unknown) => {
      messages.error(error);
    });
  });
  return { element, reload };
}
