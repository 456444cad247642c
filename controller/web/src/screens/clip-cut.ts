/**
 * "Cut a clip" on the recording page (its owner only): the start and end
 * taken from the player's current time, or typed in seconds; the server cuts
 * on keyframes and says how far each point moved. The clip is then on
 * "My clips", to watch and to offer to the exemplar bank.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import { clock } from "../format.js";
import type { Player } from "../player.js";
import type { Clip } from "../types-clips.js";
import { Messages, button, field, onPress, onSubmit, section } from "../ui.js";

/**
 * The form, for a recording `lengthSeconds` long. Without a player (answering
 * an assignment on the Coaching screen) the points are typed; `onCut` hears
 * of the clip cut, and `intro` replaces the words above the form.
 */
export function clipCut(
  recordingId: string,
  player: Pick<Player, "currentTime"> | null,
  lengthSeconds: number,
  options: { onCut?: (clip: Clip) => void; intro?: string } = {},
): HTMLElement {
  const messages = new Messages();
  const number = (name: string) =>
    h("input", {
      type: "number",
      name,
      min: "0",
      max: String(Math.floor(lengthSeconds)),
      step: "0.1",
      required: true,
    });
  const start = number("in");
  const end = number("out");
  const title = h("input", { type: "text", name: "title", required: true, maxLength: 120 });
  const here = (words: string, input: HTMLInputElement) => {
    if (player === null) return null;
    const press = button(words);
    onPress(press, messages, () => {
      input.value = player.currentTime.toFixed(1);
      return Promise.resolve();
    });
    return press;
  };
  const startHere = here("Start here", start);
  const endHere = here("End here", end);
  const typed = (words: string) => (player === null ? undefined : words);
  const form = h(
    "form",
    { class: "clip-cut" },
    field("Title", title),
    h(
      "div",
      { class: "field-row" },
      field("Start (seconds)", start, typed("Or press Start here while watching")),
      startHere,
      field("End (seconds)", end, typed("Or press End here while watching")),
      endHere,
    ),
    h("div", { class: "actions" }, button("Cut the clip", { type: "submit" }, "primary")),
  );
  onSubmit(form, messages, async () => {
    const clip = await api.post<Clip>(`/api/recordings/${recordingId}/clips`, {
      inSeconds: Number(start.value),
      outSeconds: Number(end.value),
      title: title.value,
    });
    messages.success(
      `Clip “${clip.title}” cut: ${clock(clip.startSeconds)}–${clock(clip.endSeconds)}. ` +
        `To start and end on keyframes the start moved ${clip.inMovedSeconds.toFixed(1)} s earlier ` +
        `and the end ${clip.outMovedSeconds.toFixed(1)} s later. Find it on My clips.`,
    );
    form.reset();
    options.onCut?.(clip);
  });
  return section(
    "Cut a clip",
    h(
      "p",
      null,
      options.intro ??
        "Keep just a part of this lesson as a clip of its own, to share with a coach or offer " +
          "to the school's exemplar bank. Clips start and end on whole seconds of picture " +
          "(keyframes), so each point may move a little; you will be told how far.",
    ),
    form,
    messages.element,
  );
}
