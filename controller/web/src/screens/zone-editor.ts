/**
 * A room's teacher zones on the policy screen, beside its privacy masks (issue
 * 19): rectangles drawn over the same picture of the room (rect-editor.ts)
 * where the copies colleagues watch leave faces sharp — the front of the room,
 * so a coach sees the teacher's expression — and how they are used, as radio
 * buttons in words a DPO reads once: every face blurred; faces in the zones
 * left sharp; or only the zones as recorded, everything else blurred ("blur
 * the background"). The masks editor (policy.ts) tells it the room and the
 * picture.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import { RectEditor } from "../rect-editor.js";
import type { ScreenContext } from "../screen.js";
import type { TeacherZones, ZoneMode } from "../types-school.js";
import { Messages, button, onPress, section } from "../ui.js";
import { radios } from "./school-parts.js";

const MAX_ZONES = 16;

const MODES: readonly { value: ZoneMode; label: string }[] = [
  { value: "none", label: "No teacher zone: every face is blurred." },
  {
    value: "faces",
    label:
      "Faces in the zones stay sharp (the teacher at the front can be seen); every other face is blurred.",
  },
  {
    value: "background",
    label:
      "Only the zones are shown as recorded: everything outside them is blurred, faces or not (“blur the background”).",
  },
];

const isMode = (value: string | null): value is ZoneMode =>
  MODES.some((mode) => mode.value === value);

export class ZoneEditor {
  readonly element: HTMLElement;
  private readonly messages = new Messages();
  private readonly rects: RectEditor;
  private readonly mode = radios(
    "In the copies colleagues watch (faces blurred), this room has",
    MODES,
    "none",
  );
  private device: { id: string; room: string } | null = null;
  private loadId = 0;

  constructor(private readonly screen: ScreenContext) {
    this.rects = new RectEditor({
      kind: "zone",
      noun: "Zone",
      caption: "The teacher zones, in % of the picture",
      none: "No zones drawn.",
      max: MAX_ZONES,
      announce: (words) => screen.announce(words),
    });
    const add = button("Add a zone");
    add.addEventListener("click", () => {
      if (!this.rects.add()) this.messages.problem(`A room has at most ${MAX_ZONES} zones.`);
    });
    const save = button("Save the zones", {}, "primary");
    onPress(save, this.messages, () => this.save());
    this.element = section(
      "Teacher zones",
      h(
        "p",
        null,
        "When footage is seen by anyone but the teacher who recorded it, every face is blurred. " +
          "A teacher zone is where faces are left sharp: draw it where the teacher stands, so a coach " +
          "can see their expression. A pupil who stands in a zone is seen too. Drag over the picture " +
          "to draw one, or add one and type its position and size (in % of the picture).",
      ),
      this.mode.fieldset,
      this.rects.stage,
      this.rects.numbers,
      this.messages.element,
      h("div", { class: "actions" }, add, save),
    );
  }

  /** Shows the room's zones (the picture is the masks editor's); a failure is said here. */
  open(device: { id: string; room: string }): void {
    this.device = device;
    this.messages.clear();
    const load = ++this.loadId;
    this.show({ mode: "none", zones: [] });
    api
      .get<TeacherZones>(`/api/devices/${encodeURIComponent(device.id)}/zones`)
      .then((zones) => {
        if (load === this.loadId && !this.screen.signal.aborted) this.show(zones);
      })
      .catch((error: unknown) => {
        if (load === this.loadId) this.messages.error(error);
      });
  }

  showBlank(): void {
    this.rects.showBlank();
  }

  showPicture(url: string): Promise<void> {
    return this.rects.showPicture(url);
  }

  private show(zones: TeacherZones): void {
    this.mode.set(zones.mode);
    this.rects.rects = zones.zones;
  }

  private async save(): Promise<void> {
    const device = this.device;
    if (!device) return;
    const mode = this.mode.value();
    if (!isMode(mode)) return;
    const zones = mode === "none" ? [] : this.rects.rects;
    if (mode !== "none" && zones.length === 0) {
      this.messages.problem(
        "Draw at least one zone over the picture, or choose that every face is blurred.",
      );
      return;
    }
    const saved = await api.put<TeacherZones>(
      `/api/devices/${encodeURIComponent(device.id)}/zones`,
      { mode, zones },
    );
    this.show(saved);
    const count = `${saved.zones.length} zone${saved.zones.length === 1 ? "" : "s"}`;
    this.messages.success(
      saved.mode === "none"
        ? `${device.room} has no teacher zone: every face is blurred.`
        : `The teacher zones of ${device.room} are saved (${count}). Copies made under the old zones are made again when next watched.`,
    );
  }
}
