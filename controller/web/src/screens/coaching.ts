/**
 * Assignments, in the school's words. A coach or mentor (or SLT) sets one
 * for a teacher or a group: a title, what to look at, strands of the
 * school's framework, a due date and, if they like, which lesson to record.
 * The teacher answers with a recording of their own, or a clip of one (cut
 * here if they like), and a short reflection; from then on only they and
 * whoever set it can watch what was sent. The lists follow live notices.
 */
import { api } from "../api.js";
import { append, fill, h, type Child } from "../dom.js";
import { day, when } from "../format.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { RecordingSummary, StaffMember } from "../types.js";
import {
  strandWords,
  type Timeline,
  type Assignment,
  type AssignmentLists,
  type Strand,
} from "../types-coaching.js";
import type { Clip } from "../types-clips.js";
import { Messages, checkbox, field, loading, onSubmit, section } from "../ui.js";
import { answerForm } from "./coaching-answer-form.js";
import { StrandPick } from "./strand-pick.js";

const SETTERS = ["coach", "slt", "headteacher"] as const;

export const coachingScreen: Screen = {
  path: "coaching",
  title: "Coaching",
  menu: "Coaching",
  who: ["teacher", "coach", "slt", "headteacher"],
  async render(screen) {
    await new CoachingView(screen).start();
  },
};

