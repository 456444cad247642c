/**
 * Feedback at the moments of a clip that answers an assignment, for whoever
 * set it: the threads they started (with the teacher's replies) and a form
 * that places feedback of a kind, with strands, at the moment the clip's
 * player is at. Times are the lesson's (the clip's start plus the player's
 * position), as on the teacher's recording, where the feedback also appears.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { refusedInWords } from "../errors.js";
import { clock, day } from "../format.js";
import type { ClipPlayer } from "../clip-player.js";
import type { ScreenContext } from "../screen.js";
import type { Comment } from "../types.js";
import type { BankEntry } from "../types-clips.js";
import { COMMENT_KIND_WORDS, type CommentKind, type Strand } from "../types-coaching.js";
import { Messages, button, field, onPress, onSubmit, section } from "../ui.js";
import { StrandPick } from "./strand-pick.js";
import { commentByline, commentReplies, commentStrands } from "./comment-view.js";
import { MAX_COMMENT_LENGTH, commentProblem } from "../../../src/domain/form-limits.js";

export class ClipFeedback {
  readonly element = h("div");
  private readonly list = h("div", { attrs: { "aria-live": "polite" } });
  private readonly messages = new Messages();

  constructor(
    private readonly screen: ScreenContext,
    private readonly clip: BankEntry,
    private readonly player: ClipPlayer,
    strands: readonly Strand[],
  ) {
    fill(
      this.element,
      section(
        "Feedback",
        h(
          "p",
          { class: "hint" },
          `Times are the lesson's: the clip is ${clock(clip.startSeconds)}–${clock(clip.endSeconds)} ` +
            `of it. ${clip.ownerName} sees your feedback on the recording and can reply there.`,
        ),
        this.messages.element,
        this.list,
        this.form(strands),
      ),
    );
  }

  async load(): Promise<void> {
    const comments = await api.get<Comment[]>(`/api/clips/${this.clip.clipId}/comments`);
    const top = comments.filter((c) => c.parentId === null);
    fill(
      this.list,
      top.length === 0
        ? h("p", { class: "empty" }, "No feedback yet.")
        : h(
            "ol",
            { class: "comments" },
            top.map((comment) =>
              h(
                "li",
                { class: "comment", attrs: { "data-kind": comment.kind } },
                commentByline(
                  comment,
                  `at ${clock(comment.atSeconds)} — ${comment.authorName}, ${day(comment.createdAt)}`,
                ),
                h("p", { class: "comment-body" }, comment.body),
                commentStrands(comment),
                commentReplies(comments, comment),
                this.doneButton(comment),
              ),
            ),
          ),
    );
  }

  /** Mark done / open again, for a next step this viewer gave (the teacher marks hers on the recording). */
  private doneButton(comment: Comment): HTMLElement | null {
    if (comment.kind !== "next-step" || comment.authorId !== this.screen.person?.id) return null;
    const done = comment.doneAt !== null;
    const press = button(done ? "Open again" : "Mark done", {
      attrs: {
        "aria-label": `${done ? "Open again" : "Mark done"}: the next step at ${clock(comment.atSeconds)}`,
      },
    });
    onPress(press, this.messages, async () => {
      await api.put(`/api/clips/${this.clip.clipId}/next-steps/${comment.commentId}`, {
        done: !done,
      });
      this.screen.announce(done ? "The next step is open again." : "The next step is done.");
      await this.load();
    });
    return h("div", { class: "actions tight" }, press);
  }

  private form(strands: readonly Strand[]): HTMLFormElement {
    // no maxLength: feedback over the limit is refused in words, never cut short
    const text = h("textarea", { rows: 3, required: true, name: "comment" });
    const kind = h(
      "select",
      { name: "kind" },
      (Object.entries(COMMENT_KIND_WORDS) as [CommentKind, string][])
        .filter(([value]) => value !== "comment")
        .map(([value, words]) => h("option", { value }, words)),
    );
    const pick = new StrandPick(strands);
    const messages = new Messages();
    const at = () =>
      Math.min(
        this.clip.endSeconds,
        Math.floor((this.clip.startSeconds + this.player.currentTime) * 10) / 10,
      );
    const form = h(
      "form",
      { class: "form comment-form", noValidate: true },
      field(
        "Your feedback",
        text,
        `It is placed at the moment the clip is at. At most ${MAX_COMMENT_LENGTH.toLocaleString("en-GB")} characters.`,
      ),
      field(
        "Kind of feedback",
        kind,
        "A strength, a question, a suggestion, or a next step the teacher can mark done.",
      ),
      pick.element,
      messages.element,
      h("button", { type: "submit", class: "button primary" }, "Add the feedback"),
    );
    onSubmit(form, messages, async () => {
      const problem =
        text.value.trim() === "" ? "Please write your feedback first." : commentProblem(text.value);
      if (problem !== null) {
        messages.problem(refusedInWords(problem));
        text.focus();
        return;
      }
      const seconds = at();
      await api.post(`/api/clips/${this.clip.clipId}/comments`, {
        atSeconds: seconds,
        body: text.value.trim(),
        kind: kind.value,
        strands: pick.chosen(),
      });
      text.value = "";
      pick.clear();
      this.screen.announce(`Feedback added at ${clock(seconds)}.`);
      await this.load();
    });
    return form;
  }
}
