/**
 * Choosing strands of the school's framework: a group of checkboxes per
 * framework (the Teachers' Standards, the Early Career Framework, the
 * school's own), in the framework's order. Only strands in force are offered.
 */
import { h } from "../dom.js";
import type { Strand } from "../types-coaching.js";
import { checkbox } from "../ui.js";

export class StrandPick {
  readonly element: HTMLFieldSetElement;
  private readonly boxes: { strand: Strand; input: HTMLInputElement }[] = [];

  constructor(strands: readonly Strand[], legend = "Strands of the school's framework (optional)") {
    const frameworks = [...new Set(strands.map((s) => s.framework))];
    this.element = h(
      "fieldset",
      { class: "strands" },
      h("legend", null, legend),
      frameworks.map((framework) =>
        h(
          "details",
          null,
          h("summary", null, framework),
          strands
            .filter((s) => s.framework === framework && s.retiredAt === null)
            .map((strand) => {
              const label = checkbox(`${strand.code} ${strand.name}`, {
                name: "strand",
                value: String(strand.strandId),
              });
              const input = label.querySelector("input");
              if (input) this.boxes.push({ strand, input });
              return label;
            }),
        ),
      ),
    );
  }

  /** The strands ticked. */
  chosen(): number[] {
    return this.boxes.filter((b) => b.input.checked).map((b) => b.strand.strandId);
  }

  clear(): void {
    for (const box of this.boxes) box.input.checked = false;
  }
}
