/**
 * Devices, for IT: enrol a classroom box (its secret is shown once, to be
 * written into the box's settings, and never again), disable or enable one,
 * give one a new secret, and retire one for good (it wipes its footage when
 * it next connects). Every box, a page at a time, found by room or name and
 * status.
 */
import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { day, when } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { DeviceWithSecret, FleetDevice, FleetPage } from "../types-school.js";
import {
  Messages,
  badge,
  button,
  confirmDialog,
  field,
  loading,
  onPress,
  onSubmit,
  section,
  table,
} from "../ui.js";
import { Pager } from "./school-parts.js";

const PAGE = 50;
/** As the protocol's device ids (`DEVICE_ID_PATTERN`). */
const DEVICE_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export const devicesScreen: Screen = {
  path: "devices",
  title: "Devices",
  menu: "Devices",
  who: ["it"],
  async render(screen) {
    await new DevicesView(screen).start();
  },
};

function statusWords(device: FleetDevice): HTMLElement {
  switch (device.status) {
    case "active":
      return badge(
        device.online ? "In use — online" : "In use — offline",
        device.online ? "good" : "info",
      );
    case "disabled":
      return badge("Disabled", "warning");
    case "retired":
      return h(
        "span",
        null,
        badge("Retired", "warning"),
        h(
          "span",
          { class: "cell-note" },
          device.wipedAt === null
            ? "Not yet wiped: it wipes its footage when it next connects"
            : `Wiped ${when(device.wipedAt)}`,
        ),
      );
  }
}

class DevicesView {
  private readonly messages = new Messages();
  private readonly secretPlace = h("div");
  private readonly list = h("div");
  private readonly search = h("input", { type: "search", name: "q", autocomplete: "off" });
  private readonly status = h(
    "select",
    { name: "status" },
    h("option", { value: "in-use" }, "In use or disabled"),
    h("option", { value: "active" }, "In use"),
    h("option", { value: "disabled" }, "Disabled"),
    h("option", { value: "retired" }, "Retired"),
    h("option", { value: "any" }, "Every box ever enrolled"),
  );
  private readonly pager = new Pager("boxes", PAGE, (offset) => void this.load(offset));
  private offset = 0;

  constructor(private readonly screen: ScreenContext) {}

  async start(): Promise<void> {
    let typing: number | null = null;
    this.search.addEventListener("input", () => {
      if (typing !== null) window.clearTimeout(typing);
      typing = window.setTimeout(() => void this.load(0), 300);
    });
    this.status.addEventListener("change", () => void this.load(0));
    this.screen.onLeave(() => {
      if (typing !== null) window.clearTimeout(typing);
    });
    this.screen.body.append(
      this.enrolForm(),
      this.secretPlace,
      section(
        "Boxes",
        h(
          "form",
          {
            class: "toolbar",
            attrs: { role: "search", "aria-label": "Find boxes" },
            on: { submit: (event) => event.preventDefault() },
          },
          field("Room or box name", this.search),
          field("Status", this.status),
        ),
        this.messages.element,
        this.list,
        this.pager.element,
      ),
    );
    fill(this.list, loading("Loading the boxes…"));
    this.screen.live("devices", () => void this.load(this.offset, true));
    await this.load(0);
  }

