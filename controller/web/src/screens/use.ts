/**
 * Use of the boxes, for the Bursar, SLT and the headteacher, as charts:
 * recording hours per week by room and by purpose, footage held over time
 * (in the classroom boxes and on the school's server), and asking to keep
 * and consent per week. Each chart has its gist in words beside it (read out
 * as the chart's description) and its figures in a table to open, so nothing
 * depends on seeing the picture. uPlot draws the charts; it is loaded only
 * when this screen opens.
 */
import type uPlot from "uplot";
import { api } from "../api.js";
import { fill, h, svg, uid } from "../dom.js";
import { bytes, purpose } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { Use } from "../types-school.js";
import { Messages, field, loading, section, table } from "../ui.js";
import { count, hours, thereAre } from "../words.js";

type UPlot = typeof uPlot;

/** Strong colours that stand out on white (at least 3:1), each with its own dash pattern. */
const PALETTE: readonly { color: string; dash: number[] }[] = [
  { color: "#1d4f91", dash: [] },
  { color: "#a8111e", dash: [10, 5] },
  { color: "#00703c", dash: [3, 3] },
  { color: "#6f3d99", dash: [12, 4, 3, 4] },
  { color: "#b35900", dash: [6, 6] },
  { color: "#007c8a", dash: [2, 6] },
  { color: "#4b4b4b", dash: [14, 3] },
];
const PLOT_HEIGHT = 260;

const weekLabel = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" });
const dayLabel = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
});
const week = (iso: string) => `week of ${weekLabel.format(new Date(iso))}`;
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const times = (n: number) => (n === 1 ? "once" : n === 2 ? "twice" : `${n} times`);

interface Line {
  label: string;
  values: number[];
}

interface ChartSpec {
  title: string;
  /** The gist in words: read out as the chart's description, shown beside it. */
  summary: string;
  times: string[];
  lines: Line[];
  /** The y axis's values in words ("3 h"). */
  tick: (value: number) => string;
  /** A value for the table of figures. */
  cell: (value: number) => string;
  /** What a row of the table is: "Week", "Day". */
  rowHeading: string;
  rowLabel: (iso: string) => string;
  /** The x axis's label for a point's time (unix seconds). */
  axisLabel: (seconds: number) => string;
  /** Points per week: a tick every week (or every few, when there are many). */
  perWeek: number;
  /** Counts: the y axis in whole numbers. */
  whole?: boolean;
}

const weekTick = (seconds: number) => weekLabel.format(new Date(seconds * 1000));
/** A day's point is at its end (midnight after): labelled with the day itself. */
const dayTick = (seconds: number) => weekLabel.format(new Date(seconds * 1000 - 1));

export const use: Screen = {
  path: "use",
  title: "Use of the boxes",
  menu: "Use",
  who: ["bursar", "slt", "headteacher"],
  async render(screen) {
    const weeks = h(
      "select",
      { name: "weeks" },
      [4, 12, 26, 52].map((n) =>
        h("option", { value: String(n), selected: n === 12 }, `The last ${n} weeks`),
      ),
    );
    const charts = h("div", { class: "charts" });
    const messages = new Messages();
    screen.body.append(
      h(
        "form",
        { class: "toolbar", on: { submit: (e) => e.preventDefault() } },
        field("Show", weeks),
      ),
      messages.element,
      charts,
    );
    fill(charts, loading("Loading the figures…"));
    const [{ default: UPlot }, first] = await Promise.all([
      import("uplot"),
      api.get<Use>(`/api/use?weeks=${weeks.value}`),
    ]);
    const view = new UseView(screen, UPlot, charts);
    view.draw(first);
    weeks.addEventListener("change", () => {
      messages.clear();
      view.clear();
      fill(charts, loading("Loading the figures…"));
      api.get<Use>(`/api/use?weeks=${weeks.value}`).then(
        (figures) => {
          view.draw(figures);
        },
        (error: unknown) => {
          fill(charts);
          messages.error(error);
        },
      );
    });
  },
};

class UseView {
  private plots: uPlot[] = [];

  constructor(
    private readonly screen: ScreenContext,
    private readonly UPlot: UPlot,
    private readonly charts: HTMLElement,
  ) {
    const resize = () => {
      for (const plot of this.plots) {
        const width = plot.root.parentElement?.clientWidth ?? 0;
        if (width > 0) plot.setSize({ width, height: PLOT_HEIGHT });
      }
    };
    window.addEventListener("resize", resize);
    screen.onLeave(() => {
      window.removeEventListener("resize", resize);
      this.clear();
    });
  }

