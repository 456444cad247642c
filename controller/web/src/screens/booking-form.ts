/**
 * The booking form, one for every place that books a slot or changes a
 * booking ("Book a slot", the timetable): the room, the teacher, the time,
 * the purpose, the staff in the lesson (everyone in a recording must agree
 * before it is kept), sound on or off, the class, and — when the class has
 * pupils on the "do not record" list — how they are protected, which a
 * confirmed booking needs. A new booking may be made from one of the
 * teacher's lessons in the school's imported timetable (lesson-pick.ts),
 * which gives the room, time and class. It saves the booking through the API
 * and says so.
 */
import { api } from "../api.js";
import { h, type Child } from "../dom.js";
import { refusedInWords } from "../errors.js";
import { mitigation, purpose, span } from "../format.js";
import type { Person, ScreenContext } from "../screen.js";
import {
  MITIGATIONS,
  PURPOSES,
  type Booking,
  type Device,
  type Policy,
  type Role,
  type StaffMember,
} from "../types.js";
import { Messages, checkbox, field, loading, onSubmit } from "../ui.js";
import { bookingMasks } from "./booking-masks.js";
import { lessonChoice } from "./lesson-pick.js";
import { localDate, localTime, namer, radios } from "./school-parts.js";
import { MAX_NOTE_LENGTH, noteTooLong } from "../../../src/domain/form-limits.js";

/** The people who may be in a lesson: teaching staff, coaches, leadership. */
const IN_LESSONS: readonly Role[] = ["teacher", "coach", "slt", "headteacher"];
/** A new booking is this long at most (or the free time, if shorter). */
const LESSON_MINUTES = 50;

/** What a booking form is made from. */
export interface BookingData {
  me: Person;
  /** The rooms with an active recording box. */
  rooms: Device[];
  staff: StaffMember[];
  policy: Policy;
}

/**
 * Loads what a booking form needs, with a line saying so meanwhile. Null when
 * nobody is signed in, or when no room has a box yet (which it then says).
 */
export async function loadForBooking(screen: ScreenContext): Promise<BookingData | null> {
  const me = screen.person;
  if (me === null) return null;
  const wait = loading("Loading rooms and staff…");
  screen.body.append(wait);
  const [devices, staff, policy] = await Promise.all([
    api.get<Device[]>("/api/devices?status=active"),
    api.get<StaffMember[]>("/api/staff"),
    api.get<Policy>("/api/policy"),
  ]);
  wait.remove();
  const rooms = devices.filter((d) => d.status === "active");
  if (rooms.length === 0) {
    screen.body.append(h("p", { class: "empty" }, "No classroom has a recording box yet."));
    return null;
  }
  return { me, rooms, staff, policy };
}

export interface BookingFormOptions {
  /** Who is booking. */
  me: Person;
  staff: readonly StaffMember[];
  policy: Policy;
  /** The rooms it may book: chosen from when `chooseRoom`, else the first is shown. */
  rooms: readonly Device[];
  chooseRoom: boolean;
  /** May `me` book for any teacher (the Bursar, SLT, the headteacher), or only for themself? */
  forAnyTeacher: boolean;
  /** The booking being changed; null for a new one. */
  booking: Booking | null;
  /** The time offered: a new booking takes at most 50 minutes of it from its start. */
  slot: { start: Date; end: Date };
  /** Offer "Keep it as a draft". */
  drafts: boolean;
  /** The buttons and links after "Book" / "Save changes"; given the form's messages. */
  actions: (messages: Messages) => Child;
  /** After the booking is saved: the booking as saved, and a sentence saying so. */
  saved: (booking: Booking, words: string) => void | Promise<void>;
}

