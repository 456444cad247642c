/**
 * Importing the school's timetable, on the Timetable screen for those who
 * manage it (timetable.ts): a CSV or iCalendar export from the school's
 * system is checked by the server first — the first lessons as they will be
 * imported, every bad line by its number and what is wrong, the rooms not
 * yet on the school's list (which can be added here, without a box), and what
 * the import would change — then imported all or nothing. The rooms and the
 * box in each are set beside it.
 */
import type { Static } from "@sinclair/typebox";
import type {
  LessonChangesSchema,
  RoomSchema,
  TimetablePreviewSchema,
} from "../../../src/routes/lesson-schemas.js";
import { MAX_TIMETABLE_FILE_BYTES } from "../../../src/domain/form-limits.js";
import { api } from "../api.js";
import { chosenFile } from "../file-pick.js";
import { fill, h } from "../dom.js";
import { span } from "../format.js";
import type { Device } from "../types.js";
import { Messages, button, field, onPress, onSubmit, section, table } from "../ui.js";

type TimetablePreview = Static<typeof TimetablePreviewSchema>;
type LessonChanges = Static<typeof LessonChangesSchema>;
type Room = Static<typeof RoomSchema>;

/** As the server's import (domain/lesson-lines.ts). */

const lessons = (n: number) => `${n} ${n === 1 ? "lesson" : "lessons"}`;

const changesInWords = (c: LessonChanges) =>
  `${c.added} added, ${c.changed} changed, ${c.removed} removed, ${c.unchanged} as they were`;

/** The import section and the rooms section, for the Timetable screen. */
export function timetableImport(devices: readonly Device[], imported: () => void): HTMLElement[] {
  const rooms = roomsSection(devices);
  return [importSection(rooms.reload, imported), rooms.element];
}

function importSection(roomsChanged: () => Promise<void>, imported: () => void): HTMLElement {
  const messages = new Messages();
  const file = h("input", {
    type: "file",
    name: "timetable",
    accept: ".csv,.ics,text/csv,text/calendar",
  });
  const previewPlace = h("div");
  let body: { format: "csv" | "ics"; text: string } | null = null;

  const check = async () => {
    if (body === null) return;
    showPreview(await api.post<TimetablePreview>("/api/timetable/import/preview", body));
  };

  const form = h(
    "form",
    { noValidate: true },
    h(
      "p",
      null,
      "Export the timetable from the school's system for a few weeks at most, as ",
      h("strong", null, "CSV"),
      " (columns Date, Start, End, Room, Class, Subject, Teacher — the teacher's e-mail address or user name) or as ",
      h("strong", null, "iCalendar"),
      " (.ics: one event a lesson, its location the room, its summary the class then the subject, its organiser the teacher). Importing it again replaces the lessons of the days it covers.",
    ),
    field("Timetable export (.csv or .ics)", file),
    messages.element,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button secondary" }, "Check the file"),
    ),
    previewPlace,
  );
  onSubmit(form, messages, async () => {
    fill(previewPlace);
    const chosen = await chosenFile(file, messages, {
      what: "the timetable export (a .csv or .ics file)",
      maxBytes: MAX_TIMETABLE_FILE_BYTES,
      advice: "export fewer weeks",
    });
    if (chosen === null) return;
    const text = chosen.text;
    const ics = /\.ics$/i.test(chosen.name) || /^\uFEFF?BEGIN:VCALENDAR/i.test(text);
    body = { format: ics ? "ics" : "csv", text };
    await check();
  });

  function showPreview(preview: TimetablePreview): void {
    const [fileProblem] = preview.fileProblems;
    if (fileProblem !== undefined) {
      fill(
        previewPlace,
        h(
          "p",
          { class: "message error", attrs: { role: "alert" } },
          fileProblem.line === null ? "" : `Line ${fileProblem.line}: `,
          fileProblem.message,
          ". Nothing can be imported from this file.",
        ),
      );
      return;
    }
    const importMessages = new Messages();
    const start = button(`Import ${lessons(preview.lessons)}`, {}, "primary");
    start.disabled = preview.bad > 0;
    onPress(start, importMessages, async () => {
      const changes = await api.post<LessonChanges>("/api/timetable/import", body ?? {});
      fill(
        previewPlace,
        h(
          "p",
          { class: "message success", attrs: { role: "status" } },
          `Timetable imported: ${changesInWords(changes)}.`,
        ),
      );
      file.value = "";
      body = null;
      imported();
    });
    const addRooms = button(
      preview.unknownRooms.length === 1
        ? "Add the room, without a box"
        : `Add the ${preview.unknownRooms.length} rooms, without a box`,
    );
    onPress(addRooms, importMessages, async () => {
      const known = await api.get<Room[]>("/api/rooms");
      const added = preview.unknownRooms.map(({ room }) => ({ room, deviceId: null }));
      await api.put("/api/rooms", { rooms: [...known, ...added] });
      await roomsChanged();
      await check();
    });
    fill(
      previewPlace,
      h(
        "p",
        { attrs: { role: "status" } },
        `${lessons(preview.lessons)}: ${preview.good} can be imported, ${preview.bad} ` +
          `${preview.bad === 1 ? "line has a problem" : "lines have problems"}. ` +
          `Importing it: ${changesInWords(preview.changes)}.`,
      ),
      preview.unknownRooms.length > 0 &&
        h(
          "div",
          null,
          h(
            "p",
            null,
            `Rooms not on the school's list: ${preview.unknownRooms.map((r) => r.room).join(", ")}.`,
          ),
          addRooms,
        ),
      preview.bad > 0 &&
        table(
          "Lines with problems",
          ["Line", "What is wrong"],
          preview.problems.map((lesson) => [String(lesson.line), lesson.problems.join("; ")]),
        ),
      h("h3", null, "The first lessons"),
      table(
        "The first lessons of the file",
        ["Line", "When", "Room", "Class", "Subject", "Teacher"],
        preview.first.map((lesson) => [
          String(lesson.line),
          lesson.start === "" || lesson.end === "" ? "—" : span(lesson.start, lesson.end),
          lesson.room,
          lesson.classCode,
          lesson.subject,
          lesson.teacher,
        ]),
      ),
      importMessages.element,
      h("div", { class: "actions" }, start),
    );
  }

  return section("Import the timetable", form);
}

