/**
 * Pieces the school-management screens share: pages of a long list (the
 * fleet has thousands of boxes: the page holds one page of rows), a lamp
 * shown as people see it in the room, choices as radio buttons, local dates
 * and times for form fields, and staff names by id.
 */
import { h, uid } from "../dom.js";
import { lamp as lampWords } from "../format.js";
import type { LampMode, StaffMember } from "../types.js";
import { button } from "../ui.js";

const LAMP_MODES: readonly string[] = ["off", "recording", "video-only", "refused", "error"];

/** The lamp as a dot and words; `data-lamp` says on/off for tests and styles. */
export function lampView(mode: string | null): HTMLSpanElement {
  if (mode === null || !LAMP_MODES.includes(mode)) {
    return h("span", { class: "lamp-view", attrs: { "data-lamp": "unknown" } }, "Not known");
  }
  const on = mode === "recording" || mode === "video-only";
  return h(
    "span",
    {
      class: `lamp-view ${on ? "on" : mode === "off" ? "off" : "fault"}`,
      attrs: { "data-lamp": on ? "on" : "off", "data-mode": mode },
    },
    h("span", { class: "lamp-dot", attrs: { "aria-hidden": "true" } }),
    lampWords(mode as LampMode),
  );
}

/**
 * Previous/next buttons and where we are ("Boxes 51–100 of 3,000"), for a
 * list the server hands out a page at a time. `go(offset)` loads a page.
 */
export class Pager {
  readonly element: HTMLElement;
  private readonly where = h("p", { class: "pager-where", attrs: { "aria-live": "polite" } });
  private readonly previous = button("Previous page");
  private readonly next = button("Next page");
  private offset = 0;
  private matched = 0;

  constructor(
    private readonly noun: string,
    private readonly size: number,
    private readonly go: (offset: number) => void,
  ) {
    this.previous.addEventListener("click", () => {
      if (this.offset > 0) this.go(Math.max(0, this.offset - this.size));
    });
    this.next.addEventListener("click", () => {
      if (this.offset + this.size < this.matched) this.go(this.offset + this.size);
    });
    this.element = h(
      "nav",
      { class: "pager", attrs: { "aria-label": `Pages of ${noun}` } },
      this.previous,
      this.where,
      this.next,
    );
  }

  show(offset: number, shown: number, matched: number): void {
    this.offset = offset;
    this.matched = matched;
    const count = matched.toLocaleString("en-GB");
    this.where.textContent =
      matched === 0
        ? `No ${this.noun}`
        : `${this.noun.charAt(0).toUpperCase()}${this.noun.slice(1)} ${(offset + 1).toLocaleString("en-GB")}–${(offset + shown).toLocaleString("en-GB")} of ${count}`;
    this.previous.disabled = offset === 0;
    this.next.disabled = offset + this.size >= matched;
    this.element.hidden = matched <= this.size && offset === 0;
  }
}

/** Radio buttons in a fieldset; `value()` is the chosen one's value. */
export function radios(
  legend: string,
  options: readonly { value: string; label: string }[],
  checked: string | null,
): { fieldset: HTMLFieldSetElement; value: () => string | null; set: (v: string) => void } {
  const name = uid("choice");
  const inputs = options.map((option) =>
    h("input", { type: "radio", name, value: option.value, checked: option.value === checked }),
  );
  const fieldset = h(
    "fieldset",
    { class: "field" },
    h("legend", null, legend),
    options.map((option, i) => h("label", { class: "check" }, inputs[i], " ", option.label)),
  );
  return {
    fieldset,
    value: () => inputs.find((input) => input.checked)?.value ?? null,
    set: (value) => {
      for (const input of inputs) input.checked = input.value === value;
    },
  };
}

const pad = (n: number) => String(n).padStart(2, "0");
/** "2026-03-03", in the browser's time zone. */
export const localDate = (d: Date) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
/** "09:05", in the browser's time zone. */
export const localTime = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** Monday 00:00 (local) of the week holding `day`. */
export function mondayOf(day: Date): Date {
  const monday = new Date(day.getFullYear(), day.getMonth(), day.getDate());
  monday.setDate(monday.getDate() - ((monday.getDay() + 6) % 7));
  return monday;
}

/** A person's name from the staff list, or their id. */
export function namer(staff: readonly StaffMember[]): (id: string) => string {
  const names = new Map(staff.map((s) => [s.id, s.displayName]));
  return (id) => names.get(id) ?? id;
}

/** Runs `work` at most once per `ms`, the last call winning (live notices come in bursts). */
export function throttle(work: () => void, ms: number): { run: () => void; stop: () => void } {
  let timer: number | null = null;
  let wanted = false;
  let last = 0;
  const fire = () => {
    timer = null;
    if (!wanted) return;
    wanted = false;
    last = Date.now();
    work();
  };
  return {
    run: () => {
      wanted = true;
      if (timer !== null) return;
      timer = window.setTimeout(fire, Math.max(0, last + ms - Date.now()));
    },
    stop: () => {
      if (timer !== null) window.clearTimeout(timer);
      timer = null;
      wanted = false;
    },
  };
}
