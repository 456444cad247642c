/**
 * Assignments, in the school's words. A coach or mentor (or SLT) sets one
 * for a teacher or a group: a title, what to look at, strands of the
 * school's framework, a due date and, if they like, which lesson to record.
 * The teacher answers with a recording of their own and a short reflection;
 * from then on only they and whoever set it can watch that recording.
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
import { Messages, checkbox, field, loading, onSubmit, section } from "../ui.js";
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
          "answer it with the recording and a few lines of reflection. Only you and whoever set " +
          "the assignment can watch what you send. Feedback comes as comments at moments of the " +
          "recording — strengths, questions, suggestions and next steps — and you can reply. " +
          "Nothing here is a rating, and nobody but you can download your coaching record.",
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
    if (teaches) this.mine = await api.get<RecordingSummary[]>("/api/recordings?scope=mine");
    if (sets) {
      const staff = await api.get<StaffMember[]>("/api/staff");
      this.drawSetter(lists.setByMe, staff);
    }
    if (teaches) this.drawForMe(lists.forMe);
  }

  private async reload(): Promise<void> {
    const lists = await api.get<AssignmentLists>("/api/assignments");
    if (this.roles.includes("teacher")) this.drawForMe(lists.forMe);
    if (this.roles.some((role) => (SETTERS as readonly string[]).includes(role))) {
      const staff = await api.get<StaffMember[]>("/api/staff");
      this.drawSetter(lists.setByMe, staff);
    }
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
    fill(
      this.forMe,
      section(
        "Assignments for you",
        assignments.length === 0
          ? h("p", { class: "empty" }, "No assignment has been set for you.")
          : h(
              "ul",
              { class: "cards" },
              assignments.map((a) =>
                h(
                  "li",
                  { class: "card assignment" },
                  h("h3", null, a.title),
                  this.about(a),
                  this.answerOrForm(a),
                ),
              ),
            ),
      ),
    );
  }

  private answerOrForm(a: Assignment): HTMLElement {
    const answer = a.teachers[0]?.submission ?? null;
    if (answer !== null) {
      return h(
        "div",
        null,
        h(
          "p",
          null,
          `You answered on ${when(answer.submittedAt)} with `,
          h("a", { href: `#/recordings/${answer.recordingId}` }, "your recording"),
          ".",
        ),
        h("p", { class: "reflection" }, answer.reflection),
      );
    }
    const usable = this.mine.filter((r) => r.status !== "deleted");
    const recording = h(
      "select",
      { name: "recording", required: true },
      h("option", { value: "" }, "Choose a recording"),
      usable.map((r) => h("option", { value: r.recordingId }, `${r.room}, ${when(r.startedAt)}`)),
    );
    const reflection = h("textarea", { rows: 4, name: "reflection", required: true });
    const messages = new Messages();
    const form = h(
      "form",
      { class: "form", noValidate: true, attrs: { "aria-label": `Answer “${a.title}”` } },
      field("Recording to send", recording, "One of your own recordings."),
      field(
        "Your reflection",
        reflection,
        "A few lines: what you noticed, what you would try next.",
      ),
      messages.element,
      h("button", { type: "submit", class: "button primary" }, "Send my answer"),
    );
    onSubmit(form, messages, async () => {
      if (recording.value === "") {
        messages.problem("Please choose the recording you answer with.");
        recording.focus();
        return;
      }
      if (reflection.value.trim() === "") {
        messages.problem("Please write a few lines of reflection first.");
        reflection.focus();
        return;
      }
      await api.post(`/api/assignments/${a.assignmentId}/submission`, {
        recordingId: recording.value,
        reflection: reflection.value.trim(),
      });
      await this.reload();
      this.messages.success(`Your answer to “${a.title}” is sent to ${a.setByName}.`);
    });
    return form;
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

  private drawSetter(assignments: readonly Assignment[], staff: readonly StaffMember[]): void {
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
    fill(
      this.setByMe,
      section("Set an assignment", form),
      section(
        "Assignments you set",
        assignments.length === 0
          ? h("p", { class: "empty" }, "You have not set any assignment yet.")
          : h(
              "ul",
              { class: "cards" },
              assignments.map((a) =>
                h(
                  "li",
                  { class: "card assignment" },
                  h("h3", null, a.title),
                  this.about(a),
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
                              `${t.name} answered on ${when(t.submission.submittedAt)}: `,
                              h(
                                "a",
                                { href: `#/recordings/${t.submission.recordingId}` },
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
      ),
    );
  }
}
