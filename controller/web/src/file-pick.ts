/**
 * The file a person chose for an import (staff list, timetable, do-not-record
 * list), read as text once it is known to fit: the limit and its words are
 * the server's own (`form-limits.ts`), checked before anything is sent.
 */
import { fileSizeProblem } from "../../src/domain/form-limits.js";
import type { Messages } from "./ui.js";

/** "the file is …" → "The file is ….": the server's words as a sentence of the page. */
const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;

/**
 * The chosen file's name and text, or null after saying what is wrong (no
 * file chosen: "Please choose `what`."; too large: the server's words).
 */
export async function chosenFile(
  input: HTMLInputElement,
  messages: Messages,
  limit: { what: string; maxBytes: number; advice: string },
): Promise<{ name: string; text: string } | null> {
  const chosen = input.files?.[0];
  if (chosen === undefined) {
    messages.problem(`Please choose ${limit.what}.`);
    input.focus();
    return null;
  }
  const tooLarge = fileSizeProblem(chosen.size, limit.maxBytes, limit.advice);
  if (tooLarge !== null) {
    messages.problem(sentence(tooLarge));
    input.focus();
    return null;
  }
  return { name: chosen.name, text: await chosen.text() };
}
