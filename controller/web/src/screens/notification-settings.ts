/**
 * What reaches me by e-mail: each kind of notification ticked or not, and
 * the address it goes to (my own, or the one my school sign-in gives). An
 * e-mail says only who did what and links here: never footage, a pupil's
 * name or what a comment says.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import type { Screen } from "../screen.js";
import { KIND_WORDS, type EmailSettings, type NotificationKind } from "../types-notifications.js";
import { Messages, button, checkbox, field, loading, onSubmit } from "../ui.js";

export const notificationSettings: Screen = {
  path: "notifications/settings",
  title: "E-mail notifications",
  who: "anyone",
  async render(screen) {
    const messages = new Messages();
    const area = h("div");
    screen.body.append(
      h(
        "p",
        null,
        "Everything that needs you is listed under Notifications. Tick what should also reach " +
          "you by e-mail. An e-mail says only who did what, with a link here: never footage, " +
          "a pupil's name or what a comment says.",
      ),
      messages.element,
      area,
    );
    fill(area, loading("Loading your choices…"));
    const settings = await api.get<EmailSettings>("/api/notifications/settings");
    const address = h("input", {
      type: "email",
      name: "address",
      autocomplete: "email",
      value: settings.ownAddress ?? "",
    });
    const kinds = (Object.keys(KIND_WORDS) as NotificationKind[]).map((kind) => ({
      kind,
      box: checkbox(KIND_WORDS[kind], {
        name: "kind",
        value: kind,
        checked: settings.kinds.includes(kind),
      }),
    }));
    const form = h(
      "form",
      { class: "form" },
      field(
        "My e-mail address",
        address,
        settings.signInAddress === null
          ? "Where e-mail goes. Leave it empty to receive no e-mail."
          : `Leave it empty to use the address your school sign-in gives (${settings.signInAddress}).`,
      ),
      h(
        "fieldset",
        null,
        h("legend", null, "Send me an e-mail when"),
        kinds.map(({ box }) => h("div", null, box)),
      ),
      h("div", { class: "actions" }, button("Save my choices", { type: "submit" }, "primary")),
    );
    fill(
      area,
      settings.emailConfigured
        ? null
        : h(
            "p",
            { class: "message warning" },
            "The school's server does not send e-mail yet (IT sets up the mail relay): " +
              "your choices are kept for when it does.",
          ),
      form,
    );
    onSubmit(form, messages, async () => {
      const chosen = kinds
        .filter(({ box }) => box.querySelector("input")?.checked === true)
        .map(({ kind }) => kind);
      const saved = await api.put<EmailSettings>("/api/notifications/settings", {
        ownAddress: address.value.trim() === "" ? null : address.value.trim(),
        kinds: chosen,
      });
      messages.success(
        saved.address === null
          ? "Saved. No e-mail address is known for you, so nothing is e-mailed."
          : `Saved. ${saved.kinds.length} kind${saved.kinds.length === 1 ? "" : "s"} of notification go to ${saved.address}.`,
      );
    });
  },
};
