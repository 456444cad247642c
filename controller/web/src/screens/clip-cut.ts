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

export function clipCut(recordingId: string, player: Player, lengthSeconds: number): HTMLElement {
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
  const fromPlayer = (input: HTMLInputElement) => () => {
    input.value = player.currentTime.toFixed(1);
    return Promise.resolve();
  };
  const startHere = button("Start here");
  const endHere = button("End here");
  onPress(startHere, messages, fromPlayer(start));
  onPress(endHere, messages, fromPlayer(end));
  const form = h(
    "form",
    { class: "clip-cut" },
    field("Title", title),
    h(
      "div",
      { class: "field-row" },
      field("Start (seconds)", start, "Or press Start here while watching"),
      startHere,
      field("End (seconds)", end, "Or press End here while watching"),
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
  });
  return section(
    "Cut a clip",
    h(
      "p",
      null,
      "Keep just a part of this lesson as a clip of its own, to share with a coach or offer " +
        "to the school's exemplar bank. Clips start and end on whole seconds of picture " +
        "(keyframes), so each point may move a little; you will be told how far.",
    ),
    form,
    messages.element,
  );
}
