/**
 * A teacher's coaching timeline: their assignments, the feedback on their
 * lessons and their next steps over the year. A teacher sees all of theirs
 * and may download it (theirs alone to take away); a coach sees, for a
 * teacher, only what that coach set and gave. There is no rating anywhere.
 */
import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { clock, day, when } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import {
  COMMENT_KIND_WORDS,
  strandWords,
  type Feedback,
  type Strand,
  type Timeline,
} from "../types-coaching.js";
import { Messages, badge, field, loading, section } from "../ui.js";

export const coachingTimeline: Screen = {
  path: "coaching/timeline",
  title: "Coaching timeline",
  who: ["teacher", "coach", "slt", "headteacher"],
  async render(screen) {
    await new TimelineView(screen).start();
  },
};

class TimelineView {
  private readonly messages = new Messages();
  private readonly place = h("div");
  private readonly strand = h("select", { name: "strand" });

  constructor(private readonly screen: ScreenContext) {}

  private get teacher(): string | undefined {
    return this.screen.query.teacher;
  }

  async start(): Promise<void> {
    const strands = await api.get<Strand[]>("/api/strands?includeRetired=true");
    fill(
      this.strand,
      h("option", { value: "" }, "Every strand"),
      strands.map((s) => h("option", { value: String(s.strandId) }, strandWords(s))),
    );
    this.strand.addEventListener("change", () => void this.load());
    this.screen.body.append(
      this.messages.element,
      h(
        "form",
        { class: "toolbar", on: { submit: (event) => event.preventDefault() } },
        field("Strand", this.strand),
      ),
      this.place,
    );
    await this.load();
    // an assignment set or answered, feedback, a reply or a next step marked: it follows
    const refresh = () => {
      this.load().catch((error: unknown) => {
        this.messages.error(error);
      });
    };
    this.screen.live("coaching", refresh);
    this.screen.live("resync", refresh);
  }

  private async load(): Promise<void> {
    fill(this.place, loading("Loading the timeline…"));
    try {
      const timeline = await api.get<Timeline>(
        `/api/coaching/timeline${query({
          teacher: this.teacher,
          strand: this.strand.value === "" ? undefined : this.strand.value,
        })}`,
      );
      this.draw(timeline);
    } catch (error) {
      fill(this.place);
      this.messages.error(error);
    }
  }

  private draw(timeline: Timeline): void {
    this.screen.setTitle(
      timeline.own ? "My coaching timeline" : `Coaching timeline: ${timeline.teacherName}`,
    );
    const intro = timeline.own
      ? "Everything of your coaching: what was set for you, the feedback on your lessons and your next steps. Only you can download it."
      : `Only what you set for ${timeline.teacherName} and the feedback you gave: the rest of their coaching is theirs.`;
    fill(
      this.place,
      h("p", null, intro),
      timeline.own && this.downloads(),
      section(
        "Next steps",
        timeline.nextSteps.length === 0
          ? h("p", { class: "empty" }, "No next steps.")
          : h(
              "ul",
              { class: "next-steps" },
              timeline.nextSteps.map((f) => this.feedbackItem(f)),
            ),
      ),
      section(
        "Assignments",
        timeline.assignments.length === 0
          ? h("p", { class: "empty" }, "No assignments.")
          : h(
              "ul",
              null,
              timeline.assignments.map((a) => {
                const answer = a.teachers[0]?.submission ?? null;
                return h(
                  "li",
                  null,
                  h("strong", null, a.title),
                  ` — set by ${a.setByName}, due ${day(`${a.dueOn}T12:00:00`)}; `,
                  answer === null ? "not answered yet" : `answered ${when(answer.submittedAt)}`,
                );
              }),
            ),
      ),
      section(
        "Feedback",
        timeline.feedback.length === 0
          ? h("p", { class: "empty" }, "No feedback yet.")
          : h(
              "ul",
              null,
              timeline.feedback.map((f) => this.feedbackItem(f)),
            ),
      ),
    );
  }

  private feedbackItem(f: Feedback): HTMLLIElement {
    return h(
      "li",
      null,
      badge(COMMENT_KIND_WORDS[f.kind], f.kind === "strength" ? "good" : "info"),
      " ",
      f.body,
      " ",
      h(
        "a",
        { href: `#/recordings/${f.recordingId}` },
        `at ${clock(f.atSeconds)}`,
        h("span", { class: "visually-hidden" }, ` of the recording (${f.authorName})`),
      ),
      ` — ${f.authorName}, ${day(f.createdAt)}`,
      f.strands.length > 0 &&
        h("span", { class: "hint" }, ` (${f.strands.map(strandWords).join("; ")})`),
      f.kind === "next-step" && f.doneAt !== null && [" ", badge("Done", "good")],
    );
  }

  private downloads(): HTMLElement {
    const link = (format: "csv" | "json", words: string) =>
      h(
        "a",
        {
          class: "button secondary",
          href: `/api/coaching/timeline/export?format=${format}`,
          download: "",
        },
        words,
      );
    return h(
      "div",
      { class: "actions" },
      link("csv", "Download as CSV (for a spreadsheet)"),
      link("json", "Download as JSON"),
    );
  }
}
