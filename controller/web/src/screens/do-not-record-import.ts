/**
 * The do-not-record list from the school's system, on the Policy screen
 * (policy.ts): a CSV export with a Class column — one line per class or per
 * pupil; only the class codes are read — checked by the server first (the
 * classes it names and every bad line by its number), then put in place of
 * the list in one change, nothing when a line is bad.
 */
import type { Static } from "@sinclair/typebox";
import type { DoNotRecordPreviewSchema } from "../../../src/routes/lesson-schemas.js";
import { MAX_DO_NOT_RECORD_FILE_BYTES } from "../../../src/domain/form-limits.js";
import { api } from "../api.js";
import { chosenFile } from "../file-pick.js";
import { fill, h } from "../dom.js";
import type { ScreenContext } from "../screen.js";
import { Messages, button, field, onPress, onSubmit, section, table } from "../ui.js";

type DoNotRecordPreview = Static<typeof DoNotRecordPreviewSchema>;

export function doNotRecordImport(screen: ScreenContext): HTMLElement {
  const messages = new Messages();
  const file = h("input", { type: "file", name: "do-not-record", accept: ".csv,text/csv" });
  const previewPlace = h("div");
  let csv = "";
  const form = h(
    "form",
    { noValidate: true },
    h(
      "p",
      null,
      "Export the list from the school's records as CSV with a ",
      h("strong", null, "Class"),
      " column (one line per class, or per pupil: only the class is read, no name is kept). It replaces the list above.",
    ),
    field("Do-not-record export (CSV file)", file),
    messages.element,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button secondary" }, "Check the file"),
    ),
    previewPlace,
  );
  onSubmit(form, messages, async () => {
    fill(previewPlace);
    const chosen = await chosenFile(file, messages, {
      what: "the CSV file of the do-not-record list",
      maxBytes: MAX_DO_NOT_RECORD_FILE_BYTES,
      advice: "split it into smaller files",
    });
    if (chosen === null) return;
    csv = chosen.text;
    const preview = await api.post<DoNotRecordPreview>("/api/policy/do-not-record/preview", {
      csv,
    });
    const [fileProblem] = preview.fileProblems;
    if (fileProblem !== undefined) {
      fill(
        previewPlace,
        h(
          "p",
          { class: "message error", attrs: { role: "alert" } },
          fileProblem.line === null ? "" : `Line ${fileProblem.line}: `,
          fileProblem.message,
          ". Nothing can be imported from this file.",
        ),
      );
      return;
    }
    const importMessages = new Messages();
    const count = preview.classes.length;
    const replace = button(
      count === 1 ? "Put this class on the list" : `Put these ${count} classes on the list`,
      {},
      "primary",
    );
    replace.disabled = preview.problems.length > 0;
    onPress(replace, importMessages, async () => {
      await api.post("/api/policy/do-not-record/import", { csv });
      screen.navigate(
        "policy",
        count === 1
          ? "The do-not-record list is now the class of the file."
          : `The do-not-record list is now the ${count} classes of the file.`,
      );
    });
    fill(
      previewPlace,
      h(
        "p",
        { attrs: { role: "status" } },
        `Classes in the file: ${preview.classes.join(", ") || "none"}.`,
      ),
      preview.problems.length > 0 &&
        table(
          "Lines with problems",
          ["Line", "What is wrong"],
          preview.problems.map((line) => [String(line.line), line.problems.join("; ")]),
        ),
      importMessages.element,
      h("div", { class: "actions" }, replace),
    );
  });
  return section("Import the do-not-record list", form);
}
