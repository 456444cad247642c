/**
 * "Flag a concern" on a recording's screen: a few words about what the
 * recording shows that worries you, sent to the school's concern leads.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import type { Concern } from "../types-notifications.js";
import { Messages, button, field, onSubmit, section } from "../ui.js";

export function concernFlag(recordingId: string): HTMLElement {
  const messages = new Messages();
  const text = h("textarea", { name: "concern", rows: 3, required: true, maxLength: 2000 });
  const form = h(
    "form",
    { class: "form", hidden: true },
    field(
      "What is the concern?",
      text,
      "At least 10 characters. The school's concern leads read it and answer you here.",
    ),
    h("div", { class: "actions" }, button("Send the concern", { type: "submit" }, "primary")),
  );
  const open = button("Flag a concern", {}, "secondary");
  open.setAttribute("aria-expanded", "false");
  open.addEventListener("click", () => {
    form.hidden = !form.hidden;
    open.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) text.focus();
  });
  onSubmit(form, messages, async () => {
    const concern = await api.post<Concern>(`/api/recordings/${recordingId}/concerns`, {
      text: text.value,
    });
    text.value = "";
    form.hidden = true;
    open.setAttribute("aria-expanded", "false");
    messages.element.replaceChildren(
      h(
        "p",
        { class: "message success", attrs: { role: "status" } },
        "Your concern has gone to the school's concern leads. ",
        h("a", { href: `#/concerns/${concern.concernId}` }, "Follow it"),
        ".",
      ),
    );
  });
  return section(
    "Flag a concern",
    h(
      "p",
      null,
      "If something in this recording worries you (who or what it shows), tell the school's concern leads.",
    ),
    open,
    form,
    messages.element,
  );
}