function roomsSection(devices: readonly Device[]): {
  element: HTMLElement;
  reload: () => Promise<void>;
} {
  const messages = new Messages();
  const place = h("div");
  const newRoom = h("input", { name: "new-room", maxLength: 64, autocomplete: "off" });
  let selects: { room: string; select: HTMLSelectElement }[] = [];
  const boxSelect = (deviceId: string | null) => {
    const select = h(
      "select",
      null,
      h("option", { value: "" }, "No box"),
      devices.map((d) => h("option", { value: d.id }, `${d.room} (${d.id})`)),
    );
    select.value = deviceId ?? "";
    return select;
  };
  const show = (rooms: readonly Room[]) => {
    selects = rooms.map((room) => ({ room: room.room, select: boxSelect(room.deviceId) }));
    fill(
      place,
      rooms.length === 0
        ? h(
            "p",
            { class: "empty" },
            "No rooms yet: add them, or import a timetable and add its rooms.",
          )
        : table(
            "The rooms and their boxes",
            ["Room", "Box"],
            selects.map(({ room, select }) => [room, select]),
          ),
    );
  };
  const reload = async () => {
    show(await api.get<Room[]>("/api/rooms"));
  };
  const save = button("Save the rooms", {}, "primary");
  onPress(save, messages, async () => {
    const rooms = selects.map(({ room, select }) => ({
      room,
      deviceId: select.value === "" ? null : select.value,
    }));
    const name = newRoom.value.trim();
    if (name !== "") rooms.push({ room: name, deviceId: null });
    show(await api.put<Room[]>("/api/rooms", { rooms }));
    newRoom.value = "";
    messages.success("The rooms are saved.");
  });
  void reload().catch((error: unknown) => {
    messages.error(error);
  });
  const element = section(
    "Rooms and their boxes",
    h(
      "p",
      null,
      "The rooms the timetable names, and the recording box in each: a lesson in a room without a box is not booked.",
    ),
    place,
    field("Add a room", newRoom),
    messages.element,
    h("div", { class: "actions" }, save),
  );
  return { element, reload };
}
