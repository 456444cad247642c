/**
 * Change my password. Someone signed in with a one-time password is sent here
 * first, and can do nothing else until they have chosen their own.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import type { Screen } from "../screen.js";
import type { Session } from "../types.js";
import { Messages, field, onSubmit } from "../ui.js";

export const changePassword: Screen = {
  path: "password",
  title: "Change password",
  who: "anyone",
  render(screen) {
    const oneTime = screen.session?.user.mustChangePassword === true;
    const current = h("input", {
      type: "password",
      required: true,
      autocomplete: "current-password",
      maxLength: 256,
    });
    const next = h("input", {
      type: "password",
      required: true,
      autocomplete: "new-password",
      maxLength: 256,
    });
    const again = h("input", {
      type: "password",
      required: true,
      autocomplete: "new-password",
      maxLength: 256,
    });
    const messages = new Messages();
    const form = h(
      "form",
      { class: "form narrow", noValidate: true },
      h(
        "p",
        null,
        oneTime
          ? "You signed in with a one-time password. Choose your own password to carry on."
          : "Your other sessions (on other computers or tablets) will be signed out.",
      ),
      field(oneTime ? "One-time password" : "Current password", current),
      field("New password", next, "At least 12 characters; a few words you will remember is good"),
      field("New password again", again),
      messages.element,
      h("button", { type: "submit", class: "button primary" }, "Change password"),
    );
    onSubmit(form, messages, async () => {
      if (next.value !== again.value) {
        messages.problem("The two new passwords are not the same. Please type them again.");
        again.focus();
        return;
      }
      if (current.value === "" || next.value === "") {
        messages.problem("Please fill in every field.");
        return;
      }
      await api.post("/api/session/password", { current: current.value, next: next.value });
      const session = await api.get<Session>("/api/session");
      form.reset();
      if (oneTime) {
        // the next screen does not say it: read it out
        screen.announce("Your password has been changed.");
        await screen.signedIn(session);
      } else {
        messages.success("Your password has been changed.");
      }
    });
    screen.body.append(form);
    current.focus();
  },
};
