/**
 * Concerns flagged about recordings (the policy's route for concerns about
 * content). The school's concern leads — named on the policy screen, else
 * every SLT member, the headteacher and the DPO — see them all and answer
 * each one; whoever flagged a concern sees theirs and the answer, and is
 * told when it comes.
 */
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { when } from "../format.js";
import type { Screen } from "../screen.js";
import type { Concern } from "../types-notifications.js";
import { Messages, badge, button, field, loading, onSubmit } from "../ui.js";

function concernCard(concern: Concern, detail: boolean): HTMLElement {
  const title = `Concern flagged by ${concern.raisedByName}, ${when(concern.raisedAt)}`;
  return h(
    "article",
    { class: "card concern" },
    h(
      detail ? "h2" : "h3",
      null,
      detail ? title : h("a", { href: `#/concerns/${concern.concernId}` }, title),
    ),
    concern.answer === null ? badge("Waiting for an answer", "warning") : badge("Answered", "good"),
    h("p", null, concern.text),
    h("p", null, h("a", { href: `#/recordings/${concern.recordingId}` }, "Open the recording")),
    concern.answer === null
      ? null
      : h(
          "div",
          { class: "answer" },
          h(
            "p",
            { class: "hint" },
            `Answered by ${concern.answeredByName ?? "a lead"}, ${when(concern.answeredAt ?? "")}:`,
          ),
          h("p", null, concern.answer),
        ),
  );
}

export const concernsScreen: Screen = {
  path: "concerns",
  title: "Concerns",
  who: "anyone",
  async render(screen) {
    const messages = new Messages();
    const list = h("div");
    screen.body.append(
      h(
        "p",
        null,
        "Concerns flagged about what a recording shows. The school's concern leads see every " +
          "concern and answer it; you see the concerns you flagged. To flag one, open the " +
          "recording and choose “Flag a concern”.",
      ),
      messages.element,
      list,
    );
    fill(list, loading("Loading concerns…"));
    const reload = async () => {
      const concerns = await api.get<Concern[]>("/api/concerns");
      fill(
        list,
        concerns.length === 0
          ? h("p", { class: "empty" }, "No concerns.")
          : h(
              "ul",
              { class: "cards" },
              concerns.map((concern) => h("li", null, concernCard(concern, false))),
            ),
      );
    };
    const refresh = () => {
      reload().catch((error: unknown) => {
        messages.error(error);
      });
    };
    screen.live("notifications", refresh);
    screen.live("resync", refresh);
    await reload();
  },
};

export const concernScreen: Screen = {
  path: "concerns/:id",
  title: "A concern",
  who: "anyone",
  async render(screen) {
    const messages = new Messages();
    const area = h("div");
    screen.body.append(messages.element, area);
    const id = screen.params.id ?? "";
    const show = async () => {
      const concern = await api.get<Concern>(`/api/concerns/${encodeURIComponent(id)}`);
      const mayAnswer =
        concern.answer === null &&
        screen.person !== null &&
        screen.person.roles.some(
          (role) => role === "slt" || role === "headteacher" || role === "dpo",
        );
      fill(area, concernCard(concern, true));
      if (!mayAnswer) return;
      const text = h("textarea", { name: "answer", rows: 4, required: true, maxLength: 2000 });
      const form = h(
        "form",
        { class: "form" },
        field(
          "Your answer",
          text,
          "Whoever flagged it is told that it is answered, and reads it here.",
        ),
        h("div", { class: "actions" }, button("Send the answer", { type: "submit" }, "primary")),
      );
      area.append(form);
      onSubmit(form, messages, async () => {
        await api.post(`/api/concerns/${encodeURIComponent(id)}/answer`, { answer: text.value });
        messages.success("Answered: whoever flagged it has been told.");
        await show();
      });
    };
    await show();
  },
};
