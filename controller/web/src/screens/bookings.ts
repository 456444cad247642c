/**
 * My bookings: the slots booked for me to record in, from today on, with a
 * way to cancel one that has not started, and a link to book another.
 */
import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { purpose, span } from "../format.js";
import type { Screen } from "../screen.js";
import type { Booking, Device, StaffMember } from "../types.js";
import { Messages, badge, button, loading, onPress, reasonDialog, table } from "../ui.js";

const DAY_MS = 86_400_000;

export const myBookings: Screen = {
  path: "bookings",
  title: "My bookings",
  menu: "My bookings",
  who: ["teacher"],
  async render(screen) {
    const me = screen.person;
    if (me === null) return;
    const messages = new Messages();
    const list = h("div", { class: "bookings" });
    screen.body.append(
      h("p", null, h("a", { class: "button primary", href: "#/bookings/new" }, "Book a slot")),
      messages.element,
      list,
    );
    fill(list, loading("Loading your bookings…"));
    const [devices, staff] = await Promise.all([
      api.get<Device[]>("/api/devices"),
      api.get<StaffMember[]>("/api/staff"),
    ]);
    const room = (id: string) => devices.find((d) => d.id === id)?.room ?? id;
    const name = (id: string) => staff.find((s) => s.id === id)?.displayName ?? id;

    const reload = async () => {
      const now = Date.now();
      const bookings = await api.get<Booking[]>(
        `/api/bookings${query({
          from: new Date(now - DAY_MS).toISOString(),
          to: new Date(now + 60 * DAY_MS).toISOString(),
          teacherId: me.id,
        })}`,
      );
      const current = bookings
        .filter((b) => Date.parse(b.end) > now)
        .sort((a, b) => a.start.localeCompare(b.start));
      if (current.length === 0) {
        fill(list, h("p", { class: "empty" }, "You have no bookings coming up."));
        return;
      }
      fill(
        list,
        table(
          "My bookings, soonest first",
          ["When", "Room", "Purpose", "Staff in it", "Sound", "Status", ""],
          current.map((booking) => {
            const started = Date.parse(booking.start) <= now;
            let cancel: HTMLButtonElement | null = null;
            if (!started && booking.status !== "cancelled") {
              cancel = button("Cancel", {
                attrs: {
                  "aria-label": `Cancel the booking of ${span(booking.start, booking.end)}`,
                },
              });
              onPress(cancel, messages, async () => {
                const reason = await reasonDialog(
                  "Cancel this booking?",
                  `${span(booking.start, booking.end)} in ${room(booking.deviceId)}.`,
                  "Why is it cancelled?",
                  "Cancel the booking",
                );
                if (reason === null) return;
                await api.post(`/api/bookings/${booking.bookingId}/cancel`, { reason });
                screen.announce("The booking is cancelled.");
                await reload();
              });
            }
            return [
              span(booking.start, booking.end),
              room(booking.deviceId),
              purpose(booking.purpose),
              booking.staff.map(name).join(", "),
              booking.audio ? "Picture and sound" : "Picture only",
              booking.status === "cancelled"
                ? badge("Cancelled", "warning")
                : booking.status === "draft"
                  ? badge("Draft — not confirmed", "warning")
                  : started
                    ? badge("Now", "good")
                    : "Booked",
              cancel,
            ];
          }),
        ),
      );
    };
    const refresh = () => {
      reload().catch((error: unknown) => {
        messages.error(error);
      });
    };
    screen.live("bookings", refresh);
    screen.live("resync", refresh);
    await reload();
  },
};
