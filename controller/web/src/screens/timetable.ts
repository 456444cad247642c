/**
 * The timetable: a week of one room at a time, each day a column from
 * morning to evening showing its bookings and the free time between them.
 * A free slot is a button that books it; a booking is a button that shows
 * it, and — for its teacher, whoever made it, the Bursar, SLT and the
 * headteacher — changes or cancels it (with a reason). A booking states its
 * purpose, the staff in the lesson, sound on or off, and, when its class has
 * pupils on the "do not record" list, how they are protected.
 */
import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { day, mitigation, purpose, span, time } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { Booking, Device, Policy, Role, StaffMember } from "../types.js";
import { Messages, badge, button, field, onPress, reasonDialog } from "../ui.js";
import { bookingForm, loadForBooking } from "./booking-form.js";
import { timetableImport } from "./timetable-import.js";
import { localDate, mondayOf, namer } from "./school-parts.js";

const MINUTE = 60_000;
const DAY_MS = 86_400_000;
/** The school day the grid shows (minutes after midnight); bookings outside it widen it. */
const DAY_START = 8 * 60;
const DAY_END = 18 * 60;
/** Free time shorter than this is not offered. */
const SHORTEST_FREE = 10;
/** Pixels per minute in the grid. */
const SCALE = 1;

const TIMETABLERS: readonly Role[] = ["bursar", "slt", "headteacher"];

interface Slot {
  start: Date;
  end: Date;
}

const minutesOf = (d: Date) => d.getHours() * 60 + d.getMinutes();
const atMinute = (dayStart: Date, minutes: number) => {
  const d = new Date(dayStart);
  d.setHours(0, minutes, 0, 0);
  return d;
};

/** The free stretches of `day` between `bookings`, from now on, at least SHORTEST_FREE long. */
export function freeTime(
  dayStart: Date,
  bookings: readonly Booking[],
  now: number,
  from = DAY_START,
  to = DAY_END,
): Slot[] {
  const slots: Slot[] = [];
  let cursor = atMinute(dayStart, from).getTime();
  const close = atMinute(dayStart, to).getTime();
  const sorted = [...bookings].sort((a, b) => a.start.localeCompare(b.start));
  const offer = (start: number, end: number) => {
    // from now on only, starting at the next five-minute mark
    const begin = Math.max(start, Math.ceil(now / (5 * MINUTE)) * 5 * MINUTE);
    if (end - begin >= SHORTEST_FREE * MINUTE) {
      slots.push({ start: new Date(begin), end: new Date(end) });
    }
  };
  for (const booking of sorted) {
    const start = Date.parse(booking.start);
    if (start > cursor) offer(cursor, Math.min(start, close));
    cursor = Math.max(cursor, Date.parse(booking.end));
    if (cursor >= close) break;
  }
  if (cursor < close) offer(cursor, close);
  return slots;
}

export const timetable: Screen = {
  path: "timetable",
  title: "Timetable",
  menu: "Timetable",
  who: ["teacher", ...TIMETABLERS],
  async render(screen) {
    const data = await loadForBooking(screen);
    if (data === null) return;
    const { me, rooms, staff, policy } = data;
    new TimetableView(screen, me, rooms, staff, policy).start();
  },
};

class TimetableView {
  private readonly messages = new Messages();
  private readonly grid = h("div", { class: "week-grid" });
  private readonly weekTitle = h("h2", { attrs: { "aria-live": "polite" } });
  private readonly formPlace = h("div");
  private readonly roomSelect: HTMLSelectElement;
  private week = mondayOf(new Date());
  private bookings: Booking[] = [];
  private readonly timetabler: boolean;
  private readonly name: (id: string) => string;

  constructor(
    private readonly screen: ScreenContext,
    private readonly me: { id: string; name: string; roles: readonly Role[] },
    private readonly devices: readonly Device[],
    private readonly staff: readonly StaffMember[],
    private readonly policy: Policy,
  ) {
    this.timetabler = me.roles.some((role) => TIMETABLERS.includes(role));
    this.name = namer(staff);
    this.roomSelect = h(
      "select",
      { name: "room" },
      devices.map((d) => h("option", { value: d.id }, d.room)),
    );
  }