  private enrolForm(): HTMLElement {
    const messages = new Messages();
    const id = h("input", {
      name: "id",
      required: true,
      maxLength: 64,
      autocomplete: "off",
      attrs: { spellcheck: "false", autocapitalize: "none" },
    });
    const room = h("input", { name: "room", required: true, maxLength: 100, autocomplete: "off" });
    const form = h(
      "form",
      { class: "form", noValidate: true },
      h(
        "div",
        { class: "row" },
        field("Room", room, "As the school names it, e.g. Science 2"),
        field("Box name", id, "Its id: lower-case letters, digits and hyphens, e.g. sci-2"),
      ),
      messages.element,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "button primary" }, "Enrol the box"),
      ),
    );
    onSubmit(form, messages, async () => {
      const name = id.value.trim();
      if (room.value.trim() === "") {
        messages.problem("Please give the room the box is in.");
        room.focus();
        return;
      }
      if (!DEVICE_ID.test(name)) {
        messages.problem(
          "The box name may use only lower-case letters, digits and hyphens, starting and ending with a letter or digit (e.g. sci-2).",
        );
        id.focus();
        return;
      }
      const enrolled = await api.post<DeviceWithSecret>("/api/devices", {
        id: name,
        room: room.value.trim(),
      });
      id.value = "";
      room.value = "";
      this.showSecret(`${enrolled.device.room} (${enrolled.device.id}) is enrolled.`, enrolled);
      await this.load(this.offset, true);
    });
    return section("Enrol a box", form);
  }

  /** The secret, once: to be written into the box's settings now. */
  private showSecret(lead: string, answer: DeviceWithSecret): void {
    const secret = answer.secret ?? "";
    const heading = h("h2", { tabIndex: -1 }, `The secret for ${answer.device.room}`);
    const done = button("I have written it down — hide it", {}, "primary");
    const panel = h(
      "section",
      { class: "panel secret-panel", attrs: { "aria-label": "The box's secret" } },
      heading,
      h("p", { attrs: { role: "status" } }, lead),
      h(
        "p",
        null,
        "Put this secret into the box’s settings (",
        h("code", null, "secret"),
        ") now. It is shown only this once: nobody can see it again, not even IT. If it is lost, give the box a new secret.",
      ),
      h("p", { class: "secret" }, h("code", { attrs: { "data-secret": "" } }, secret)),
      h("div", { class: "actions" }, done),
    );
    done.addEventListener("click", () => {
      fill(this.secretPlace);
      this.screen.announce("The secret is hidden.");
      this.list.querySelector<HTMLElement>("table")?.focus();
    });
    fill(this.secretPlace, panel);
    heading.focus();
  }

  private async load(offset: number, quiet = false): Promise<void> {
    try {
      const page = await api.get<FleetPage>(
        `/api/fleet${query({
          q: this.search.value.trim() || undefined,
          status: this.status.value,
          offset,
          limit: PAGE,
        })}`,
      );
      this.offset = offset;
      this.draw(page);
    } catch (error) {
      if (!quiet) this.messages.error(error);
    }
  }

  private draw(page: FleetPage): void {
    const focused = document.activeElement?.getAttribute("data-focus") ?? null;
    if (page.matched === 0) {
      fill(
        this.list,
        h("p", { class: "empty" }, page.total === 0 ? "No box yet." : "No box matches."),
      );
    } else {
      const shown = table(
        "Enrolled boxes, by room",
        ["Room", "Box name", "Status", "Enrolled", ""],
        page.devices.map((device) => [
          device.room,
          h("code", null, device.id),
          statusWords(device),
          day(device.enrolledAt),
          this.actions(device),
        ]),
      );
      shown.querySelector("table")?.setAttribute("tabindex", "-1");
      fill(this.list, shown);
    }
    this.pager.show(page.offset, page.devices.length, page.matched);
    if (focused !== null) {
      this.list.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
    }
  }

  private actions(device: FleetDevice): HTMLElement | null {
    if (device.status === "retired") return null;
    const act = (
      label: string,
      action: "disable" | "enable" | "retire" | "rotate-secret",
      kind: "secondary" | "danger" = "secondary",
    ) => {
      const control = button(
        label,
        {
          attrs: {
            "aria-label": `${label}: ${device.room} (${device.id})`,
            "data-focus": `${action}-${device.id}`,
          },
        },
        kind,
      );
      onPress(control, this.messages, async () => {
        if (action === "retire") {
          const sure = await confirmDialog(
            `Retire the box in ${device.room}?`,
            "A retired box records nothing more; when it next connects it wipes all the footage it holds. " +
              `Its name (${device.id}) can never be used again. This cannot be undone.`,
            "Retire it",
          );
          if (!sure) return;
        }
        if (action === "rotate-secret") {
          const sure = await confirmDialog(
            `Give the box in ${device.room} a new secret?`,
            "Its old secret stops working at once: the box is offline until the new one is in its settings.",
            "Give it a new secret",
          );
          if (!sure) return;
        }
        const answer = await api.post<DeviceWithSecret>(
          `/api/devices/${encodeURIComponent(device.id)}/${action}`,
        );
        const words = {
          disable: `The box in ${device.room} is disabled: it cannot connect until it is enabled.`,
          enable: `The box in ${device.room} is enabled again.`,
          retire: `The box in ${device.room} is retired.`,
          "rotate-secret": `The box in ${device.room} has a new secret.`,
        }[action];
        if (action === "rotate-secret") this.showSecret(words, answer);
        else this.messages.success(words);
        await this.load(this.offset, true);
      });
      return control;
    };
    return h(
      "div",
      { class: "actions tight" },
      device.status === "active" ? act("Disable", "disable") : act("Enable", "enable"),
      act("New secret", "rotate-secret"),
      act("Retire", "retire", "danger"),
    );
  }
}
