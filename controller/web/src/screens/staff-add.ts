/**
 * Adding staff, for the administrator (part of the Staff screen, staff.ts):
 * one person with a form, or many from the school's staff list exported as
 * CSV — checked first by the server (every bad line by its number and what
 * is wrong), then imported all or nothing, or only the good lines, as the
 * administrator chooses. The one-time passwords of the new people are shown
 * once, with a CSV of them to download, and never again.
 */
import type { Static } from "@sinclair/typebox";
import type { StaffImportedSchema, StaffPreviewSchema } from "../../../src/routes/staff-schemas.js";
import { MAX_STAFF_FILE_BYTES } from "../../../src/domain/form-limits.js";
import { api } from "../api.js";
import { chosenFile } from "../file-pick.js";
import { fill, h, uid } from "../dom.js";
import { role } from "../format.js";
import type { ScreenContext } from "../screen.js";
import { ROLES, type Role, type User } from "../types.js";
import { Messages, button, checkbox, field, onPress, onSubmit, section, table } from "../ui.js";

export type StaffPreview = Static<typeof StaffPreviewSchema>;
export type StaffImported = Static<typeof StaffImportedSchema>;

/** As the server's import (domain/staff-csv.ts). */

/** A new one-time password: who it is for, and the password. */
export interface OneTimePassword {
  name: string;
  id: string;
  password: string;
}

/** A CSV field, quoted when it needs to be. */
const csvField = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/**
 * The one-time passwords, once: to be copied or downloaded now. `done` hides
 * them. A CSV of them is offered when there is more than one.
 */
export function oneTimePasswords(
  screen: ScreenContext,
  lead: string,
  passwords: readonly OneTimePassword[],
  done: () => void,
): HTMLElement {
  const heading = h(
    "h2",
    { tabIndex: -1 },
    passwords.length === 1 ? "One-time password" : "One-time passwords",
  );
  const hide = button("I have copied them — hide them", {}, "primary");
  let download: HTMLAnchorElement | null = null;
  if (passwords.length > 1) {
    const text = [
      "Name,Username,One-time password",
      ...passwords.map((p) => [p.name, p.id, p.password].map(csvField).join(",")),
    ].join("\r\n");
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    screen.onLeave(() => URL.revokeObjectURL(url));
    download = h(
      "a",
      { class: "button secondary", href: url, download: "one-time-passwords.csv" },
      "Download them as a CSV file",
    );
  }
  const panel = h(
    "section",
    { class: "panel secret-panel", attrs: { "aria-label": "One-time passwords" } },
    heading,
    h("p", { attrs: { role: "status" } }, lead),
    h(
      "p",
      null,
      h("strong", null, "Copy it now: it will not be shown again."),
      " Give each person their own, in person or in a sealed note; they choose their own " +
        "password when they first sign in. If one is lost, reset that person’s password.",
    ),
    passwords.length === 1
      ? h(
          "p",
          { class: "secret" },
          `${passwords[0]?.name ?? ""} (${passwords[0]?.id ?? ""}): `,
          h("code", { attrs: { "data-password": passwords[0]?.id ?? "" } }, passwords[0]?.password),
        )
      : table(
          "One-time passwords of the people added",
          ["Name", "User name", "One-time password"],
          passwords.map((p) => [
            p.name,
            p.id,
            h(
              "span",
              { class: "secret" },
              h("code", { attrs: { "data-password": p.id } }, p.password),
            ),
          ]),
        ),
    h("div", { class: "actions" }, download, hide),
  );
  hide.addEventListener("click", () => {
    done();
    screen.announce("The one-time passwords are hidden.");
  });
  window.setTimeout(() => heading.focus(), 0);
  return panel;
}

/** Role checkboxes in a fieldset: the chosen ones are read with `chosen()`. */
export function roleChoice(
  legend: string,
  checked: readonly Role[],
  locked: (role: Role) => string | null = () => null,
): { element: HTMLFieldSetElement; chosen: () => Role[] } {
  const boxes = new Map<Role, HTMLInputElement>();
  const labels = ROLES.map((code) => {
    const why = locked(code);
    const label = checkbox(role(code), {
      name: "role",
      value: code,
      checked: checked.includes(code),
      disabled: why !== null,
    });
    const input = label.querySelector("input");
    if (input) boxes.set(code, input);
    if (why === null || !input) return label;
    // beside the box, not in its name: read as its description
    const note = h("p", { class: "hint locked-why", id: uid("why") }, why);
    input.setAttribute("aria-describedby", note.id);
    return h("div", null, label, note);
  });
  const element = h(
    "fieldset",
    { class: "field roles" },
    h("legend", null, legend),
    h("div", { class: "checks" }, labels),
  );
  return {
    element,
    chosen: () => ROLES.filter((code) => boxes.get(code)?.checked === true),
  };
}

