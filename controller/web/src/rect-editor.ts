/**
 * Rectangles drawn over a picture of a room: dragged with the mouse over the
 * picture, or typed as numbers (every rectangle is a row of four numbers, in %
 * of the picture, so the keyboard does everything the mouse does). Used for a
 * room's privacy masks and its teacher zones (screens/policy.ts, zones.ts).
 *
 * The editor owns its stage (picture + drawn rectangles) and its table of
 * numbers; the screen places both, owns the picture's object URL and saves.
 * `kind` names the CSS classes (`<kind>-stage`, `<kind>-picture`,
 * `<kind>-overlay`, `<kind>-rect`) and `noun` the labels ("Zone 1: width (%)").
 */
import { fill, h, svg } from "./dom.js";
import { button, table } from "./ui.js";

/** A rectangle in fractions (0..1) of the picture's width and height. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RectEditorOptions {
  /** CSS class prefix: "mask" → .mask-stage, .mask-rect… */
  kind: string;
  /** What one rectangle is called, capitalised: "Rectangle", "Zone". */
  noun: string;
  /** The table's caption. */
  caption: string;
  /** Shown when there is no rectangle. */
  none: string;
  /** The most rectangles a room may have. */
  max: number;
  /** Told to screen-reader users (ScreenContext.announce). */
  announce: (words: string) => void;
}

/** The smallest rectangle drawn with the mouse (a share of the picture's width or height). */
export const SMALLEST = 0.01;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
const round = (value: number) => Math.round(value * 1000) / 1000;

/** A rectangle kept inside the picture, rounded to 0.1 %. */
export function tidy(rect: Rect): Rect {
  const x = clamp(rect.x, 0, 1 - SMALLEST);
  const y = clamp(rect.y, 0, 1 - SMALLEST);
  return {
    x: round(x),
    y: round(y),
    width: round(clamp(rect.width, SMALLEST, 1 - x)),
    height: round(clamp(rect.height, SMALLEST, 1 - y)),
  };
}

export class RectEditor {
  readonly stage: HTMLDivElement;
  readonly numbers = h("div");
  private readonly picture: HTMLImageElement;
  private readonly overlay: SVGSVGElement;
  private list: Rect[] = [];

  constructor(private readonly options: RectEditorOptions) {
    this.stage = h("div", { class: `${options.kind}-stage` });
    this.picture = h("img", { alt: "", class: `${options.kind}-picture` });
    this.overlay = svg("svg", {
      class: `${options.kind}-overlay`,
      viewBox: "0 0 1000 1000",
      preserveAspectRatio: "none",
      "aria-hidden": "true",
    });
    this.stage.append(this.picture, this.overlay);
    this.stage.addEventListener("pointerdown", (event) => {
      this.startDrawing(event);
    });
    this.showBlank();
  }

  /** The rectangles, tidied (copies). */
  get rects(): Rect[] {
    return this.list.map(tidy);
  }

  /** Replaces the rectangles and redraws. */
  set rects(rects: readonly Rect[]) {
    this.list = rects.map((rect) => ({ ...rect }));
    this.draw();
  }

  /** Adds a rectangle in the middle and focuses its first number; false when full. */
  add(): boolean {
    if (this.list.length >= this.options.max) return false;
    this.list.push({ x: 0.375, y: 0.375, width: 0.25, height: 0.25 });
    this.draw();
    this.numbers.querySelector<HTMLInputElement>("tbody tr:last-child input")?.focus();
    return true;
  }

  /** The picture is being taken. */
  loading(): void {
    this.stage.dataset.picture = "loading";
  }

  /** No picture: the rectangles are drawn on a blank stage. */
  showBlank(): void {
    this.picture.removeAttribute("src");
    this.stage.classList.add("blank");
    this.stage.style.removeProperty("aspect-ratio");
    this.stage.dataset.picture = "blank";
  }

  /**
   * Shows the picture at `url` (owned by the caller) under the rectangles;
   * resolves once it is decoded and shown.
   */
  async showPicture(url: string): Promise<void> {
    this.stage.classList.remove("blank");
    this.picture.src = url;
    await this.picture.decode().catch(() => undefined);
    if (this.picture.getAttribute("src") !== url) return;
    this.stage.style.aspectRatio = `${this.picture.naturalWidth} / ${this.picture.naturalHeight}`;
    this.stage.dataset.picture = "shown";
  }

