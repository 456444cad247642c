/**
 * A teacher's answer to an assignment, for whoever set it: the assignment,
 * the teacher's reflection and what they sent. A clip plays here, with the
 * feedback given at its moments (the teacher sent only that part of the
 * lesson); a whole recording is watched, and commented on, on its own page.
 * New feedback and replies appear without reloading.
 */
import { api } from "../api.js";
import { h } from "../dom.js";
import { day, when } from "../format.js";
import { ClipPlayer } from "../clip-player.js";
import type { Screen, ScreenContext } from "../screen.js";
import type { BankEntry } from "../types-clips.js";
import { strandWords, type Assignment, type Strand } from "../types-coaching.js";
import { Messages, section } from "../ui.js";
import { ClipFeedback } from "./clip-feedback.js";

export const coachingAnswer: Screen = {
  path: "coaching/answer",
  title: "An answer to an assignment",
  who: ["teacher", "coach", "slt", "headteacher"],
  async render(screen) {
    await drawAnswer(screen);
  },
};

async function drawAnswer(screen: ScreenContext): Promise<void> {
  const messages = new Messages();
  screen.body.append(
    h("p", { class: "back" }, h("a", { href: "#/coaching" }, "Back to Coaching")),
    messages.element,
  );
  const assignment = await api.get<Assignment>(
    `/api/assignments/${encodeURIComponent(screen.query.assignment ?? "")}`,
  );
  const teacher = assignment.teachers.find((t) => t.teacherId === screen.query.teacher);
  if (teacher === undefined) {
    messages.problem("This assignment was not set for that teacher.");
    return;
  }
  screen.setTitle(`${teacher.name}'s answer: ${assignment.title}`);
  screen.body.append(
    section(
      "The assignment",
      h("p", null, `Set by ${assignment.setByName}; due ${day(`${assignment.dueOn}T12:00:00`)}.`),
      h("p", { class: "focus" }, assignment.focus),
      assignment.strands.length > 0 &&
        h("p", { class: "hint" }, `Strands: ${assignment.strands.map(strandWords).join("; ")}`),
    ),
  );
  const answer = teacher.submission;
  if (answer === null) {
    screen.body.append(h("p", { class: "empty" }, `${teacher.name} has not answered it yet.`));
    return;
  }
  const reflection = section(
    "Reflection",
    h("p", null, `${teacher.name} answered on ${when(answer.submittedAt)}.`),
    h("p", { class: "reflection" }, answer.reflection),
  );
  if (answer.clipId === null) {
    screen.body.append(
      reflection,
      h(
        "p",
        null,
        h(
          "a",
          { href: `#/recordings/${answer.recordingId}` },
          "Watch the recording and give feedback",
        ),
      ),
    );
    return;
  }
  const [clip, strands] = await Promise.all([
    api.get<BankEntry>(`/api/clips/${answer.clipId}`),
    api.get<Strand[]>("/api/strands"),
  ]);
  const player = new ClipPlayer(clip.clipId, clip.title, screen.person?.name ?? "");
  screen.onLeave(() => {
    player.destroy();
  });
  const feedback = new ClipFeedback(screen, clip, player, strands);
  screen.body.append(
    reflection,
    section(`The clip: ${clip.title}`, player.element),
    feedback.element,
  );
  await feedback.load();
  const refresh = () => {
    feedback.load().catch((error: unknown) => {
      messages.error(error);
    });
  };
  screen.live("coaching", refresh);
  screen.live("resync", refresh);
}
