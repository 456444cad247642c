/**
 * Staff, for the administrator: everyone's account — name, user name, roles,
 * status, last sign-in — found by a search; add one person or many from a
 * CSV file (staff-add.ts); change someone's roles; reset a password (a new
 * one-time password, shown once); disable an account (its sessions end at
 * once) and enable it again. Every change is audited by the server.
 *
 * Separation of duties shows here as the server enforces it
 * (domain/role-grants.ts): a role that sees footage is given only by another
 * administrator or the headteacher, so on one's own account those boxes are
 * locked, with the reason beside them; should the server refuse anyway, its
 * words are shown in the dialog.
 */
import { api } from "../api.js";
import { fill, h, uid } from "../dom.js";
import { role, when } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import { COLLEAGUE_ROLES, type Role, type User } from "../types.js";
import {
  Messages,
  badge,
  button,
  confirmDialog,
  field,
  loading,
  onPress,
  section,
  table,
} from "../ui.js";
import { roleMapSection } from "./role-map-form.js";
import { staffReconcileSection } from "./staff-reconcile-form.js";
import { addStaff, oneTimePasswords, roleChoice } from "./staff-add.js";

export const staffScreen: Screen = {
  path: "users",
  title: "Staff",
  menu: "Staff",
  who: ["admin"],
  async render(screen) {
    await new StaffView(screen).start();
  },
};

/** Why the signed-in administrator may not tick this box on their own account (null: they may). */
export function ownRoleLock(code: Role, holds: readonly Role[]): string | null {
  if (code === "admin" && holds.includes("admin")) {
    return "you cannot remove your own administrator role: another administrator can";
  }
  if (COLLEAGUE_ROLES.includes(code) && !holds.includes(code)) {
    return "only another administrator or the headteacher may give you this role";
  }
  return null;
}

class StaffView {
  private readonly messages = new Messages();
  private readonly passwordsPlace = h("div");
  private readonly listPlace = h("div");
  private readonly search = h("input", { type: "search", name: "search", autocomplete: "off" });
  private users: User[] = [];

  constructor(private readonly screen: ScreenContext) {}

  async start(): Promise<void> {
    this.search.addEventListener("input", () => this.draw());
    this.screen.body.append(
      h(
        "p",
        null,
        "Everyone who can sign in to the dashboard. A role that sees footage (teacher, coach, SLT, " +
          "headteacher) is given only by another administrator or the headteacher.",
      ),
      this.messages.element,
      this.passwordsPlace,
      section(
        "Staff",
        h(
          "form",
          {
            class: "toolbar",
            attrs: { role: "search", "aria-label": "Find staff" },
            on: { submit: (event) => event.preventDefault() },
          },
          field("Name, user name or role", this.search),
        ),
        this.listPlace,
      ),
      ...addStaff(this.screen, this.passwordsPlace, () => this.load()),
      staffReconcileSection(() => this.load()),
      roleMapSection(this.screen.person?.id ?? ""),
    );
    fill(this.listPlace, loading("Loading staff…"));
    await this.load();
  }

  private async load(): Promise<void> {
    try {
      this.users = await api.get<User[]>("/api/users");
      this.draw();
    } catch (error) {
      this.messages.error(error);
    }
  }

  private draw(): void {
    const words = this.search.value.trim().toLowerCase();
    const matching = this.users.filter(
      (user) =>
        words === "" ||
        [user.displayName, user.id, ...user.roles, ...user.roles.map(role), user.status].some(
          (text) => text.toLowerCase().includes(words),
        ),
    );
    if (matching.length === 0) {
      fill(this.listPlace, h("p", { class: "empty" }, "Nobody matches."));
      return;
    }
    const rowMessages = new Messages();
    fill(
      this.listPlace,
      rowMessages.element,
      h(
        "p",
        { class: "hint", attrs: { role: "status" } },
        `${matching.length} of ${this.users.length} ${this.users.length === 1 ? "account" : "accounts"}`,
      ),
      table(
        "Staff accounts",
        ["Name", "User name", "Roles", "Status", "Last sign-in", ""],
        matching.map((user) => [
          h(
            "span",
            null,
            user.displayName,
            user.id === this.screen.person?.id && [" ", badge("You")],
          ),
          user.id,
          user.roles.length === 0 ? "None" : user.roles.map(role).join(", "),
          h(
            "span",
            null,
            user.status === "active" ? badge("Active", "good") : badge("Disabled", "warning"),
            user.status === "active" &&
              user.mustChangePassword &&
              h("span", { class: "hint" }, " One-time password not yet changed"),
          ),
          user.lastSignInAt === null ? "Never" : when(user.lastSignInAt),
          this.actions(user, rowMessages),
        ]),
      ),
    );
  }

