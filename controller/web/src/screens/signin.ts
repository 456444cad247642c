/**
 * Sign in: with the school's identity provider when the controller has one
 * (GET /api/setup's `provider`), and with a user name and password. Sent back
 * here with `?problem=<reason>` when the provider's sign-in was refused, the
 * screen says why in the server's words for that reason (oidc-words.ts).
 */
import { asRefusal, refusalWords } from "../../../src/domain/oidc-words.js";
import { api } from "../api.js";
import { h } from "../dom.js";
import type { Screen } from "../screen.js";
import type { Session } from "../types.js";
import { Messages, field, onSubmit } from "../ui.js";

interface Provider {
  name: string;
  start: string;
  signOut: string | null;
  localSignIn: "everyone" | "break-glass";
}

export const signIn: Screen = {
  path: "signin",
  title: "Sign in",
  who: "public",
  async render(screen) {
    const { provider } = await api.get<{ provider: Provider | null }>("/api/setup");
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
    const passwordsFor =
      provider === null
        ? "Sign in with the user name and password the school gave you."
        : provider.localSignIn === "break-glass"
          ? `Administrators only, for when ${provider.name} is down: your user name and password.`
          : "Or sign in with the user name and password the school gave you.";
    const form = h(
      "form",
      { class: "form narrow", noValidate: true },
      h("p", null, passwordsFor),
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
    if (provider !== null) {
      const problem = asRefusal(screen.query.problem ?? "");
      const refused = new Messages();
      if (problem !== null) refused.problem(refusalWords(problem, provider.name));
      else if (screen.query.problem !== undefined) {
        refused.problem(`Signing in with ${provider.name} did not work. Please try again.`);
      }
      const start = h(
        "a",
        { class: "button primary", href: provider.start, attrs: { "data-provider": "" } },
        `Sign in with ${provider.name}`,
      );
      screen.body.append(
        h(
          "div",
          { class: "form narrow" },
          refused.element,
          h("p", null, start),
          provider.signOut !== null &&
            h(
              "p",
              null,
              "Signed out of classcam on a shared computer? ",
              h("a", { href: provider.signOut }, `Sign out of ${provider.name} too`),
              ".",
            ),
        ),
      );
      start.focus();
    }
    screen.body.append(form);
    if (provider === null) id.focus();
  },
};
