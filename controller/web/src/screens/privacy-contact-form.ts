/**
 * The policy screen's form for whom pupils, parents and staff ask about
 * recording (usually the data protection officer): the public privacy notice
 * and every door sign name them. Links to the notice as the public sees it.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import type { Policy } from "../types.js";
import { Messages, field, onSubmit, section } from "../ui.js";

export function privacyContactForm(policy: Policy): HTMLElement {
  const messages = new Messages();
  const name = h("input", {
    name: "contact-name",
    value: policy.privacyContact.name,
    maxLength: 100,
    attrs: { autocomplete: "off" },
  });
  const email = h("input", {
    name: "contact-email",
    type: "email",
    value: policy.privacyContact.email,
    maxLength: 200,
    attrs: { autocomplete: "off" },
  });
  const form = h(
    "form",
    { class: "form", noValidate: true },
    h(
      "div",
      { class: "row" },
      field(
        "Whom to ask about recording",
        name,
        "A name or a role, e.g. Ms Ray, data protection officer.",
      ),
      field("Their e-mail address", email),
    ),
    messages.element,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button primary" }, "Save whom to ask"),
    ),
  );
  onSubmit(form, messages, async () => {
    await api.patch<Policy>("/api/policy", {
      privacyContact: { name: name.value.trim(), email: email.value.trim() },
    });
    messages.success("Saved. The privacy notice and door signs name them from now on.");
  });
  return section(
    "Privacy notice",
    h(
      "p",
      null,
      "Everyone can read the school's privacy notice for recording, without signing in, at ",
      h("a", { href: "/privacy", target: "_blank", rel: "noopener" }, "the privacy notice"),
      " (the door signs' QR code leads there). It is written from this policy.",
    ),
    form,
  );
}
