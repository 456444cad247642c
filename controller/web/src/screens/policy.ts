/**
 * The school's policy, for SLT, the headteacher and the DPO: how long
 * footage stays in the classroom boxes and how long kept footage is kept,
 * the longest booking, whether the record button works outside a booking,
 * whether new bookings record sound, and the classes with pupils on the
 * "do not record" list. Below it, each room's privacy masks: rectangles
 * blacked out in the picture before anything is written, drawn with the
 * mouse over a picture of the room or typed as numbers (every rectangle is
 * a row of four numbers, so the keyboard does everything the mouse does).
 * The picture is taken only when asked for, live by the room's box with its
 * lamp lit (the masks already set blacked out), shown here once and kept
 * nowhere. Every change, and every picture, is audited; the boxes get
 * changes at once.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { RectEditor } from "../rect-editor.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { Policy } from "../types.js";
import type { DeviceDetail } from "../types-school.js";
import { Messages, button, field, onPress, onSubmit, section } from "../ui.js";
import { policyForm } from "./policy-form.js";
import { privacyContactForm } from "./privacy-contact-form.js";
import { concernLeadsForm } from "./concern-leads-form.js";
import { doNotRecordImport } from "./do-not-record-import.js";
import { ZoneEditor } from "./zone-editor.js";

const MAX_MASKS = 16;
const CLASS_CODE = /^[A-Za-z0-9][A-Za-z0-9 ./_-]{0,31}$/;

export const policyScreen: Screen = {
  path: "policy",
  title: "Policy",
  menu: "Policy",
  who: ["slt", "headteacher", "dpo"],
  async render(screen) {
    const [policy, devices] = await Promise.all([
      api.get<Policy>("/api/policy"),
      api.get<DeviceDetail[]>("/api/devices"),
    ]);
    screen.body.append(
      policyForm(policy),
      privacyContactForm(policy),
      concernLeadsForm(),
      doNotRecord(screen, policy),
      doNotRecordImport(screen),
      new MaskEditor(screen, devices).element,
    );
  },
};

function doNotRecord(screen: ScreenContext, policy: Policy): HTMLElement {
  const messages = new Messages();
  const list = h("div");
  let classes = [...policy.doNotRecordClasses];
  const save = async (next: string[], words: string) => {
    const saved = await api.patch<Policy>("/api/policy", { doNotRecordClasses: next });
    classes = saved.doNotRecordClasses;
    draw();
    messages.success(words);
  };
  const draw = () => {
    fill(
      list,
      classes.length === 0
        ? h("p", { class: "empty" }, "No class is on the list.")
        : h(
            "ul",
            { class: "class-list" },
            classes.map((code) => {
              const remove = button("Remove", { attrs: { "aria-label": `Remove ${code}` } });
              onPress(remove, messages, () =>
                save(
                  classes.filter((c) => c !== code),
                  `${code} is no longer on the list.`,
                ),
              );
              return h("li", null, h("span", { class: "class-code" }, code), remove);
            }),
          ),
    );
  };
  const code = h("input", {
    name: "class",
    maxLength: 32,
    autocomplete: "off",
    attrs: { autocapitalize: "characters", spellcheck: "false" },
  });
  const form = h(
    "form",
    { class: "toolbar", noValidate: true },
    field("Class code", code, "As on the timetable, e.g. 9X2"),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button secondary" }, "Add to the list"),
    ),
  );
  onSubmit(form, messages, async () => {
    const value = code.value.trim().toUpperCase();
    if (!CLASS_CODE.test(value)) {
      messages.problem(
        "A class code is letters and digits (with spaces, dots, slashes, dashes or underscores), at most 32 characters.",
      );
      code.focus();
      return;
    }
    if (classes.some((c) => c.toUpperCase() === value)) {
      messages.problem(`${value} is already on the list.`);
      return;
    }
    await save([...classes, value], `${value} is on the list.`);
    code.value = "";
    code.focus();
  });
  draw();
  return section(
    "The “do not record” list",
    h(
      "p",
      null,
      "Classes with pupils who must not be recorded (by class only: no pupil is named). A booking for one of them must say how the pupils are protected before it is confirmed.",
    ),
    list,
    form,
    messages.element,
  );
}

// ---------------------------------------------------------------- privacy masks

class MaskEditor {
  readonly element: HTMLElement;
  private readonly messages = new Messages();
  private readonly room: HTMLSelectElement;
  private readonly rects: RectEditor;
  private readonly about = h("p", { class: "hint", attrs: { "aria-live": "polite" } });
  private readonly take = button("Take a picture now (the lamp will light)");
  /** The room's teacher zones, drawn on the same picture. */
  private readonly zones: ZoneEditor;
  private pictureUrl: string | null = null;
  private loadId = 0;

  constructor(
    private readonly screen: ScreenContext,
    private readonly devices: DeviceDetail[],
  ) {
    const rooms = devices.filter((d) => d.status !== "retired");
    this.room = h(
      "select",
      { name: "mask-room" },
      rooms.map((d) => h("option", { value: d.id }, d.room)),
    );
    this.room.addEventListener("change", () => this.open());
    this.zones = new ZoneEditor(screen);
    this.rects = new RectEditor({
      kind: "mask",
      noun: "Rectangle",
      caption: "The rectangles, in % of the picture",
      none: "No rectangles: nothing is blacked out.",
      max: MAX_MASKS,
      announce: (words) => screen.announce(words),
    });
    const add = button("Add a rectangle");
    add.addEventListener("click", () => {
      if (!this.rects.add()) this.messages.problem(`A room has at most ${MAX_MASKS} rectangles.`);
    });
    const save = button("Save the masks", {}, "primary");
    onPress(save, this.messages, () => this.save());
    onPress(this.take, this.messages, () => this.takePicture());
    screen.onLeave(() => {
      if (this.pictureUrl !== null) URL.revokeObjectURL(this.pictureUrl);
    });
    this.element = section(
      "Privacy masks",
      h(
        "p",
        null,
        "Rectangles are blacked out in the picture by the classroom box itself, before anything is written. " +
          "Drag over the picture to draw one, or add one and type its position and size (in % of the picture).",
      ),
      rooms.length === 0
        ? h("p", { class: "empty" }, "No classroom has a recording box yet.")
        : [
            field("Room", this.room),
            this.about,
            h("div", { class: "actions" }, this.take),
            this.rects.stage,
            this.rects.numbers,
            this.messages.element,
            h("div", { class: "actions" }, add, save),
            this.zones.element,
          ],
    );
    if (rooms.length > 0) this.open();
  }

  private get device(): DeviceDetail | undefined {
    return this.devices.find((d) => d.id === this.room.value);
  }

  private open(): void {
    const device = this.device;
    if (!device) return;
    this.rects.rects = device.masks;
    this.messages.clear();
    // a picture is of one room, taken when asked for: none is carried over to another
    this.loadId += 1;
    this.showPicture(null);
    this.zones.open(device);
    this.about.textContent =
      `To see ${device.room} while you draw, take a picture: its box takes it now, with the ` +
      "lamp lit so the room can see, and blacks out the masks already saved. The picture is " +
      "shown here once and kept nowhere; taking it is recorded in the audit log.";
  }

  /** Asks the room's box for a picture now (lit lamp, audited) and shows it. */
  private async takePicture(): Promise<void> {
    const device = this.device;
    if (!device) return;
    const load = ++this.loadId;
    this.rects.loading();
    this.about.textContent = `Taking a picture of ${device.room}: its lamp is lit…`;
    let picture: Blob;
    try {
      picture = await api.picture(`/api/devices/${encodeURIComponent(device.id)}/picture`);
    } catch (error) {
      if (load === this.loadId) {
        this.showPicture(null);
        this.about.textContent = `No picture of ${device.room}: the rectangles are drawn on a blank picture.`;
      }
      throw error;
    }
    if (load !== this.loadId || this.screen.signal.aborted) return;
    const url = this.showPicture(picture);
    if (url !== null) await Promise.all([this.rects.showPicture(url), this.zones.showPicture(url)]);
    if (load !== this.loadId) return;
    this.about.textContent =
      `${device.room} as its box saw it just now (the lamp was lit; the masks already saved ` +
      "are black). Taking it is recorded in the audit log; it is kept nowhere.";
    this.screen.announce(`A picture of ${device.room} was taken.`);
  }

  /** Keeps `picture` (or none) as the one shown, letting go of the one before. */
  private showPicture(picture: Blob | null): string | null {
    if (this.pictureUrl !== null) URL.revokeObjectURL(this.pictureUrl);
    this.pictureUrl = picture === null ? null : URL.createObjectURL(picture);
    if (this.pictureUrl === null) {
      this.rects.showBlank();
      this.zones.showBlank();
    }
    return this.pictureUrl;
  }

  private async save(): Promise<void> {
    const device = this.device;
    if (!device) return;
    const masks = this.rects.rects;
    const saved = await api.put<DeviceDetail>(
      `/api/devices/${encodeURIComponent(device.id)}/masks`,
      { masks },
    );
    device.masks = saved.masks;
    this.rects.rects = saved.masks;
    const words = `The masks of ${device.room} are saved (${masks.length} rectangle${masks.length === 1 ? "" : "s"}). The box uses them from its next recording.`;
    this.messages.success(words);
  }
}
