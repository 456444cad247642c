/**
 * The fleet: every classroom box, a page at a time (a school may have
 * thousands) — online or not, its lamp (lit while it records), storage used
 * and how many days of recording it still holds, how worn its card is, its
 * temperature, software and when it was last seen, and its alerts. Filters
 * find a room or the boxes that need attention; each room's door sign is a
 * link (a PDF to print). IT may ask a box for a
 * camera test frame; IT and leadership mark alerts as dealt with. The page
 * follows the boxes live.
 */
import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { alertKind, bytes, when } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { Policy, Role } from "../types.js";
import type { Alert, FleetDevice, FleetPage, FleetShow, SelfTestResult } from "../types-school.js";
import { Messages, badge, button, field, loading, onPress, section, table } from "../ui.js";
import { Pager, lampView, throttle } from "./school-parts.js";
import { mailOutboxPanel } from "./mail-outbox-panel.js";

export const FLEET_PAGE = 50;
const ALERTS_SHOWN = 20;
const HOT_C = 75;
const CLEARS: readonly Role[] = ["it", "slt", "headteacher"];

export const fleet: Screen = {
  path: "fleet",
  title: "Fleet",
  menu: "Fleet",
  who: ["bursar", "it", "slt", "headteacher", "admin"],
  async render(screen) {
    if (screen.person?.roles.some((role) => role === "it" || role === "admin") === true)
      screen.body.append(mailOutboxPanel());
    const view = new FleetView(screen);
    await view.start();
  },
};

/** The room's door sign to print (A4 PDF, made from the live policy: routes/privacy.ts). */
function doorSignLink(device: FleetDevice): HTMLElement {
  return h(
    "a",
    {
      class: "cell-note",
      href: `/api/devices/${encodeURIComponent(device.id)}/door-sign`,
      target: "_blank",
      rel: "noopener",
      attrs: { "aria-label": `Door sign for ${device.room} (PDF to print)` },
    },
    "Door sign (PDF)",
  );
}

/** "Online", or when it was last seen. */
function connection(device: FleetDevice): HTMLElement | string {
  if (device.status === "retired") return badge("Retired", "warning");
  if (device.status === "disabled") return badge("Disabled", "warning");
  if (device.online) return badge("Online", "good");
  return h(
    "span",
    null,
    badge("Offline", "warning"),
    h(
      "span",
      { class: "cell-note" },
      device.lastSeenAt === null ? "Never connected" : `Last seen ${when(device.lastSeenAt)}`,
    ),
  );
}

/** Storage used, and how many days of recording the box still has room for. */
function storage(device: FleetDevice, keptDays: number): HTMLElement | string {
  const figures = device.storage;
  if (figures === null) return "Not reported yet";
  const used = figures.totalBytes - figures.freeBytes;
  const days =
    device.bufferDays === null
      ? "Days of buffer: no recent recording"
      : device.bufferDays >= 60
        ? "Over 60 days of buffer"
        : `${device.bufferDays.toFixed(device.bufferDays < 10 ? 1 : 0)} days of buffer`;
  return h(
    "span",
    null,
    `${bytes(used)} of ${bytes(figures.totalBytes)} used`,
    h("span", { class: "cell-note" }, days),
    device.bufferDays !== null &&
      device.bufferDays < keptDays && [
        " ",
        badge(`Fewer than the ${keptDays} days footage is kept`, "warning"),
      ],
    figures.protectedBytes > 0 &&
      h("span", { class: "cell-note" }, `${bytes(figures.protectedBytes)} protected`),
  );
}

function wear(device: FleetDevice): HTMLElement | string {
  if (device.bytesWritten === null) return "—";
  return h(
    "span",
    null,
    `${bytes(device.bytesWritten)} written`,
    device.cardWrites !== null &&
      h(
        "span",
        { class: "cell-note" },
        `${device.cardWrites < 10 ? device.cardWrites.toFixed(1) : Math.round(device.cardWrites)} × the card’s size`,
      ),
  );
}

function temperature(device: FleetDevice): HTMLElement | string {
  if (device.temperatureC === null) return "—";
  const text = `${Math.round(device.temperatureC)} °C`;
  return device.temperatureC >= HOT_C ? h("span", null, text, " ", badge("Hot", "warning")) : text;
}

