/**
 * A recording's comments on its timeline: markers along the player (press one
 * to jump there), the list in timeline order, and, for whoever may comment, a
 * form that places a comment at the player's moment. A comment may be
 * coaching feedback of a kind (strength, question, suggestion, next step)
 * with strands of the school's framework; whoever may comment may reply to
 * one; a next step is marked done by the teacher or whoever gave it. A comment over the
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
import { COMMENT_KIND_WORDS, type CommentKind, type Strand } from "../types-coaching.js";
import { Messages, button, field, onPress, onSubmit, section } from "../ui.js";
import { StrandPick } from "./strand-pick.js";
import { commentByline, commentReplies, commentStrands } from "./comment-view.js";
import { MAX_COMMENT_LENGTH, commentProblem } from "../../../src/domain/form-limits.js";

export class RecordingComments {
  readonly element = h("div");
  private comments: Comment[] = [];
  private detail: RecordingDetail | null = null;
  private form: HTMLFormElement | null = null;
  private strands: Strand[] | null = null;
  private readonly messages = new Messages();
  /** Reply forms built once each: a reply being typed survives a live redraw. */
  private readonly replyForms = new Map<number, HTMLElement>();

  constructor(
    private readonly screen: ScreenContext,
    private readonly id: string,
    private readonly player: Player | null,
  ) {}

  async load(): Promise<void> {
    this.comments = await api.get<Comment[]>(`/api/recordings/${this.id}/comments`);
    this.strands ??= await api.get<Strand[]>("/api/strands");
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
    const mayComment = detail.allowed.includes("comment");
    const top = this.comments.filter((c) => c.parentId === null);
    const list =
      top.length === 0
        ? h("p", { class: "empty" }, "No comments yet.")
        : h(
            "ol",
            { class: "comments" },
            top.map((comment) =>
              h(
                "li",
                {
                  class: "comment",
                  attrs: { "data-at": comment.atSeconds, "data-kind": comment.kind },
                },
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
                  commentByline(comment, `${comment.authorName}, ${day(comment.createdAt)}`),
                  h("p", { class: "comment-body" }, comment.body),
                  commentStrands(comment),
                  commentReplies(this.comments, comment),
                  h(
                    "div",
                    { class: "actions tight" },
                    this.doneButton(comment, detail),
                    mayComment && this.replyButton(comment),
                  ),
                ),
              ),
            ),
          );
    // the form is built once: what someone is typing survives a redraw (a live one too)
    if (mayComment && this.strands !== null && this.form === null) this.form = this.buildForm();
    const active = document.activeElement;
    fill(
      this.element,
      section(
        "Comments",
        h("p", { class: "hint" }, "Press a time to go to that moment of the recording."),
        markers,
        this.messages.element,
        list,
        this.form,
      ),
    );
    if (active instanceof HTMLElement && active !== document.activeElement && active.isConnected) {
      active.focus();
    }
  }

  /** Mark done / open again, for a next step, to the teacher and whoever gave it. */
  private doneButton(comment: Comment, detail: RecordingDetail): HTMLButtonElement | null {
    const me = this.screen.person?.id;
    if (comment.kind !== "next-step" || (me !== detail.ownerId && me !== comment.authorId)) {
      return null;
    }
    const done = comment.doneAt !== null;
    const press = button(done ? "Open again" : "Mark done", {
      attrs: {
        "aria-label": `${done ? "Open again" : "Mark done"}: the next step at ${clock(comment.atSeconds)}`,
      },
    });
    onPress(press, this.messages, async () => {
      await api.put(`/api/next-steps/${comment.commentId}`, { done: !done });
      this.screen.announce(done ? "The next step is open again." : "The next step is done.");
      await this.load();
    });
    return press;
  }

  private replyButton(comment: Comment): HTMLElement {
    const built = this.replyForms.get(comment.commentId);
    if (built !== undefined) return built;
    const text = h("textarea", { rows: 2, name: "reply" });
    const messages = new Messages();
    const form = h(
      "form",
      { class: "form reply-form", noValidate: true, hidden: true },
      field(`Your reply to ${comment.authorName}`, text),
      messages.element,
      h("button", { type: "submit", class: "button primary" }, "Send the reply"),
    );
    const open = button("Reply", {
      attrs: { "aria-label": `Reply to ${comment.authorName} at ${clock(comment.atSeconds)}` },
      on: {
        click: () => {
          form.hidden = false;
          text.focus();
        },
      },
    });
    onSubmit(form, messages, async () => {
      const problem =
        text.value.trim() === "" ? "Please write your reply first." : commentProblem(text.value);
      if (problem !== null) {
        messages.problem(refusedInWords(problem));
        text.focus();
        return;
      }
      await api.post(`/api/recordings/${this.id}/comments`, {
        atSeconds: comment.atSeconds,
        body: text.value.trim(),
        parentId: comment.commentId,
      });
      this.screen.announce("Reply sent.");
      this.replyForms.delete(comment.commentId);
      await this.load();
    });
    const part = h("div", null, open, form);
    this.replyForms.set(comment.commentId, part);
    return part;
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
    const kind = h(
      "select",
      { name: "kind" },
      (Object.entries(COMMENT_KIND_WORDS) as [CommentKind, string][]).map(([value, words]) =>
        h("option", { value }, words),
      ),
    );
    const strands = new StrandPick(this.strands ?? []);
    const form = h(
      "form",
      { class: "form comment-form", noValidate: true },
      field(
        "Your comment",
        text,
        `It is placed at the moment the player is at. At most ${MAX_COMMENT_LENGTH.toLocaleString("en-GB")} characters.`,
      ),
      field(
        "Kind of feedback",
        kind,
        "A plain comment, or coaching feedback: a strength, a question, a suggestion, or a next step the teacher can mark done.",
      ),
      strands.element,
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
        kind: kind.value,
        strands: strands.chosen(),
      });
      text.value = "";
      kind.value = "comment";
      strands.clear();
      this.screen.announce(`Comment added at ${clock(seconds)}.`);
      await this.load();
    });
    return form;
  }
}
