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
import { fill, h, svg } from "../dom.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { Policy } from "../types.js";
import type { DeviceDetail, PrivacyMask } from "../types-school.js";
import { Messages, button, field, onPress, onSubmit, section, table } from "../ui.js";
import { policyForm } from "./policy-form.js";
import { privacyContactForm } from "./privacy-contact-form.js";
import { concernLeadsForm } from "./concern-leads-form.js";
import { doNotRecordImport } from "./do-not-record-import.js";

const MAX_MASKS = 16;
/** The smallest rectangle drawn with the mouse (a share of the picture's width or height). */
const SMALLEST = 0.01;
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

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
const round = (value: number) => Math.round(value * 1000) / 1000;

/** A rectangle kept inside the picture. */
function tidy(mask: PrivacyMask): PrivacyMask {
  const x = clamp(mask.x, 0, 1 - SMALLEST);
  const y = clamp(mask.y, 0, 1 - SMALLEST);
  return {
    x: round(x),
    y: round(y),
    width: round(clamp(mask.width, SMALLEST, 1 - x)),
    height: round(clamp(mask.height, SMALLEST, 1 - y)),
  };
}

class MaskEditor {
  readonly element: HTMLElement;
  private readonly messages = new Messages();
  private readonly room: HTMLSelectElement;
  private readonly stage = h("div", { class: "mask-stage" });
  private readonly picture = h("img", { alt: "", class: "mask-picture" });
  private readonly overlay = svg("svg", {
    class: "mask-overlay",
    viewBox: "0 0 1000 1000",
    preserveAspectRatio: "none",
    "aria-hidden": "true",
  });
  private readonly about = h("p", { class: "hint", attrs: { "aria-live": "polite" } });
  private readonly take = button("Take a picture now (the lamp will light)");
  private readonly numbers = h("div");
  private masks: PrivacyMask[] = [];
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
    const add = button("Add a rectangle");
    add.addEventListener("click", () => {
      if (this.masks.length >= MAX_MASKS) {
        this.messages.problem(`A room has at most ${MAX_MASKS} rectangles.`);
        return;
      }
      this.masks.push({ x: 0.375, y: 0.375, width: 0.25, height: 0.25 });
      this.draw();
      this.numbers.querySelector<HTMLInputElement>("tbody tr:last-child input")?.focus();
    });
    const save = button("Save the masks", {}, "primary");
    onPress(save, this.messages, () => this.save());
    onPress(this.take, this.messages, () => this.takePicture());
    this.stage.append(this.picture, this.overlay);
    this.stage.addEventListener("pointerdown", (event) => {
      this.startDrawing(event);
    });
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
            this.stage,
            this.numbers,
            this.messages.element,
            h("div", { class: "actions" }, add, save),
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
    this.masks = device.masks.map((mask) => ({ ...mask }));
    this.messages.clear();
    this.draw();
    // a picture is of one room, taken when asked for: none is carried over to another
    this.loadId += 1;
    this.showPicture(null);
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
    this.stage.dataset.picture = "loading";
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
    this.showPicture(picture);
    await this.picture.decode().catch(() => undefined);
    if (load !== this.loadId) return;
    this.stage.style.aspectRatio = `${this.picture.naturalWidth} / ${this.picture.naturalHeight}`;
    this.stage.dataset.picture = "shown";
    this.about.textContent =
      `${device.room} as its box saw it just now (the lamp was lit; the masks already saved ` +
      "are black). Taking it is recorded in the audit log; it is kept nowhere.";
    this.screen.announce(`A picture of ${device.room} was taken.`);
  }

  /** Shows `picture`, or a blank stage; the one shown before is let go. */
  private showPicture(picture: Blob | null): void {
    if (this.pictureUrl !== null) URL.revokeObjectURL(this.pictureUrl);
    this.pictureUrl = picture === null ? null : URL.createObjectURL(picture);
    if (this.pictureUrl === null) {
      this.picture.removeAttribute("src");
      this.stage.classList.add("blank");
      this.stage.style.removeProperty("aspect-ratio");
      this.stage.dataset.picture = "blank";
      return;
    }
    this.stage.classList.remove("blank");
    this.picture.src = this.pictureUrl;
  }

  private draw(): void {
    const selected = document.activeElement?.closest("tr")?.dataset.mask;
    this.overlay.replaceChildren(
      ...this.masks.map((mask, i) =>
        svg("rect", {
          x: mask.x * 1000,
          y: mask.y * 1000,
          width: mask.width * 1000,
          height: mask.height * 1000,
          class: `mask-rect${String(i) === selected ? " selected" : ""}`,
        }),
      ),
    );
    this.stage.setAttribute("data-masks", String(this.masks.length));
    if (this.masks.length === 0) {
      fill(this.numbers, h("p", { class: "empty" }, "No rectangles: nothing is blacked out."));
      return;
    }
    const percent = (value: number) => String(Math.round(value * 1000) / 10);
    const shown = table(
      "The rectangles, in % of the picture",
      ["Rectangle", "From the left (%)", "From the top (%)", "Width (%)", "Height (%)", ""],
      this.masks.map((mask, i) => {
        const input = (key: keyof PrivacyMask, label: string) => {
          const control = h("input", {
            type: "number",
            min: "0",
            max: "100",
            step: "0.1",
            value: percent(mask[key]),
            attrs: { "aria-label": `Rectangle ${i + 1}: ${label} (%)`, inputmode: "decimal" },
          });
          control.addEventListener("change", () => {
            const value = Number(control.value);
            if (!Number.isFinite(value)) return;
            const current = this.masks[i];
            if (!current) return;
            const next = tidy({ ...current, [key]: value / 100 });
            this.masks[i] = next;
            control.value = percent(next[key]);
            this.drawRects(i);
          });
          control.addEventListener("focus", () => this.drawRects(i));
          return control;
        };
        const remove = button("Remove", { attrs: { "aria-label": `Remove rectangle ${i + 1}` } });
        remove.addEventListener("click", () => {
          this.masks.splice(i, 1);
          this.draw();
          this.screen.announce(`Rectangle ${i + 1} removed.`);
        });
        return [
          String(i + 1),
          input("x", "from the left"),
          input("y", "from the top"),
          input("width", "width"),
          input("height", "height"),
          remove,
        ];
      }),
    );
    shown.querySelectorAll("tbody tr").forEach((row, i) => {
      (row as HTMLElement).dataset.mask = String(i);
    });
    fill(this.numbers, shown);
  }

  /** Redraws the rectangles only (the numbers keep focus), `selected` highlighted. */
  private drawRects(selected: number): void {
    this.overlay.querySelectorAll("rect").forEach((rect, i) => {
      const mask = this.masks[i];
      if (!mask) return;
      rect.setAttribute("x", String(mask.x * 1000));
      rect.setAttribute("y", String(mask.y * 1000));
      rect.setAttribute("width", String(mask.width * 1000));
      rect.setAttribute("height", String(mask.height * 1000));
      rect.classList.toggle("selected", i === selected);
    });
  }

  private startDrawing(event: PointerEvent): void {
    if (event.button !== 0 || this.masks.length >= MAX_MASKS) return;
    event.preventDefault();
    const box = this.stage.getBoundingClientRect();
    const at = (e: PointerEvent) => ({
      x: clamp((e.clientX - box.left) / box.width, 0, 1),
      y: clamp((e.clientY - box.top) / box.height, 0, 1),
    });
    const origin = at(event);
    const index = this.masks.length;
    this.masks.push({ x: origin.x, y: origin.y, width: 0, height: 0 });
    const rect = svg("rect", { class: "mask-rect selected" });
    this.overlay.append(rect);
    const shape = (e: PointerEvent): PrivacyMask => {
      const point = at(e);
      return {
        x: Math.min(origin.x, point.x),
        y: Math.min(origin.y, point.y),
        width: Math.abs(point.x - origin.x),
        height: Math.abs(point.y - origin.y),
      };
    };
    const move = (e: PointerEvent) => {
      const mask = shape(e);
      this.masks[index] = mask;
      rect.setAttribute("x", String(mask.x * 1000));
      rect.setAttribute("y", String(mask.y * 1000));
      rect.setAttribute("width", String(mask.width * 1000));
      rect.setAttribute("height", String(mask.height * 1000));
    };
    const end = (e: PointerEvent) => {
      this.stage.removeEventListener("pointermove", move);
      this.stage.removeEventListener("pointerup", end);
      this.stage.removeEventListener("pointercancel", end);
      const mask = shape(e);
      if (mask.width < SMALLEST || mask.height < SMALLEST) this.masks.splice(index, 1);
      else {
        this.masks[index] = tidy(mask);
        this.screen.announce(`Rectangle ${index + 1} drawn.`);
      }
      this.draw();
    };
    this.stage.setPointerCapture(event.pointerId);
    this.stage.addEventListener("pointermove", move);
    this.stage.addEventListener("pointerup", end);
    this.stage.addEventListener("pointercancel", end);
  }

  private async save(): Promise<void> {
    const device = this.device;
    if (!device) return;
    const masks = this.masks.map(tidy);
    const saved = await api.put<DeviceDetail>(
      `/api/devices/${encodeURIComponent(device.id)}/masks`,
      { masks },
    );
    device.masks = saved.masks;
    this.masks = saved.masks.map((mask) => ({ ...mask }));
    this.draw();
    const words = `The masks of ${device.room} are saved (${masks.length} rectangle${masks.length === 1 ? "" : "s"}). The box uses them from its next recording.`;
    this.messages.success(words);
  }
}