/** The form to add one person, and the CSV import; `added` runs after either adds anyone. */
export function addStaff(
  screen: ScreenContext,
  passwordsPlace: HTMLElement,
  added: () => Promise<void>,
): HTMLElement[] {
  return [addOne(screen, passwordsPlace, added), importMany(screen, passwordsPlace, added)];
}

function addOne(
  screen: ScreenContext,
  passwordsPlace: HTMLElement,
  added: () => Promise<void>,
): HTMLElement {
  const messages = new Messages();
  const name = h("input", {
    name: "displayName",
    required: true,
    maxLength: 100,
    autocomplete: "off",
  });
  const id = h("input", {
    name: "id",
    required: true,
    maxLength: 64,
    autocomplete: "off",
    spellcheck: false,
  });
  const roles = roleChoice("Roles", []);
  const form = h(
    "form",
    { noValidate: true },
    field("Full name", name),
    field(
      "User name",
      id,
      "What they sign in with: lower-case letters, digits, '.', '-' or '_', starting with a letter (e.g. j.smith).",
    ),
    roles.element,
    messages.element,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, "Add")),
  );
  onSubmit(form, messages, async () => {
    const chosen = roles.chosen();
    if (name.value.trim() === "") {
      messages.problem("Please give their full name.");
      name.focus();
      return;
    }
    if (!/^[a-z][a-z0-9._-]{1,63}$/.test(id.value.trim())) {
      messages.problem(
        "The user name must be 2–64 lower-case letters, digits, '.', '-' or '_', starting with a letter.",
      );
      id.focus();
      return;
    }
    if (chosen.length === 0) {
      messages.problem("Please choose at least one role.");
      return;
    }
    const answer = await api.post<{ user: User; temporaryPassword: string }>("/api/users", {
      id: id.value.trim(),
      displayName: name.value.trim(),
      roles: chosen,
    });
    form.reset();
    fill(
      passwordsPlace,
      oneTimePasswords(
        screen,
        `${answer.user.displayName} (${answer.user.id}) is added.`,
        [{ name: answer.user.displayName, id: answer.user.id, password: answer.temporaryPassword }],
        () => fill(passwordsPlace),
      ),
    );
    await added();
  });
  return section("Add a member of staff", form);
}

