/**
 * My notifications: what needs me, newest first, each a link to where it is
 * (a recording, the consents I am asked for, a concern). Opening one marks
 * it read; "Mark all read" clears the count in the header. New ones arrive
 * live. Which of them also come by e-mail is chosen on the next screen.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { when } from "../format.js";
import type { Screen } from "../screen.js";
import { KIND_WORDS, type NotificationPage } from "../types-notifications.js";
import { Messages, button, loading, onPress } from "../ui.js";

export const notificationsScreen: Screen = {
  path: "notifications",
  title: "Notifications",
  who: "anyone",
  async render(screen) {
    const messages = new Messages();
    const summary = h("p", { attrs: { role: "status" } });
    const list = h("div", { class: "notifications" });
    const allRead = button("Mark all read", {}, "secondary");
    screen.body.append(
      h(
        "p",
        null,
        "What needs you: shares, consents you are asked for, investigations on your footage, " +
          "coaching and concerns. ",
        h("a", { href: "#/notifications/settings" }, "Choose what also reaches you by e-mail"),
        ". Concerns you flagged, or answer as a lead, are under ",
        h("a", { href: "#/concerns" }, "Concerns"),
        ".",
      ),
      h("div", { class: "actions" }, allRead),
      messages.element,
      summary,
      list,
    );
    fill(list, loading("Loading your notifications…"));

    const reload = async () => {
      const page = await api.get<NotificationPage>("/api/notifications?limit=100");
      summary.textContent =
        page.unread === 0
          ? "You have no unread notifications."
          : `You have ${page.unread} unread notification${page.unread === 1 ? "" : "s"}.`;
      allRead.hidden = page.unread === 0;
      if (page.notifications.length === 0) {
        fill(
          list,
          h("p", { class: "empty" }, "Nothing yet: when something needs you, it is here."),
        );
        return;
      }
      fill(
        list,
        h(
          "ul",
          { class: "cards" },
          page.notifications.map((notification) => {
            const unread = notification.readAt === null;
            const open = h("a", { href: `#/${notification.link}` }, notification.subject);
            open.addEventListener("click", () => {
              if (!unread) return;
              // marked read on the way; the list and the count follow the live notice
              api
                .post(`/api/notifications/${notification.notificationId}/read`)
                .catch((error: unknown) => {
                  console.error("marking a notification read failed", error);
                });
            });
            const markRead = button("Mark read", {}, "link");
            markRead.setAttribute("aria-label", `Mark read: ${notification.subject}`);
            onPress(markRead, messages, async () => {
              await api.post(`/api/notifications/${notification.notificationId}/read`);
              await reload();
            });
            return h(
              "li",
              { class: unread ? "card notification unread" : "card notification" },
              h("p", { class: "notification-subject" }, unread ? h("strong", null, open) : open),
              h(
                "p",
                { class: "hint" },
                `${KIND_WORDS[notification.kind]} · ${when(notification.createdAt)}` +
                  (unread ? " · unread" : ""),
              ),
              unread ? markRead : null,
            );
          }),
        ),
      );
    };
    onPress(allRead, messages, async () => {
      const { marked } = await api.post<{ marked: number }>("/api/notifications/read-all");
      messages.success(
        marked === 0
          ? "Nothing was unread."
          : `Marked ${marked} notification${marked === 1 ? "" : "s"} read.`,
      );
      screen.announce("All notifications marked read");
      await reload();
    });
    const refresh = () => {
      reload().catch((error: unknown) => {
        messages.error(error);
      });
    };
    screen.live("notifications", refresh);
    screen.live("resync", refresh);
    await reload();
  },
};
