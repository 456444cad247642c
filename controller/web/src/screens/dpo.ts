/**
 * The DPO's requests: find footage of someone — by rooms and dates, or by
 * class and dates — and see where every copy is; then, under the request's
 * reference, either make a subject access export (the details, the audit
 * entries and the footage ticked to include: the one place a copy leaves the
 * system, with every face blurred), or erase what was found (deleted on
 * the classroom box and the school's server; footage on hold is refused,
 * with the reason), with the deletion certificate.
 */
import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { when } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { DeviceDetail } from "../types-school.js";
import type { ErasureAnswer, ExportAnswer, FoundRecording } from "../types-dpo.js";
import {
  Messages,
  badge,
  button,
  confirmDialog,
  field,
  onPress,
  onSubmit,
  section,
  table,
} from "../ui.js";
import { certificateView } from "./dpo-certificate.js";
import { localDate, radios } from "./school-parts.js";

export const dpoScreen: Screen = {
  path: "dpo",
  title: "Subject access and erasure",
  menu: "Data requests",
  who: ["dpo"],
  async render(screen) {
    const devices = await api.get<DeviceDetail[]>("/api/devices");
    new DpoView(screen, devices).start();
  },
};

function where(found: FoundRecording): string {
  if (found.deleted) return "Deleted everywhere";
  const places = [
    found.where.box ? "classroom box" : null,
    found.where.controller ? "school's server" : null,
    found.where.archived ? "kept (archive)" : null,
    found.where.exemplar ? "exemplar" : null,
    found.where.clips > 0 ? `${found.where.clips} clip${found.where.clips === 1 ? "" : "s"}` : null,
  ].filter((p) => p !== null);
  return places.length === 0 ? "Nowhere" : places.join(", ");
}

class DpoView {
  private readonly messages = new Messages();
  private readonly results = h("div");
  private readonly outcome = h("div");
  private found: FoundRecording[] = [];
  private readonly include = new Map<string, HTMLInputElement>();
  private readonly reference = h("input", {
    name: "reference",
    required: true,
    minLength: 3,
    maxLength: 200,
    attrs: { autocomplete: "off" },
  });

  constructor(
    private readonly screen: ScreenContext,
    private readonly devices: DeviceDetail[],
  ) {}

  start(): void {
    this.screen.body.append(
      h(
        "p",
        null,
        "Find the footage a request is about, then make an export for the person who asked, or erase it. Every step is in the audit log.",
      ),
      this.messages.element,
      this.findForm(),
      this.results,
      this.outcome,
    );
  }

