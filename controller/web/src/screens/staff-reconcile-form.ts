/**
 * The Staff screen's check against the school's staff list: the
 * administrator chooses the list exported from the school's records (CSV with
 * a Username, Email or Id column), sees every active account not on it (never
 * their own) and every bad line, ticks those who have left and disables them
 * in one change (POST /api/users/reconcile). Their sessions end; audited.
 */
import type { Static } from "@sinclair/typebox";
import type { ReconcilePreviewSchema } from "../../../src/routes/staff-reconcile-schemas.js";
import { MAX_STAFF_FILE_BYTES } from "../../../src/domain/form-limits.js";
import { api } from "../api.js";
import { chosenFile } from "../file-pick.js";
import { fill, h } from "../dom.js";
import { role, when } from "../format.js";
import { Messages, button, checkbox, field, onPress, onSubmit, section, table } from "../ui.js";

type ReconcilePreview = Static<typeof ReconcilePreviewSchema>;

/** The section; `changed` runs after accounts are disabled (the list above is drawn again). */
export function staffReconcileSection(changed: () => Promise<void>): HTMLElement {
  const messages = new Messages();
  const file = h("input", { type: "file", name: "staff-list", accept: ".csv,text/csv" });
  const previewPlace = h("div");
  let csv = "";

  const show = (preview: ReconcilePreview) => {
    if (preview.problems.length > 0) {
      fill(
        previewPlace,
        h("p", null, "Nobody can be disabled until every line is right."),
        table(
          "Lines with problems",
          ["Line", "Problem"],
          preview.problems.map((problem) => [problem.line ?? "—", problem.message]),
        ),
      );
      return;
    }
    if (preview.notListed.length === 0) {
      fill(
        previewPlace,
        h("p", { attrs: { role: "status" } }, "Every active account is on the staff list."),
      );
      return;
    }
    const boxes = preview.notListed.map((person) => ({
      id: person.id,
      label: checkbox(`Disable ${person.displayName} (${person.id})`, {
        name: "disable",
        value: person.id,
      }),
    }));
    const disable = button("Disable the accounts ticked", {}, "danger");
    onPress(disable, messages, async () => {
      const chosen = boxes
        .filter((box) => box.label.querySelector("input")?.checked === true)
        .map((box) => box.id);
      if (chosen.length === 0) {
        messages.problem("Tick the accounts of the people who have left.");
        return;
      }
      const done = await api.post<{ disabled: string[] }>("/api/users/reconcile", {
        csv,
        disable: chosen,
      });
      fill(previewPlace);
      messages.success(
        `Disabled: ${done.disabled.join(", ")}. Their sessions have ended; an administrator ` +
          "can enable an account again.",
      );
      await changed();
    });
    fill(
      previewPlace,
      h(
        "p",
        null,
        `The list names ${preview.listed} ${preview.listed === 1 ? "person" : "people"}. ` +
          `${preview.notListed.length} active ${preview.notListed.length === 1 ? "account is" : "accounts are"} not on it:`,
      ),
      table(
        "Active accounts not on the staff list",
        ["Account", "Roles", "Signs in with", "Last signed in"],
        preview.notListed.map((person, index) => [
          boxes[index]?.label,
          person.roles.map(role).join(", "),
          person.providerEmail ?? "a password",
          person.lastSignInAt === null ? "never" : when(person.lastSignInAt),
        ]),
      ),
      h("div", { class: "actions" }, disable),
    );
  };

  const form = h(
    "form",
    { noValidate: true },
    h(
      "p",
      null,
      "Someone who has left cannot sign in through the school's accounts once they are " +
        "removed there, but their account here stays until it is disabled. Choose the staff " +
        "list exported from the school's records (CSV with a Username, Email or Id column) " +
        "to see every active account that is not on it.",
    ),
    field("Staff list to check against (CSV file)", file),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button secondary" }, "Check the accounts"),
    ),
  );
  onSubmit(form, messages, async () => {
    fill(previewPlace);
    const chosen = await chosenFile(file, messages, {
      what: "the CSV file of the staff list",
      maxBytes: MAX_STAFF_FILE_BYTES,
      advice: "export only the columns needed",
    });
    if (chosen === null) return;
    csv = chosen.text;
    show(await api.post<ReconcilePreview>("/api/users/reconcile/preview", { csv }));
  });
  return section("Check against the staff list", form, messages.element, previewPlace);
}
