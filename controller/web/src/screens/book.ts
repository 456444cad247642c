/**
 * Book a slot to record in: the room, the time, the purpose, who else is in
 * the lesson (everyone in a recording must agree before it is kept), sound on
 * or off, and — when the class has pupils on the "do not record" list — how
 * they are protected, which the school requires before a booking stands.
 */
import { api } from "../api.js";
import { h, uid } from "../dom.js";
import { mitigation, purpose, span } from "../format.js";
import type { Screen } from "../screen.js";
import {
  MITIGATIONS,
  PURPOSES,
  type Booking,
  type Device,
  type Policy,
  type Role,
  type StaffMember,
} from "../types.js";
import { Messages, field, loading, onSubmit } from "../ui.js";

const IN_LESSONS: readonly Role[] = ["teacher", "coach", "slt", "headteacher"];
const pad = (n: number) => String(n).padStart(2, "0");
const localDate = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const localTime = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

function radios(
  legend: string,
  name: string,
  options: readonly { value: string; label: string }[],
  checked: string | null,
): { fieldset: HTMLFieldSetElement; value: () => string | null } {
  const inputs = options.map((option) =>
    h("input", { type: "radio", name, value: option.value, checked: option.value === checked }),
  );
  const fieldset = h(
    "fieldset",
    { class: "field" },
    h("legend", null, legend),
    options.map((option, i) => h("label", { class: "check" }, inputs[i], " ", option.label)),
  );
  return { fieldset, value: () => inputs.find((input) => input.checked)?.value ?? null };
}

export const bookSlot: Screen = {
  path: "bookings/new",
  title: "Book a slot",
  who: ["teacher"],
  async render(screen) {
    const me = screen.person;
    if (me === null) return;
    const wait = loading("Loading rooms and staff…");
    screen.body.append(wait);
    const [devices, staff, policy] = await Promise.all([
      api.get<Device[]>("/api/devices"),
      api.get<StaffMember[]>("/api/staff"),
      api.get<Policy>("/api/policy"),
    ]);
    wait.remove();
    const rooms = devices.filter((d) => d.status === "active");
    if (rooms.length === 0) {
      screen.body.append(h("p", null, "No classroom has a recording box yet."));
      return;
    }

    // the next five-minute mark at least a minute away, for a 50-minute lesson
    const start = new Date(Math.ceil((Date.now() + 60_000) / 300_000) * 300_000);
    const end = new Date(start.getTime() + 50 * 60_000);
    const room = h(
      "select",
      { required: true, name: "room" },
      rooms.map((d) => h("option", { value: d.id }, d.room)),
    );
    const date = h("input", { type: "date", required: true, value: localDate(start) });
    const from = h("input", { type: "time", required: true, step: "60", value: localTime(start) });
    const to = h("input", { type: "time", required: true, step: "60", value: localTime(end) });
    const why = h(
      "select",
      { required: true, name: "purpose" },
      PURPOSES.map((code) => h("option", { value: code }, purpose(code))),
    );
    // the people who may be in a lesson: teaching staff, coaches, leadership
    const others = staff.filter(
      (s) => s.id !== me.id && s.roles.some((r) => IN_LESSONS.includes(r)),
    );
    const colleagues = others.map((s) =>
      h("input", { type: "checkbox", value: s.id, name: "staff" }),
    );
    const staffFieldset = h(
      "fieldset",
      { class: "field staff-list" },
      h("legend", null, "Staff in the lesson"),
      h(
        "p",
        { class: "hint" },
        "Everyone in the recording must agree before it can be kept beyond a few days.",
      ),
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", checked: true, disabled: true }),
        ` ${me.name} (you)`,
      ),
      others.map((s, i) => h("label", { class: "check" }, colleagues[i], ` ${s.displayName}`)),
    );
    const sound = radios(
      "Sound",
      uid("sound"),
      [
        { value: "on", label: "Record picture and sound" },
        { value: "off", label: "Record picture only" },
      ],
      policy.audioDefault ? "on" : "off",
    );
    const classCode = h("input", {
      name: "class",
      maxLength: 32,
      autocomplete: "off",
      attrs: { autocapitalize: "characters", spellcheck: "false" },
    });
    const protection = radios(
      "How are the pupils who must not be recorded protected?",
      uid("mitigation"),
      MITIGATIONS.map((kind) => ({ value: kind, label: mitigation(kind) })),
      null,
    );
    const note = h("textarea", { rows: 2, maxLength: 500 });
    const mitigationPart = h(
      "div",
      { class: "mitigation", hidden: true },
      h(
        "p",
        { class: "message warning" },
        "This class has pupils who must not be recorded. Say how they are protected before booking.",
      ),
      protection.fieldset,
      field("How it is done", note, "e.g. the camera faces away from the back row"),
    );
    const needsMitigation = () =>
      policy.doNotRecordClasses.includes(classCode.value.trim().toUpperCase());
    classCode.addEventListener("input", () => {
      mitigationPart.hidden = !needsMitigation();
    });

    const messages = new Messages();
    const form = h(
      "form",
      { class: "form", noValidate: true },
      field("Room", room),
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
      messages.element,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "button primary" }, "Book"),
        h("a", { class: "button secondary", href: "#/bookings" }, "Back to my bookings"),
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
      const chosen = colleagues.filter((c) => c.checked).map((c) => c.value);
      const code = classCode.value.trim().toUpperCase();
      let protect: { kind: string; note: string } | null = null;
      if (needsMitigation()) {
        const kind = protection.value();
        if (kind === null || note.value.trim() === "") {
          messages.problem(
            "Say how the pupils who must not be recorded are protected, and how it is done.",
          );
          return;
        }
        protect = { kind, note: note.value.trim() };
      }
      const booking = await api.post<Booking>("/api/bookings", {
        deviceId: room.value,
        start: startAt.toISOString(),
        end: endAt.toISOString(),
        purpose: why.value,
        staff: [me.id, ...chosen],
        audio: sound.value() === "on",
        ...(code !== "" && { classCode: code }),
        ...(protect !== null && { mitigation: protect }),
      });
      const words = `Booked: ${span(booking.start, booking.end)} in ${room.selectedOptions[0]?.textContent ?? booking.deviceId}.`;
      screen.announce(words);
      screen.navigate("bookings", words);
    });
    screen.body.append(form);
  },
};
