/**
 * The Staff screen's section for the school's sign-in (shown only when the
 * controller signs people in through the school's identity provider): which
 * classcam roles each group (or app role) of the provider gives. The config
 * file's map until changed here; a change applies at each person's next
 * sign-in. A group given a role that sees footage does not give it to the
 * administrator who gave it: another administrator or the headteacher must.
 */
import type { Static } from "@sinclair/typebox";
import type { RoleMapSchema } from "../../../src/routes/oidc-role-map-schemas.js";
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { ApiError } from "../errors.js";
import { role, when } from "../format.js";
import { COLLEAGUE_ROLES as FOOTAGE, type Role } from "../types.js";
import { Messages, button, field, loading, onSubmit, section } from "../ui.js";
import { roleChoice } from "./staff-add.js";

type RoleMap = Static<typeof RoleMapSchema>;

interface Line {
  element: HTMLElement;
  group: HTMLInputElement;
  roles: () => Role[];
}

/** The section; it removes itself when the controller has no identity provider. */
export function roleMapSection(me: string): HTMLElement {
  const place = h("div", null, loading("Loading the groups…"));
  const element = section("Groups at the school's sign-in", place);
  void load(me, element, place);
  return element;
}

async function load(me: string, element: HTMLElement, place: HTMLElement): Promise<void> {
  let map: RoleMap;
  try {
    map = await api.get<RoleMap>("/api/oidc/role-map");
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      element.remove();
      return;
    }
    const messages = new Messages();
    messages.error(error);
    fill(place, messages.element);
    return;
  }
  draw(me, place, map);
}

function origin(map: RoleMap): string {
  if (map.source === "config" || map.changedAt === null) {
    return "These come from the controller's config file: nobody has changed them here yet.";
  }
  return `Last changed by ${map.changedBy ?? "someone"}, ${when(map.changedAt)}.`;
}

function draw(me: string, place: HTMLElement, map: RoleMap, saved?: string): void {
  const messages = new Messages();
  if (saved !== undefined) messages.success(saved);
  const lines: Line[] = [];
  const list = h("div", { class: "group-lines" });
  const add = (group: string, roles: readonly Role[], setBy: string | null) => {
    const number = lines.length + 1;
    const input = h("input", {
      name: "group",
      value: group,
      maxLength: 200,
      attrs: { autocomplete: "off" },
    });
    const choice = roleChoice(`Roles group ${number} gives`, roles);
    const line: Line = { element: h("div"), group: input, roles: choice.chosen };
    const remove = button(`Remove group ${number}`, {
      on: {
        click: () => {
          line.element.remove();
          lines.splice(lines.indexOf(line), 1);
        },
      },
    });
    const own = setBy === me && roles.some((code) => FOOTAGE.includes(code));
    line.element = h(
      "div",
      { class: "group-line" },
      field(
        `Group ${number}`,
        input,
        "Its name (or id) exactly as the provider sends it; * means everyone of the school.",
      ),
      choice.element,
      own &&
        h(
          "p",
          { class: "hint" },
          `You gave this group ${roles
            .filter((code) => FOOTAGE.includes(code))
            .map(role)
            .join(", ")}: ` + "your own sign-in does not get it through this group.",
        ),
      remove,
    );
    lines.push(line);
    list.append(line.element);
  };
  for (const entry of map.entries) add(entry.group, entry.roles, entry.setBy);
  const form = h(
    "form",
    { class: "form", noValidate: true },
    list,
    h(
      "div",
      { class: "actions" },
      button("Add a group", { on: { click: () => add("", [], null) } }),
    ),
    messages.element,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button primary" }, "Save the groups"),
    ),
  );
  onSubmit(form, messages, async () => {
    const entries = lines.map((line) => ({ group: line.group.value.trim(), roles: line.roles() }));
    const changed = await api.put<RoleMap>("/api/oidc/role-map", { entries });
    draw(
      me,
      place,
      changed,
      "Saved. Each person's roles follow these groups at their next sign-in.",
    );
  });
  fill(
    place,
    h(
      "p",
      null,
      "Which roles people get when they sign in through the school's accounts, by the groups " +
        "(or app roles) they are in. A role that sees footage is given only by another " +
        "administrator or the headteacher: one you give a group does not reach you through it.",
    ),
    h("p", { class: "hint" }, origin(map)),
    form,
  );
}
