/**
 * A teacher's answer to an assignment, on the Coaching screen: a whole
 * recording of theirs, or one of their clips — a part of a lesson, which is
 * all whoever set the assignment then sees of it — with a few lines of
 * reflection. A clip can be cut here from a recording on the school's server
 * (`clipCut`, with the points typed), and is then chosen in the form.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { clock, when } from "../format.js";
import type { RecordingSummary } from "../types.js";
import type { Clip } from "../types-clips.js";
import type { Assignment } from "../types-coaching.js";
import { Messages, field, onSubmit } from "../ui.js";
import { clipCut } from "./clip-cut.js";

/** The teacher's own recordings and clips, to answer with. */
export interface AnswerMaterial {
  recordings: RecordingSummary[];
  clips: Clip[];
}

const recordingWords = (r: RecordingSummary) => `${r.room}, ${when(r.startedAt)}`;
const clipWords = (clip: Clip) =>
  `${clip.title} (${clock(clip.startSeconds)}–${clock(clip.endSeconds)} of a lesson)`;

export function answerForm(
  assignment: Assignment,
  material: AnswerMaterial,
  answered: (words: string) => Promise<void>,
): HTMLElement {
  const recordings = material.recordings.filter((r) => r.status !== "deleted");
  const clips = [...material.clips];
  const choice = h("select", { name: "answer", required: true });
  const drawChoice = (selected = choice.value) => {
    fill(
      choice,
      h("option", { value: "" }, "Choose a recording or a clip"),
      clips.length > 0 &&
        h(
          "optgroup",
          { label: "Your clips (a part of a lesson)" },
          clips.map((clip) => h("option", { value: `clip:${clip.clipId}` }, clipWords(clip))),
        ),
      h(
        "optgroup",
        { label: "Your recordings (the whole lesson)" },
        recordings.map((r) =>
          h("option", { value: `recording:${r.recordingId}` }, recordingWords(r)),
        ),
      ),
    );
    choice.value = selected;
  };
  drawChoice("");
  const reflection = h("textarea", { rows: 4, name: "reflection", required: true });
  const messages = new Messages();
  const form = h(
    "form",
    { class: "form", noValidate: true, attrs: { "aria-label": `Answer “${assignment.title}”` } },
    field(
      "What you send",
      choice,
      "A whole recording of yours, or one of your clips: whoever set the assignment sees only what you send.",
    ),
    field("Your reflection", reflection, "A few lines: what you noticed, what you would try next."),
    messages.element,
    h("button", { type: "submit", class: "button primary" }, "Send my answer"),
  );
  onSubmit(form, messages, async () => {
    const [kind, id] = choice.value.split(":");
    if (id === undefined || id === "") {
      messages.problem("Please choose the recording or the clip you answer with.");
      choice.focus();
      return;
    }
    if (reflection.value.trim() === "") {
      messages.problem("Please write a few lines of reflection first.");
      reflection.focus();
      return;
    }
    await api.post(`/api/assignments/${assignment.assignmentId}/submission`, {
      ...(kind === "clip" ? { clipId: id } : { recordingId: id }),
      reflection: reflection.value.trim(),
    });
    await answered(`Your answer to “${assignment.title}” is sent to ${assignment.setByName}.`);
  });
  return h("div", { class: "answer" }, form, cutHere(recordings, clips, drawChoice));
}

/** Cut a clip from one of the recordings on the school's server, then choose it above. */
function cutHere(
  recordings: readonly RecordingSummary[],
  clips: Clip[],
  drawChoice: (selected: string) => void,
): HTMLElement | null {
  const cuttable = recordings.filter((r) => r.onController && r.durationSeconds !== null);
  if (cuttable.length === 0) return null;
  const place = h("div");
  const from = h(
    "select",
    { name: "cut-from" },
    h("option", { value: "" }, "Choose a recording"),
    cuttable.map((r) => h("option", { value: r.recordingId }, recordingWords(r))),
  );
  from.addEventListener("change", () => {
    const recording = cuttable.find((r) => r.recordingId === from.value);
    if (recording === undefined || recording.durationSeconds === null) {
      fill(place);
      return;
    }
    fill(
      place,
      clipCut(recording.recordingId, null, recording.durationSeconds, {
        intro:
          `The lesson is ${clock(recording.durationSeconds)} long. Type where the part starts ` +
          "and ends, in seconds; it is cut on keyframes, so each point may move a little.",
        onCut: (clip) => {
          clips.unshift(clip);
          drawChoice(`clip:${clip.clipId}`);
        },
      }),
    );
  });
  return h(
    "details",
    { class: "cut-here" },
    h("summary", null, "Send only a part: cut a clip here"),
    field("Cut from", from, "One of your recordings on the school's server."),
    place,
  );
}
