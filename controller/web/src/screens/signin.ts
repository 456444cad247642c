/** Sign in with a user name and password. */
import { api } from "../api.js";
import { h } from "../dom.js";
import type { Screen } from "../screen.js";
import type { Session } from "../types.js";
import { Messages, field, onSubmit } from "../ui.js";

export const signIn: Screen = {
  path: "signin",
  title: "Sign in",
  who: "public",
  render(screen) {
    const id = h("input", {
      name: "username",
      autocomplete: "username",
      required: true,
      maxLength: 64,
      attrs: { autocapitalize: "none", spellcheck: "false" },
    });
    const password = h("input", {
      type: "password",
      name: "password",
      autocomplete: "current-password",
      required: true,
      maxLength: 256,
    });
    const messages = new Messages();
    const form = h(
      "form",
      { class: "form narrow", noValidate: true },
      h("p", null, "Sign in with the user name and password the school gave you."),
      field("User name", id),
      field("Password", password),
      messages.element,
      h("button", { type: "submit", class: "button primary" }, "Sign in"),
    );
    onSubmit(form, messages, async () => {
      if (id.value.trim() === "" || password.value === "") {
        messages.problem("Please enter your user name and your password.");
        (id.value.trim() === "" ? id : password).focus();
        return;
      }
      const session = await api.post<Session>("/api/session", {
        id: id.value.trim(),
        password: password.value,
      });
      await screen.signedIn(session);
    });
    screen.body.append(form);
    id.focus();
  },
};
