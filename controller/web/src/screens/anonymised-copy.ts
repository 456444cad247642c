/**
 * The recording page's line about the copy with every face blurred (issue
 * 19): what its owner is told (made, being made and how far, failed and why)
 * and what a colleague is told (they see faces blurred). The type is the
 * server's schema (`routes/anonymised-schemas.ts`).
 */
import type { Static } from "@sinclair/typebox";
import type { AnonymisedCopySchema } from "../../../src/routes/anonymised-schemas.js";

export type AnonymisedCopy = Static<typeof AnonymisedCopySchema>;

/** The words for the page, or null when there is nothing to say to this person. */
export function anonymisedCopyWords(copy: AnonymisedCopy): string | null {
  const made = Math.floor(copy.progress * 100);
  const state = (() => {
    switch (copy.state) {
      case "none":
        return "not made yet: it is made when someone else opens the recording";
      case "queued":
        return "waiting to be made";
      case "making":
        return `being made (${made} % done)`;
      case "ready":
        return "ready";
      case "failed":
        return `could not be made: ${copy.error ?? "no reason given"}`;
    }
  })();
  switch (copy.yours) {
    case "original":
      return `You see the footage as recorded. Colleagues see every face blurred: that copy is ${state}.`;
    case "anonymised":
      return copy.state === "ready"
        ? "You see a copy with every face blurred."
        : `You will see a copy with every face blurred; it is ${state}.`;
    case "none":
      return null;
  }
}