function alertList(device: FleetDevice): HTMLElement | string {
  if (device.alerts.length === 0) return "None";
  return h(
    "ul",
    { class: "cell-list" },
    device.alerts.map((alert) =>
      h(
        "li",
        null,
        h("strong", null, alertKind(alert.kind)),
        alert.kind === "offline"
          ? null
          : alert.detail !== "" && h("span", { class: "cell-note" }, alert.detail),
      ),
    ),
  );
}

function selfTestWords(room: string, result: SelfTestResult): string {
  const picture = `${result.width} × ${result.height}, ${result.format}${
    result.meanLuma === null ? "" : `, brightness ${Math.round(result.meanLuma)} of 255`
  }`;
  return result.ok
    ? `Camera test in ${room}: the picture looks right (${picture}). ${result.detail}`
    : `Camera test in ${room} found a problem: ${result.detail} (${picture}).`;
}

class FleetView {
  private readonly messages = new Messages();
  private readonly facts = h("dl", { class: "facts fleet-facts" });
  private readonly list = h("div", { class: "fleet-list" });
  private readonly alerts = h("div");
  private readonly search = h("input", { type: "search", name: "q", autocomplete: "off" });
  private readonly show = h(
    "select",
    { name: "show" },
    h("option", { value: "all" }, "Every box"),
    h("option", { value: "alerts" }, "Boxes with alerts or offline"),
    h("option", { value: "offline" }, "Offline boxes"),
    h("option", { value: "recording" }, "Boxes recording now"),
  );
  private readonly pager = new Pager("boxes", FLEET_PAGE, (offset) => void this.load(offset, true));
  private offset = 0;
  private readonly it: boolean;
  /** The policy's days of footage in a box (a box with room for fewer overwrites it sooner). */
  private keptDays = 7;
  private readonly clears: boolean;

  constructor(private readonly screen: ScreenContext) {
    const roles = screen.person?.roles ?? [];
    this.it = roles.includes("it");
    this.clears = roles.some((role) => CLEARS.includes(role));
  }

  async start(): Promise<void> {
    let typing: number | null = null;
    this.search.addEventListener("input", () => {
      if (typing !== null) window.clearTimeout(typing);
      typing = window.setTimeout(() => void this.load(0, false), 300);
    });
    this.show.addEventListener("change", () => void this.load(0, false));
    this.screen.onLeave(() => {
      if (typing !== null) window.clearTimeout(typing);
    });
    this.screen.body.append(
      this.facts,
      h(
        "p",
        { class: "hint" },
        "Days of buffer: how many days of recording a box’s free and overwritable space holds, at its rate over the last two weeks.",
      ),
      h(
        "form",
        {
          class: "toolbar",
          attrs: { role: "search", "aria-label": "Find boxes" },
          on: { submit: (event) => event.preventDefault() },
        },
        field("Room or box name", this.search),
        field("Show", this.show),
      ),
      this.messages.element,
      this.list,
      this.pager.element,
      this.alerts,
    );
    fill(this.list, loading("Loading the fleet…"));
    const live = throttle(() => {
      void this.load(this.offset, false, true);
      void this.loadAlerts();
    }, 2000);
    this.screen.onLeave(live.stop);
    this.screen.live("devices", live.run);
    this.screen.live("resync", live.run);
    this.keptDays = (await api.get<Policy>("/api/policy")).retention.bufferDays;
    await Promise.all([this.load(0, false), this.loadAlerts()]);
  }

  /** Loads a page; `moved` puts focus on the list (the pager was used). */
  private async load(offset: number, moved: boolean, quiet = false): Promise<void> {
    try {
      const page = await api.get<FleetPage>(
        `/api/fleet${query({
          q: this.search.value.trim() || undefined,
          show: (this.show.value as FleetShow) === "all" ? undefined : this.show.value,
          offset,
          limit: FLEET_PAGE,
        })}`,
      );
      if (page.devices.length === 0 && page.matched > 0 && offset > 0) {
        await this.load(Math.max(0, page.matched - FLEET_PAGE), moved, quiet);
        return;
      }
      this.offset = offset;
      this.draw(page, moved);
    } catch (error) {
      if (!quiet) this.messages.error(error);
    }
  }

