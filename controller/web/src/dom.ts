/**
 * A tiny helper for building the page with the DOM itself: `h("button",
 * { type: "button", on: { click } }, "Save")`. Properties are set as
 * properties (typed by the element), `attrs` as attributes (ARIA, roles),
 * `on` as listeners; children are nodes, text, or lists of them (null, false
 * and undefined are skipped). No templates, no virtual DOM: screens rebuild
 * the part that changed.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];
export type Attributes = Record<string, string | number | boolean | null | undefined>;
type Listeners = { [E in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[E]) => void };

/** An element's own properties, without index signatures (a form's `[name: string]: any`). */
type Known<T> = {
  [P in keyof T as string extends P ? never : number extends P ? never : P]: T[P];
};

export type Props<K extends keyof HTMLElementTagNameMap> = Partial<
  Omit<
    Known<HTMLElementTagNameMap[K]>,
    "style" | "className" | "classList" | "dataset" | "attributes" | "children" | "childNodes"
  >
> & {
  class?: string;
  attrs?: Attributes;
  on?: Listeners;
};

function setAttribute(element: Element, name: string, value: Attributes[string]): void {
  if (value === null || value === undefined || value === false) element.removeAttribute(name);
  else element.setAttribute(name, value === true ? "" : String(value));
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (typeof child === "string" || typeof child === "number") {
      parent.appendChild(document.createTextNode(String(child)));
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      append(parent, child);
    }
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props<K> | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props !== null) {
    const { class: className, attrs, on, ...rest } = props;
    Object.assign(element, rest);
    if (className !== undefined) element.className = className;
    for (const [name, value] of Object.entries(attrs ?? {})) setAttribute(element, name, value);
    for (const [type, listener] of Object.entries(on ?? {})) {
      element.addEventListener(type, listener as EventListener);
    }
  }
  append(element, children);
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attributes = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) setAttribute(element, name, value);
  append(element, children);
  return element;
}

/** Replaces what `parent` holds. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A page-unique id, for label–control and description pairs. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}