  private get room(): Device {
    return this.devices.find((d) => d.id === this.roomSelect.value) ?? (this.devices[0] as Device);
  }

  start(): void {
    const change = (weeks: number | null) => () => {
      this.week =
        weeks === null ? mondayOf(new Date()) : new Date(this.week.getTime() + weeks * 7 * DAY_MS);
      this.week = mondayOf(new Date(this.week.getTime() + 12 * 3600_000)); // summer time
      void this.reload();
    };
    this.roomSelect.addEventListener("change", () => void this.reload());
    this.screen.body.append(
      h(
        "p",
        null,
        this.timetabler
          ? "Choose a free slot to book it for a teacher, or a booking to see, change or cancel it."
          : "Choose a free slot to book it for yourself, or a booking to see it (and change or cancel your own).",
      ),
      h(
        "div",
        { class: "toolbar" },
        field("Room", this.roomSelect),
        h(
          "div",
          { class: "actions", attrs: { role: "group", "aria-label": "Week" } },
          button("Previous week", { on: { click: change(-1) } }),
          button("This week", { on: { click: change(null) } }),
          button("Next week", { on: { click: change(1) } }),
        ),
      ),
      this.messages.element,
      this.weekTitle,
      this.grid,
      this.formPlace,
    );
    const refresh = () => {
      this.reload().catch((error: unknown) => {
        this.messages.error(error);
      });
    };
    this.screen.live("bookings", (notice) => {
      if (notice.deviceId === this.room.id) refresh();
    });
    this.screen.live("resync", refresh);
    refresh();
    // those who manage the timetable import it from the school's system (timetable-import.ts)
    if (this.timetabler) this.screen.body.append(...timetableImport(this.devices, refresh));
  }

  private async reload(): Promise<void> {
    const from = this.week;
    const to = new Date(from.getTime() + 7 * DAY_MS + 12 * 3600_000);
    const end = new Date(to.getFullYear(), to.getMonth(), to.getDate());
    this.weekTitle.textContent = `${this.room.room}: week of ${day(from.toISOString())}`;
    this.bookings = await api.get<Booking[]>(
      `/api/bookings${query({
        from: from.toISOString(),
        to: end.toISOString(),
        deviceId: this.room.id,
      })}`,
    );
    this.draw(from);
  }