  clear(): void {
    for (const plot of this.plots) plot.destroy();
    this.plots = [];
  }

  draw(use: Use): void {
    this.clear();
    fill(this.charts);
    const n = use.weeks.length;
    const byRoom = use.hoursByRoom.map((room) => ({ label: room.room, values: room.hours }));
    const allHours = use.weeks.map((_, i) => sum(byRoom.map((room) => room.values[i] ?? 0)));
    const total = sum(allHours);
    const busiest = allHours.indexOf(Math.max(...allHours));
    const topRoom = byRoom[0];
    /** Both hours-per-week charts: weeks along, hours up. */
    const weeklyHours = {
      times: use.weeks,
      tick: (v: number) => `${v} h`,
      cell: (v: number) => v.toLocaleString("en-GB", { maximumFractionDigits: 1 }),
      rowHeading: "Week of",
      rowLabel: (iso: string) => weekLabel.format(new Date(iso)),
      axisLabel: weekTick,
      perWeek: 1,
    } satisfies Partial<ChartSpec>;
    this.chart({
      title: "Recording hours per week, by room",
      summary:
        total === 0
          ? `No recording in the last ${n} weeks.`
          : `${hours(total)} recorded in the last ${n} weeks. ` +
            (topRoom && topRoom.label !== ""
              ? `The most in ${topRoom.label}: ${hours(sum(topRoom.values))}. `
              : "") +
            `The busiest week was the ${week(use.weeks[busiest] ?? use.weeks[0] ?? "")}, with ${hours(allHours[busiest] ?? 0)}. ` +
            `This week so far: ${hours(allHours.at(-1) ?? 0)}.`,
      lines: byRoom,
      ...weeklyHours,
    });

    const purposes = use.hoursByPurpose
      .map((p) => ({ label: purpose(p.purpose), values: p.hours }))
      // the purposes used (every one while nothing is recorded)
      .filter((line, _, all) =>
        all.some((other) => sum(other.values) > 0)
          ? sum(line.values) > 0
          : line.label !== purpose(null),
      );
    const ranked = [...purposes]
      .sort((a, b) => sum(b.values) - sum(a.values))
      .filter((p) => sum(p.values) > 0);
    this.chart({
      title: "Recording hours per week, by purpose",
      summary:
        total === 0
          ? `No recording in the last ${n} weeks.`
          : `Of ${hours(total)}: ` +
            ranked
              .map(
                (p) =>
                  `${p.label} ${hours(sum(p.values))} (${Math.round((sum(p.values) / total) * 100)}%)`,
              )
              .join(", ") +
            ".",
      lines: purposes,
      ...weeklyHours,
    });

    const gb = (values: number[]) => values.map((v) => Math.round(v / 1e7) / 100);
    const boxesNow = use.storage.onBoxes.at(-1) ?? 0;
    const serverNow = use.storage.onServer.at(-1) ?? 0;
    const peak = Math.max(
      0,
      ...use.storage.onBoxes.map((v, i) => v + (use.storage.onServer[i] ?? 0)),
    );
    this.chart({
      title: "Footage held over time",
      summary:
        `Now ${bytes(boxesNow)} in the classroom boxes and ${bytes(serverNow)} kept on the school's server. ` +
        `At most ${bytes(peak)} in all, in the last ${n} weeks.`,
      times: use.storage.days,
      lines: [
        { label: "In the classroom boxes (GB)", values: gb(use.storage.onBoxes) },
        { label: "On the school's server (GB)", values: gb(use.storage.onServer) },
      ],
      tick: (v) => `${v} GB`,
      cell: (v) => v.toLocaleString("en-GB", { maximumFractionDigits: 2 }),
      rowHeading: "Day",
      rowLabel: (iso) => dayLabel.format(new Date(Date.parse(iso) - 1)),
      axisLabel: dayTick,
      perWeek: 7,
    });

    const { keeping, now } = use;
    this.chart({
      title: "Asking to keep recordings, per week",
      summary:
        `In the last ${n} weeks, keeping was asked for ${count(sum(keeping.asked), "recording")}; ` +
        `staff agreed ${times(sum(keeping.agreed))} and declined ${times(sum(keeping.declined))}; ` +
        `${count(sum(keeping.kept), "recording")} ${sum(keeping.kept) === 1 ? "was" : "were"} kept. ` +
        `Now ${thereAre(now.recordings, "recording")}: ${now.awaitingConsent} waiting for staff to agree, ` +
        `${now.archived} kept (${now.exemplars} in the exemplar bank), ${now.onHold} on hold.`,
      times: use.weeks,
      lines: [
        { label: "Asked to keep", values: keeping.asked },
        { label: "Agreed", values: keeping.agreed },
        { label: "Declined", values: keeping.declined },
        { label: "Kept", values: keeping.kept },
      ],
      tick: (v) => String(v),
      cell: (v) => String(v),
      whole: true,
      rowHeading: "Week of",
      rowLabel: (iso) => weekLabel.format(new Date(iso)),
      axisLabel: weekTick,
      perWeek: 1,
    });
  }

