/**
 * Pieces every screen uses: labelled form fields, buttons that show they are
 * busy, messages (errors in plain words, with `role="alert"`), a confirm
 * dialog, and the status shown for a recording.
 */
import { h, uid, type Child, type Props } from "./dom.js";
import { reasonProblem } from "../../src/domain/form-limits.js";
import { problemInWords, refusedInWords } from "./errors.js";

/** A labelled control with an optional hint (linked by aria-describedby). */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLDivElement {
  control.id ||= uid("field");
  const hintId = hint === undefined ? null : `${control.id}-hint`;
  if (hintId !== null) control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { htmlFor: control.id }, label),
    hintId !== null && h("p", { class: "hint", id: hintId }, hint),
    control,
  );
}

/** A checkbox with its label beside it. */
export function checkbox(label: string, props: Props<"input"> = {}): HTMLLabelElement {
  return h("label", { class: "check" }, h("input", { ...props, type: "checkbox" }), " ", label);
}

/** A place for a form's or section's messages: errors are read out at once. */
export class Messages {
  readonly element = h("div", { class: "messages" });

  error(error: unknown): void {
    this.show("error", problemInWords(error), "alert");
  }

  problem(text: string): void {
    this.show("error", text, "alert");
  }

  success(text: string): void {
    this.show("success", text, "status");
  }

  clear(): void {
    this.element.replaceChildren();
  }

  private show(kind: "error" | "success", text: string, role: "alert" | "status"): void {
    this.element.replaceChildren(h("p", { class: `message ${kind}`, attrs: { role } }, text));
  }
}

/**
 * Runs `work` when `button` is pressed: the button is disabled and says it
 * is busy meanwhile; an error goes to `messages` in plain words.
 */
export function onPress(
  button: HTMLButtonElement,
  messages: Messages | null,
  work: () => Promise<void>,
): void {
  button.addEventListener("click", () => {
    void run(button, messages, work);
  });
}

async function run(
  button: HTMLButtonElement,
  messages: Messages | null,
  work: () => Promise<void>,
): Promise<void> {
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  button.classList.add("busy");
  messages?.clear();
  try {
    await work();
  } catch (error) {
    if (messages) messages.error(error);
    else console.error(error);
  } finally {
    button.removeAttribute("aria-disabled");
    button.classList.remove("busy");
  }
}

/** A form whose submit runs `work` (with the submit button busy, errors shown). */
export function onSubmit(
  form: HTMLFormElement,
  messages: Messages,
  work: () => Promise<void>,
): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
    if (button) void run(button, messages, work);
    else void run(h("button"), messages, work);
  });
}

export function button(
  label: Child,
  props: Props<"button"> = {},
  kind: "primary" | "secondary" | "danger" | "link" = "secondary",
): HTMLButtonElement {
  return h("button", { type: "button", class: `button ${kind}`, ...props }, label);
}

/** A section with its own heading (`h2`), labelled by it. */
export function section(title: string, ...children: Child[]): HTMLElement {
  const id = uid("section");
  return h(
    "section",
    { class: "panel", attrs: { "aria-labelledby": id } },
    h("h2", { id }, title),
    ...children,
  );
}

/** A line saying something is loading, for screen readers too. */
export function loading(what = "Loading…"): HTMLParagraphElement {
  return h("p", { class: "loading", attrs: { role: "status" } }, what);
}

/** A short highlighted word: "On hold". */
export function badge(text: string, kind: "info" | "warning" | "good" = "info"): HTMLSpanElement {
  return h("span", { class: `badge ${kind}` }, text);
}

/**
 * Asks a yes/no question in a modal dialog (keyboard: Escape says no).
 * Resolves true when confirmed.
 */
export function confirmDialog(
  question: string,
  explanation: string,
  yes: string,
  no = "Cancel",
): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = uid("dialog");
    const textId = uid("dialog-text");
    const dialog = h("dialog", {
      class: "dialog",
      attrs: { "aria-labelledby": titleId, "aria-describedby": textId },
    });
    const finish = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const confirm = button(yes, { on: { click: () => finish(true) } }, "danger");
    const cancel = button(no, { on: { click: () => finish(false) } }, "secondary");
    dialog.append(
      h("h2", { id: titleId }, question),
      h("p", { id: textId }, explanation),
      h("div", { class: "actions" }, confirm, cancel),
    );
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A table with a caption, column headings ("" for a column of buttons) and rows. */
export function table(caption: string, headings: readonly string[], rows: readonly Child[][]) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("caption", { class: "visually-hidden" }, caption),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          headings.map((text) =>
            // a column of buttons has no visible heading, but says what it is
            h(
              "th",
              { scope: "col" },
              text === "" ? h("span", { class: "visually-hidden" }, "Actions") : text,
            ),
          ),
        ),
      ),
      h(
        "tbody",
        null,
        rows.map((cells) =>
          h(
            "tr",
            null,
            cells.map((cell) => h("td", null, cell)),
          ),
        ),
      ),
    ),
  );
}

/**
 * Asks for a written reason in a modal dialog. Resolves the reason, or null
 * when cancelled (Escape, or the cancel button).
 */
export function reasonDialog(
  question: string,
  explanation: string,
  label: string,
  yes: string,
  /** The shortest reason the server takes (form-limits.ts): a shorter one keeps the dialog open. */
  min = 1,
): Promise<string | null> {
  return new Promise((resolve) => {
    const titleId = uid("dialog");
    const dialog = h("dialog", { class: "dialog", attrs: { "aria-labelledby": titleId } });
    // no maxLength: a reason over the limit is refused in words, never cut short
    const reason = h("textarea", { required: true, rows: 3 });
    const messages = new Messages();
    const finish = (answer: string | null) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const form = h(
      "form",
      { noValidate: true },
      h("h2", { id: titleId }, question),
      h("p", null, explanation),
      field(label, reason),
      messages.element,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "button danger" }, yes),
        button("Cancel", { on: { click: () => finish(null) } }),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (reason.value.trim() === "") {
        messages.problem("Please give a reason.");
        reason.focus();
        return;
      }
      const problem = reasonProblem(reason.value, min);
      if (problem !== null) {
        // the dialog stays open with what was written, and says what the server would
        messages.problem(refusedInWords(problem));
        reason.focus();
        return;
      }
      finish(reason.value.trim());
    });
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}