  private draw(monday: Date): void {
    const now = Date.now();
    const days = Array.from({ length: 7 }, (_, i) => {
      const d = new Date(monday);
      d.setDate(d.getDate() + i);
      return d;
    });
    const onDay = (d: Date) => {
      const next = new Date(d);
      next.setDate(next.getDate() + 1);
      return this.bookings.filter(
        (b) => Date.parse(b.start) < next.getTime() && Date.parse(b.end) > d.getTime(),
      );
    };
    // weekends only when something is booked on them
    const shown = days.filter((d, i) => i < 5 || onDay(d).length > 0);
    let from = DAY_START;
    let to = DAY_END;
    for (const booking of this.bookings) {
      from = Math.min(from, Math.floor(minutesOf(new Date(booking.start)) / 60) * 60);
      const endMinutes = minutesOf(new Date(booking.end));
      to = Math.max(to, Math.ceil((endMinutes === 0 ? 24 * 60 : endMinutes) / 60) * 60);
    }
    const height = (to - from) * SCALE;
    const hours = Array.from({ length: (to - from) / 60 + 1 }, (_, i) => from + i * 60);
    const axis = h(
      "div",
      { class: "week-axis", attrs: { "aria-hidden": "true" } },
      h("div", { class: "week-day-head" }),
      h(
        "div",
        { class: "week-hours" },
        hours.map((minutes) => {
          const mark = h("span", null, `${String(minutes / 60).padStart(2, "0")}:00`);
          mark.style.top = `${(minutes - from) * SCALE}px`;
          return mark;
        }),
      ),
    );
    axis.querySelector<HTMLElement>(".week-hours")?.style.setProperty("height", `${height}px`);
    const columns = shown.map((d) => {
      const headingId = `day-${localDate(d)}`;
      const today = localDate(d) === localDate(new Date(now));
      const items: HTMLLIElement[] = [];
      const place = (item: HTMLLIElement, start: Date, end: Date) => {
        const dayStart = atMinute(d, from).getTime();
        const top = Math.max(0, (start.getTime() - dayStart) / MINUTE) * SCALE;
        const bottom = Math.min(height, ((end.getTime() - dayStart) / MINUTE) * SCALE);
        item.style.top = `${top}px`;
        item.style.height = `${Math.max(18, bottom - top)}px`;
        items.push(item);
      };
      for (const booking of onDay(d)) {
        const item = h(
          "li",
          {
            class: `slot booking ${booking.status}${booking.teacherId === this.me.id ? " mine" : ""}`,
          },
          button(
            h(
              "span",
              { class: "slot-text" },
              h("span", { class: "slot-time" }, `${time(booking.start)}–${time(booking.end)}`),
              " ",
              h("span", null, `${purpose(booking.purpose)}, ${this.name(booking.teacherId)}`),
              booking.status === "draft" && [" ", badge("Draft", "warning")],
              !booking.audio && [" ", badge("No sound")],
              booking.doNotRecordPupils && [" ", badge("Do-not-record pupils protected")],
            ),
            { on: { click: () => this.openBooking(booking) } },
            "link",
          ),
        );
        item.dataset.bookingId = booking.bookingId;
        place(item, new Date(booking.start), new Date(booking.end));
      }
      for (const slot of freeTime(d, onDay(d), now, from, to)) {
        const item = h(
          "li",
          { class: "slot free" },
          button(
            h(
              "span",
              { class: "slot-text" },
              h(
                "span",
                { class: "slot-time" },
                `${time(slot.start.toISOString())}–${time(slot.end.toISOString())}`,
              ),
              " Free — book",
            ),
            { on: { click: () => this.openNew(slot) } },
            "link",
          ),
        );
        place(item, slot.start, slot.end);
      }
      items.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
      const list = h("ol", { class: "week-slots" }, items);
      list.style.height = `${height}px`;
      return h(
        "section",
        {
          class: `week-day${today ? " today" : ""}`,
          attrs: { "aria-labelledby": headingId },
        },
        h(
          "h3",
          { id: headingId, class: "week-day-head" },
          day(d.toISOString()).replace(/ \d{4}$/, ""),
          today && h("span", { class: "visually-hidden" }, " (today)"),
        ),
        items.length === 0 ? h("p", { class: "empty" }, "Nothing free from now on.") : list,
      );
    });
    fill(this.grid, axis, columns);
  }

  // ------------------------------------------------------------------ the form

  private openNew(slot: Slot): void {
    this.showForm(null, slot);
  }

  private openBooking(booking: Booking): void {
    const mine = booking.teacherId === this.me.id || booking.createdBy === this.me.id;
    const mayManage = this.timetabler || (this.me.roles.includes("teacher") && mine);
    const started = Date.parse(booking.start) <= Date.now();
    if (!mayManage || booking.status === "cancelled" || started) {
      this.showDetails(booking, mayManage && !started ? null : started ? "started" : "not-yours");
      return;
    }
    this.showForm(booking, { start: new Date(booking.start), end: new Date(booking.end) });
  }

  private heading(text: string): HTMLHeadingElement {
    return h("h2", { tabIndex: -1 }, text);
  }

  private present(panel: HTMLElement, heading: HTMLHeadingElement): void {
    fill(this.formPlace, panel);
    panel.scrollIntoView({ block: "start" });
    heading.focus();
  }

  private close(): void {
    fill(this.formPlace);
    this.grid.querySelector<HTMLButtonElement>("button")?.focus();
  }

