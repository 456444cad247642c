/**
 * The count of my unread notifications in the header, on every screen: a
 * link to the list, kept up to date by the live `notifications` notices (one
 * arrived, or I read some in another tab) and refetched after a break.
 */
import { api } from "./api.js";
import { h } from "./dom.js";
import type { LiveNotices } from "./live.js";

export class NotificationBell {
  readonly element = h("a", { class: "notification-bell", href: "#/notifications" });
  private unread = 0;
  private readonly stops: (() => void)[] = [];

  constructor(private readonly live: LiveNotices) {
    this.show();
  }

  start(): void {
    const refresh = () => {
      this.refresh().catch((error: unknown) => {
        console.error("counting unread notifications failed", error);
      });
    };
    this.stops.push(this.live.on("notifications", refresh), this.live.on("resync", refresh));
    refresh();
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  async refresh(): Promise<void> {
    this.unread = (await api.get<{ unread: number }>("/api/notifications/unread")).unread;
    this.show();
  }

  private show(): void {
    const words =
      this.unread === 0
        ? "no unread notifications"
        : `${this.unread} unread notification${this.unread === 1 ? "" : "s"}`;
    this.element.dataset.unread = String(this.unread);
    // the count is seen as a number and heard as words
    this.element.replaceChildren(
      "Notifications",
      h("span", { class: "visually-hidden" }, `, ${words}`),
    );
    if (this.unread > 0)
      this.element.append(
        h("span", { class: "count", attrs: { "aria-hidden": "true" } }, String(this.unread)),
      );
  }
}
