/**
 * A realistic timetable export, made up: a week of a 1,200-pupil secondary
 * school — 60 rooms, 80 teaching staff, 5 periods a day, 48 classes taught
 * each period (years 7 to 11, forms A to J, sets by subject) — as a school's
 * information system writes it, in CSV and in iCalendar. Teachers are named
 * by e-mail address (first.last@school.example) or, for some, by user name.
 */
export const SCHOOL_DOMAIN = "school.example";
export const WEEK = ["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"];
/** Period start and end, school local time (Europe/London: UTC in December). */
export const PERIODS: readonly [string, string][] = [
  ["08:50", "09:50"],
  ["09:50", "10:50"],
  ["11:10", "12:10"],
  ["12:10", "13:10"],
  ["14:00", "15:00"],
];
const SUBJECTS: readonly [string, string][] = [
  ["Ma", "Mathematics"],
  ["En", "English"],
  ["Sc", "Science"],
  ["Hi", "History"],
  ["Gg", "Geography"],
  ["Fr", "French"],
  ["Ar", "Art"],
  ["Mu", "Music"],
];
const FIRST = ["amy", "ben", "cara", "dan", "eve", "finn", "gail", "huw", "isla", "jon"];
const LAST = ["adams", "baker", "clark", "davies", "evans", "fox", "green", "hughes"];

/** The 80 teachers' user names (first.last), as the staff import makes them. */
export const TEACHERS: string[] = FIRST.flatMap((first) => LAST.map((last) => `${first}.${last}`));
/** The 60 rooms: M1–M12, S1–S12, E1–E12, H1–H12, A1–A12. */
export const ROOMS: string[] = ["M", "S", "E", "H", "A"].flatMap((block) =>
  Array.from({ length: 12 }, (_, i) => `${block}${i + 1}`),
);

export interface ExportLesson {
  date: string;
  start: string;
  end: string;
  room: string;
  classCode: string;
  subject: string;
  /** As the export writes it: an e-mail address, or a user name for every fifth teacher. */
  teacher: string;
}

/** Every lesson of the week: 5 days × 5 periods × 48 classes = 1,200 lessons. */
export function weekOfLessons(): ExportLesson[] {
  const lessons: ExportLesson[] = [];
  WEEK.forEach((date, day) => {
    PERIODS.forEach(([start, end], period) => {
      for (let slot = 0; slot < 48; slot += 1) {
        const year = 7 + (slot % 5);
        const form = "ABCDEFGHIJ"[Math.floor(slot / 5)] ?? "A";
        const [code, subject] = SUBJECTS[(slot + period + day) % SUBJECTS.length] ?? [
          "Ma",
          "Mathematics",
        ];
        const room = ROOMS[(slot + period * 7 + day * 3) % ROOMS.length] ?? "M1";
        const index = (slot + period * 48 + day * 11) % TEACHERS.length;
        const user = TEACHERS[index] ?? "amy.adams";
        lessons.push({
          date,
          start,
          end,
          room,
          classCode: `${year}${form}/${code}1`,
          subject,
          teacher: index % 5 === 0 ? user : `${user}@${SCHOOL_DOMAIN}`,
        });
      }
    });
  });
  return lessons;
}

const quote = (field: string) => (/[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);

/** The lessons as a CSV export, header first; `extra` lines are appended as they are. */
export function csvExport(lessons: readonly ExportLesson[], extra: readonly string[] = []): string {
  const lines = [
    "Date,Start,End,Room,Class,Subject,Teacher",
    ...lessons.map((l) =>
      [l.date, l.start, l.end, l.room, l.classCode, l.subject, l.teacher].map(quote).join(","),
    ),
    ...extra,
  ];
  return `${lines.join("\r\n")}\r\n`;
}

/** One lesson as a VEVENT's lines. */
export function vevent(lesson: ExportLesson, uid: string): string[] {
  const stamp = (time: string) => `${lesson.date.replace(/-/g, "")}T${time.replace(":", "")}00`;
  const organizer = lesson.teacher.includes("@")
    ? `ORGANIZER;CN=Teacher:mailto:${lesson.teacher}`
    : `ORGANIZER:${lesson.teacher}`;
  return [
    "BEGIN:VEVENT",
    `UID:${uid}@${SCHOOL_DOMAIN}`,
    "DTSTAMP:20261201T120000Z",
    `DTSTART;TZID=Europe/London:${stamp(lesson.start)}`,
    `DTEND;TZID=Europe/London:${stamp(lesson.end)}`,
    `SUMMARY:${lesson.classCode} ${lesson.subject}`,
    `LOCATION:${lesson.room}`,
    organizer,
    "END:VEVENT",
  ];
}

/** The lessons as an iCalendar feed; `extra` events (their lines) are appended. */
export function icsExport(
  lessons: readonly ExportLesson[],
  extra: readonly string[][] = [],
): string {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Made-up MIS//Timetable export//EN",
    ...lessons.flatMap((lesson, index) => vevent(lesson, `lesson-${index}`)),
    ...extra.flat(),
    "END:VCALENDAR",
  ];
  return `${lines.join("\r\n")}\r\n`;
}
