/**
 * What I am asked to agree to keep: recordings I am in whose owner asked to
 * keep them. Keeping needs every member of staff in the recording to agree;
 * one "no" cancels it, and the recording is overwritten in its time.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { duration, purpose, when } from "../format.js";
import type { Screen } from "../screen.js";
import type { RecordingSummary } from "../types.js";
import { clipConsents } from "./clip-consents.js";
import { Messages, button, loading, onPress } from "../ui.js";

export const consents: Screen = {
  path: "consents",
  title: "Asked to keep",
  menu: "Consents",
  who: ["teacher", "coach", "slt", "headteacher"],
  async render(screen) {
    const messages = new Messages();
    const list = h("div", { class: "consents" });
    screen.body.append(
      h(
        "p",
        null,
        "A recording is kept beyond the classroom box's few days only if everyone in it agrees. " +
          "If you decline, it is not kept, and the box overwrites it in its time.",
      ),
      messages.element,
      list,
    );
    const clips = clipConsents(screen, messages);
    screen.body.append(clips.element);
    fill(list, loading("Loading what you are asked…"));

    const reload = async () => {
      const asked = await api.get<RecordingSummary[]>("/api/consents");
      if (asked.length === 0) {
        fill(list, h("p", { class: "empty" }, "Nobody is asking you to keep a recording."));
        return;
      }
      fill(
        list,
        h(
          "ul",
          { class: "cards" },
          asked.map((recording) => {
            const agree = button("Agree to keep it", {}, "primary");
            const decline = button("Decline", {}, "secondary");
            const decide = (decision: "agree" | "decline") => async () => {
              await api.put(`/api/recordings/${recording.recordingId}/consent`, { decision });
              const words =
                decision === "agree"
                  ? `You agreed to keep the recording of ${when(recording.startedAt)}.`
                  : `You declined: the recording of ${when(recording.startedAt)} will not be kept.`;
              messages.success(words);
              await reload();
            };
            onPress(agree, messages, decide("agree"));
            onPress(decline, messages, decide("decline"));
            const title = `${purpose(recording.purpose)} — ${when(recording.startedAt)}`;
            return h(
              "li",
              { class: "card" },
              h("h2", null, title),
              h(
                "p",
                null,
                `${recording.ownerName ?? "A colleague"} asks to keep this recording in ${recording.room} ` +
                  `(${duration(recording.durationSeconds)}).`,
              ),
              h(
                "div",
                { class: "actions", attrs: { role: "group", "aria-label": title } },
                agree,
                decline,
              ),
            );
          }),
        ),
      );
    };
    const refresh = () => {
      reload().catch((error: unknown) => {
        messages.error(error);
      });
    };
    screen.live("consents", refresh);
    screen.live("resync", refresh);
    await Promise.all([reload(), clips.reload()]);
  },
};