function importMany(
  screen: ScreenContext,
  passwordsPlace: HTMLElement,
  added: () => Promise<void>,
): HTMLElement {
  const messages = new Messages();
  const file = h("input", { type: "file", name: "file", accept: ".csv,text/csv" });
  const modeName = uid("mode");
  const allOrNothing = h("input", {
    type: "radio",
    name: modeName,
    value: "all-or-nothing",
    checked: true,
  });
  const goodRows = h("input", { type: "radio", name: modeName, value: "good-rows" });
  const previewPlace = h("div");
  let csv: string | null = null;
  let lastPreview: StaffPreview | null = null;

  const form = h(
    "form",
    { noValidate: true },
    h(
      "p",
      null,
      "Export the staff list from the school’s records as CSV, with a header line naming the columns: ",
      h("strong", null, "Name"),
      " (or Display name), ",
      h("strong", null, "Username"),
      " (or Email: the part before the @ becomes the user name) and ",
      h("strong", null, "Roles"),
      ", several separated by ; or |. At most 500 people and 256 KB at once.",
    ),
    field("Staff list (CSV file)", file),
    h(
      "fieldset",
      { class: "field" },
      h("legend", null, "If some lines have problems"),
      h("label", { class: "check" }, allOrNothing, " Import nobody until every line is right"),
      h("label", { class: "check" }, goodRows, " Import the good lines and leave out the others"),
    ),
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
      what: "the CSV file of the staff list",
      maxBytes: MAX_STAFF_FILE_BYTES,
      advice: "split it into smaller files",
    });
    if (chosen === null) return;
    csv = chosen.text;
    const preview = await api.post<StaffPreview>("/api/users/import/preview", { csv });
    lastPreview = preview;
    showPreview(preview);
  });

  const mode = () => (goodRows.checked ? "good-rows" : "all-or-nothing");

  function showPreview(preview: StaffPreview): void {
    const bad = preview.people.filter((person) => person.problems.length > 0);
    const good = preview.people.filter((person) => person.problems.length === 0);
    const [fileProblem] = preview.fileProblems;
    if (fileProblem !== undefined) {
      fill(
        previewPlace,
        h(
          "p",
          { class: "message error", attrs: { role: "alert" } },
          fileProblem.line === null ? "" : `Line ${fileProblem.line}: `,
          sentence(fileProblem.message),
          " Nothing can be imported from this file.",
        ),
      );
      return;
    }
    const importMessages = new Messages();
    const start = button(
      mode() === "all-or-nothing" || bad.length === 0
        ? `Import ${count(good.length)}`
        : `Import the ${count(good.length)} on good lines`,
      {},
      "primary",
    );
    const blocked = good.length === 0 || (mode() === "all-or-nothing" && bad.length > 0);
    const progress = h("div", { class: "copying", attrs: { "aria-live": "polite" } });
    onPress(start, importMessages, async () => {
      const bar = h("progress", { attrs: { "aria-label": "Importing", max: String(good.length) } });
      const sofar = h("p", null, `Importing ${count(good.length)}: each gets a one-time password…`);
      fill(progress, sofar, bar);
      // the server tells this administrator how far it has got, over the live stream
      let importing = true;
      screen.live("staff-import", ({ done, total }) => {
        if (!importing) return;
        bar.setAttribute("max", String(total));
        bar.setAttribute("value", String(done));
        sofar.textContent = `Importing: one-time passwords made for ${done} of ${total}…`;
      });
      try {
        const result = await api.post<StaffImported>("/api/users/import", {
          csv: csv ?? "",
          mode: mode(),
        });
        fill(previewPlace);
        lastPreview = null;
        file.value = "";
        const left = result.skipped.length === 0 ? "" : ` ${result.skipped.length} lines left out.`;
        messages.success(`${count(result.added.length)} added from the file.${left}`);
        fill(
          passwordsPlace,
          oneTimePasswords(
            screen,
            `${count(result.added.length)} added from the file.${left}`,
            result.added.map((p) => ({
              name: p.displayName,
              id: p.id,
              password: p.temporaryPassword,
            })),
            () => fill(passwordsPlace),
          ),
        );
        await added();
      } finally {
        importing = false;
        fill(progress);
      }
    });
    fill(
      previewPlace,
      h(
        "div",
        { class: "preview", attrs: { role: "region", "aria-label": "What the file holds" } },
        h(
          "p",
          { attrs: { role: "status" } },
          `${count(good.length)} can be imported. `,
          bad.length === 0
            ? "No line has a problem."
            : `${bad.length} ${bad.length === 1 ? "line has a problem" : "lines have problems"}` +
                (mode() === "all-or-nothing"
                  ? ": put them right and check the file again, or choose to import the good lines."
                  : ": they will be left out."),
        ),
        bad.length > 0 &&
          table(
            "Lines with problems",
            ["Line", "User name", "Name", "What is wrong"],
            bad.map((person) => [
              String(person.line),
              person.id,
              person.displayName,
              h(
                "ul",
                { class: "problems" },
                person.problems.map((p) => h("li", null, sentence(p))),
              ),
            ]),
          ),
        good.length > 0 &&
          table(
            "People to import",
            ["Line", "User name", "Name", "Roles"],
            good.map((person) => [
              String(person.line),
              person.id,
              person.displayName,
              person.roles.map(role).join(", "),
            ]),
          ),
        importMessages.element,
        !blocked && h("div", { class: "actions" }, start),
        progress,
      ),
    );
  }

  // another file needs a fresh check; another choice, a fresh offer
  file.addEventListener("change", () => {
    lastPreview = null;
    fill(previewPlace);
  });
  const again = () => {
    if (lastPreview !== null) showPreview(lastPreview);
  };
  allOrNothing.addEventListener("change", again);
  goodRows.addEventListener("change", again);
  return section("Add many from a CSV file", form);
}

const count = (n: number) => `${n} ${n === 1 ? "person" : "people"}`;

/** The server's words as a sentence. */
function sentence(text: string): string {
  const trimmed = text.trim().replace(/[.;:,]+$/, "");
  return `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}.`;
}
