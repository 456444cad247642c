/**
 * First-run set-up: the controller has no accounts yet. Whoever holds the
 * one-time set-up code (printed by the controller when it starts) creates the
 * first administrator, and is signed in as them.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import type { Screen } from "../screen.js";
import type { Role, Session } from "../types.js";
import { Messages, checkbox, field, onSubmit } from "../ui.js";

export const setUp: Screen = {
  path: "setup",
  title: "Set up classcam",
  who: "public",
  render(screen) {
    const token = h("input", { required: true, autocomplete: "off", maxLength: 200 });
    const id = h("input", {
      required: true,
      autocomplete: "username",
      maxLength: 64,
      attrs: { autocapitalize: "none", spellcheck: "false" },
    });
    const name = h("input", { required: true, autocomplete: "name", maxLength: 100 });
    const password = h("input", {
      type: "password",
      required: true,
      autocomplete: "new-password",
      minLength: 12,
      maxLength: 256,
    });
    const again = h("input", {
      type: "password",
      required: true,
      autocomplete: "new-password",
      maxLength: 256,
    });
    const alsoDpo = checkbox("This person is also the data protection officer (DPO)");
    const messages = new Messages();
    const form = h(
      "form",
      { class: "form narrow", noValidate: true },
      h(
        "p",
        null,
        "classcam has no accounts yet. Create the first administrator: they add everyone else. " +
          "The set-up code was printed by the school server when it started.",
      ),
      field("Set-up code", token),
      field("User name", id, "Letters, digits, dots and dashes, e.g. j.smith"),
      field("Full name", name, "As colleagues will see it, e.g. Ms J Smith"),
      field("Password", password, "At least 12 characters"),
      field("Password again", again),
      alsoDpo,
      messages.element,
      h("button", { type: "submit", class: "button primary" }, "Create the administrator"),
    );
    onSubmit(form, messages, async () => {
      if (password.value !== again.value) {
        messages.problem("The two passwords are not the same. Please type them again.");
        again.focus();
        return;
      }
      const missing = [token, id, name, password].find((input) => input.value.trim() === "");
      if (missing) {
        messages.problem("Please fill in every field.");
        missing.focus();
        return;
      }
      const dpo = alsoDpo.querySelector("input")?.checked === true;
      const roles: Role[] = dpo ? ["admin", "dpo"] : ["admin"];
      await api.post("/api/setup", {
        token: token.value.trim(),
        id: id.value.trim(),
        displayName: name.value.trim(),
        password: password.value,
        roles,
      });
      const session = await api.post<Session>("/api/session", {
        id: id.value.trim(),
        password: password.value,
      });
      screen.announce("The administrator account was created.");
      await screen.signedIn(session);
    });
    screen.body.append(form);
    token.focus();
  },
};
