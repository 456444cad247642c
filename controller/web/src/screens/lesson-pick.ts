/**
 * "From my lesson" in the booking form (booking-form.ts): the teacher's own
 * lessons from the school's imported timetable, in the rooms the form may
 * book and not yet booked, for the next two weeks. Choosing one fills the
 * room, date, times and class from the timetable and locks them; the form
 * then books through `POST /api/lessons/{id}/booking`, so the do-not-record
 * check runs on the timetable's class. Where the school has imported no
 * timetable the choice is not shown and the times are typed.
 */
import type { Static } from "@sinclair/typebox";
import type { LessonSchema } from "../../../src/routes/lesson-schemas.js";
import { api } from "../api.js";
import { h } from "../dom.js";
import { span } from "../format.js";
import { field } from "../ui.js";

export type Lesson = Static<typeof LessonSchema>;

const DAY_MS = 86_400_000;
/** How far ahead the choice looks. */
const AHEAD_DAYS = 14;

export interface LessonChoice {
  /** The field, hidden until there is a lesson to offer. */
  element: HTMLElement;
  /** The lesson chosen, or null: the times are typed. */
  chosen: () => Lesson | null;
  /** Offers `teacherId`'s lessons in `roomIds` (the form calls it again when the teacher changes). */
  load: (teacherId: string) => Promise<void>;
}

export function lessonChoice(
  roomIds: readonly string[],
  onChoose: (lesson: Lesson | null) => void,
  now: () => Date = () => new Date(),
): LessonChoice {
  const select = h("select", { name: "lesson" });
  const element = field(
    "From my lesson",
    select,
    "Room, time and class come from the school's timetable; or type them below.",
  );
  element.hidden = true;
  let lessons: Lesson[] = [];
  const chosen = () => lessons.find((lesson) => lesson.lessonId === select.value) ?? null;
  select.addEventListener("change", () => {
    onChoose(chosen());
  });
  return {
    element,
    chosen,
    async load(teacherId: string) {
      const from = now();
      const to = new Date(from.getTime() + AHEAD_DAYS * DAY_MS);
      const query = new URLSearchParams({
        from: from.toISOString(),
        to: to.toISOString(),
        teacherId,
      });
      let found: Lesson[] = [];
      try {
        found = await api.get<Lesson[]>(`/api/lessons?${query.toString()}`);
      } catch {
        // no lessons to offer (or not the person's to see): the times are typed
      }
      lessons = found.filter(
        (lesson) =>
          lesson.deviceId !== null &&
          roomIds.includes(lesson.deviceId) &&
          lesson.bookingId === null,
      );
      select.replaceChildren(
        h("option", { value: "" }, "— none: I type the time and class —"),
        ...lessons.map((lesson) =>
          h(
            "option",
            { value: lesson.lessonId },
            `${span(lesson.start, lesson.end)} · ${lesson.classCode}` +
              `${lesson.subject === "" ? "" : ` ${lesson.subject}`} · ${lesson.room}`,
          ),
        ),
      );
      element.hidden = lessons.length === 0;
      onChoose(null);
    },
  };
}
