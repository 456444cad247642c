/**
 * A recording's comments on its timeline: markers along the player (press one
 * to jump there), the list in timeline order, and, for whoever may comment, a
 * form that places a comment at the player's moment. A comment over the
 * server's limit (form-limits.ts) is refused in the server's words before it
 * is sent, never cut short.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { refusedInWords } from "../errors.js";
import { clock, day } from "../format.js";
import type { Player } from "../player.js";
import type { ScreenContext } from "../screen.js";
import type { Comment, RecordingDetail } from "../types.js";
import { Messages, button, field, onSubmit, section } from "../ui.js";
import { MAX_COMMENT_LENGTH, commentProblem } from "../../../src/domain/form-limits.js";

export class RecordingComments {
  readonly element = h("div");
  private comments: Comment[] = [];
  private detail: RecordingDetail | null = null;
  private form: HTMLFormElement | null = null;

  constructor(
    private readonly screen: ScreenContext,
    private readonly id: string,
    private readonly player: Player | null,
  ) {}

  async load(): Promise<void> {
    this.comments = await api.get<Comment[]>(`/api/recordings/${this.id}/comments`);
    if (this.detail !== null) this.draw(this.detail);
  }

  draw(detail: RecordingDetail): void {
    this.detail = detail;
    const length = detail.durationSeconds ?? 0;
    const player = this.player;
    const jump = (seconds: number) => {
      player?.seek(seconds);
      this.screen.announce(`At ${clock(seconds)}.`);
    };
    const markers = h(
      "div",
      { class: "timeline", attrs: { "aria-hidden": "true" } },
      this.comments.map((comment) => {
        const marker = h("div", {
          class: "marker",
          title: `${clock(comment.atSeconds)} ${comment.authorName}`,
          on: { click: () => jump(comment.atSeconds) },
        });
        marker.style.left = `${length > 0 ? Math.min(100, (comment.atSeconds / length) * 100) : 0}%`;
        return marker;
      }),
    );
    const list =
      this.comments.length === 0
        ? h("p", { class: "empty" }, "No comments yet.")
        : h(
            "ol",
            { class: "comments" },
            this.comments.map((comment) =>
              h(
                "li",
                { class: "comment", attrs: { "data-at": comment.atSeconds } },
                button(
                  clock(comment.atSeconds),
                  {
                    class: "button link jump",
                    attrs: { "aria-label": `Jump to ${clock(comment.atSeconds)}` },
                    on: { click: () => jump(comment.atSeconds) },
                  },
                  "link",
                ),
                h(
                  "div",
                  null,
                  h(
                    "p",
                    { class: "comment-by" },
                    `${comment.authorName}, ${day(comment.createdAt)}`,
                  ),
                  h("p", { class: "comment-body" }, comment.body),
                ),
              ),
            ),
          );
    // the form is built once: what someone is typing survives a redraw
    if (detail.allowed.includes("comment") && this.form === null) this.form = this.buildForm();
    fill(
      this.element,
      section(
        "Comments",
        h("p", { class: "hint" }, "Press a time to go to that moment of the recording."),
        markers,
        list,
        this.form,
      ),
    );
  }

  private buildForm(): HTMLFormElement {
    // no maxLength: a comment over the limit is refused in words, never cut short
    const text = h("textarea", { rows: 3, required: true, name: "comment" });
    const submit = h("button", { type: "submit", class: "button primary" }, "Add comment at 0:00");
    const at = () => Math.floor((this.player?.currentTime ?? 0) * 10) / 10;
    this.player?.onTime(() => {
      submit.textContent = `Add comment at ${clock(at())}`;
    });
    const messages = new Messages();
    const form = h(
      "form",
      { class: "form comment-form", noValidate: true },
      field(
        "Your comment",
        text,
        `It is placed at the moment the player is at. At most ${MAX_COMMENT_LENGTH.toLocaleString("en-GB")} characters.`,
      ),
      messages.element,
      submit,
    );
    onSubmit(form, messages, async () => {
      if (text.value.trim() === "") {
        messages.problem("Please write a comment first.");
        text.focus();
        return;
      }
      const problem = commentProblem(text.value);
      if (problem !== null) {
        messages.problem(refusedInWords(problem));
        text.focus();
        return;
      }
      const seconds = at();
      await api.post(`/api/recordings/${this.id}/comments`, {
        atSeconds: seconds,
        body: text.value.trim(),
      });
      text.value = "";
      this.screen.announce(`Comment added at ${clock(seconds)}.`);
      await this.load();
    });
    return form;
  }
}
