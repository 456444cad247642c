/**
 * On the policy screen: who concerns flagged about recordings go to — the
 * school's named concern leads (members of SLT, the headteacher or the
 * DPO), or, with none ticked, all of them.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import type { StaffMember } from "../types.js";
import type { ConcernLeads } from "../types-notifications.js";
import { Messages, button, checkbox, onSubmit, section } from "../ui.js";

const LEAD_ROLES = new Set(["slt", "headteacher", "dpo"]);

export function concernLeadsForm(): HTMLElement {
  const messages = new Messages();
  const form = h("form", { class: "form" });
  const now = h("p", { attrs: { role: "status" } });
  const part = section(
    "Concern leads",
    h(
      "p",
      null,
      "Anyone who may see a recording can flag a concern about what it shows. Tick who it goes " +
        "to; they are told, and answer it in the dashboard. With nobody ticked, it goes to " +
        "every member of SLT, the headteacher and the DPO.",
    ),
    messages.element,
    now,
    form,
  );
  const load = async () => {
    const [leads, staff] = await Promise.all([
      api.get<ConcernLeads>("/api/concerns/leads"),
      api.get<StaffMember[]>("/api/staff"),
    ]);
    const candidates = staff.filter((person) => person.roles.some((role) => LEAD_ROLES.has(role)));
    const names = new Map(staff.map((person) => [person.id, person.displayName]));
    now.textContent = `Concerns go to: ${leads.leads.map((id) => names.get(id) ?? id).join(", ") || "nobody yet"}.`;
    const boxes = candidates.map((person) =>
      checkbox(person.displayName, {
        name: "lead",
        value: person.id,
        checked: leads.named.includes(person.id),
      }),
    );
    form.replaceChildren(
      h(
        "fieldset",
        null,
        h("legend", null, "Concern leads"),
        boxes.map((box) => h("div", null, box)),
      ),
      h(
        "div",
        { class: "actions" },
        button("Save the concern leads", { type: "submit" }, "primary"),
      ),
    );
    return boxes;
  };
  let boxes: HTMLLabelElement[] = [];
  onSubmit(form, messages, async () => {
    const named = boxes
      .map((box) => box.querySelector("input"))
      .filter((input): input is HTMLInputElement => input?.checked === true)
      .map((input) => input.value);
    await api.put<ConcernLeads>("/api/concerns/leads", { leads: named });
    boxes = await load();
    messages.success("Saved: concerns go to the people named above.");
  });
  load().then(
    (loaded) => {
      boxes = loaded;
    },
    (error: unknown) => {
      messages.error(error);
    },
  );
  return part;
}