const localDay = (date: Date) =>
  `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;

class CoachingView {
  private readonly messages = new Messages();
  private readonly forMe = h("div");
  private readonly setByMe = h("div");
  private strands: Strand[] = [];
  private mine: RecordingSummary[] = [];
  private clips: Clip[] = [];
  /** Forms built once: what someone is typing survives a live redraw. */
  private setForm: HTMLFormElement | null = null;
  private readonly answerForms = new Map<string, HTMLElement>();

  constructor(private readonly screen: ScreenContext) {}

  private get roles() {
    return this.screen.person?.roles ?? [];
  }

  async start(): Promise<void> {
    const teaches = this.roles.includes("teacher");
    const sets = this.roles.some((role) => (SETTERS as readonly string[]).includes(role));
    append(this.screen.body, [
      h(
        "p",
        null,
        "Coaching on classcam: a coach or mentor sets an assignment; you record a lesson and " +
          "answer it with the recording, or just a part of it as a clip, and a few lines of " +
          "reflection. Only you and whoever set the assignment can watch what you send — for a " +
          "clip, the clip alone. Feedback comes as comments at moments of the lesson — " +
          "strengths, questions, suggestions and next steps — on your recording's page, where " +
          "you can reply and mark next steps done. Nothing here is a rating, and nobody but you " +
          "can download your coaching record.",
      ),
      h(
        "p",
        null,
        h("a", { href: "#/coaching/timeline" }, "My coaching timeline"),
        sets && [" · ", h("a", { href: "#/framework" }, "The school's framework")],
      ),
      this.messages.element,
      teaches && this.forMe,
      sets && this.setByMe,
    ]);
    fill(this.forMe, loading("Loading your assignments…"));
    const [strands, lists] = await Promise.all([
      api.get<Strand[]>("/api/strands"),
      api.get<AssignmentLists>("/api/assignments"),
    ]);
    this.strands = strands;
    if (teaches) await this.loadMaterial();
    if (sets) {
      const staff = await api.get<StaffMember[]>("/api/staff");
      this.setForm = this.buildSetForm(staff);
      this.drawSetter(lists.setByMe);
    }
    if (teaches) this.drawForMe(lists.forMe);
    // an assignment set or answered, feedback, a next step marked: the lists follow
    let timer: number | null = null;
    const refresh = () => {
      timer ??= window.setTimeout(() => {
        timer = null;
        this.reload().catch((error: unknown) => {
          this.messages.error(error);
        });
      }, 100);
    };
    this.screen.onLeave(() => {
      if (timer !== null) window.clearTimeout(timer);
    });
    this.screen.live("coaching", refresh);
    this.screen.live("resync", refresh);
  }

  /** The teacher's recordings and clips, to answer with. */
  private async loadMaterial(): Promise<void> {
    [this.mine, this.clips] = await Promise.all([
      api.get<RecordingSummary[]>("/api/recordings?scope=mine"),
      api.get<Clip[]>("/api/clips"),
    ]);
  }

  private async reload(): Promise<void> {
    const lists = await api.get<AssignmentLists>("/api/assignments");
    if (this.roles.includes("teacher")) {
      await this.loadMaterial();
      this.drawForMe(lists.forMe);
    }
    if (this.setForm !== null) this.drawSetter(lists.setByMe);
  }

  private about(a: Assignment): Child[] {
    return [
      h("p", null, `Set by ${a.setByName}; due ${day(`${a.dueOn}T12:00:00`)}.`),
      h("p", { class: "focus" }, a.focus),
      a.strands.length > 0 &&
        h("p", { class: "hint" }, `Strands: ${a.strands.map(strandWords).join("; ")}`),
      a.suggestion !== null && h("p", { class: "hint" }, `Suggested lesson: ${a.suggestion}`),
      a.carriedForward.length > 0 &&
        h(
          "div",
          null,
          h("p", null, "Next steps carried forward:"),
          h(
            "ul",
            null,
            a.carriedForward.map((step) =>
              h("li", null, step.body, step.doneAt !== null && " (done)"),
            ),
          ),
        ),
    ];
  }

  private drawForMe(assignments: readonly Assignment[]): void {
    this.keepingFocus(() =>
      fill(
        this.forMe,
        section(
          "Assignments for you",
          this.cards(assignments, "No assignment has been set for you.", (a) =>
            this.answerOrForm(a),
          ),
        ),
      ),
    );
  }

  /** Each assignment as a card (its title, what it asks, then `body`), or `empty` when there is none. */
  private cards(
    assignments: readonly Assignment[],
    empty: string,
    body: (a: Assignment) => HTMLElement,
  ): HTMLElement {
    if (assignments.length === 0) return h("p", { class: "empty" }, empty);
    return h(
      "ul",
      { class: "cards" },
      assignments.map((a) =>
        h("li", { class: "card assignment" }, h("h3", null, a.title), this.about(a), body(a)),
      ),
    );
  }

  private answerOrForm(a: Assignment): HTMLElement {
    const answer = a.teachers[0]?.submission ?? null;
    if (answer === null) {
      const built = this.answerForms.get(a.assignmentId);
      if (built !== undefined) return built;
      const form = answerForm(a, { recordings: this.mine, clips: this.clips }, async (words) => {
        await this.reload();
        this.messages.success(words);
      });
      this.answerForms.set(a.assignmentId, form);
      return form;
    }
    const clip = this.clips.find((c) => c.clipId === answer.clipId);
    return h(
      "div",
      null,
      h(
        "p",
        null,
        `You answered on ${when(answer.submittedAt)} with `,
        answer.clipId === null
          ? h("a", { href: `#/recordings/${answer.recordingId}` }, "your recording")
          : [
              h("a", { href: "#/clips" }, `your clip “${clip?.title ?? "a part of a lesson"}”`),
              ". Feedback on it is on ",
              h("a", { href: `#/recordings/${answer.recordingId}` }, "the lesson's recording"),
            ],
        ".",
      ),
      h("p", { class: "reflection" }, answer.reflection),
    );
  }

  /** The open next steps you gave the teachers chosen, to carry forward into the assignment. */
  private async drawSteps(who: HTMLFieldSetElement, carry: HTMLFieldSetElement): Promise<void> {
    const chosen = [...who.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
    const timelines = await Promise.all(
      chosen.map((id) =>
        api.get<Timeline>(`/api/coaching/timeline?teacher=${encodeURIComponent(id)}`),
      ),
    );
    const steps = timelines.flatMap((t) =>
      t.nextSteps.filter((s) => s.doneAt === null).map((s) => ({ ...s, teacher: t.teacherName })),
    );
    carry.hidden = steps.length === 0;
    fill(
      carry,
      h("legend", null, "Next steps to carry forward (optional)"),
      steps.map((step) =>
        checkbox(`${step.teacher}: ${step.body}`, { name: "carry", value: String(step.commentId) }),
      ),
    );
  }

  private buildSetForm(staff: readonly StaffMember[]): HTMLFormElement {
    const me = this.screen.person?.id;
    const teachers = staff.filter((s) => s.roles.includes("teacher") && s.id !== me);
    const title = h("input", { name: "title", required: true, maxLength: 120 });
    const focus = h("textarea", { rows: 3, name: "focus", required: true });
    const due = h("input", {
      type: "date",
      name: "due",
      required: true,
      min: localDay(new Date()),
    });
    const suggestion = h("input", { name: "suggestion", maxLength: 300 });
    const strands = new StrandPick(this.strands);
    const who = h(
      "fieldset",
      { class: "teachers" },
      h("legend", null, "For whom"),
      teachers.map((t) => checkbox(t.displayName, { name: "teacher", value: t.id })),
    );
    const carry = h("fieldset", { class: "carry", hidden: true });
    who.addEventListener("change", () => void this.drawSteps(who, carry));
    const messages = new Messages();
    const form = h(
      "form",
      { class: "form", noValidate: true, attrs: { "aria-label": "Set an assignment" } },
      field("Title", title),
      field("Focus", focus, "What the teacher should record and look at."),
      strands.element,
      field("Due", due),
      field(
        "Suggested lesson (optional)",
        suggestion,
        "For example: your Year 9 lesson on Tuesday.",
      ),
      who,
      carry,
      messages.element,
      h("button", { type: "submit", class: "button primary" }, "Set the assignment"),
    );
    onSubmit(form, messages, async () => {
      const chosen = [...who.querySelectorAll<HTMLInputElement>("input:checked")].map(
        (input) => input.value,
      );
      if (title.value.trim() === "" || focus.value.trim() === "") {
        messages.problem("Please give the assignment a title and a focus.");
        (title.value.trim() === "" ? title : focus).focus();
        return;
      }
      if (due.value === "") {
        messages.problem("Please choose the day it is due.");
        due.focus();
        return;
      }
      if (chosen.length === 0) {
        messages.problem("Please choose at least one teacher.");
        return;
      }
      await api.post("/api/assignments", {
        title: title.value.trim(),
        focus: focus.value.trim(),
        strands: strands.chosen(),
        dueOn: due.value,
        teachers: chosen,
        suggestion: suggestion.value.trim() === "" ? null : suggestion.value.trim(),
        carryForward: [...carry.querySelectorAll<HTMLInputElement>("input:checked")].map((input) =>
          Number(input.value),
        ),
      });
      const words = `“${title.value.trim()}” is set.`;
      form.reset();
      strands.clear();
      await this.reload();
      this.messages.success(words);
    });
    return form;
  }

  private drawSetter(assignments: readonly Assignment[]): void {
    this.keepingFocus(() =>
      fill(
        this.setByMe,
        section("Set an assignment", this.setForm),
        section(
          "Assignments you set",
          this.cards(assignments, "You have not set any assignment yet.", (a) =>
            h(
              "ul",
              { class: "answers" },
              a.teachers.map((t) =>
                h(
                  "li",
                  null,
                  t.submission === null
                    ? `${t.name}: not answered yet`
                    : [
                        `${t.name} answered on ${when(t.submission.submittedAt)}` +
                          (t.submission.clipId === null ? ": " : " with a clip: "),
                        h(
                          "a",
                          {
                            href:
                              t.submission.clipId === null
                                ? `#/recordings/${t.submission.recordingId}`
                                : `#/coaching/answer?assignment=${a.assignmentId}&teacher=${encodeURIComponent(t.teacherId)}`,
                          },
                          "watch and give feedback",
                          h("span", { class: "visually-hidden" }, ` (${t.name})`),
                        ),
                        h("p", { class: "reflection" }, t.submission.reflection),
                      ],
                  " ",
                  h(
                    "a",
                    {
                      href: `#/coaching/timeline?teacher=${encodeURIComponent(t.teacherId)}`,
                    },
                    "timeline",
                    h("span", { class: "visually-hidden" }, ` of ${t.name}`),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  /** Redraws without losing the place of someone typing in a form kept across redraws. */
  private keepingFocus(draw: () => void): void {
    const active = document.activeElement;
    draw();
    if (active instanceof HTMLElement && active !== document.activeElement && active.isConnected) {
      active.focus();
    }
  }
}
