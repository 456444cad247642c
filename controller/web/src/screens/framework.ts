/**
 * The school's framework, for SLT and the headteacher: the strands coaching
 * feedback and assignments are tagged with. It starts as the Teachers'
 * Standards and the Early Career Framework's headings; the school renames
 * them in its own words, adds its own and retires what it no longer uses (a
 * retired strand stays on the feedback it tagged).
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { Strand } from "../types-coaching.js";
import {
  Messages,
  badge,
  button,
  field,
  loading,
  onPress,
  onSubmit,
  section,
  table,
} from "../ui.js";

export const framework: Screen = {
  path: "framework",
  title: "The school's framework",
  menu: "Framework",
  who: ["slt", "headteacher"],
  async render(screen) {
    await new FrameworkView(screen).start();
  },
};

class FrameworkView {
  private readonly messages = new Messages();
  private readonly place = h("div");

  constructor(private readonly screen: ScreenContext) {}

  async start(): Promise<void> {
    this.screen.body.append(
      h(
        "p",
        null,
        "The strands your coaching uses. Coaches tag feedback and assignments with them, and " +
          "everyone can filter by them. Rename a strand in the school's own words; retire one " +
          "you no longer use — it stays on the feedback it was given with.",
      ),
      this.messages.element,
      this.place,
      section("Add a strand", this.addForm()),
    );
    fill(this.place, loading("Loading the strands…"));
    await this.load();
  }

  private async load(): Promise<void> {
    const strands = await api.get<Strand[]>("/api/strands?includeRetired=true");
    fill(
      this.place,
      table(
        "The strands, in order",
        ["Code", "Strand", "Framework", ""],
        strands.map((strand) => [
          strand.code,
          h(
            "span",
            null,
            strand.name,
            strand.version > 1 && h("span", { class: "hint" }, ` (version ${strand.version})`),
            strand.retiredAt !== null && [" ", badge("Retired", "warning")],
          ),
          strand.framework,
          strand.retiredAt === null ? this.actions(strand) : "",
        ]),
      ),
    );
  }

  private actions(strand: Strand): HTMLElement {
    const rename = button("Rename", { attrs: { "aria-label": `Rename ${strand.code}` } });
    const retire = button("Retire", { attrs: { "aria-label": `Retire ${strand.code}` } }, "danger");
    const name = h("input", { name: "name", value: strand.name, maxLength: 200 });
    const editing = h("div", { hidden: true }, field(`New name for ${strand.code}`, name));
    const save = button("Save the name", {}, "primary");
    editing.append(save);
    rename.addEventListener("click", () => {
      editing.hidden = false;
      name.focus();
    });
    onPress(save, this.messages, async () => {
      await api.patch(`/api/strands/${strand.strandId}`, { name: name.value });
      this.messages.success(`${strand.code} is renamed.`);
      await this.load();
    });
    onPress(retire, this.messages, async () => {
      await api.post(`/api/strands/${strand.strandId}/retire`);
      this.messages.success(`${strand.code} is retired; it stays on earlier feedback.`);
      await this.load();
    });
    return h("div", { class: "actions tight" }, rename, retire, editing);
  }

  private addForm(): HTMLFormElement {
    const frameworkName = h("input", { name: "framework", value: "Our school", maxLength: 80 });
    const code = h("input", { name: "code", maxLength: 16, required: true });
    const name = h("input", { name: "name", maxLength: 200, required: true });
    const messages = new Messages();
    const form = h(
      "form",
      { class: "form", noValidate: true },
      field("Framework", frameworkName),
      field("Code", code, "A short code of its own, such as OS1."),
      field("Strand", name, "In the school's words."),
      messages.element,
      h("button", { type: "submit", class: "button primary" }, "Add the strand"),
    );
    onSubmit(form, messages, async () => {
      if (code.value.trim() === "" || name.value.trim() === "") {
        messages.problem("Please give the strand a code and a name.");
        return;
      }
      await api.post("/api/strands", {
        framework: frameworkName.value,
        code: code.value,
        name: name.value,
      });
      this.messages.success(`${code.value.trim()} is added.`);
      code.value = "";
      name.value = "";
      await this.load();
    });
    return form;
  }
}