  private actions(user: User, messages: Messages): HTMLElement {
    const self = user.id === this.screen.person?.id;
    const who = `${user.displayName} (${user.id})`;
    const roles = button("Change roles", { attrs: { "aria-label": `Change roles of ${who}` } });
    roles.addEventListener("click", () => {
      void this.changeRoles(user, self);
    });
    const reset = button("Reset password", {
      attrs: { "aria-label": `Reset password of ${who}` },
    });
    onPress(reset, messages, async () => {
      const yes = await confirmDialog(
        `Reset the password of ${who}?`,
        "They get a new one-time password, shown to you once, and must choose their own when they " +
          "sign in with it. Their old password stops working and they are signed out at once.",
        "Reset the password",
      );
      if (!yes) return;
      const answer = await api.post<{ temporaryPassword: string }>(
        `/api/users/${encodeURIComponent(user.id)}/password-reset`,
      );
      fill(
        this.passwordsPlace,
        oneTimePasswords(
          this.screen,
          `The password of ${who} is reset.`,
          [{ name: user.displayName, id: user.id, password: answer.temporaryPassword }],
          () => fill(this.passwordsPlace),
        ),
      );
      await this.load();
    });
    const status = button(user.status === "active" ? "Disable" : "Enable", {
      attrs: {
        "aria-label": `${user.status === "active" ? "Disable" : "Enable"} the account of ${who}`,
      },
    });
    onPress(status, messages, async () => {
      if (user.status === "active") {
        const yes = await confirmDialog(
          `Disable the account of ${who}?`,
          "They are signed out at once, everywhere, and cannot sign in until the account is " +
            "enabled again. Their recordings, bookings and comments stay.",
          "Disable the account",
        );
        if (!yes) return;
      }
      const next = user.status === "active" ? "disabled" : "active";
      await api.patch<User>(`/api/users/${encodeURIComponent(user.id)}`, { status: next });
      this.messages.success(
        next === "disabled"
          ? `The account of ${who} is disabled: they are signed out.`
          : `The account of ${who} is enabled: they can sign in again.`,
      );
      await this.load();
    });
    return h(
      "div",
      { class: "actions tight" },
      roles,
      self
        ? h(
            "span",
            { class: "hint" },
            "Your own password: under Change password. Your own account cannot be disabled.",
          )
        : [reset, status],
    );
  }

  /** A dialog to choose the roles; the server's refusal, if any, is shown in it. */
  private changeRoles(user: User, self: boolean): Promise<void> {
    return new Promise((resolve) => {
      const titleId = uid("dialog");
      const dialog = h("dialog", { class: "dialog", attrs: { "aria-labelledby": titleId } });
      const messages = new Messages();
      const choice = roleChoice("Roles", user.roles, (code) =>
        self ? ownRoleLock(code, user.roles) : null,
      );
      const finish = () => {
        dialog.close();
        dialog.remove();
        resolve();
      };
      const form = h(
        "form",
        { noValidate: true },
        h("h2", { id: titleId }, `Roles of ${user.displayName} (${user.id})`),
        h(
          "p",
          null,
          self
            ? "These are your own roles. A role that sees footage can only be given to you by " +
                "another administrator or the headteacher."
            : "Changing the roles signs them out, so their next page shows what the new roles allow.",
        ),
        choice.element,
        messages.element,
        h(
          "div",
          { class: "actions" },
          h("button", { type: "submit", class: "button primary" }, "Save the roles"),
          button("Cancel", { on: { click: finish } }),
        ),
      );
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        void (async () => {
          messages.clear();
          try {
            const roles = choice.chosen();
            await api.patch<User>(`/api/users/${encodeURIComponent(user.id)}`, { roles });
            finish();
            this.messages.success(
              `The roles of ${user.displayName} are now: ${roles.map(role).join(", ") || "none"}.`,
            );
            await this.load();
          } catch (error) {
            messages.error(error);
          }
        })();
      });
      dialog.addEventListener("cancel", (event) => {
        event.preventDefault();
        finish();
      });
      dialog.append(form);
      document.body.append(dialog);
      dialog.showModal();
      form.querySelector<HTMLInputElement>("input:not([disabled])")?.focus();
    });
  }
}