  private showDetails(booking: Booking, why: "started" | "not-yours" | null): void {
    const heading = this.heading(`Booking: ${span(booking.start, booking.end)}`);
    const facts: [string, string][] = [
      ["Room", this.room.room],
      ["Teacher", this.name(booking.teacherId)],
      ["Purpose", purpose(booking.purpose)],
      ["Staff in the lesson", booking.staff.map(this.name).join(", ")],
      ["Sound", booking.audio ? "Picture and sound" : "Picture only"],
      ["Class", booking.classCode ?? "—"],
      [
        "Do-not-record pupils",
        booking.mitigation
          ? `${mitigation(booking.mitigation.kind)}: ${booking.mitigation.note}`
          : booking.doNotRecordPupils
            ? "Not yet said how they are protected"
            : "None in this class",
      ],
      ["Masks on this booking", masksInWords(booking.masks)],
      [
        "Status",
        booking.status === "cancelled"
          ? "Cancelled"
          : booking.status === "draft"
            ? "Draft — not confirmed"
            : "Booked",
      ],
    ];
    const panel = h(
      "section",
      { class: "panel booking-panel" },
      heading,
      h(
        "dl",
        { class: "facts" },
        facts.map(([term, value]) => h("div", null, h("dt", null, term), h("dd", null, value))),
      ),
      why === "started" && h("p", null, "The booking has started, so it can no longer be changed."),
      why === "not-yours" &&
        booking.status !== "cancelled" &&
        h("p", null, "Only its teacher, whoever made it, the Bursar or SLT may change it."),
      h("div", { class: "actions" }, button("Close", { on: { click: () => this.close() } })),
    );
    this.present(panel, heading);
  }

  private showForm(booking: Booking | null, slot: Slot): void {
    const heading = this.heading(
      booking === null
        ? `Book ${this.room.room}, ${span(slot.start.toISOString(), slot.end.toISOString())}`
        : `Change the booking of ${span(booking.start, booking.end)}`,
    );
    const form = bookingForm({
      me: this.me,
      staff: this.staff,
      policy: this.policy,
      rooms: [this.room],
      chooseRoom: false,
      forAnyTeacher: this.timetabler,
      booking,
      slot,
      drafts: true,
      actions: (messages) => [
        booking !== null && this.cancelButton(booking, messages),
        button("Close", { on: { click: () => this.close() } }),
      ],
      saved: async (saved, words) => {
        fill(this.formPlace);
        this.messages.success(words);
        await this.reload();
        this.grid
          .querySelector<HTMLButtonElement>(`li[data-booking-id="${saved.bookingId}"] button`)
          ?.focus();
      },
    });
    const panel = h("section", { class: "panel booking-panel" }, heading, form);
    this.present(panel, heading);
  }

  private cancelButton(booking: Booking, messages: Messages): HTMLButtonElement {
    const cancel = button("Cancel the booking", {}, "danger");
    onPress(cancel, messages, async () => {
      const reason = await reasonDialog(
        "Cancel this booking?",
        `${span(booking.start, booking.end)} in ${this.room.room}.`,
        "Why is it cancelled?",
        "Cancel the booking",
      );
      if (reason === null) return;
      await api.post(`/api/bookings/${booking.bookingId}/cancel`, { reason });
      const words = `Cancelled: ${span(booking.start, booking.end)} in ${this.room.room}.`;
      fill(this.formPlace);
      this.messages.success(words);
      await this.reload();
    });
    return cancel;
  }
}

/** A booking's own masks as the booking's page says them: where each is, in % of the picture. */
function masksInWords(masks: Booking["masks"]): string {
  if (masks.length === 0) return "None";
  const percent = (value: number) => Math.round(value * 1000) / 10;
  const each = masks.map(
    (m, i) =>
      `${i + 1}: ${percent(m.x)}–${percent(m.x + m.width)} % from the left, ` +
      `${percent(m.y)}–${percent(m.y + m.height)} % from the top`,
  );
  return `${masks.length} blacked out by the box in every recording (${each.join("; ")})`;
}
