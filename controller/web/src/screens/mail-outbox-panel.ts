/**
 * For IT (and administrators) on the fleet screen: e-mail waiting for the
 * school's SMTP relay — how many, how many have failed, the relay's last
 * refusal and when it is tried again. Nothing is lost while the relay is
 * down: each message goes once it takes it.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { when } from "../format.js";
import type { OutboxStatus } from "../types-notifications.js";
import { Messages, badge, button, onPress, section } from "../ui.js";

export function mailOutboxPanel(): HTMLElement {
  const messages = new Messages();
  const body = h("div", { class: "mail-outbox" });
  const again = button("Check again", {}, "secondary");
  const load = async () => {
    const status = await api.get<OutboxStatus>("/api/mail/outbox");
    if (!status.configured) {
      fill(
        body,
        h(
          "p",
          null,
          "E-mail is not set up: notifications stay in the dashboard. Set the mail relay in the " +
            "controller's config (mail: host, port, security, from) to send them by e-mail too.",
        ),
      );
      return;
    }
    fill(
      body,
      status.failing > 0
        ? badge("The mail relay is refusing or unreachable", "warning")
        : badge("E-mail is going out", "good"),
      h(
        "ul",
        null,
        h("li", null, `Waiting to be sent: ${status.waiting}`),
        h("li", null, `Of those, failed at least once: ${status.failing}`),
        h("li", null, `Sent in the last day: ${status.sentLastDay}`),
        status.oldestWaitingAt === null
          ? null
          : h("li", null, `Oldest waiting since ${when(status.oldestWaitingAt)}`),
        status.nextAttemptAt === null
          ? null
          : h("li", null, `Next try ${when(status.nextAttemptAt)}`),
        status.lastError === null
          ? null
          : h("li", null, `The relay's last error: ${status.lastError}`),
      ),
    );
  };
  onPress(again, messages, load);
  load().catch((error: unknown) => {
    messages.error(error);
  });
  return section("E-mail to staff", messages.element, body, again);
}