  private findForm(): HTMLElement {
    const by = radios(
      "Find by",
      [
        { value: "rooms", label: "Rooms" },
        { value: "class", label: "Class" },
      ],
      "rooms",
    );
    const rooms = this.devices.map((device) =>
      h("input", { type: "checkbox", name: "room", value: device.id }),
    );
    const roomSet = h(
      "fieldset",
      { class: "field" },
      h("legend", null, "Rooms"),
      this.devices.map((device, i) => h("label", { class: "check" }, rooms[i], " ", device.room)),
    );
    const classCode = h("input", { name: "class", maxLength: 32, attrs: { autocomplete: "off" } });
    const today = localDate(new Date());
    const from = h("input", { type: "date", name: "from", required: true, value: today });
    const to = h("input", { type: "date", name: "to", required: true, value: today });
    const form = h(
      "form",
      { class: "form", noValidate: true },
      by.fieldset,
      roomSet,
      field("Class code", classCode, "When finding by class, e.g. 7A1."),
      h("div", { class: "row" }, field("From (date)", from), field("To (date, included)", to)),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "button primary" }, "Find footage"),
      ),
    );
    onSubmit(form, this.messages, async () => {
      if (from.value === "" || to.value === "") {
        this.messages.problem("Give both dates.");
        return;
      }
      const start = new Date(`${from.value}T00:00:00`);
      const end = new Date(`${to.value}T00:00:00`);
      end.setDate(end.getDate() + 1);
      const window = { from: start.toISOString(), to: end.toISOString() };
      let search: Record<string, string>;
      if (by.value() === "class") {
        if (classCode.value.trim() === "") {
          classCode.focus();
          this.messages.problem("Give the class code to find by class.");
          return;
        }
        search = { classCode: classCode.value.trim(), ...window };
      } else {
        const chosen = rooms.filter((r) => r.checked).map((r) => r.value);
        if (chosen.length === 0) {
          this.messages.problem("Tick at least one room to find by rooms.");
          return;
        }
        search = { rooms: chosen.join(","), ...window };
      }
      this.found = await api.get<FoundRecording[]>(`/api/dpo/footage${query(search)}`);
      fill(this.outcome);
      this.drawResults();
      this.screen.announce(
        `${this.found.length} recording${this.found.length === 1 ? "" : "s"} found`,
      );
    });
    return section("Find footage", form);
  }

  private drawResults(): void {
    this.include.clear();
    if (this.found.length === 0) {
      fill(
        this.results,
        section("What exists", h("p", { class: "empty" }, "No recording matches.")),
      );
      return;
    }
    const rows = this.found.map((found) => {
      const label = `${found.room}, ${when(found.startedAt)}`;
      const box = h("input", {
        type: "checkbox",
        name: "include",
        value: found.recordingId,
        disabled: !found.where.controller || found.deleted,
        attrs: { "aria-label": `Include the footage of ${label}` },
      });
      this.include.set(found.recordingId, box);
      return [
        found.room,
        when(found.startedAt),
        found.classCode ?? "—",
        found.ownerName ?? "—",
        where(found),
        found.onHold ? badge("On hold", "warning") : "—",
        found.where.controller && !found.deleted ? box : "Not on the server",
      ];
    });
    const exportButton = button("Make the export", {}, "primary");
    const eraseButton = button("Erase all of these", {}, "danger");
    onPress(exportButton, this.messages, () => this.makeExport());
    onPress(eraseButton, this.messages, () => this.erase());
    fill(
      this.results,
      section(
        "What exists",
        table(
          "Recordings found",
          ["Room", "Recorded", "Class", "Teacher", "Where", "Hold", "Footage in the export"],
          rows,
        ),
        field(
          "The request's reference",
          this.reference,
          "As the request is filed in your records, e.g. SAR-2026-014.",
        ),
        h(
          "p",
          { class: "warning" },
          "An export is the one place a copy leaves the system. Every face in its footage is blurred (the copies are made first: if they are not ready, the answer says how far they are — try again in a while). Tick only footage that may go to the person who asked.",
        ),
        h("div", { class: "actions" }, exportButton, eraseButton),
      ),
    );
  }

  private referenceOrProblem(): string | null {
    const reference = this.reference.value.trim();
    if (reference.length < 3) {
      this.reference.focus();
      this.messages.problem("Give the request's reference (at least 3 characters).");
      return null;
    }
    return reference;
  }

  private async makeExport(): Promise<void> {
    const reference = this.referenceOrProblem();
    if (reference === null) return;
    const made = await api.post<ExportAnswer>("/api/dpo/exports", {
      reference,
      recordingIds: this.found.map((f) => f.recordingId),
      footage: [...this.include].filter(([, box]) => box.checked).map(([id]) => id),
    });
    fill(
      this.outcome,
      section(
        "Export ready",
        h(
          "p",
          null,
          `The export for ${made.reference} holds ${made.recordings} recording${made.recordings === 1 ? "" : "s"}' details and audit entries, and the footage of ${made.footage}${made.facesBlurred ? ", every face blurred" : ""}.`,
        ),
        h(
          "p",
          null,
          h(
            "a",
            {
              href: `/api/dpo/exports/${made.exportId}`,
              download: made.file,
              class: "button primary",
            },
            "Take the export away (once)",
          ),
          ` SHA-256 ${made.sha256}. It is deleted from the server once taken, ` +
            `or if not taken by ${when(made.expiresAt)}.`,
        ),
      ),
    );
    this.messages.success("The export is made and audited.");
  }

  private async erase(): Promise<void> {
    const reference = this.referenceOrProblem();
    if (reference === null) return;
    const sure = await confirmDialog(
      `Erase ${this.found.length} recording${this.found.length === 1 ? "" : "s"}?`,
      "Every copy is deleted, on the classroom box and on the school's server. Footage on hold is not erased. This cannot be undone.",
      "Erase",
    );
    if (!sure) return;
    const done = await api.post<ErasureAnswer>("/api/dpo/erasures", {
      reference,
      recordingIds: this.found.map((f) => f.recordingId),
    });
    const again = button("Check the certificate again");
    const place = h("div", null, await certificateView(done.erasureId));
    onPress(again, this.messages, async () => {
      fill(place, await certificateView(done.erasureId));
    });
    fill(
      this.outcome,
      section(
        "Erasure",
        h(
          "p",
          null,
          `${done.erasing.length} recording${done.erasing.length === 1 ? "" : "s"} being erased.`,
        ),
        done.refused.length === 0
          ? null
          : h(
              "ul",
              null,
              done.refused.map((r) => {
                const found = this.found.find((f) => f.recordingId === r.recordingId);
                const what = found ? `${found.room}, ${when(found.startedAt)}` : r.recordingId;
                return h("li", null, `Not erased — ${what}: ${r.reason}`);
              }),
            ),
        again,
        place,
      ),
    );
    this.messages.success(`Erasure under ${done.reference} asked for and audited.`);
  }
}
