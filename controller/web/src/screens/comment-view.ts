/**
 * How a comment reads wherever it is shown (the recording's page, a clip
 * answer's page): who said it and when, with its kind and whether a next step
 * is done; its strands; and the replies under it.
 */
import { h } from "../dom.js";
import { day } from "../format.js";
import type { Comment } from "../types.js";
import { COMMENT_KIND_WORDS, strandWords } from "../types-coaching.js";
import { badge } from "../ui.js";

/** The comment's byline: its kind, `said` (who and when, as the page words it), done or not. */
export function commentByline(comment: Comment, said: string): HTMLElement {
  return h(
    "p",
    { class: "comment-by" },
    comment.kind !== "comment" && [badge(COMMENT_KIND_WORDS[comment.kind]), " "],
    said,
    comment.kind === "next-step" && comment.doneAt !== null && [" ", badge("Done", "good")],
  );
}

/** The framework strands a comment names, as a line; null when it names none. */
export function commentStrands(comment: Comment): HTMLElement | null {
  if (comment.strands.length === 0) return null;
  return h("p", { class: "hint" }, `Strands: ${comment.strands.map(strandWords).join("; ")}`);
}

/** The replies to `comment` among `all`, oldest first; null when there are none. */
export function commentReplies(all: readonly Comment[], comment: Comment): HTMLElement | null {
  const replies = all.filter((c) => c.parentId === comment.commentId);
  if (replies.length === 0) return null;
  return h(
    "ul",
    { class: "replies", attrs: { "aria-label": `Replies to ${comment.authorName}` } },
    replies.map((reply) =>
      h(
        "li",
        null,
        h("p", { class: "comment-by" }, `${reply.authorName} replied, ${day(reply.createdAt)}`),
        h("p", { class: "comment-body" }, reply.body),
      ),
    ),
  );
}