  private chart(spec: ChartSpec): void {
    const summaryId = uid("chart-summary");
    const plotPlace = h("div", {
      class: "chart-plot",
      attrs: { role: "img", "aria-label": spec.title, "aria-describedby": summaryId },
    });
    const legend = h(
      "ul",
      { class: "chart-legend" },
      spec.lines.map((line, i) => {
        const style = PALETTE[i % PALETTE.length] ?? { color: "#000000", dash: [] };
        return h(
          "li",
          null,
          svg(
            "svg",
            { width: 36, height: 12, viewBox: "0 0 36 12", "aria-hidden": "true" },
            svg("line", {
              x1: 0,
              y1: 6,
              x2: 36,
              y2: 6,
              stroke: style.color,
              "stroke-width": 3,
              "stroke-dasharray": style.dash.length === 0 ? null : style.dash.join(" "),
            }),
          ),
          ` ${line.label}`,
        );
      }),
    );
    const figures = h(
      "details",
      { class: "chart-figures" },
      h("summary", null, "Show the figures as a table"),
      table(
        spec.title,
        [spec.rowHeading, ...spec.lines.map((line) => line.label)],
        spec.times.map((time, row) => [
          spec.rowLabel(time),
          ...spec.lines.map((line) => spec.cell(line.values[row] ?? 0)),
        ]),
      ),
    );
    const panel = section(
      spec.title,
      h("p", { id: summaryId, class: "chart-summary" }, spec.summary),
      h("figure", { class: "chart" }, plotPlace, legend),
      figures,
    );
    this.charts.append(panel);
    const width = Math.max(280, plotPlace.clientWidth);
    const xs = spec.times.map((time) => Date.parse(time) / 1000);
    // a tick a week, or every few weeks so that at most about eight are labelled
    const weeksShown = Math.ceil(xs.length / spec.perWeek);
    const step = spec.perWeek * Math.max(1, Math.ceil(weeksShown / 8));
    const ticks = xs.filter((_, i) => (xs.length - 1 - i) % step === 0);
    const axis = {
      stroke: "#1b1b1b",
      grid: { stroke: "#d8d8d8", width: 1 },
      ticks: { stroke: "#b1b4b6", width: 1 },
    };
    const options: uPlot.Options = {
      width,
      height: PLOT_HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        {
          ...axis,
          splits: () => ticks,
          values: (_u, splits) => splits.map((seconds) => spec.axisLabel(seconds)),
        },
        {
          ...axis,
          size: 64,
          values: (_u, splits) => splits.map(spec.tick),
          ...(spec.whole === true && { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }),
        },
      ],
      series: [
        {},
        ...spec.lines.map((line, i) => {
          const style = PALETTE[i % PALETTE.length] ?? { color: "#000000", dash: [] };
          return {
            label: line.label,
            stroke: style.color,
            width: 2.5,
            dash: style.dash,
            points: { show: spec.times.length <= 30, size: 6, fill: style.color },
          };
        }),
      ],
    };
    const data: uPlot.AlignedData = [xs, ...spec.lines.map((line) => line.values)];
    const plot = new this.UPlot(options, data, plotPlace);
    plot.root.setAttribute("aria-hidden", "true");
    this.plots.push(plot);
    this.screen.body.dataset.charts = String(this.plots.length);
  }
}