  private draw(page: FleetPage, moved: boolean): void {
    const n = (count: number) => count.toLocaleString("en-GB");
    fill(
      this.facts,
      [
        ["Boxes", n(page.total)],
        ["Online", n(page.counts.online)],
        ["Recording now", n(page.counts.recording)],
        ["With alerts", n(page.counts.alerts)],
        ["Offline", n(page.counts.offline)],
      ].map(([term, value]) => h("div", null, h("dt", null, term), h("dd", null, value))),
    );
    // a live redraw keeps the keyboard where it was
    const focused = document.activeElement?.getAttribute("data-focus") ?? null;
    const rows = page.devices.map((device) => {
      const row: (HTMLElement | string | null)[] = [
        h(
          "span",
          null,
          h("strong", null, device.room),
          h("span", { class: "cell-note" }, device.id),
          // its footage is not a lesson: say so where the room is named
          device.backend === "sim" ? badge("Simulated box", "warning") : null,
          doorSignLink(device),
        ),
        connection(device),
        lampView(device.lamp),
        storage(device, this.keptDays),
        wear(device),
        temperature(device),
        device.software ?? "—",
        alertList(device),
      ];
      if (this.it) row.push(this.testButton(device));
      return row;
    });
    const headings = [
      "Room",
      "Connection",
      "Lamp",
      "Storage",
      "Card wear",
      "Temperature",
      "Software",
      "Alerts",
      ...(this.it ? [""] : []),
    ];
    if (page.matched === 0) {
      fill(
        this.list,
        h(
          "p",
          { class: "empty" },
          page.total === 0 ? "No classroom box is enrolled yet." : "No box matches.",
        ),
      );
    } else {
      const shown = table("Classroom boxes, by room", headings, rows);
      const body = shown.querySelectorAll("tbody tr");
      page.devices.forEach((device, i) => {
        const tr = body[i];
        if (tr instanceof HTMLElement) {
          tr.dataset.device = device.id;
          if (device.alerts.some((a) => a.kind !== "offline")) tr.classList.add("has-alert");
        }
      });
      fill(this.list, shown);
    }
    this.list.dataset.rows = String(page.devices.length);
    this.pager.show(page.offset, page.devices.length, page.matched);
    if (focused !== null) {
      this.list.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
    } else if (moved) {
      // paged: the keyboard goes on from the top of the new page
      const shown = this.list.querySelector<HTMLElement>("table");
      shown?.setAttribute("tabindex", "-1");
      shown?.focus();
    }
  }

  private testButton(device: FleetDevice): HTMLButtonElement {
    const test = button("Test the camera", {
      attrs: {
        "aria-label": `Test the camera in ${device.room}`,
        "data-focus": `test-${device.id}`,
      },
    });
    onPress(test, this.messages, async () => {
      this.messages.success(`Asking the box in ${device.room} for a test picture…`);
      const { result } = await api.post<{ result: SelfTestResult }>(
        `/api/devices/${encodeURIComponent(device.id)}/self-test`,
      );
      const words = selfTestWords(device.room, result);
      if (result.ok) this.messages.success(words);
      else this.messages.problem(words);
    });
    return test;
  }

  private async loadAlerts(): Promise<void> {
    let alerts: Alert[];
    try {
      alerts = await api.get<Alert[]>("/api/alerts");
    } catch (error) {
      this.messages.error(error);
      return;
    }
    const messages = new Messages();
    const shown = alerts.slice(0, ALERTS_SHOWN);
    fill(
      this.alerts,
      section(
        "Open alerts",
        messages.element,
        alerts.length === 0
          ? h("p", { class: "empty" }, "No open alerts.")
          : [
              table(
                "Open alerts, newest first",
                ["Room", "Alert", "Since", ...(this.clears ? [""] : [])],
                shown.map((alert) => {
                  const row: (HTMLElement | string)[] = [
                    alert.room,
                    h(
                      "span",
                      null,
                      h("strong", null, alertKind(alert.kind)),
                      h("span", { class: "cell-note" }, alert.detail),
                    ),
                    when(alert.raisedAt),
                  ];
                  if (this.clears) {
                    const clear = button("Mark as dealt with", {
                      attrs: {
                        "aria-label": `Mark as dealt with: ${alertKind(alert.kind)} in ${alert.room}`,
                        "data-focus": `clear-${alert.alertId}`,
                      },
                    });
                    onPress(clear, messages, async () => {
                      await api.post(`/api/alerts/${alert.alertId}/clear`);
                      this.screen.announce(`The alert in ${alert.room} is marked as dealt with.`);
                      await Promise.all([this.loadAlerts(), this.load(this.offset, false)]);
                    });
                    row.push(clear);
                  }
                  return row;
                }),
              ),
              alerts.length > ALERTS_SHOWN &&
                h(
                  "p",
                  null,
                  `And ${alerts.length - ALERTS_SHOWN} more: choose “Boxes with alerts or offline” above to see them by room.`,
                ),
            ],
      ),
    );
  }
}
