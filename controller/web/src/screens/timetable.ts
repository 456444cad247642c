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
import {
  MITIGATIONS,
  PURPOSES,
  type Booking,
  type Device,
  type Policy,
  type Role,
  type StaffMember,
} from "../types.js";
import {
  Messages,
  badge,
  button,
  checkbox,
  field,
  loading,
  onPress,
  onSubmit,
  reasonDialog,
} from "../ui.js";
import { localDate, localTime, mondayOf, namer, radios } from "./school-parts.js";

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
const IN_LESSONS: readonly Role[] = ["teacher", "coach", "slt", "headteacher"];

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
    const me = screen.person;
    if (me === null) return;
    const wait = loading("Loading rooms and staff…");
    screen.body.append(wait);
    const [devices, staff, policy] = await Promise.all([
      api.get<Device[]>("/api/devices?status=active"),
      api.get<StaffMember[]>("/api/staff"),
      api.get<Policy>("/api/policy"),
    ]);
    wait.remove();
    if (devices.length === 0) {
      screen.body.append(h("p", { class: "empty" }, "No classroom has a recording box yet."));
      return;
    }
    new TimetableView(screen, me, devices, staff, policy).start();
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
    const messages = new Messages();
    const teachers = this.staff.filter((s) => s.roles.includes("teacher"));
    const teacherSelect = h(
      "select",
      { name: "teacher" },
      teachers.map((s) => h("option", { value: s.id }, s.displayName)),
    );
    teacherSelect.value =
      booking?.teacherId ?? (this.timetabler ? (teachers[0]?.id ?? "") : this.me.id);
    teacherSelect.disabled = booking !== null || !this.timetabler;
    const teacherId = () => teacherSelect.value;

    const date = h("input", { type: "date", required: true, value: localDate(slot.start) });
    const from = h("input", {
      type: "time",
      required: true,
      step: "60",
      value: localTime(slot.start),
    });
    // a new booking is 50 minutes at most, or the free time if shorter
    const end =
      booking === null
        ? new Date(Math.min(slot.end.getTime(), slot.start.getTime() + 50 * MINUTE))
        : slot.end;
    const to = h("input", { type: "time", required: true, step: "60", value: localTime(end) });
    const why = h(
      "select",
      { name: "purpose" },
      PURPOSES.map((code) => h("option", { value: code }, purpose(code))),
    );
    why.value = booking?.purpose ?? PURPOSES[0];

    const people = this.staff.filter((s) => s.roles.some((r) => IN_LESSONS.includes(r)));
    const staffBoxes = people.map((s) =>
      h("input", {
        type: "checkbox",
        value: s.id,
        name: "staff",
        checked: booking?.staff.includes(s.id) ?? false,
      }),
    );
    const staffFieldset = h(
      "fieldset",
      { class: "field staff-list" },
      h("legend", null, "Staff in the lesson"),
      h(
        "p",
        { class: "hint" },
        "The teacher is always in it. Everyone in a recording must agree before it is kept beyond a few days.",
      ),
      people.map((s, i) => h("label", { class: "check" }, staffBoxes[i], ` ${s.displayName}`)),
    );
    // the teacher is always in the lesson; choosing another teacher takes the last one out
    let lastTeacher: string | null = null;
    const teacherInStaff = () => {
      for (const box of staffBoxes) {
        const isTeacher = box.value === teacherId();
        if (isTeacher) box.checked = true;
        else if (box.value === lastTeacher)
          box.checked = booking?.staff.includes(box.value) ?? false;
        box.disabled = isTeacher;
      }
      lastTeacher = teacherId();
    };
    teacherSelect.addEventListener("change", teacherInStaff);
    teacherInStaff();

    const sound = radios(
      "Sound",
      [
        { value: "on", label: "Record picture and sound" },
        { value: "off", label: "Record picture only" },
      ],
      (booking?.audio ?? this.policy.audioDefault) ? "on" : "off",
    );
    const classCode = h("input", {
      name: "class",
      maxLength: 32,
      autocomplete: "off",
      value: booking?.classCode ?? "",
      attrs: { autocapitalize: "characters", spellcheck: "false" },
    });
    const protection = radios(
      "How are the pupils who must not be recorded protected?",
      MITIGATIONS.map((kind) => ({ value: kind, label: mitigation(kind) })),
      booking?.mitigation?.kind ?? null,
    );
    const note = h("textarea", { rows: 2, maxLength: 500, value: booking?.mitigation?.note ?? "" });
    // sound off as the protection: the booking records picture only
    protection.fieldset.addEventListener("change", () => {
      if (protection.value() === "audio-off") sound.set("off");
    });
    const listed = new Set(this.policy.doNotRecordClasses.map((c) => c.toUpperCase()));
    const needsMitigation = () => listed.has(classCode.value.trim().toUpperCase());
    const mitigationPart = h(
      "div",
      { class: "mitigation", hidden: !needsMitigation() },
      h(
        "p",
        { class: "message warning" },
        "This class has pupils on the “do not record” list. Say how they are protected before the booking can be confirmed.",
      ),
      protection.fieldset,
      field("How it is done", note, "e.g. the camera faces away from the back row"),
    );
    classCode.addEventListener("input", () => {
      mitigationPart.hidden = !needsMitigation();
    });
    const draft = checkbox("Keep it as a draft (not confirmed: the box will not record it)", {
      checked: booking?.status === "draft",
    });

    const form = h(
      "form",
      { class: "form", noValidate: true },
      h("p", null, h("strong", null, "Room: "), this.room.room),
      field("Teacher", teacherSelect, this.timetabler ? undefined : "You book slots for yourself."),
      h(
        "div",
        { class: "row" },
        field("Date", date),
        field("Starts at", from),
        field("Ends at", to),
      ),
      field("Purpose", why),
      staffFieldset,
      sound.fieldset,
      field("Class (optional)", classCode, "The class code from the timetable, e.g. 9X2"),
      mitigationPart,
      draft,
      messages.element,
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "submit", class: "button primary" },
          booking === null ? "Book" : "Save changes",
        ),
        booking !== null && this.cancelButton(booking, messages),
        button("Close", { on: { click: () => this.close() } }),
      ),
    );
    onSubmit(form, messages, async () => {
      const startAt = new Date(`${date.value}T${from.value}`);
      const endAt = new Date(`${date.value}T${to.value}`);
      if (Number.isNaN(startAt.getTime()) || Number.isNaN(endAt.getTime())) {
        messages.problem("Please give the date and the start and end times.");
        return;
      }
      if (endAt <= startAt) {
        messages.problem("The lesson must end after it starts.");
        to.focus();
        return;
      }
      const code = classCode.value.trim().toUpperCase();
      let protect: { kind: string; note: string } | null = null;
      const isDraft = draft.querySelector("input")?.checked === true;
      if (needsMitigation()) {
        const kind = protection.value();
        const how = note.value.trim();
        if (kind !== null && how !== "") protect = { kind, note: how };
        else if (!isDraft) {
          // a draft may wait for it; a confirmed booking may not
          messages.problem(
            "Say how the pupils who must not be recorded are protected, and how it is done.",
          );
          return;
        }
      }
      const teacher = teacherId();
      const chosen = staffBoxes.filter((b) => b.checked || b.value === teacher).map((b) => b.value);
      const fields = {
        start: startAt.toISOString(),
        end: endAt.toISOString(),
        purpose: why.value,
        staff: [teacher, ...chosen.filter((id) => id !== teacher)],
        audio: sound.value() === "on",
        classCode: code === "" ? null : code,
        mitigation: protect,
        status: isDraft ? "draft" : "confirmed",
      };
      const saved =
        booking === null
          ? await api.post<Booking>("/api/bookings", {
              ...fields,
              deviceId: this.room.id,
              ...(teacher !== this.me.id && { teacherId: teacher }),
            })
          : await api.patch<Booking>(`/api/bookings/${booking.bookingId}`, fields);
      const words = `${booking === null ? "Booked" : "Changed"}: ${span(saved.start, saved.end)} in ${this.room.room}, ${purpose(saved.purpose)}, ${this.name(saved.teacherId)}.`;
      fill(this.formPlace);
      this.messages.success(words);
      this.screen.announce(words);
      await this.reload();
      this.grid
        .querySelector<HTMLButtonElement>(`li[data-booking-id="${saved.bookingId}"] button`)
        ?.focus();
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
      this.screen.announce(words);
      await this.reload();
    });
    return cancel;
  }
}
