/**
 * Book a slot to record in: the teacher's own booking form (`booking-form.ts`)
 * with the rooms to choose from, starting at the next five-minute mark. Once
 * booked, it goes back to "My bookings", which says what was booked.
 */
import { h } from "../dom.js";
import type { Screen } from "../screen.js";
import { bookingForm, loadForBooking } from "./booking-form.js";

export const bookSlot: Screen = {
  path: "bookings/new",
  title: "Book a slot",
  who: ["teacher"],
  async render(screen) {
    const data = await loadForBooking(screen);
    if (data === null) return;
    // the next five-minute mark at least a minute away; the form makes it a 50-minute lesson
    const start = new Date(Math.ceil((Date.now() + 60_000) / 300_000) * 300_000);
    const form = bookingForm({
      ...data,
      chooseRoom: true,
      forAnyTeacher: false,
      booking: null,
      slot: { start, end: new Date(start.getTime() + 50 * 60_000) },
      drafts: false,
      actions: () =>
        h("a", { class: "button secondary", href: "#/bookings" }, "Back to my bookings"),
      // "My bookings" shows the words in its status line
      saved: (_booking, words) => {
        screen.navigate("bookings", words);
      },
    });
    screen.body.append(form);
  },
};