export function bookingForm(options: BookingFormOptions): HTMLFormElement {
  const { me, policy, booking, slot } = options;
  const messages = new Messages();
  // the person booking is always someone who may be in the list, even if the directory lags
  const staff = options.staff.some((s) => s.id === me.id)
    ? options.staff
    : [{ id: me.id, displayName: me.name, roles: [...me.roles] }, ...options.staff];
  const name = namer(staff);

  const { rooms } = options;
  const roomSelect = h(
    "select",
    { required: true, name: "room" },
    rooms.map((d) => h("option", { value: d.id }, d.room)),
  );
  if (booking !== null) roomSelect.value = booking.deviceId;
  const roomName = (id: string) => rooms.find((d) => d.id === id)?.room ?? id;
  const roomPart = options.chooseRoom
    ? field("Room", roomSelect)
    : h("p", null, h("strong", null, "Room: "), roomName(roomSelect.value));

  const teachers = staff.filter(
    (s) => s.roles.includes("teacher") || (!options.forAnyTeacher && s.id === me.id),
  );
  const teacherSelect = h(
    "select",
    { name: "teacher" },
    teachers.map((s) => h("option", { value: s.id }, s.displayName)),
  );
  teacherSelect.value =
    booking?.teacherId ?? (options.forAnyTeacher ? (teachers[0]?.id ?? "") : me.id);
  teacherSelect.disabled = booking !== null || !options.forAnyTeacher;
  const teacherId = () => teacherSelect.value;

  const date = h("input", { type: "date", required: true, value: localDate(slot.start) });
  const from = h("input", {
    type: "time",
    required: true,
    step: "60",
    value: localTime(slot.start),
  });
  const end =
    booking === null
      ? new Date(Math.min(slot.end.getTime(), slot.start.getTime() + LESSON_MINUTES * 60_000))
      : slot.end;
  const to = h("input", { type: "time", required: true, step: "60", value: localTime(end) });
  const why = h(
    "select",
    { required: true, name: "purpose" },
    PURPOSES.map((code) => h("option", { value: code }, purpose(code))),
  );
  why.value = booking?.purpose ?? PURPOSES[0];

  const people = staff.filter((s) => s.roles.some((r) => IN_LESSONS.includes(r)));
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
    people.map((s, i) =>
      h(
        "label",
        { class: "check" },
        staffBoxes[i],
        ` ${s.displayName}${s.id === me.id ? " (you)" : ""}`,
      ),
    ),
  );
  // the teacher is always in the lesson; choosing another teacher takes the last one out
  let lastTeacher: string | null = null;
  const teacherInStaff = () => {
    for (const box of staffBoxes) {
      const isTeacher = box.value === teacherId();
      if (isTeacher) box.checked = true;
      else if (box.value === lastTeacher) box.checked = booking?.staff.includes(box.value) ?? false;
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
    (booking?.audio ?? policy.audioDefault) ? "on" : "off",
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
  // no maxLength: a note over the limit is refused in words, never cut short
  const note = h("textarea", { rows: 2, value: booking?.mitigation?.note ?? "" });
  // sound off as the protection: the booking records picture only
  protection.fieldset.addEventListener("change", () => {
    if (protection.value() === "audio-off") sound.set("off");
  });
  const seats = bookingMasks(me, booking);
  const roomChosen = () => seats.room(roomSelect.value, roomName(roomSelect.value));
  roomChosen();
  roomSelect.addEventListener("change", roomChosen);
  const listed = new Set(policy.doNotRecordClasses.map((c) => c.toUpperCase()));
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
    seats.element,
  );
  classCode.addEventListener("input", () => {
    mitigationPart.hidden = !needsMitigation();
  });
  // a new booking from one of the teacher's lessons: room, time and class from the timetable
  const fromLesson =
    booking === null
      ? lessonChoice(
          rooms.map((d) => d.id),
          (lesson) => {
            for (const input of [date, from, to, classCode]) input.disabled = lesson !== null;
            roomSelect.disabled = lesson !== null;
            if (lesson !== null) {
              roomSelect.value = lesson.deviceId ?? roomSelect.value;
              date.value = localDate(new Date(lesson.start));
              from.value = localTime(new Date(lesson.start));
              to.value = localTime(new Date(lesson.end));
              classCode.value = lesson.classCode;
              roomChosen();
            }
            mitigationPart.hidden = !needsMitigation();
          },
        )
      : null;
  if (fromLesson !== null) {
    void fromLesson.load(teacherId());
    teacherSelect.addEventListener("change", () => void fromLesson.load(teacherId()));
  }
  const draft = options.drafts
    ? checkbox("Keep it as a draft (not confirmed: the box will not record it)", {
        checked: booking?.status === "draft",
      })
    : null;

  const form = h(
    "form",
    { class: "form", noValidate: true },
    roomPart,
    field(
      "Teacher",
      teacherSelect,
      options.forAnyTeacher ? undefined : "You book slots for yourself.",
    ),
    fromLesson?.element,
    h("div", { class: "row" }, field("Date", date), field("Starts at", from), field("Ends at", to)),
    field("Purpose", why),
    staffFieldset,
    sound.fieldset,
    field("Class", classCode, "The class code from the timetable, e.g. 9X2"),
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
      options.actions(messages),
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
    const lesson = fromLesson?.chosen() ?? null;
    const code = lesson?.classCode ?? classCode.value.trim().toUpperCase();
    if (code === "") {
      messages.problem(
        "Say which class is taught: its class code, e.g. 9X2 (the do-not-record check needs it).",
      );
      classCode.focus();
      return;
    }
    let protect: { kind: string; note: string } | null = null;
    // the booking's own masks go with the do-not-record part; hidden, they are left as they are
    const masks = needsMitigation() ? seats.masks() : undefined;
    const isDraft = draft?.querySelector("input")?.checked === true;
    if (needsMitigation()) {
      const kind = protection.value();
      const how = note.value.trim();
      if (kind === "booking-masks" && masks?.length === 0) {
        messages.problem(
          "Draw where the pupils who must not be recorded sit: the protection chosen is masks on this booking.",
        );
        return;
      }
      if (how.length > MAX_NOTE_LENGTH) {
        messages.problem(refusedInWords(noteTooLong(how.length)));
        note.focus();
        return;
      }
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
      classCode: code,
      mitigation: protect,
      ...(masks !== undefined && { masks }),
      status: isDraft ? "draft" : "confirmed",
    };
    const saved =
      lesson !== null
        ? await api.post<Booking>(`/api/lessons/${lesson.lessonId}/booking`, {
            purpose: fields.purpose,
            staff: fields.staff,
            audio: fields.audio,
            mitigation: fields.mitigation,
            ...(masks !== undefined && { masks }),
            status: fields.status,
          })
        : booking === null
          ? await api.post<Booking>("/api/bookings", {
              ...fields,
              deviceId: roomSelect.value,
              ...(teacher !== me.id && { teacherId: teacher }),
            })
          : await api.patch<Booking>(`/api/bookings/${booking.bookingId}`, fields);
    const words = `${booking === null ? "Booked" : "Changed"}: ${span(saved.start, saved.end)} in ${roomName(saved.deviceId)}, ${purpose(saved.purpose)}, ${name(saved.teacherId)}.`;
    await options.saved(saved, words);
  });
  return form;
}