  private draw(): void {
    const { kind, noun } = this.options;
    const selected = document.activeElement?.closest("tr")?.dataset.rect;
    this.overlay.replaceChildren(
      ...this.list.map((rect, i) =>
        svg("rect", {
          ...at(rect),
          class: `${kind}-rect${String(i) === selected ? " selected" : ""}`,
        }),
      ),
    );
    this.stage.setAttribute(`data-${kind}s`, String(this.list.length));
    if (this.list.length === 0) {
      fill(this.numbers, h("p", { class: "empty" }, this.options.none));
      return;
    }
    const percent = (value: number) => String(Math.round(value * 1000) / 10);
    const shown = table(
      this.options.caption,
      [noun, "From the left (%)", "From the top (%)", "Width (%)", "Height (%)", ""],
      this.list.map((rect, i) => {
        const input = (key: keyof Rect, label: string) => {
          const control = h("input", {
            type: "number",
            min: "0",
            max: "100",
            step: "0.1",
            value: percent(rect[key]),
            attrs: { "aria-label": `${noun} ${i + 1}: ${label} (%)`, inputmode: "decimal" },
          });
          control.addEventListener("change", () => {
            const value = Number(control.value);
            if (!Number.isFinite(value)) return;
            const current = this.list[i];
            if (!current) return;
            const next = tidy({ ...current, [key]: value / 100 });
            this.list[i] = next;
            control.value = percent(next[key]);
            this.drawRects(i);
          });
          control.addEventListener("focus", () => this.drawRects(i));
          return control;
        };
        const remove = button("Remove", {
          attrs: { "aria-label": `Remove ${noun.toLowerCase()} ${i + 1}` },
        });
        remove.addEventListener("click", () => {
          this.list.splice(i, 1);
          this.draw();
          this.options.announce(`${noun} ${i + 1} removed.`);
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
      (row as HTMLElement).dataset.rect = String(i);
    });
    fill(this.numbers, shown);
  }

  /** Redraws the rectangles only (the numbers keep focus), `selected` highlighted. */
  private drawRects(selected: number): void {
    this.overlay.querySelectorAll("rect").forEach((shape, i) => {
      const rect = this.list[i];
      if (!rect) return;
      place(shape, rect);
      shape.classList.toggle("selected", i === selected);
    });
  }

  private startDrawing(event: PointerEvent): void {
    if (event.button !== 0 || this.list.length >= this.options.max) return;
    event.preventDefault();
    const box = this.stage.getBoundingClientRect();
    const point = (e: PointerEvent) => ({
      x: clamp((e.clientX - box.left) / box.width, 0, 1),
      y: clamp((e.clientY - box.top) / box.height, 0, 1),
    });
    const origin = point(event);
    const index = this.list.length;
    this.list.push({ x: origin.x, y: origin.y, width: 0, height: 0 });
    const shape = svg("rect", { class: `${this.options.kind}-rect selected` });
    this.overlay.append(shape);
    const spanned = (e: PointerEvent): Rect => {
      const p = point(e);
      return {
        x: Math.min(origin.x, p.x),
        y: Math.min(origin.y, p.y),
        width: Math.abs(p.x - origin.x),
        height: Math.abs(p.y - origin.y),
      };
    };
    const move = (e: PointerEvent) => {
      const rect = spanned(e);
      this.list[index] = rect;
      place(shape, rect);
    };
    const end = (e: PointerEvent) => {
      this.stage.removeEventListener("pointermove", move);
      this.stage.removeEventListener("pointerup", end);
      this.stage.removeEventListener("pointercancel", end);
      const rect = spanned(e);
      if (rect.width < SMALLEST || rect.height < SMALLEST) this.list.splice(index, 1);
      else {
        this.list[index] = tidy(rect);
        this.options.announce(`${this.options.noun} ${index + 1} drawn.`);
      }
      this.draw();
    };
    this.stage.setPointerCapture(event.pointerId);
    this.stage.addEventListener("pointermove", move);
    this.stage.addEventListener("pointerup", end);
    this.stage.addEventListener("pointercancel", end);
  }
}

/** The SVG attributes of `rect` in the overlay's 1000 × 1000 box. */
function at(rect: Rect): Record<string, number> {
  return {
    x: rect.x * 1000,
    y: rect.y * 1000,
    width: rect.width * 1000,
    height: rect.height * 1000,
  };
}

function place(shape: SVGRectElement, rect: Rect): void {
  for (const [name, value] of Object.entries(at(rect))) shape.setAttribute(name, String(value));
}
